package jobs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// Stable error codes of this package. Envelope.* and Tencent Cloud codes pass through
// unchanged.
const (
	// CodeCancelled: the job (or this file) was cancelled.
	CodeCancelled = "Job.Cancelled"
	// CodeJobNotFound: no job has this id.
	CodeJobNotFound = "Job.NotFound"
	// CodeNoConflict: ResolveConflict was called while the job waits for no decision.
	CodeNoConflict = "Job.NoConflict"
	// CodeInvalidRequest: the job request is malformed (no paths, bad policy, …).
	CodeInvalidRequest = "Job.InvalidRequest"
	// CodeNotFound: an input does not exist.
	CodeNotFound = "File.NotFound"
	// CodeUnreadable: an input cannot be opened or read.
	CodeUnreadable = "File.Unreadable"
	// CodeDiskFull: the destination has not enough free space.
	CodeDiskFull = "File.DiskFull"
	// CodeOutputIsInput: the output would be (or replace) an input of the job.
	CodeOutputIsInput = "File.OutputIsInput"
	// CodeExists: the output exists and the overwrite policy is "skip".
	CodeExists = "File.Exists"
	// CodeWouldReplace: policy overwrite would replace a dot-file, or a file whose
	// name does not come from the encrypted file's own name, and Force is not set.
	CodeWouldReplace = "File.WouldReplace"
	// CodeIOError: writing the output failed.
	CodeIOError = "File.IOError"
	// CodeNotEncrypted: a file to decrypt is neither a .kmsenc file nor a CiphertextBlob file.
	CodeNotEncrypted = "File.NotEncrypted"
	// CodeSymlink: the input is a symbolic link; links are not followed.
	CodeSymlink = "File.Symlink"
	// CodeNotRegular: the input is a special file (pipe, socket, device).
	CodeNotRegular = "File.NotRegular"
	// CodeIsFolder: a folder was given where only files are accepted (no recursion).
	CodeIsFolder = "File.IsFolder"
	// CodeAlreadyEncrypted: a file inside a folder to encrypt is already encrypted.
	CodeAlreadyEncrypted = "File.AlreadyEncrypted"
	// CodeNamedEncrypted: a file to encrypt is named .kmsenc but is not an encrypted
	// file (EncryptSpec.Force encrypts it all the same).
	CodeNamedEncrypted = "File.NamedEncrypted"
	// CodeChanged: the original changed after it was encrypted, so it was not removed.
	CodeChanged = "File.Changed"
	// CodePermissionDenied: the output could not be written because the user may not
	// write in its folder (FileResult.Subject names the folder).
	CodePermissionDenied = "File.PermissionDenied"
	// CodeUpToDate: a file to encrypt was skipped because an encrypted copy of it that
	// is up to date is already where the output would go (EncryptSpec.SkipCurrent;
	// FileResult.Subject names the copy).
	CodeUpToDate = "File.UpToDate"
)

// Job and file errors are *errcode.Error values with the codes above. Messages name
// files but never contain key material or file contents.

func newErr(code, msg string, cause error) *errcode.Error {
	return errcode.Wrap(code, msg, cause)
}

// subjectError names the file or folder an error is about, when that is not the file
// the result is for (the output folder that cannot be written, the encrypted copy that
// made a file skip): FileResult.Subject.
type subjectError struct {
	subject string
	err     error
}

func (e *subjectError) Error() string { return e.err.Error() }
func (e *subjectError) Unwrap() error { return e.err }

// about marks err as being about path.
func about(path string, err error) error { return &subjectError{subject: path, err: err} }

// subjectOf returns the path err is about, or "".
func subjectOf(err error) string {
	var se *subjectError
	if errors.As(err, &se) {
		return se.subject
	}
	return ""
}

// errCancelled is the error of a cancelled file.
var errCancelled = errcode.New(CodeCancelled, "cancelled")

// envelopeMessages are the human messages of envelope codes (the UI translates codes;
// these are for kmsctl and logs). AuthenticationFailed is one opaque message.
var envelopeMessages = map[string]string{
	envelope.CodeNotEnvelope:          "not a .kmsenc file",
	envelope.CodeUnsupported:          "this .kmsenc file uses a format this version does not support",
	envelope.CodeMalformedHeader:      "the file's header is damaged",
	envelope.CodeTooManySlots:         "the file names more keys than allowed",
	envelope.CodeTruncated:            "the file is incomplete (truncated)",
	envelope.CodeContextMismatch:      "the file's encryption context lacks a required value",
	envelope.CodeKeyMismatch:          "KMS unwrapped the data key with a different key than the file names",
	envelope.CodeAuthenticationFailed: "the file is damaged or was modified (authentication failed)",
	envelope.CodeMalformedMetadata:    "the file's encrypted metadata is invalid",
	envelope.CodeInputChanged:         "the file changed while it was being encrypted; try again",
}

// codeOf returns the first stable code in err's chain, or "".
func codeOf(err error) string { return errcode.Code(err) }

// describe turns a file error into (code, message) for a FileResult: the message of
// the coded error with the OS reason of its cause (KMS errors prefixed "KMS: "), or
// the fixed message of an envelope code.
func describe(err error) (code, msg string) {
	if err == nil {
		return "", ""
	}
	code = codeOf(err)
	e := errcode.As(err)
	switch {
	case e != nil && e.Code == code && !strings.HasPrefix(e.Message, "envelope: "):
		msg = e.Message
		if msg == "" {
			msg = e.Code
		}
		if strings.HasPrefix(e.Op, "kms ") {
			msg = "KMS: " + msg
		} else if e.Err != nil && code != CodeCancelled {
			msg += ": " + rootCause(e.Err)
		}
	case envelopeMessages[code] != "":
		msg = envelopeMessages[code]
	default:
		msg = err.Error()
	}
	if code == "" {
		code = CodeIOError
	}
	return code, msg
}

// rootCause is the innermost message of err: for *fs.PathError the OS reason only
// (the path is already in the result).
func rootCause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// classifyErr maps err from processing one file to a coded error: cancellation to
// Job.Cancelled, a full disk to File.DiskFull; coded errors pass through.
func classifyErr(ctx context.Context, err error, writing bool) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return errCancelled
	}
	if isDiskFull(err) {
		return newErr(CodeDiskFull, "the destination disk is full", nil)
	}
	if c := codeOf(err); c != "" {
		if c == kms.CodeCancelled {
			return errCancelled
		}
		return err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return newErr(CodeNotFound, "the file does not exist", err)
	}
	if writing {
		return newErr(CodeIOError, "write the output", err)
	}
	return newErr(CodeUnreadable, "read the file", err)
}

// transient reports whether a KMS error may succeed when retried soon (network,
// throttling, server errors), so it is not cached for the job.
func transient(err error) bool {
	c := codeOf(err)
	switch {
	case c == "":
		return true
	case len(c) > 7 && c[:7] == "Client.":
		return c != kms.CodeInvalidConfig && c != kms.CodeNoCredentials && c != kms.CodeInvalidInput
	case c == "RequestLimitExceeded" || len(c) > 21 && c[:21] == "RequestLimitExceeded.":
		return true
	case c == "InternalError" || len(c) > 14 && c[:14] == "InternalError.":
		return true
	}
	return false
}
