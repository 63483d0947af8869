package envelope

import "github.com/kmsdesk/kmsdesk/backend/errcode"

// Stable error codes carried by this package's errors. The frontend translates them; they
// never change meaning once released. See docs/FORMAT.md §8 for which input produces
// which code.
const (
	// CodeNotEnvelope: the input does not start with the .kmsenc magic.
	CodeNotEnvelope = "Envelope.NotEnvelope"
	// CodeUnsupported: unknown version, suite or flag bits, no slot of a supported
	// type, or a payload longer than the format allows.
	CodeUnsupported = "Envelope.Unsupported"
	// CodeMalformedHeader: the header is structurally invalid or too large.
	CodeMalformedHeader = "Envelope.MalformedHeader"
	// CodeTooManySlots: more key slots than the format or the caller allows.
	CodeTooManySlots = "Envelope.TooManySlots"
	// CodeTruncated: the input ends early or its length is impossible. Decided from
	// lengths only.
	CodeTruncated = "Envelope.Truncated"
	// CodeContextMismatch: a required encryption-context pair is missing or differs.
	CodeContextMismatch = "Envelope.ContextMismatch"
	// CodeKeyMismatch: KMS unwrapped a slot with a different key than the slot names.
	CodeKeyMismatch = "Envelope.KeyMismatch"
	// CodeAuthenticationFailed: the header MAC, the key commitment or a chunk tag did
	// not verify. Deliberately opaque.
	CodeAuthenticationFailed = "Envelope.AuthenticationFailed"
	// CodeMalformedMetadata: an authenticated metadata record is invalid.
	CodeMalformedMetadata = "Envelope.MalformedMetadata"
	// CodeInputChanged: while encrypting, the input yielded a different number of bytes
	// than Metadata.Size announced.
	CodeInputChanged = "Envelope.InputChanged"
	// CodeInvalidArgument: the caller passed an invalid key reference, encryption
	// context, creator or metadata.
	CodeInvalidArgument = "Envelope.InvalidArgument"
	// CodeRecoveryKeyNeeded: no KMS slot could be used and no given recovery key
	// matches a recovery slot (or none was given).
	CodeRecoveryKeyNeeded = "Envelope.RecoveryKeyNeeded"
	// CodeInvalidRecoveryKey: a recovery recipient or identity is not a valid age key.
	CodeInvalidRecoveryKey = "Envelope.InvalidRecoveryKey"
	// CodeLastSlot: a re-wrap would leave the file without any way to open it.
	CodeLastSlot = "Envelope.LastSlot"
)

// Errors of this package are *[errcode.Error] values with one of the codes above and a
// message prefixed with "envelope: ".
//
// Test for a class with errors.Is against the Err* values (for example
// errors.Is(err, ErrTruncated)) or read the code with errcode.Code. Messages never
// contain key material or plaintext.

// Sentinel errors, one per code, for use with errors.Is.
var (
	ErrNotEnvelope          = errcode.New(CodeNotEnvelope, "envelope: not a .kmsenc file")
	ErrUnsupported          = errcode.New(CodeUnsupported, "envelope: unsupported .kmsenc file")
	ErrMalformedHeader      = errcode.New(CodeMalformedHeader, "envelope: malformed header")
	ErrTooManySlots         = errcode.New(CodeTooManySlots, "envelope: too many key slots")
	ErrTruncated            = errcode.New(CodeTruncated, "envelope: file is truncated")
	ErrContextMismatch      = errcode.New(CodeContextMismatch, "envelope: encryption context mismatch")
	ErrKeyMismatch          = errcode.New(CodeKeyMismatch, "envelope: key id mismatch")
	ErrAuthenticationFailed = errcode.New(CodeAuthenticationFailed, "envelope: authentication failed")
	ErrMalformedMetadata    = errcode.New(CodeMalformedMetadata, "envelope: malformed metadata record")
	ErrInputChanged         = errcode.New(CodeInputChanged, "envelope: input changed while encrypting")
	ErrInvalidArgument      = errcode.New(CodeInvalidArgument, "envelope: invalid argument")
	ErrRecoveryKeyNeeded    = errcode.New(CodeRecoveryKeyNeeded, "envelope: a recovery key is needed to open this file")
	ErrInvalidRecoveryKey   = errcode.New(CodeInvalidRecoveryKey, "envelope: not a valid recovery key")
	ErrLastSlot             = errcode.New(CodeLastSlot, "envelope: the file would have no key left")
)

// newError returns an error of the sentinel's class with a more specific message.
func newError(class *errcode.Error, msg string) *errcode.Error {
	return errcode.New(class.Code, "envelope: "+msg)
}

// wrapError returns an error of the sentinel's class wrapping cause.
func wrapError(class *errcode.Error, msg string, cause error) *errcode.Error {
	return errcode.Wrap(class.Code, "envelope: "+msg, cause)
}

// errAuth is the single opaque authentication error. It is shared so that no
// failure path can leak which check failed through its message.
var errAuth = ErrAuthenticationFailed
