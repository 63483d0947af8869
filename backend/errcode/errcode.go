// Package errcode is the one error type of KMS Desk's backend: an error with a stable
// code.
//
// Every user-facing failure, from the file format to the KMS client, the credential
// store, the job engine and the bound services, is an *[Error] (or wraps one). The code
// is the Tencent Cloud error code where the service sent one
// ("ResourceUnavailable.CmkDisabled") and otherwise "<Area>.<Reason>"
// ("Envelope.AuthenticationFailed", "Keychain.Locked", "File.DiskFull"). Codes never
// change meaning once released: the desktop UI translates them and tells the user what
// to do, and kmsctl prints them. Messages are short English text for logs and kmsctl;
// they never contain secrets, key material or plaintext.
//
// Find the code of any error with [Code]; test for a class with errors.Is against a
// cause-less *Error of the same code (a "sentinel", such as envelope.ErrTruncated).
package errcode

import (
	"errors"
	"strings"
)

// Unknown is the code of an error that carries none.
const Unknown = "App.UnknownError"

// Error is an error with a stable code.
type Error struct {
	// Code is the stable code, e.g. "File.DiskFull".
	Code string
	// Op optionally names what was being done ("kms Encrypt",
	// `read secret for profile "work"`); it prefixes the message.
	Op string
	// Message is a short English description.
	Message string
	// RequestID is the Tencent Cloud request id when the service answered.
	RequestID string
	// Err is the cause, if any.
	Err error
}

// New returns an error with a code and a message.
func New(code, message string) *Error { return &Error{Code: code, Message: message} }

// Wrap returns an error with a code and a message that wraps cause.
func Wrap(code, message string, cause error) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// Error implements error: "op: message: cause (request id)".
func (e *Error) Error() string {
	var b strings.Builder
	add := func(s string) {
		if s == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(s)
	}
	add(e.Op)
	add(e.Message)
	if e.Err != nil {
		add(e.Err.Error())
	}
	if b.Len() == 0 {
		b.WriteString(e.Code)
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// ErrorCode returns the stable code.
func (e *Error) ErrorCode() string { return e.Code }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a sentinel of e's class: a cause-less *Error with the
// same code. So errors.Is(err, envelope.ErrTruncated) matches every truncation error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Err == nil && t.Code != "" && t.Code == e.Code
}

// Code returns the code of the first error in err's chain that has one (any type with
// an ErrorCode() string method), or "" when none has.
func Code(err error) string {
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return ""
}

// CodeOr returns Code(err), or fallback when err carries no code.
func CodeOr(err error, fallback string) string {
	if c := Code(err); c != "" {
		return c
	}
	return fallback
}

// Has reports whether err's code is code or a sub-code of it: Has(err, "AuthFailure")
// matches "AuthFailure.SignatureExpire".
func Has(err error, code string) bool {
	c := Code(err)
	return c != "" && (c == code || strings.HasPrefix(c, code+"."))
}

// As returns the first *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
