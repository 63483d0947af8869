import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import {
  filesApi,
  service,
  type ContextPair,
  type FileItem,
  type JobConflict,
  type JobFile,
  type JobInfo,
  type JobProgress,
  type JobReport,
  type JobSummary,
  type OpenFiles,
  type DecryptRequest,
  type RecoveryKeyFile,
  type RewrapRequest,
} from '../api/backend'
import { toBackendError, type BackendError } from '../api/errors'
import { EV, on, together } from '../api/events'
import { useSettingsStore } from './settings'

// StagedItem is a classified item in the list. Its forced flag (encrypt it with force)
// comes set from the backend for a .kmsenc the user asked to encrypt ("Encrypt with KMS
// Desk"), or is set by encryptAnyway.
export interface StagedItem extends FileItem {
  uid: number
}

// JobView is a job as the Files view shows it: the backend's latest snapshot (rate and
// time left included: the backend computes them), its file results and its summary.
export interface JobView {
  id: string
  kind: service.JobKind
  // label is what the user started: the names of the items (for the card title).
  label: string
  progress: JobProgress
  results: JobFile[]
  summary: JobSummary | null
  // retry is how the job was started when it decrypted files: what "open with a
  // recovery key" repeats for the files no KMS key opened.
  retry?: DecryptRequest
}

export type OutputMode = 'beside' | 'folder'

// finished reports whether a job state is final.
export function finished(state: service.JobState): boolean {
  return state === service.JobState.Done || state === service.JobState.Failed || state === service.JobState.Cancelled
}

function emptyProgress(id: string, kind: service.JobKind): JobProgress {
  return {
    id,
    kind,
    state: service.JobState.Running,
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    done: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
    bytesPerSec: 0,
    etaSeconds: -1,
    startedMs: 0,
    seconds: 0,
  }
}

// takeConflict works out what answering the first waiting conflict means: the call to
// make, and the conflicts still waiting. "Apply to all" answers every later conflict of
// the same job in the backend, so that job's other waiting entries go too.
export function takeConflict(
  queue: JobConflict[],
  decision: service.Decision,
  applyToAll: boolean,
): { call: { id: string; decision: service.Decision; applyToAll: boolean } | null; rest: JobConflict[] } {
  const head = queue[0]
  if (!head) return { call: null, rest: [] }
  const all = applyToAll || decision === service.Decision.Cancel
  const rest = queue.slice(1).filter((c) => !(all && c.id === head.id))
  return { call: { id: head.id, decision, applyToAll }, rest }
}

let uid = 0

export const useFilesStore = defineStore('files', () => {
  const items = ref<StagedItem[]>([])
  const jobs = ref<JobView[]>([])
  const conflicts = ref<JobConflict[]>([])
  const lastError = ref<BackendError | null>(null)

  // Options of the next batch.
  const keyId = ref('')
  const backupKeyIds = ref<string[]>([])
  const context = ref<ContextPair[]>([])
  const requireContext = ref<ContextPair[]>([])
  const outputMode = ref<OutputMode>('beside')
  const outputDir = ref('')
  const overwrite = ref<service.Overwrite>(service.Overwrite.Rename)
  const removeOriginals = ref(false)
  const direct = ref(false)
  // skipCurrent leaves files whose encrypted copy is already where the output would
  // go, and up to date (re-encrypting a folder encrypts only what changed).
  const skipCurrent = ref(true)
  // recovery are the offline recovery recipients this batch adds (the profile's are
  // always added by the backend); identity is a recovery key file decryption may use.
  const recovery = ref<string[]>([])
  const identity = ref<RecoveryKeyFile | null>(null)
  // suite is the crypto suite of the next batch; null = the active profile's default.
  const suite = ref<service.Suite | null>(null)

  const usable = (i: StagedItem) => !i.errorCode
  const toEncrypt = computed(() => items.value.filter((i) => usable(i) && i.action === service.ItemAction.Encrypt))
  const toDecrypt = computed(() => items.value.filter((i) => usable(i) && i.action === service.ItemAction.Decrypt))
  const ended = (j: JobView) => j.summary !== null || finished(j.progress.state)
  const running = computed(() => jobs.value.filter((j) => !ended(j)).length)

  function job(id: string): JobView | undefined {
    return jobs.value.find((j) => j.id === id)
  }

  // ensureJob returns the job, creating it when an event arrives before the call that
  // started it has returned.
  // ensureJob gives the job id, made on its first message: events can reach the page
  // before the answer to the call that started the job. kind is what the message says
  // of the job; a file result says nothing of it (undefined), so a job made from one is
  // an encryption until a message that knows better (the start call's answer, progress,
  // the summary) corrects it.
  function ensureJob(id: string, kind?: service.JobKind, label = ''): JobView {
    let j = job(id)
    if (!j) {
      const k = kind ?? service.JobKind.Encrypt
      jobs.value.unshift({ id, kind: k, label, progress: emptyProgress(id, k), results: [], summary: null })
      j = jobs.value[0] as JobView
    } else {
      if (kind && j.kind !== kind) {
        j.kind = kind
        j.progress = { ...j.progress, kind }
      }
      if (label && !j.label) j.label = label
    }
    return j
  }

  // stage adds classified items (dropped, picked, or handed over by a second launch or
  // the OS); a path already staged is not added twice. The intent of a handover is in
  // the items already: the backend classified them for it.
  function stage(o: OpenFiles) {
    for (const it of o.items ?? []) {
      if (!items.value.some((i) => i.path === it.path)) items.value.push({ ...it, uid: ++uid })
    }
  }

  // pick runs a native picker (files or a folder) and stages what was chosen.
  async function pick(what: 'files' | 'folder') {
    lastError.value = null
    try {
      stage(what === 'files' ? await filesApi.addFiles() : await filesApi.addFolder())
    } catch (e) {
      lastError.value = toBackendError(e)
      throw lastError.value
    }
  }

  // chooseOutputDir asks where the results go; nothing changes when the user cancels.
  async function chooseOutputDir(): Promise<string> {
    const dir = await filesApi.pickOutputFolder()
    if (dir) {
      outputDir.value = dir
      outputMode.value = 'folder'
    }
    return dir
  }

  // encryptAnyway takes an item the backend marked encryptAnyway (a file named .kmsenc
  // that is not one) into the encryption, by the user's explicit choice.
  function encryptAnyway(uidToForce: number) {
    const it = items.value.find((i) => i.uid === uidToForce)
    if (!it?.encryptAnyway) return
    it.errorCode = ''
    it.forced = true
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
        recovery: recovery.value.map((r) => r.trim()).filter((r) => r !== ''),
        force: enc.some((i) => i.forced),
        skipCurrent: skipCurrent.value,
        suite: suite.value ?? useSettingsStore().active?.suite ?? service.Suite.Auto,
      })
      onStarted(info, labelOf(enc))
      started.push(info)
      const done = new Set(enc.map((i) => i.uid))
      items.value = items.value.filter((i) => !done.has(i.uid))
    }
    if (dec.length > 0) {
      const req: DecryptRequest = {
        paths: dec.map((i) => i.path),
        outputDir: outDir,
        overwrite: overwrite.value,
        requireContext: requireContext.value.filter((c) => c.key.trim() !== ''),
        identityFile: identity.value?.path ?? '',
      }
      const info = await filesApi.decrypt(req)
      onStarted(info, labelOf(dec)).retry = req
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

  function onStarted(info: JobInfo, label: string): JobView {
    const j = ensureJob(info.id, info.kind, label)
    if (j.progress.filesTotal === 0) j.progress = { ...j.progress, filesTotal: info.files, bytesTotal: info.bytes }
    return j
  }

  // rewrap changes which keys open encrypted files, in place (a job like the others);
  // label is what the card shows, and unset lists of the request are empty.
  async function rewrap(req: Partial<RewrapRequest> & { paths: string[] }, label: string): Promise<JobInfo> {
    const info = await filesApi.rewrap(req)
    onStarted(info, label)
    return info
  }

  // pickRecoveryKey asks for a recovery key file; null when the user cancelled.
  async function pickRecoveryKey(): Promise<RecoveryKeyFile | null> {
    const f = await filesApi.pickRecoveryKey()
    return f.path ? f : null
  }

  // openWithRecoveryKey decrypts again, with a recovery key file the user picks, the
  // files of a decryption that no KMS key opened but a recovery key would. null when
  // the user cancelled.
  async function openWithRecoveryKey(jobId: string): Promise<JobInfo | null> {
    const j = job(jobId)
    const paths = (j?.results ?? []).filter((r) => r.status === service.FileStatus.Failed && r.recoverable).map((r) => r.path)
    if (!j?.retry || paths.length === 0) return null
    const key = await pickRecoveryKey()
    if (!key) return null
    const req: DecryptRequest = { ...j.retry, paths, identityFile: key.path }
    const info = await filesApi.decrypt(req)
    onStarted(info, j.label).retry = req
    return info
  }

  // --- events → state -----------------------------------------------------------

  function onProgress(p: JobProgress) {
    const j = ensureJob(p.id, p.kind)
    if (j.summary) return // a late tick after job:done
    j.progress = p
  }

  function onFile(f: JobFile) {
    ensureJob(f.id).results.push(f)
  }

  function onConflict(c: JobConflict) {
    const j = job(c.id)
    if (j && ended(j)) return
    conflicts.value.push(c)
  }

  function onDone(s: JobSummary) {
    const j = ensureJob(s.id, s.kind)
    j.summary = s
    j.progress = s.final
    conflicts.value = conflicts.value.filter((c) => c.id !== s.id)
  }

  // restore shows the jobs the backend still knows (after the page was reloaded), each
  // whole: its last progress, its files, its summary and the question it waits on.
  async function restore(list: JobProgress[]) {
    const reports = await Promise.all(list.filter((p) => !job(p.id)).map((p) => filesApi.job(p.id)))
    for (const r of reports) restoreOne(r)
    // Newest first, like jobs started here.
    jobs.value.sort((a, b) => b.progress.startedMs - a.progress.startedMs)
  }

  function restoreOne(r: JobReport) {
    const j = ensureJob(r.progress.id, r.progress.kind)
    j.progress = r.progress
    j.results = [...(r.files ?? [])]
    if (r.done) onDone(r.done)
    if (r.conflict) onConflict(r.conflict)
  }

  // --- actions on running jobs -------------------------------------------------------

  async function cancel(id: string) {
    await filesApi.cancel(id)
  }

  // cancelFile cancels one file of a job; the job's other files go on.
  async function cancelFile(id: string, path: string) {
    await filesApi.cancelFile(id, path)
  }

  async function cancelAll() {
    await filesApi.cancelAll()
  }

  async function resolveConflict(decision: service.Decision, applyToAll: boolean) {
    const { call, rest } = takeConflict(conflicts.value, decision, applyToAll)
    if (!call) return
    conflicts.value = rest
    await filesApi.resolveConflict(call.id, call.decision, call.applyToAll)
  }

  function clearFinished() {
    jobs.value = jobs.value.filter((j) => !ended(j))
  }

  const showOutput = (jobId: string, path: string) => filesApi.showOutput(jobId, path)
  const inspect = (path: string) => filesApi.inspect(path)

  // listen subscribes to the job events; it returns the unsubscribe function.
  function listen(): () => void {
    return together(on(EV.jobProgress, onProgress), on(EV.jobFile, onFile), on(EV.jobConflict, onConflict), on(EV.jobDone, onDone))
  }

  return {
    items,
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
    skipCurrent,
    recovery,
    identity,
    suite,
    toEncrypt,
    toDecrypt,
    running,
    job,
    stage,
    pick,
    chooseOutputDir,
    remove,
    encryptAnyway,
    clearItems,
    start,
    verify,
    rewrap,
    pickRecoveryKey,
    openWithRecoveryKey,
    onProgress,
    onFile,
    onConflict,
    onDone,
    restore,
    cancel,
    cancelFile,
    cancelAll,
    resolveConflict,
    clearFinished,
    showOutput,
    inspect,
    listen,
  }
})
