// Rules of the KMS service, checked before a request is sent so the user gets the
// explanation at once. They mirror backend/service (ValidateAlias) and the API docs.

const aliasRE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/

// validAlias: 1–60 letters, digits, '-' or '_', first a letter or digit, not "kms-…"
// (reserved for cloud products).
export function validAlias(alias: string): boolean {
  return aliasRE.test(alias) && !alias.toLowerCase().startsWith('kms-')
}

// MAX_PLAINTEXT is the most the Encrypt API takes, in bytes.
export const MAX_PLAINTEXT = 4096

// byteLength is the UTF-8 size of text, or the decoded size of base64 (null if invalid).
export function byteLength(text: string, isBase64: boolean): number | null {
  if (!isBase64) return new TextEncoder().encode(text).length
  const s = text.replace(/\s+/g, '')
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0
  return (s.length / 4) * 3 - pad
}

// MAX_DESCRIPTION is the longest key description, in bytes.
export const MAX_DESCRIPTION = 1024

// Rotation periods (days) accepted by SetRotation, and waiting periods accepted by
// ScheduleDeletion.
export const ROTATION_DAYS = { min: 7, max: 365 } as const
export const DELETION_DAYS = { min: 7, max: 30 } as const

export function inRange(n: number, r: { min: number; max: number }): boolean {
  return Number.isInteger(n) && n >= r.min && n <= r.max
}

// tagProblem checks the tag rows of a new key: every row with a value needs a key, and
// keys are unique. It returns the locale key of the problem, or null.
export function tagProblem(rows: { key: string; value: string }[]): string | null {
  const seen = new Set<string>()
  for (const r of rows) {
    const k = r.key.trim()
    if (!k) {
      if (r.value.trim()) return 'keys.createDialog.tagKeyMissing'
      continue
    }
    if (seen.has(k)) return 'keys.createDialog.tagDuplicate'
    seen.add(k)
  }
  return null
}

// tagsOf turns tag rows into the map CreateKey takes (empty rows dropped).
export function tagsOf(rows: { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const r of rows) if (r.key.trim()) out[r.key.trim()] = r.value.trim()
  return out
}

// validProfileName mirrors credentials.ValidateName: 1–64 letters, digits, '-', '_' or
// '.', not dots only.
export function validProfileName(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,64}$/.test(name) && name.replace(/\./g, '') !== ''
}

// validRegionId mirrors credentials.ValidateRegion ("ap-guangzhou", "ap-shanghai-fsi").
export function validRegionId(region: string): boolean {
  return /^[a-z]{2,4}(-[a-z0-9]+){1,3}$/.test(region)
}
