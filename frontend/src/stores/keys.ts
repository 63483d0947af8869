import { defineStore } from 'pinia'
import { ref } from 'vue'
import { keysApi, type CreateKeyInput, type Key, type ListOptions } from '../api/backend'
import { toBackendError, type BackendError } from '../api/errors'

// The keys store holds one page of keys: paging, search and filters run on the server
// (ListKeyDetail), so 10,000 keys cost no more than 20.
export const useKeysStore = defineStore('keys', () => {
  const keys = ref<Key[]>([])
  const total = ref(0)
  const loading = ref(false)
  const error = ref<BackendError | null>(null)
  const filters = ref<ListOptions>({ search: '', state: 0, usage: '', orderAscending: false })
  const page = ref(1)
  const pageSize = ref(20)
  const selected = ref<string[]>([])
  let seq = 0

  async function load() {
    const my = ++seq
    loading.value = true
    try {
      const res = await keysApi.list({ ...filters.value, offset: (page.value - 1) * pageSize.value, limit: pageSize.value })
      if (my !== seq) return // a newer request superseded this one
      keys.value = res.keys ?? []
      total.value = res.total
      error.value = null
      // A page past the end (after deletions or a narrower filter): go to the last one.
      if (keys.value.length === 0 && res.total > 0 && page.value > 1) {
        page.value = Math.max(1, Math.ceil(res.total / pageSize.value))
        void load()
      }
    } catch (e) {
      if (my === seq) error.value = toBackendError(e)
    } finally {
      if (my === seq) loading.value = false
    }
  }

  // create creates a key and shows the first page without search or filters, where the
  // new key is on top (newest first).
  async function create(input: CreateKeyInput): Promise<Key> {
    const key = await keysApi.create(input)
    filters.value = { ...filters.value, search: '', state: 0, usage: '' }
    page.value = 1
    await load()
    return key
  }

  // replace puts fresh metadata of one key into the page shown.
  function replace(key: Key) {
    const i = keys.value.findIndex((k) => k.keyId === key.keyId)
    if (i >= 0) keys.value[i] = key
  }

  async function setEnabled(ids: string[], on: boolean) {
    await keysApi.setEnabled(ids, on)
    await load()
  }

  // reset forgets everything shown (another connection is now in use).
  function reset() {
    keys.value = []
    total.value = 0
    page.value = 1
    selected.value = []
    error.value = null
  }

  // pickable lists keys for a picker: enabled keys of a usage (first 200), optionally
  // filtered by alias or KeyId on the server.
  async function pickable(usage = 'ENCRYPT_DECRYPT', search = ''): Promise<Key[]> {
    const res = await keysApi.list({ state: 1, usage, search, limit: 200 })
    return res.keys ?? []
  }

  return { keys, total, loading, error, filters, page, pageSize, selected, load, create, replace, setEnabled, reset, pickable }
})
