// Package service holds the services the desktop app binds to its frontend and that
// kmsctl uses too, so the GUI and the CLI cannot drift apart.
//
// Bound methods are intentions ("encrypt these paths with this key"), never
// capabilities ("write bytes anywhere"). Each returns (T, error); errors carry a stable
// code (interface{ ErrorCode() string }) that the frontend translates. The package is
// GUI-free: the desktop shell hands it events, dialogs and the clipboard through the
// small interfaces below, and tests use fakes.
package service

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// Events lets services notify the UI (Wails EventsEmit in the desktop app).
type Events interface {
	Emit(name string, data any)
}

// Dialogs gives services the native file dialogs. An empty path with a nil error
// means the user cancelled.
type Dialogs interface {
	OpenFiles(title string) ([]string, error)
	OpenFile(title string) (string, error)
	OpenDirectory(title string) (string, error)
	SaveFile(title, defaultName string) (string, error)
}

// Desktop is what the desktop shell offers beyond dialogs: the clipboard and showing a
// folder in the OS file manager.
type Desktop interface {
	SetClipboard(text string) error
	Clipboard() (string, error)
	ShowFolder(path string) error
}

// Gate is closed when the desktop shell has finished starting; bound methods wait on it
// so the frontend can never call into half-initialised state.
type Gate <-chan struct{}

// OpenGate returns a Gate that is already open (for kmsctl and tests).
func OpenGate() Gate {
	c := make(chan struct{})
	close(c)
	return c
}

// startupTimeout bounds how long a bound method waits for startup to finish.
const startupTimeout = 30 * time.Second

// callTimeout bounds one interactive backend call (a KMS round trip and its retries).
const callTimeout = 60 * time.Second

// base is embedded in every service: the app context, the gate, the log and the
// connector to the current KMS.
type base struct {
	ctx  context.Context
	gate Gate
	log  *slog.Logger
	conn *Connector
}

// begin waits for startup and returns a context for one call.
func (b *base) begin() (context.Context, context.CancelFunc, error) {
	select {
	case <-b.gate:
	case <-b.ctx.Done():
		return nil, nil, &Error{Code: CodeShuttingDown, Message: "the app is shutting down"}
	case <-time.After(startupTimeout):
		return nil, nil, &Error{Code: CodeNotReady, Message: "the app did not finish starting"}
	}
	ctx, cancel := context.WithTimeout(b.ctx, callTimeout)
	return ctx, cancel, nil
}

// withKMS runs one KMS operation with the current client, after startup, with a
// per-call timeout, logging a failure once.
func (b *base) withKMS(op string, f func(ctx context.Context, c *kms.Client) error) error {
	ctx, cancel, err := b.begin()
	if err != nil {
		return err
	}
	defer cancel()
	c, err := b.conn.Client(ctx)
	if err == nil {
		err = f(ctx, c)
	}
	return b.logErr(op, err)
}

// logErr logs a failed bound call once, at the boundary (the caller is JavaScript and
// nothing else would record it), and returns err unchanged.
func (b *base) logErr(op string, err error) error {
	if err != nil && b.log != nil {
		b.log.Warn("call failed", "op", op, "code", ErrorCode(err), "err", err.Error())
	}
	return err
}

// Codes produced by this package.
const (
	CodeNotReady        = "App.NotReady"
	CodeShuttingDown    = "App.ShuttingDown"
	CodeInvalidInput    = "App.InvalidInput"
	CodeTextTooLarge    = "Text.TooLarge"
	CodeNotUTF8         = "Text.NotUTF8"
	CodeInvalidBase64   = "Text.InvalidBase64"
	CodeInvalidContext  = "Text.InvalidContext"
	CodeConfirmMismatch = "Key.ConfirmationMismatch"
	CodeFileTooLarge    = "File.TooLarge"
	CodeFileIO          = "File.IOError"
	CodeUnknown         = "App.UnknownError"
)

// Error is an error of this package with a stable code.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// ErrorCode returns the stable code.
func (e *Error) ErrorCode() string { return e.Code }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func invalid(msg string) error { return &Error{Code: CodeInvalidInput, Message: msg} }

// ErrorCode returns the stable code of err (the first error in its chain that has one),
// or "App.UnknownError".
func ErrorCode(err error) string {
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return CodeUnknown
}

// UIError is what a failed bound call looks like to the frontend.
type UIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// FormatError turns an error into the UIError the frontend receives (the Wails
// ErrorFormatter). The message is only a fallback; the UI translates the code.
func FormatError(err error) any {
	if err == nil {
		return nil
	}
	return UIError{Code: ErrorCode(err), Message: err.Error()}
}
