import { defineStore } from 'pinia'
import { ref } from 'vue'
import { keysApi, type CreateKeyInput, type Key, type ListOptions } from '../api/backend'
import { toBackendError, type BackendError } from '../api/errors'

export const useKeysStore = defineStore('keys', () => {
  const keys = ref<Key[]>([])
  const total = ref(0)
  const loading = ref(false)
  const error = ref<BackendError | null>(null)
  const filters = ref<ListOptions>({ search: '', state: 0, usage: '', orderAscending: false })
  const page = ref(1)
  const pageSize = ref(20)
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
    } catch (e) {
      if (my === seq) error.value = toBackendError(e)
    } finally {
      if (my === seq) loading.value = false
    }
  }

  async function create(input: CreateKeyInput): Promise<Key> {
    const key = await keysApi.create(input)
    page.value = 1
    await load()
    return key
  }

  // enabledSymmetric lists keys usable for Encrypt/GenerateDataKey (first 200).
  async function enabledSymmetric(): Promise<Key[]> {
    const res = await keysApi.list({ state: 1, usage: 'ENCRYPT_DECRYPT', limit: 200 })
    return res.keys ?? []
  }

  return { keys, total, loading, error, filters, page, pageSize, load, create, enabledSymmetric }
})
