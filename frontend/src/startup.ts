// startup.ts: the phases of the UI's startup, reported to the Go side with "ui ready"
// (AppService.UIReady), which logs them at debug level on the process's time scale
// (KMSDESK_LOG_LEVEL=debug; docs/TROUBLESHOOTING.md). `make smoke` reads "ui ready".
import type { UIMark } from './api/contract'

let marks: UIMark[] = []

// now is the UI's clock in Unix milliseconds, comparable with the Go side's.
const now = () => performance.timeOrigin + performance.now()

// mark records that a phase of the startup ended now (until startupMarks takes it).
export function mark(name: string) {
  marks.push({ name, atMs: now() })
}

// pageMarks are the page load's own phases, from the browser's performance entries: the
// page and the bundles received, the document parsed.
function pageMarks(): UIMark[] {
  const t0 = performance.timeOrigin
  const out: UIMark[] = [{ name: 'page requested', atMs: t0 }]
  const nav = performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined
  if (nav) out.push({ name: 'page received', atMs: t0 + nav.responseEnd })
  for (const r of (performance.getEntriesByType?.('resource') ?? []) as PerformanceResourceTiming[]) {
    const file = r.name.split('/').pop()?.split('?')[0] ?? r.name
    if (/\.(js|css)$/.test(file)) out.push({ name: `${file} received`, atMs: t0 + r.responseEnd })
  }
  if (nav && nav.domInteractive > 0) out.push({ name: 'document parsed', atMs: t0 + nav.domInteractive })
  return out
}

// startupMarks returns the page's phases and those marked since the last call, in time
// order (the Go side logs the first report only).
export function startupMarks(): UIMark[] {
  const taken = marks
  marks = []
  return [...pageMarks(), ...taken].sort((a, b) => a.atMs - b.atMs)
}

// afterPaint resolves once the DOM as it is now has been painted: a requestAnimationFrame
// callback runs just before the frame's paint, and a task queued from it runs after.
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    requestAnimationFrame(() => {
      const ch = new MessageChannel()
      ch.port1.onmessage = () => resolve()
      ch.port2.postMessage(null)
    })
  })
}
