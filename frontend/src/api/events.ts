// Subscribing to the events the Go side emits. The names and payload types come from
// the generated map in ./events.gen.ts (backend/service/events.go), so a payload that
// changes in Go changes the type checked here.
import { EV, type EventName, type EventPayloads } from './events.gen'
import { onEvent } from './runtime'

export { EV, type EventName, type EventPayloads }

// on subscribes to one event with a typed handler and returns the unsubscribe function.
export function on<K extends EventName>(name: K, handler: (payload: EventPayloads[K]) => void): () => void {
  return onEvent(name, (payload) => handler(payload as EventPayloads[K]))
}

// together turns the unsubscribe functions of several subscriptions into one.
export function together(...offs: Array<() => void>): () => void {
  return () => offs.forEach((off) => off())
}
