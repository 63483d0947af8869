import { reactive } from 'vue'
import { useI18n } from 'vue-i18n'
import type { JobFile, Key } from '../api/contract'
import { BackendError } from '../api/errors'
import { errorText, keyStateCase, KEY_STATE_CODES, type ErrorText } from '../i18n/errors'
import type { Locale } from '../i18n'
import { useKeysStore } from '../stores/keys'

// useKeyErrors explains the failed files of a job. A file that a key's state kept
// closed names the key (its alias when the KMS in use knows it) and says what to do
// for the state the key is really in: "cancel the deletion" for a key pending
// deletion, "enable it" for a disabled one; the keys are looked up once each
// (prefetch) through the keys store.
export function useKeyErrors() {
  const { t, locale } = useI18n()
  const keys = useKeysStore()
  const facts = reactive(new Map<string, Key | null>())

  // prefetch looks up the keys that failed files of a job name.
  function prefetch(kind: string, results: readonly JobFile[]) {
    for (const r of results) {
      if (r.status !== 'failed' || !r.keyId || kind === 'encrypt' || !KEY_STATE_CODES.has(r.errorCode) || facts.has(r.keyId)) continue
      const id = r.keyId
      facts.set(id, null)
      void keys.lookup(id).then((k) => facts.set(id, k))
    }
  }

  function fileError(kind: string, r: JobFile): ErrorText & { code: string } {
    const code = r.errorCode || 'App.UnknownError'
    const base = errorText(new BackendError(code, r.message), locale.value as Locale)
    const key = r.keyId ? facts.get(r.keyId) : null
    const name = key?.alias || r.keyId
    switch (keyStateCase(kind, code, key?.keyState)) {
      case 'pendingDelete':
        return { code, title: t('keyErrors.pendingDelete.title', { name }), hint: t('keyErrors.pendingDelete.hint', { name }) }
      case 'disabled':
        return { code, title: t('keyErrors.disabled.title', { name }), hint: t('keyErrors.disabled.hint', { name }) }
      case 'unknown':
        return { code, title: t('keyErrors.unknown.title', { name }), hint: t('keyErrors.unknown.hint', { name }) }
    }
    return base
  }

  return { prefetch, fileError }
}
