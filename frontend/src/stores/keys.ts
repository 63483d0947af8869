import { defineStore } from 'pinia'
import { ref } from 'vue'
import {
  keysApi,
  type Algorithms,
  type CreateKeyInput,
  type Dependents,
  type ImportMaterialInput,
  type Key,
  type ListOptions,
  type MaterialFile,
  type PublicKey,
  type SignInput,
  type SignResult,
} from '../api/backend'
import { BackendError, toBackendError } from '../api/errors'

// The keys store holds one page of keys: paging, search and filters run on the server
// (ListKeyDetail), so 10,000 keys cost no more than 20.
//
// A load is one request. While it runs, `loading` is true (the view says
// "Connecting…" and offers cancel); a load that failed or was cancelled leaves `error`
// set and no keys, so the view never shows an empty list or "0 keys" it does not know.
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
  // What the region offers (ListAlgorithms), asked once per connection.
  let regionAlgorithms: Promise<Algorithms> | null = null

  async function load() {
    const my = ++seq
    loading.value = true
    error.value = null
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
      if (my === seq) fail(toBackendError(e))
    } finally {
      if (my === seq) loading.value = false
    }
  }

  // At startup the first page is asked for together with the preferences (prefetch), not
  // after the shell and the Keys view were drawn, so the view can draw the keys at once:
  // the view's first load (firstLoad) takes that request instead of making another. When
  // the first view drawn is another one (files handed over at startup), endPrefetch
  // forgets it, so the Keys view opened later loads afresh.
  let prefetched: Promise<void> | null = null
  function prefetch() {
    prefetched = load()
  }
  function endPrefetch() {
    prefetched = null
  }
  function firstLoad(): Promise<void> {
    const p = prefetched
    prefetched = null
    return p ?? load()
  }

  // fail forgets the keys shown: they no longer describe what the KMS holds.
  function fail(e: BackendError) {
    error.value = e
    keys.value = []
    total.value = 0
    selected.value = []
  }

  // cancel abandons the load under way: its answer is ignored, its HTTP request aborted.
  async function cancel() {
    if (!loading.value) return
    seq++
    loading.value = false
    fail(new BackendError('Client.Cancelled', 'the request was cancelled'))
    await keysApi.cancelList().catch(() => undefined)
  }

  // create creates a key and shows the first page without search or filters, where the
  // new key is on top (newest first). `external` creates a key without material (bring
  // your own key).
  async function create(input: Omit<CreateKeyInput, 'external'> & { external?: boolean }): Promise<Key> {
    const key = await keysApi.create({ external: false, ...input })
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
    regionAlgorithms = null
    prefetched = null
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

  // --- one key (the drawer) ---------------------------------------------------------

  function describe(id: string): Promise<Key> {
    return keysApi.describe(id)
  }

  // changed finishes a change of one key: the key as the change left it (the call's
  // answer, or a fresh Describe for calls that answer nothing) replaces its row, and the
  // page is read again in the background (the change may move the key out of the filter).
  async function changed(id: string, change: Promise<Key | void>): Promise<Key> {
    const fresh = (await change) ?? (await keysApi.describe(id))
    replace(fresh)
    void load()
    return fresh
  }

  const updateAlias = (id: string, alias: string) => changed(id, keysApi.updateAlias(id, alias))
  const updateDescription = (id: string, description: string) => changed(id, keysApi.updateDescription(id, description))
  const setKeyEnabled = (id: string, on: boolean) => changed(id, keysApi.setEnabled([id], on))
  // days is ignored (sent as 0) when rotation is turned off.
  const setRotation = (id: string, on: boolean, days: number) => changed(id, keysApi.setRotation(id, on, on ? days : 0))
  const setArchived = (id: string, on: boolean) => changed(id, keysApi.setArchived(id, on))
  // confirm is what the user typed; ScheduleDeletion checks it against the alias again.
  const scheduleDeletion = (id: string, days: number, confirm: string) => changed(id, keysApi.scheduleDeletion(id, days, confirm))
  const cancelDeletion = (id: string) => changed(id, keysApi.cancelDeletion(id))
  // rotateNow rotates the key's material at once (the service allows it with automatic
  // rotation on, once a day).
  const rotateNow = (id: string) => changed(id, keysApi.rotateNow(id))
  // importMaterial reads the file in Go, wraps the material with the service's public
  // key and imports it; the material never passes through the UI.
  const importMaterial = (input: ImportMaterialInput) => changed(input.keyId, keysApi.importMaterial(input))
  const deleteMaterial = (id: string) => changed(id, keysApi.deleteMaterial(id))

  // pickMaterial asks for a key material file (native dialog in Go) and says what it
  // holds; an empty path when cancelled.
  function pickMaterial(id: string): Promise<MaterialFile> {
    return keysApi.pickMaterial(id)
  }

  // algorithms is what the current region offers (asked once per connection).
  function algorithms(): Promise<Algorithms> {
    regionAlgorithms ??= keysApi.algorithms().catch((e: unknown) => {
      regionAlgorithms = null
      throw e
    })
    return regionAlgorithms
  }

  // dependents tells which known files on this computer the key opens, and which only
  // it opens (asked before the key is disabled, archived or deleted).
  function dependents(id: string): Promise<Dependents> {
    return keysApi.dependents(id)
  }

  // lookup returns what the KMS in use says of a key a message names (alias, state):
  // the page shown if it holds the key, else a Describe; null when it cannot tell
  // (another region, another computer's local KMS, no connection).
  async function lookup(id: string): Promise<Key | null> {
    const shown = keys.value.find((k) => k.keyId === id)
    if (shown) return shown
    try {
      return await keysApi.describe(id)
    } catch {
      return null
    }
  }

  function publicKey(id: string): Promise<PublicKey> {
    return keysApi.publicKey(id)
  }

  // savePublicKey asks where to save the PEM (native dialog); "" when cancelled.
  function savePublicKey(id: string): Promise<string> {
    return keysApi.savePublicKey(id)
  }

  function sign(input: SignInput): Promise<SignResult> {
    return keysApi.sign(input)
  }

  function verify(input: SignInput): Promise<SignResult> {
    return keysApi.verify(input)
  }

  return {
    keys,
    total,
    loading,
    error,
    filters,
    page,
    pageSize,
    selected,
    load,
    prefetch,
    endPrefetch,
    firstLoad,
    cancel,
    create,
    replace,
    setEnabled,
    reset,
    pickable,
    describe,
    updateAlias,
    updateDescription,
    setKeyEnabled,
    setRotation,
    setArchived,
    scheduleDeletion,
    cancelDeletion,
    dependents,
    lookup,
    rotateNow,
    importMaterial,
    deleteMaterial,
    pickMaterial,
    algorithms,
    publicKey,
    savePublicKey,
    sign,
    verify,
  }
})
