import { BackendError } from '../api/errors'
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
// shown as the title.
export function errorText(err: unknown, locale: Locale): ErrorText & { code: string } {
  const code = err instanceof BackendError ? err.code : 'App.UnknownError'
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
