// The Wails JS runtime (window.runtime), reached only through these helpers so the UI
// also loads where it is absent (unit tests): events from Go and the file-drop hook.
import { EventsOn, OnFileDrop } from '../../wailsjs/runtime/runtime'

function hasRuntime(): boolean {
  return typeof window !== 'undefined' && !!(window as unknown as { runtime?: unknown }).runtime
}

// onEvent subscribes to an event emitted by the Go side and returns the unsubscribe
// function. Without a runtime it subscribes to nothing.
export function onEvent(name: string, cb: (...data: unknown[]) => void): () => void {
  if (!hasRuntime()) return () => undefined
  return EventsOn(name, cb)
}

let dropHooked = false

// hookFileDrop registers the runtime's drag-and-drop listeners once. The paths of a drop
// reach the UI only as the Go side's `app:open-files` event; the listeners are still
// needed because on Windows a drop reaches Go only through them (wails-spike §8).
export function hookFileDrop() {
  if (dropHooked || !hasRuntime()) return
  dropHooked = true
  OnFileDrop(() => undefined, true)
}
