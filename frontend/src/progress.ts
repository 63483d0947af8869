// Formatting of file-job progress. The backend computes the numbers (rate and time left
// included, backend/jobs/progress.go); these pure functions only present them, so what
// the user reads is tested.

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

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

// formatBytes writes a size in decimal units, as GNOME Files, macOS and kmsctl do: 1 KB
// is 1,000 bytes, 1 MB 1,000,000 bytes ("1.5 MB"). Below 100 of a unit one decimal,
// from 100 none; what would round to 1000 of a unit is written in the next one. Unit
// symbols are the same in every language the app speaks.
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–'
  let v = n
  let u = 0
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000
    u++
  }
  // Whole bytes are whole: a rate of 33.26 B/s reads "33 B/s"; 99.96 KB reads "100 KB".
  let text = v.toFixed(u > 0 && v < 99.95 ? 1 : 0)
  if (text === '1000' && u < UNITS.length - 1) {
    u++
    text = '1.0'
  }
  return `${text} ${UNITS[u]}`
}

// formatRate writes a rate with the units of formatBytes ("12.5 MB/s").
export function formatRate(bytesPerSec: number): string {
  if (!(bytesPerSec > 0)) return '–'
  return `${formatBytes(bytesPerSec)}/s`
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
