import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import {
  filesApi,
  type ConflictDecision,
  type ContextPair,
  type FileItem,
  type JobInfo,
  type JobKind,
  type JobStatus,
  type Overwrite,
} from '../api/backend'
import { toBackendError, type BackendError } from '../api/errors'
import {
  EV,
  parseConflict,
  parseDone,
  parseFile,
  parseProgress,
  type ConflictEvent,
  type DoneEvent,
  type FileEvent,
  type JobState,
  type ProgressEvent,
} from '../api/events'
import { onEvent } from '../api/runtime'
import { newMeter, read, sample, type Meter, type Reading } from '../progress'

export interface StagedItem extends FileItem {
  uid: number
}

export interface JobView {
  id: string
  kind: JobKind
  state: JobState
  // waiting: the job waits for the answer to a conflict.
  waiting: boolean
  // label is what the user started: the names of the items (for the card title).
  label: string
  filesDone: number
  filesTotal: number
  bytesDone: number
  bytesTotal: number
  current: { path: string; bytesDone: number; bytesTotal: number } | null
  meter: Meter
  reading: Reading
  results: FileEvent[]
  summary: DoneEvent | null
}

export type OutputMode = 'beside' | 'folder'

function newJob(id: string, kind: JobKind, label = ''): JobView {
  return {
    id,
    kind,
    state: 'running',
    waiting: false,
    label,
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    current: null,
    meter: newMeter(),
    reading: { percent: 0, bytesPerSec: 0, eta: -1 },
    results: [],
    summary: null,
  }
}

// takeConflict works out what answering the first waiting conflict means: the call to
// make, and the conflicts still waiting. "Apply to all" answers every later conflict of
// the same job in the backend, so that job's other waiting entries go too.
export function takeConflict(
  queue: ConflictEvent[],
  decision: ConflictDecision,
  applyToAll: boolean,
): { call: { id: string; decision: ConflictDecision; applyToAll: boolean } | null; rest: ConflictEvent[] } {
  const head = queue[0]
  if (!head) return { call: null, rest: [] }
  const all = applyToAll || decision === 'cancel'
  const rest = queue.slice(1).filter((c) => !(all && c.id === head.id))
  return { call: { id: head.id, decision, applyToAll }, rest }
}

let uid = 0

export const useFilesStore = defineStore('files', () => {
  const items = ref<StagedItem[]>([])
  const classifying = ref(false)
  const jobs = ref<JobView[]>([])
  const conflicts = ref<ConflictEvent[]>([])
  const lastError = ref<BackendError | null>(null)

  // Options of the next batch.
  const keyId = ref('')
  const backupKeyIds = ref<string[]>([])
  const context = ref<ContextPair[]>([])
  const requireContext = ref<ContextPair[]>([])
  const outputMode = ref<OutputMode>('beside')
  const outputDir = ref('')
  const overwrite = ref<Overwrite>('rename')
  const removeOriginals = ref(false)
  const direct = ref(false)

  const toEncrypt = computed(() => items.value.filter((i) => !i.errorCode && i.action === 'encrypt'))
  const toDecrypt = computed(() => items.value.filter((i) => !i.errorCode && i.action === 'decrypt'))
  const running = computed(() => jobs.value.filter((j) => j.state === 'running').length)

  function job(id: string): JobView | undefined {
    return jobs.value.find((j) => j.id === id)
  }

  // ensureJob returns the job, creating it when an event arrives before the call that
  // started it has returned.
  function ensureJob(id: string, kind: JobKind, label = ''): JobView {
    let j = job(id)
    if (!j) {
      jobs.value.unshift(newJob(id, kind, label))
      j = jobs.value[0] as JobView
    } else if (label && !j.label) {
      j.label = label
    }
    return j
  }

  // add classifies paths (dropped, picked, or handed over by a second launch) and
  // stages them; a path already staged is not added twice.
  async function add(paths: string[]) {
    const fresh = paths.filter((p) => !items.value.some((i) => i.path === p))
    if (fresh.length === 0) return
    classifying.value = true
    lastError.value = null
    try {
      const classified = await filesApi.classify(fresh)
      for (const it of classified ?? []) {
        if (!items.value.some((i) => i.path === it.path)) items.value.push({ ...it, uid: ++uid })
      }
    } catch (e) {
      lastError.value = toBackendError(e)
      throw lastError.value
    } finally {
      classifying.value = false
    }
  }

  function remove(uidToRemove: number) {
    items.value = items.value.filter((i) => i.uid !== uidToRemove)
  }

  function clearItems() {
    items.value = []
  }

  function labelOf(list: FileItem[]): string {
    return list.map((i) => i.name).join(', ')
  }

  // start runs the staged items: one encryption job for the plain files and folders, one
  // decryption job for the encrypted ones. Staged items leave the list once their job
  // started; on failure they stay so the user can fix the options and retry.
  async function start(): Promise<JobInfo[]> {
    const started: JobInfo[] = []
    const outDir = outputMode.value === 'folder' ? outputDir.value : ''
    const enc = toEncrypt.value
    const dec = toDecrypt.value
    if (enc.length > 0) {
      const info = await filesApi.encrypt({
        paths: enc.map((i) => i.path),
        keyId: keyId.value,
        backupKeyIds: backupKeyIds.value.filter((k) => k && k !== keyId.value),
        context: context.value.filter((c) => c.key.trim() !== ''),
        outputDir: outDir,
        overwrite: overwrite.value,
        removeOriginals: removeOriginals.value,
        direct: direct.value,
      })
      onStarted(info, labelOf(enc))
      started.push(info)
      const done = new Set(enc.map((i) => i.uid))
      items.value = items.value.filter((i) => !done.has(i.uid))
    }
    if (dec.length > 0) {
      const info = await filesApi.decrypt({
        paths: dec.map((i) => i.path),
        outputDir: outDir,
        overwrite: overwrite.value,
        requireContext: requireContext.value.filter((c) => c.key.trim() !== ''),
      })
      onStarted(info, labelOf(dec))
      started.push(info)
      const done = new Set(dec.map((i) => i.uid))
      items.value = items.value.filter((i) => !done.has(i.uid))
    }
    return started
  }

  async function verify(paths: string[], label: string): Promise<JobInfo> {
    const info = await filesApi.verify(paths)
    onStarted(info, label)
    return info
  }

  function onStarted(info: JobInfo, label: string) {
    const j = ensureJob(info.id, info.kind, label)
    if (j.filesTotal === 0) j.filesTotal = info.files
    if (j.bytesTotal === 0) j.bytesTotal = info.bytes
  }

  // --- events → state -----------------------------------------------------------

  function onProgress(ev: ProgressEvent, now = Date.now()) {
    const j = ensureJob(ev.id, ev.kind)
    if (j.state !== 'running') return // a late tick after job:done
    j.waiting = ev.state === 'waiting'
    j.filesDone = ev.filesDone
    j.filesTotal = ev.filesTotal
    j.bytesDone = ev.bytesDone
    j.bytesTotal = ev.bytesTotal
    j.current = ev.current && ev.current.path ? { ...ev.current } : null
    j.meter = sample(j.meter, ev.bytesDone, now)
    j.reading = read(j.meter, ev.bytesDone, ev.bytesTotal, ev.bytesPerSec, ev.filesDone, ev.filesTotal)
  }

  function onFile(ev: FileEvent) {
    const j = ensureJob(ev.id, 'encrypt')
    j.results.push(ev)
  }

  function onConflict(ev: ConflictEvent) {
    const j = job(ev.id)
    if (j && j.state !== 'running') return
    conflicts.value.push(ev)
  }

  function onDone(ev: DoneEvent) {
    const j = ensureJob(ev.id, ev.kind)
    j.state = ev.state
    j.summary = ev
    j.current = null
    j.waiting = false
    if (ev.state === 'done' || ev.state === 'failed') {
      // Every file was processed: written, skipped, or reported as failed ("failed" is
      // a finished job with at least one failed file).
      j.bytesDone = j.bytesTotal
      j.filesDone = j.filesTotal || ev.done + ev.failed + ev.skipped
      j.reading = { percent: 100, bytesPerSec: ev.seconds > 0 ? ev.bytes / ev.seconds : j.reading.bytesPerSec, eta: 0 }
    } else {
      j.reading = { ...j.reading, eta: -1 }
    }
    conflicts.value = conflicts.value.filter((c) => c.id !== ev.id)
  }

  // restore shows the jobs the backend still knows (after the page was reloaded): running
  // ones keep reporting through the events, finished ones show their summary.
  function restore(list: JobStatus[], now = Date.now()) {
    for (const st of list) {
      if (job(st.id)) continue
      const kind = (['encrypt', 'decrypt', 'verify'].includes(st.kind) ? st.kind : 'encrypt') as JobKind
      const state = st.state === 'done' || st.state === 'failed' || st.state === 'cancelled' ? st.state : null
      if (state) {
        const j = newJob(st.id, kind)
        j.filesTotal = st.filesTotal
        j.bytesTotal = st.bytesTotal
        j.filesDone = st.filesDone
        j.bytesDone = st.bytesDone
        j.reading = read(j.meter, st.bytesDone, st.bytesTotal, 0, st.filesDone, st.filesTotal)
        jobs.value.push(j)
        onDone({ id: st.id, kind, state, done: st.done, failed: st.failed, skipped: st.skipped, cancelled: st.cancelled, bytes: st.bytesDone, seconds: st.seconds })
      } else {
        const j = newJob(st.id, kind)
        jobs.value.push(j)
        onProgress({ id: st.id, kind, state: st.state, filesDone: st.filesDone, filesTotal: st.filesTotal, bytesDone: st.bytesDone, bytesTotal: st.bytesTotal, bytesPerSec: 0, etaSeconds: -1, current: null }, now)
      }
    }
    // Newest first, like jobs started here.
    jobs.value.sort((a, b) => (list.findIndex((x) => x.id === b.id) - list.findIndex((x) => x.id === a.id)))
  }

  // --- actions on running jobs -------------------------------------------------------

  async function cancel(id: string) {
    await filesApi.cancel(id)
  }

  async function cancelAll() {
    await filesApi.cancelAll()
  }

  async function resolveConflict(decision: ConflictDecision, applyToAll: boolean) {
    const { call, rest } = takeConflict(conflicts.value, decision, applyToAll)
    if (!call) return
    conflicts.value = rest
    await filesApi.resolveConflict(call.id, call.decision, call.applyToAll)
  }

  function clearFinished() {
    jobs.value = jobs.value.filter((j) => j.state === 'running')
  }

  // listen subscribes to the job events; it returns the unsubscribe function.
  function listen(): () => void {
    const offs = [
      onEvent(EV.jobProgress, (p) => {
        const ev = parseProgress(p)
        if (ev) onProgress(ev)
      }),
      onEvent(EV.jobFile, (p) => {
        const ev = parseFile(p)
        if (ev) onFile(ev)
      }),
      onEvent(EV.jobConflict, (p) => {
        const ev = parseConflict(p)
        if (ev) onConflict(ev)
      }),
      onEvent(EV.jobDone, (p) => {
        const ev = parseDone(p)
        if (ev) onDone(ev)
      }),
    ]
    return () => offs.forEach((off) => off())
  }

  return {
    items,
    classifying,
    jobs,
    conflicts,
    lastError,
    keyId,
    backupKeyIds,
    context,
    requireContext,
    outputMode,
    outputDir,
    overwrite,
    removeOriginals,
    direct,
    toEncrypt,
    toDecrypt,
    running,
    job,
    add,
    remove,
    clearItems,
    start,
    verify,
    onProgress,
    onFile,
    onConflict,
    onDone,
    restore,
    cancel,
    cancelAll,
    resolveConflict,
    clearFinished,
    listen,
  }
})
