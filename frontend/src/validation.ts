// Rules of the KMS service, checked before a request is sent so the user gets the
// explanation at once. They mirror backend/service (ValidateAlias) and the API docs.

// validAlias: 1–60 letters, digits, '-' or '_', first a letter or digit, not "kms-…"
// (reserved for cloud products).
export function validAlias(alias: string): boolean {
  return aliasProblem(alias) === null
}

// MAX_ALIAS is the longest alias, in characters.
export const MAX_ALIAS = 60

// AliasProblem says what is wrong with an alias (for a message that says so, not only
// the rule): the locale key under keys.aliasProblem.
export type AliasProblem = 'empty' | 'tooLong' | 'firstChar' | 'chars' | 'reserved'

// aliasProblem returns what is wrong with alias, or null when validAlias accepts it.
// A long alias is reported, never cut: a pasted 300-character alias says it is 300.
export function aliasProblem(alias: string): AliasProblem | null {
  if (alias === '') return 'empty'
  if ([...alias].length > MAX_ALIAS) return 'tooLong'
  if (!/^[A-Za-z0-9]/.test(alias)) return 'firstChar'
  if (!/^[A-Za-z0-9_-]*$/.test(alias)) return 'chars'
  if (alias.toLowerCase().startsWith('kms-')) return 'reserved'
  return null
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

// Connection rules of backend/endpoint, for what the profile dialog shows before Go
// decides: Go validates again when the profile is saved.

// isPlainHttpRemote: the endpoint is plain http:// to a host that is not this computer
// (localhost, 127.0.0.0/8, ::1), so requests would cross the network unencrypted.
export function isPlainHttpRemote(endpoint: string): boolean {
  const m = /^http:\/\/(\[[^\]]*\]|[^/:]*)/i.exec(endpoint.trim())
  if (!m) return false
  const host = (m[1] ?? '').toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')
  return !(host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || /^::ffff:127\./.test(host))
}

// defaultEndpoint is the KMS host a Tencent Cloud profile without an endpoint gets:
// the regional host for a financial-zone region, else the site's nearest-region host.
export function defaultEndpoint(site: string, region: string): string {
  if (region.endsWith('-fsi')) return `kms.${region}.tencentcloudapi.com`
  return site === 'intl' ? 'kms.intl.tencentcloudapi.com' : 'kms.tencentcloudapi.com'
}

// MAX_VALID_TO is the latest expiry of imported key material the service accepts
// (Unix seconds, 2038-01-19 00:00 +08:00).
export const MAX_VALID_TO = 2147443200

// expiryOf turns a date of an <input type="date"> (YYYY-MM-DD) into the expiry of
// imported material: the end of that day, local time (the material works through the
// day), in Unix seconds; null for anything else.
export function expiryOf(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const day = new Date(y, mo - 1, d)
  if (day.getFullYear() !== y || day.getMonth() !== mo - 1 || day.getDate() !== d) return null
  return Math.floor(new Date(y, mo - 1, d + 1).getTime() / 1000)
}

// MIN_BACKUP_PASSPHRASE mirrors localkms.MinPassphraseLen: the shortest passphrase that
// may seal a backup of the local keys, in characters (Unicode code points, as Go counts
// them: 12 Chinese characters are 12).
export const MIN_BACKUP_PASSPHRASE = 12

// charCount counts the Unicode code points of s (not its UTF-16 units).
export function charCount(s: string): number {
  return [...s].length
}
