// Events the Go side emits (docs/ARCHITECTURE.md "Events" and "FileService").
import type { JobKind } from './backend'

export const EV = {
  openFiles: 'app:open-files',
  confirmClose: 'app:confirm-close',
  profileChanged: 'profile:changed',
  jobProgress: 'job:progress',
  jobFile: 'job:file',
  jobConflict: 'job:conflict',
  jobDone: 'job:done',
} as const

export type JobState = 'running' | 'done' | 'failed' | 'cancelled'

export interface ProgressEvent {
  id: string
  kind: JobKind
  state: string
  filesDone: number
  filesTotal: number
  bytesDone: number
  bytesTotal: number
  bytesPerSec: number
  // -1 = unknown
  etaSeconds: number
  current?: { path: string; bytesDone: number; bytesTotal: number } | null
}

export type FileStatus = 'done' | 'failed' | 'skipped' | 'cancelled'

export interface FileEvent {
  id: string
  path: string
  output: string
  status: FileStatus
  errorCode: string
  message: string
}

export interface ConflictEvent {
  id: string
  path: string
  output: string
}

export interface DoneEvent {
  id: string
  kind: JobKind
  state: 'done' | 'failed' | 'cancelled'
  done: number
  failed: number
  skipped: number
  cancelled: number
  bytes: number
  seconds: number
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}

function num(v: unknown, d = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : d
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

// The parsers below accept a payload from the bridge and return a well-formed event, or
// null when it is not one (never throw inside an event handler).

export function parseProgress(v: unknown): ProgressEvent | null {
  if (!isRecord(v) || typeof v.id !== 'string') return null
  const c = isRecord(v.current) ? v.current : null
  return {
    id: v.id,
    kind: (str(v.kind) || 'encrypt') as JobKind,
    state: str(v.state) || 'running',
    filesDone: num(v.filesDone),
    filesTotal: num(v.filesTotal),
    bytesDone: num(v.bytesDone),
    bytesTotal: num(v.bytesTotal),
    bytesPerSec: num(v.bytesPerSec),
    etaSeconds: num(v.etaSeconds, -1),
    current: c ? { path: str(c.path), bytesDone: num(c.bytesDone), bytesTotal: num(c.bytesTotal) } : null,
  }
}

export function parseFile(v: unknown): FileEvent | null {
  if (!isRecord(v) || typeof v.id !== 'string') return null
  const status = str(v.status)
  if (!['done', 'failed', 'skipped', 'cancelled'].includes(status)) return null
  return { id: v.id, path: str(v.path), output: str(v.output), status: status as FileStatus, errorCode: str(v.errorCode), message: str(v.message) }
}

export function parseConflict(v: unknown): ConflictEvent | null {
  if (!isRecord(v) || typeof v.id !== 'string') return null
  return { id: v.id, path: str(v.path), output: str(v.output) }
}

export function parseDone(v: unknown): DoneEvent | null {
  if (!isRecord(v) || typeof v.id !== 'string') return null
  const state = str(v.state)
  return {
    id: v.id,
    kind: (str(v.kind) || 'encrypt') as JobKind,
    state: state === 'failed' || state === 'cancelled' ? state : 'done',
    done: num(v.done),
    failed: num(v.failed),
    skipped: num(v.skipped),
    cancelled: num(v.cancelled),
    bytes: num(v.bytes),
    seconds: num(v.seconds),
  }
}

// parsePaths accepts the payload of app:open-files: a list of paths.
export function parsePaths(v: unknown): string[] {
  if (!Array.isArray(v)) return []
  return v.filter((p): p is string => typeof p === 'string' && p !== '')
}
