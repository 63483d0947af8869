// What the UI knows about key usages and states (Tencent Cloud KMS API 2019-01-18).

export const USAGES = [
  'ENCRYPT_DECRYPT',
  'ASYMMETRIC_DECRYPT_RSA_2048',
  'ASYMMETRIC_DECRYPT_SM2',
  'ASYMMETRIC_SIGN_VERIFY_SM2',
  'ASYMMETRIC_SIGN_VERIFY_ECC',
  'ASYMMETRIC_SIGN_VERIFY_RSA_2048',
  'ASYMMETRIC_SIGN_VERIFY_ECDSA384',
] as const

// States in the order of ListOptions.state (1 = Enabled … 5 = Archived).
export const STATES = ['Enabled', 'Disabled', 'PendingDelete', 'PendingImport', 'Archived'] as const

export const STATE_THEME: Record<string, 'success' | 'default' | 'danger' | 'warning' | 'primary'> = {
  Enabled: 'success',
  Disabled: 'default',
  PendingDelete: 'danger',
  PendingImport: 'warning',
  Archived: 'primary',
}

// SIGN_ALGORITHMS lists the signature algorithms each signing usage allows. The API
// documents no name for ECDSA-384; ECDSA384_SHA384 is the one ListAlgorithms answers.
export const SIGN_ALGORITHMS: Record<string, string[]> = {
  ASYMMETRIC_SIGN_VERIFY_ECC: ['ECC_P256_R1'],
  ASYMMETRIC_SIGN_VERIFY_ECDSA384: ['ECDSA384_SHA384'],
  ASYMMETRIC_SIGN_VERIFY_RSA_2048: ['RSA_PSS_SHA_256', 'RSA_PKCS1_SHA_256'],
  ASYMMETRIC_SIGN_VERIFY_SM2: ['SM2DSA'],
}

// fileDigest names the hash a file is signed by with a signature algorithm (the backend
// computes it): SHA-384 for ECDSA384_SHA384, SHA-256 for the others.
export function fileDigest(algorithm: string): string {
  return algorithm === 'ECDSA384_SHA384' ? 'SHA-384' : 'SHA-256'
}

export function isAsymmetric(usage: string): boolean {
  return usage !== '' && usage !== 'ENCRYPT_DECRYPT'
}

export function canSign(usage: string): boolean {
  return usage in SIGN_ALGORITHMS
}

// confirmationFor is what ScheduleDeletion wants typed: the alias, or the KeyId of a key
// without one.
export function confirmationFor(key: { alias: string; keyId: string }): string {
  return key.alias || key.keyId
}
