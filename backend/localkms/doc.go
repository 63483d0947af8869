// Package localkms is a local Tencent Cloud KMS: a server that speaks KMS API
// 2019-01-18 (and the STS AssumeRole action of API 2018-08-13) closely enough that
// the official Tencent Cloud SDKs cannot tell it from the real service.
//
// It is used three ways:
//
//   - embedded in the desktop app, in process and without a port, through
//     [Server.Transport] handed to the SDK with WithHttpTransport;
//   - as the test double of every package that talks to KMS;
//   - as a standalone tool ("kmsctl local serve"), through [Server.ServeHTTP].
//
// # Wire protocol
//
// Every request is POST / with a JSON body (or GET / with the parameters flattened
// into the query string), authenticated with TC3-HMAC-SHA256. The server verifies
// the signature itself: the service name is taken from the credential scope, the
// Host is tried as received and then without its port, and UNSIGNED-PAYLOAD is
// honoured. Every API answer, error or not, is HTTP 200 with the
// {"Response":{...,"RequestId":"<uuid>"}} envelope; error messages are in zh-CN or
// en-US according to X-TC-Language.
//
// # Ciphertext blobs
//
// CiphertextBlob has the shape of the real service's: three standard-base64
// segments joined by "-k-". Format version 1 is
//
//	b64(header) "-k-" b64(nonce) "-k-" b64(ciphertext ‖ tag)
//	header = "lkms" ‖ 0x01 ‖ key version (uint32, big endian) ‖ KeyId (36 ASCII bytes)
//
// sealed with AES-256-GCM under the key version's own random material, with
// additional data header ‖ canonical EncryptionContext. Blobs are opaque to
// callers; this package promises that every blob it ever produced stays
// decryptable by later versions as long as the key exists.
//
// # Persistence
//
// State lives in a bbolt database in [Options.DataDir]. Key material and secret
// keys are sealed at rest with AES-256-GCM under a master key kept in the OS
// keychain or in a 0600 file (see [MasterKeyMode]). Every acknowledged write is
// committed with fsync before the reply; reads and all cryptography are served from
// memory without disk I/O.
//
// See docs/LOCAL-KMS.md for how to run it and for every known difference from the
// real service.
package localkms
