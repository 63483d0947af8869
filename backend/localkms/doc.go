// Package localkms is a local Tencent Cloud KMS: a server that speaks KMS API
// 2019-01-18 (and the STS AssumeRole action of API 2018-08-13) closely enough that
// the official Tencent Cloud SDKs cannot tell it from the real service.
//
// It is used three ways:
//
//   - embedded in the desktop app, in process and without a port, through
//     [Server.Transport] handed to the SDK with WithHttpTransport;
//   - as the test double of every package that talks to KMS (package
//     localkmstest starts one for a test);
//   - as a standalone tool ("kmsctl local serve"), through [Server.Serve], which
//     wraps [Server.ServeHTTP] in an HTTP server with connection, time and size
//     limits.
//
// # Wire protocol
//
// Every request is POST / with a JSON body (or GET / with the parameters flattened
// into the query string), authenticated with TC3-HMAC-SHA256. The server verifies
// the signature itself: the credential scope must name kms (sts for the STS
// version, or the Node SDK's label of an IP-literal host), the Host is tried as
// received and then without its port, and UNSIGNED-PAYLOAD is honoured. The
// headers are checked before the body is read. A signature used again from
// another client address, or more than 5 s after its first use, is refused (the
// SDKs sign identical requests of one second identically, so a first reuse from
// the same address must pass). Every API answer, error or not, is HTTP 200 with the
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
// sealed with AES-256-GCM (SM4-GCM for the SM4 keys of national-standard
// regions, see [Options.NationalStandardRegions]) under the key version's own
// random material, with additional data header ‖ canonical EncryptionContext. Blobs are opaque to
// callers; this package promises that every blob it ever produced stays
// decryptable by later versions as long as the key exists.
//
// # Persistence
//
// State lives in a bbolt database in [Options.DataDir], which must be private to
// the user (Open refuses one others can write to). Key material and secret keys
// are sealed at rest with AES-256-GCM under a master key kept in the OS keychain
// or in a 0600 file (see [MasterKeyMode]); each record is bound to its slot and
// revision, and a sealed digest of all revisions detects a record rolled back,
// removed or restored. Every acknowledged write is committed with fsync before
// the reply; reads and all cryptography are served from memory without disk I/O.
//
// See docs/LOCAL-KMS.md for how to run it and for every known difference from the
// real service.
package localkms
