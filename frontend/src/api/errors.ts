// BackendError is how every failed backend call reaches the UI: a stable code (the
// Tencent Cloud code where there is one, else Area.Reason) and the backend's message,
// which is only a fallback — the UI shows the translated text for the code.
export class BackendError extends Error {
  readonly code: string

  constructor(code: string, message: string) {
    super(message)
    this.name = 'BackendError'
    this.code = code
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}

// toBackendError normalises whatever a Wails binding rejected with: the object our Go
// ErrorFormatter produces ({code, message}), a plain string (older runtimes, or an error
// from the runtime itself), or a JavaScript Error.
export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e
  if (isRecord(e) && typeof e.code === 'string') {
    return new BackendError(e.code, typeof e.message === 'string' ? e.message : '')
  }
  if (typeof e === 'string') {
    try {
      const parsed: unknown = JSON.parse(e)
      if (isRecord(parsed) && typeof parsed.code === 'string') {
        return new BackendError(parsed.code, typeof parsed.message === 'string' ? parsed.message : '')
      }
    } catch {
      // not JSON: a plain message
    }
    return new BackendError('App.UnknownError', e)
  }
  if (e instanceof Error) return new BackendError('App.UnknownError', e.message)
  return new BackendError('App.UnknownError', String(e))
}

// call awaits a binding and rethrows failures as BackendError.
export async function call<T>(p: Promise<T>): Promise<T> {
  try {
    return await p
  } catch (e) {
    throw toBackendError(e)
  }
}
