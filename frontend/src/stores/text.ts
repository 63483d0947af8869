import { defineStore } from 'pinia'
import { textApi, type ContextPair, type TextDecryptResult, type TextEncryptResult } from '../api/backend'

// The text store is the Text view's way to TextService: short texts encrypted and
// decrypted directly with KMS (at most 4 KB). It keeps no state on purpose: a decrypted
// secret lives only in the view that shows it, never in a store.
export const useTextStore = defineStore('text', () => {
  // encrypt encrypts text (UTF-8, or base64 when isBase64) with a key; the context pairs
  // must be given again to decrypt.
  function encrypt(keyId: string, text: string, isBase64: boolean, context: ContextPair[]): Promise<TextEncryptResult> {
    return textApi.encrypt(keyId, text, isBase64, context)
  }

  function decrypt(blob: string, context: ContextPair[]): Promise<TextDecryptResult> {
    return textApi.decrypt(blob, context)
  }

  // saveBlob saves a ciphertext where the user chooses (native dialog); "" when cancelled.
  function saveBlob(blob: string): Promise<string> {
    return textApi.saveBlob(blob)
  }

  // openBlob reads a ciphertext file the user chooses; its path is "" when cancelled.
  function openBlob(): Promise<{ path: string; blob: string }> {
    return textApi.openBlob()
  }

  // copySecret puts a decrypted text on the clipboard; the Go side clears it after 30 s.
  function copySecret(text: string): Promise<void> {
    return textApi.copySecret(text)
  }

  return { encrypt, decrypt, saveBlob, openBlob, copySecret }
})
