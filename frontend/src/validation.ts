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
