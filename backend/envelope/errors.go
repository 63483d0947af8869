package envelope

// Stable error codes returned by [Error.ErrorCode]. The frontend translates them; they
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
)

// Error is a user-facing envelope error with a stable code.
//
// Test for a class with errors.Is against the Err* values (for example
// errors.Is(err, ErrTruncated)) or read the code through an
// interface{ ErrorCode() string } found with errors.As. Messages never contain key
// material or plaintext.
type Error struct {
	code string
	msg  string
	err  error
}

// Error returns a lowercase message prefixed with "envelope: ".
func (e *Error) Error() string {
	s := "envelope: " + e.msg
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

// ErrorCode returns the stable code, one of the Code* constants.
func (e *Error) ErrorCode() string { return e.code }

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.err }

// Is reports whether target is the sentinel Error with the same code, so that
// errors.Is(err, ErrTruncated) matches every truncation error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.code == e.code && t.err == nil && sentinels[t.code] == t
}

// Sentinel errors, one per code, for use with errors.Is.
var (
	ErrNotEnvelope          = &Error{code: CodeNotEnvelope, msg: "not a .kmsenc file"}
	ErrUnsupported          = &Error{code: CodeUnsupported, msg: "unsupported .kmsenc file"}
	ErrMalformedHeader      = &Error{code: CodeMalformedHeader, msg: "malformed header"}
	ErrTooManySlots         = &Error{code: CodeTooManySlots, msg: "too many key slots"}
	ErrTruncated            = &Error{code: CodeTruncated, msg: "file is truncated"}
	ErrContextMismatch      = &Error{code: CodeContextMismatch, msg: "encryption context mismatch"}
	ErrKeyMismatch          = &Error{code: CodeKeyMismatch, msg: "key id mismatch"}
	ErrAuthenticationFailed = &Error{code: CodeAuthenticationFailed, msg: "authentication failed"}
	ErrMalformedMetadata    = &Error{code: CodeMalformedMetadata, msg: "malformed metadata record"}
	ErrInputChanged         = &Error{code: CodeInputChanged, msg: "input changed while encrypting"}
	ErrInvalidArgument      = &Error{code: CodeInvalidArgument, msg: "invalid argument"}
)

var sentinels = map[string]*Error{
	CodeNotEnvelope:          ErrNotEnvelope,
	CodeUnsupported:          ErrUnsupported,
	CodeMalformedHeader:      ErrMalformedHeader,
	CodeTooManySlots:         ErrTooManySlots,
	CodeTruncated:            ErrTruncated,
	CodeContextMismatch:      ErrContextMismatch,
	CodeKeyMismatch:          ErrKeyMismatch,
	CodeAuthenticationFailed: ErrAuthenticationFailed,
	CodeMalformedMetadata:    ErrMalformedMetadata,
	CodeInputChanged:         ErrInputChanged,
	CodeInvalidArgument:      ErrInvalidArgument,
}

// newError returns an error of the sentinel's class with a more specific message.
func newError(class *Error, msg string) *Error {
	return &Error{code: class.code, msg: msg}
}

// wrapError returns an error of the sentinel's class wrapping cause.
func wrapError(class *Error, msg string, cause error) *Error {
	return &Error{code: class.code, msg: msg, err: cause}
}

// errAuth is the single opaque authentication error. It is shared so that no
// failure path can leak which check failed through its message.
var errAuth = ErrAuthenticationFailed
