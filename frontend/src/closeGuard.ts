// Closing while file jobs run: the app asks first (Ctrl+Q here; the window's close
// button through the Go side's `app:confirm-close`). Quitting cancels the jobs, and
// the backend removes their partial outputs.

export type CloseDecision = { kind: 'quit' } | { kind: 'ask'; running: number }

// decideClose picks what a quit request does. backendRunning is the number of running
// jobs FileService.Jobs() lists
// (null when it could not be asked); localRunning is what the UI itself tracks. The
// larger count wins, so a failed call never lets jobs be dropped silently.
export function decideClose(backendRunning: number | null, localRunning: number): CloseDecision {
  const n = Math.max(backendRunning ?? 0, localRunning)
  return n > 0 ? { kind: 'ask', running: n } : { kind: 'quit' }
}

export interface CloseDeps {
  runningJobs: () => Promise<number>
  localRunning: () => number
  quit: () => Promise<void>
  ask: (running: number) => void
}

// requestQuit quits at once when nothing runs, else asks (deps.ask shows the dialog,
// whose confirm button calls deps.quit).
export async function requestQuit(deps: CloseDeps): Promise<CloseDecision> {
  let backend: number | null = null
  try {
    backend = await deps.runningJobs()
  } catch {
    backend = null
  }
  const d = decideClose(backend, deps.localRunning())
  if (d.kind === 'quit') await deps.quit()
  else deps.ask(d.running)
  return d
}
