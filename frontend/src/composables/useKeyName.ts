import { reactive } from 'vue'
import { useKeysStore } from '../stores/keys'

// useKeyName names keys the way people know them: by the alias the KMS in use has for
// a KeyId (looked up once per KeyId through the keys store: the page shown, else one
// Describe), or by the KeyId while the alias is not known or when there is none.
export function useKeyName() {
  const keys = useKeysStore()
  const aliases = reactive(new Map<string, string>())

  // learn looks the key up once; name shows the alias as soon as it is known.
  function learn(id: string) {
    if (!id || aliases.has(id)) return
    aliases.set(id, '')
    void keys.lookup(id).then((k) => {
      if (k?.alias) aliases.set(id, k.alias)
    })
  }

  function name(id: string): string {
    return aliases.get(id) || id
  }

  return { learn, name }
}
