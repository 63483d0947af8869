import { computed, ref } from 'vue'
import { useKeysStore } from '../stores/keys'
import type { Key } from '../api/backend'
import { notifyError } from '../notify'

// useKeyOptions loads enabled keys of a usage for a picker, with server-side search
// (by alias or KeyId), so the picker works the same with 10 or 10,000 keys.
export function useKeyOptions(usage = 'ENCRYPT_DECRYPT') {
  const store = useKeysStore()
  const keys = ref<Key[]>([])
  const known = new Map<string, string>()
  const loading = ref(false)
  let seq = 0

  function label(k: Key): string {
    return k.alias ? `${k.alias} (${k.keyId})` : k.keyId
  }

  async function load(search = ''): Promise<Key[]> {
    const my = ++seq
    loading.value = true
    try {
      const list = await store.pickable(usage, search.trim())
      if (my !== seq) return list
      keys.value = list
      for (const k of list) known.set(k.keyId, label(k))
      return list
    } catch (e) {
      notifyError(e)
      return []
    } finally {
      if (my === seq) loading.value = false
    }
  }

  // options keeps chosen keys visible even when the current search does not list them.
  function options(chosen: string[]) {
    const out = keys.value.map((k) => ({ label: label(k), value: k.keyId }))
    for (const id of chosen) {
      if (id && !out.some((o) => o.value === id)) out.unshift({ label: known.get(id) ?? id, value: id })
    }
    return out
  }

  return { keys, loading, load, options, empty: computed(() => keys.value.length === 0) }
}
