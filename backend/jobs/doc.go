// Package jobs runs KMS Desk's batch file work: encrypting, decrypting and verifying
// files and folders with the .kmsenc format (backend/envelope) under Tencent Cloud KMS
// keys (backend/kms). It is GUI-free; backend/service turns its [Sink] callbacks into
// Wails events and kmsctl into a progress line.
//
// # What a job does
//
//   - Inputs are files and folders. Folders are walked recursively and the tree is
//     mirrored under the output folder (or each output goes next to its original).
//     Symbolic links are never followed: a link inside a folder is skipped, a link
//     given as an input fails with File.Symlink. Special files (pipes, sockets,
//     devices) are skipped with File.NotRegular.
//   - Encryption uses one KMS data key per batch ([BatchLimits]: ≤ 1 000 files,
//     ≤ 10 minutes, ≤ 256 GiB, then a new key); every file still gets its own salt
//     and therefore its own payload key. Decryption caches unwrapped data keys per job,
//     keyed by the wrapped blob, so a batch that shares a key costs one KMS Decrypt.
//   - The crypto suite ([Suite]) is AES-256-GCM or SM4-GCM (国密); "auto" follows the
//     primary key's region, asked once per KMS with ListAlgorithms.
//   - KMS calls are bounded (a semaphore shared by all jobs of a [Manager]) on top of
//     the client's back-off on RequestLimitExceeded; files run a few at a time so
//     small files do not wait on each other's round trips.
//   - Output is written to a partial file of its own in the destination folder
//     (".NAME.<random>.kmsdesk-partial", locked with flock or LockFileEx while it is
//     written, created only once there is output: after the data key was unwrapped),
//     fsynced and renamed by that unique name; mode (less the umask) and mtime are
//     then set through the open file. On failure or cancel the partial file is
//     deleted and the input is never modified. Stale partial files left by a crash
//     are removed by the next job writing into that folder, when their lock can be
//     taken (see docs/FILES.md for the exact rule). Policy overwrite replaces, when
//     decrypting, only the name a file's own name gives, never a dot-file, unless
//     forced; links planted inside an output tree are not followed.
//   - Progress (bytes, files, rate, ETA) is reported at most every 100 ms; a job is
//     cancelled by id and stops within one 16 KiB chunk.
//
// # Direct mode
//
// With EncryptSpec.Direct, files of at most 4096 bytes are encrypted with the KMS
// Encrypt API and written as a text file holding only the CiphertextBlob (extension
// ".kmsblob"), the format of Tencent's Python sample (test_encry.dat). Decryption
// recognises such files by content.
//
// # Errors
//
// Every per-file failure carries a stable code ([Error], ErrorCode) and a human
// message; envelope and KMS codes pass through unchanged.
package jobs
