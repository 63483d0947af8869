// Progress math for file jobs, from the `job:progress` events (about one every 100 ms):
// percent done, a smoothed transfer rate and the time left. Pure functions, so the
// numbers the user watches are tested.

// percent is bytesDone/bytesTotal in 0–100 with one decimal, rounded down so that 100
// means really finished. A job without bytes (empty files) counts files instead.
export function percent(done: number, total: number, filesDone = 0, filesTotal = 0): number {
  if (total > 0) return clamp(Math.floor((done * 1000) / total) / 10)
  if (filesTotal > 0) return clamp(Math.floor((filesDone * 1000) / filesTotal) / 10)
  return 0
}

function clamp(p: number): number {
  return Math.min(100, Math.max(0, p))
}

// Meter smooths the transfer rate with an exponential moving average over the samples,
// so one slow or fast tick does not make the rate and ETA jump.
export interface Meter {
  // bytesPerSec is the smoothed rate; 0 until two samples are far enough apart.
  bytesPerSec: number
  lastBytes: number
  lastT: number
  samples: number
}

// ALPHA is the weight of the newest sample (0.25: the last ~8 samples dominate).
export const ALPHA = 0.25
// MIN_INTERVAL_MS: samples closer than this are merged into the next one.
export const MIN_INTERVAL_MS = 50

export function newMeter(): Meter {
  return { bytesPerSec: 0, lastBytes: 0, lastT: 0, samples: 0 }
}

// sample adds a reading of bytesDone at time tMs (milliseconds) and returns the new meter.
export function sample(m: Meter, bytesDone: number, tMs: number, alpha = ALPHA): Meter {
  if (m.samples === 0 || bytesDone < m.lastBytes) {
    // First reading, or the counter went back (a retried job): start over.
    return { bytesPerSec: 0, lastBytes: bytesDone, lastT: tMs, samples: 1 }
  }
  const dt = tMs - m.lastT
  if (dt < MIN_INTERVAL_MS) return m
  const inst = ((bytesDone - m.lastBytes) * 1000) / dt
  const rate = m.samples === 1 ? inst : alpha * inst + (1 - alpha) * m.bytesPerSec
  return { bytesPerSec: rate, lastBytes: bytesDone, lastT: tMs, samples: m.samples + 1 }
}

// etaSeconds is the time left at the given rate, rounded up; -1 when unknown.
export function etaSeconds(done: number, total: number, bytesPerSec: number): number {
  if (total <= 0 || done >= total) return done >= total && total > 0 ? 0 : -1
  if (!(bytesPerSec > 0)) return -1
  return Math.ceil((total - done) / bytesPerSec)
}

export interface Reading {
  percent: number
  bytesPerSec: number
  // -1 = unknown
  eta: number
}

// read combines the meter with the backend's own estimate: the smoothed rate once the
// meter has one, else the backend's bytesPerSec; the ETA follows the chosen rate.
export function read(m: Meter, done: number, total: number, backendRate = 0, filesDone = 0, filesTotal = 0): Reading {
  const rate = m.samples >= 2 && m.bytesPerSec > 0 ? m.bytesPerSec : backendRate > 0 ? backendRate : 0
  return { percent: percent(done, total, filesDone, filesTotal), bytesPerSec: rate, eta: etaSeconds(done, total, rate) }
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

// formatBytes writes a size with binary units ("1.5 MB"); unit symbols are the same in
// every language the app speaks.
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–'
  let v = n
  let u = 0
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024
    u++
  }
  return `${u === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${UNITS[u]}`
}

// formatRate writes a rate in MB/s with one decimal.
export function formatRate(bytesPerSec: number): string {
  if (!(bytesPerSec > 0)) return '–'
  return `${(bytesPerSec / (1024 * 1024)).toFixed(1)} MB/s`
}

// formatDuration writes seconds as m:ss or h:mm:ss; "–" when unknown.
export function formatDuration(sec: number): string {
  if (!(sec >= 0) || !Number.isFinite(sec)) return '–'
  // A job of a few hundred milliseconds took "0:01", not "0:00".
  const s = sec > 0 && sec < 1 ? 1 : Math.round(sec)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}
