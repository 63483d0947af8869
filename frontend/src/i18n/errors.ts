import { toBackendError } from '../api/errors'
import { messages, type Locale } from './index'

export interface ErrorText {
  title: string
  hint: string
}

type ErrorTable = Record<string, { title: string; hint: string }>

function table(locale: Locale): ErrorTable {
  return messages[locale].errors as ErrorTable
}

// errorText translates a backend error by its code. Unknown codes fall back to the
// closest known parent code ("AuthFailure.X" → "AuthFailure"), then to a generic text
// that includes the code, so a user can still report it; the raw Go message is never
// shown as the title. Whatever was thrown is read like a rejected binding (toBackendError),
// so a {code, message} object that did not pass through `call` keeps its code too.
export function errorText(err: unknown, locale: Locale): ErrorText & { code: string } {
  const code = toBackendError(err).code
  const t = table(locale)
  let c = code
  for (;;) {
    const hit = t[c]
    if (hit) return { code, title: hit.title, hint: hit.hint }
    const dot = c.lastIndexOf('.')
    if (dot < 0) break
    c = c.slice(0, dot)
  }
  const unknown = t['App.UnknownError'] ?? { title: 'Error', hint: '' }
  return { code, title: unknown.title, hint: unknown.hint }
}

// Codes a KMS answers when a key's state keeps it from working. Decrypt answers
// ResourceUnavailable.CmkDisabled for a disabled key and for one pending deletion
// alike (the SDK's errors.go; the local KMS does the same), so the state must be read.
export const KEY_STATE_CODES: ReadonlySet<string> = new Set([
  'ResourceUnavailable.CmkDisabled',
  'ResourceUnavailable.KeyDisabled',
  'ResourceUnavailable.KeyPendingDelete',
  'ResourceUnavailable.CmkStateNotSupport',
])

// KeyStateCase is which message a file a key kept closed gets.
export type KeyStateCase = 'pendingDelete' | 'disabled' | 'unknown'

// keyStateCase picks the message for a file of a job that a key's state kept closed:
// by the key's real state when known. Only jobs that open files (decrypt, verify,
// re-wrap) get one, so these messages never suggest choosing another key; null means
// the code's own text applies.
export function keyStateCase(kind: string, code: string, state: string | undefined): KeyStateCase | null {
  if (kind === 'encrypt' || !KEY_STATE_CODES.has(code)) return null
  if (state === 'PendingDelete') return 'pendingDelete'
  if (state === 'Disabled') return 'disabled'
  return 'unknown'
}
