// Package envelope implements the .kmsenc file format (KMSENC v1, specified in
// docs/FORMAT.md) and its streaming encryption engine.
//
// A .kmsenc file is envelope-encrypted: a 32-byte data key, wrapped by one to eight
// KMS keys stored in the header, encrypts the file locally with the C2SP chunked
// encryption scheme (16 KiB chunks, key commitment) in one of two suites:
// Cobblestone-256 (HKDF-SHA-512, AES-256-GCM, the default) or the national-standard
// (国密) suite (HKDF-SM3, SM4-GCM; [EncryptOptions].Suite). An HMAC (HMAC-SHA-256 or
// HMAC-SM3) keyed separately from the payload key authenticates the header. One engine
// serves both suites; a suite only chooses the hash and the AEAD.
//
// The package knows no KMS. Encryption asks a [KeyWrapper] for a data key once per
// batch ([NewDataKey]) and then encrypts any number of files with [Encrypt]; each file
// gets a fresh salt and therefore its own keys. Decryption asks an [Unwrapper] for the
// data key of the first slot that works ([Decrypt], [Verify]). [Inspect] reads a header
// with no key at all.
//
// # Guarantees
//
//   - Decrypt verifies the header MAC and the key commitment before producing any
//     plaintext, and authenticates every chunk before writing it. On error the writer
//     holds at most an authenticated prefix (nothing at all for header errors); the
//     caller discards it.
//   - Memory is constant: a call uses a fixed set of 256 KiB buffers, reused (and
//     zeroed before they return to a pool), whatever the input size. Nothing is
//     allocated per chunk.
//   - With Workers > 1 a reader goroutine, Workers AEAD goroutines and the ordered
//     writer (the calling goroutine) overlap I/O and crypto. Inputs that fit in one
//     256 KiB unit, and Workers = 1, use no goroutines at all.
//   - Every file problem is an *errcode.Error with a stable code; all
//     cryptographic failures share the single opaque code
//     Envelope.AuthenticationFailed. KMS errors pass through wrapped.
//   - Secrets and plaintext never appear in errors.
//
// # Backwards compatibility
//
// Every file written by this package stays decryptable by later versions. The golden
// vectors in testdata/envelope are checked byte for byte by the tests; a change that
// alters the output format fails them.
package envelope
