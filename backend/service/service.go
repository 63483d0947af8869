// Package service holds the services the desktop app binds to its frontend and that
// kmsctl uses too, so the GUI and the CLI cannot drift apart.
//
// Bound methods are intentions ("encrypt these paths with this key"), never
// capabilities ("write bytes anywhere"). Each returns (T, error); errors carry a stable
// code (see backend/errcode) that the frontend translates. Every type the UI sees is
// declared in contract.go and every event in events.go; the TypeScript side is
// generated from them. The package is GUI-free: the desktop shell hands it events,
// dialogs and the clipboard through the small interfaces below, and tests use fakes.
//
// Each bound call goes through [call]: it waits for startup, runs under a per-call
// timeout and logs a failure once, here at the boundary (the caller is JavaScript and
// nothing else would record it). Validation lives in the layer that owns the rule
// (the overwrite policy in jobs, the file format's limits in envelope, the API's in
// the KMS); this package only checks what is its own (the UI's key/value rows, the
// typed confirmation of a deletion).
package service

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// Dialogs gives services the native file dialogs. An empty path with a nil error
// means the user cancelled.
type Dialogs interface {
	OpenFiles(title string) ([]string, error)
	OpenFile(title string) (string, error)
	OpenDirectory(title string) (string, error)
	SaveFile(title, defaultName string) (string, error)
}

// codedDialogs gives the errors of a host's dialogs a code (a dialog that cannot open
// is App.UnknownError with what failed), so every caller returns them as they are.
type codedDialogs struct{ d Dialogs }

func coded(d Dialogs) Dialogs {
	if d == nil {
		return nil
	}
	return codedDialogs{d}
}

func dialogErr[T any](v T, err error) (T, error) {
	if err != nil {
		return v, errcode.Wrap(CodeUnknown, "open the file dialog", err)
	}
	return v, nil
}

func (c codedDialogs) OpenFiles(title string) ([]string, error) {
	return dialogErr(c.d.OpenFiles(title))
}
func (c codedDialogs) OpenFile(title string) (string, error) { return dialogErr(c.d.OpenFile(title)) }
func (c codedDialogs) OpenDirectory(title string) (string, error) {
	return dialogErr(c.d.OpenDirectory(title))
}
func (c codedDialogs) SaveFile(title, name string) (string, error) {
	return dialogErr(c.d.SaveFile(title, name))
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

// call runs one bound call: it waits for startup, gives f a context with the per-call
// timeout and logs a failure once. At debug level it logs every call with how long it
// waited for the startup gate and how long it took in all.
func call[T any](b *base, op string, f func(ctx context.Context) (T, error)) (T, error) {
	start := time.Now()
	var gateWait time.Duration
	v, err := func() (T, error) {
		var zero T
		select {
		case <-b.gate:
		case <-b.ctx.Done():
			return zero, errcode.New(CodeShuttingDown, "the app is shutting down")
		case <-time.After(startupTimeout):
			return zero, errcode.New(CodeNotReady, "the app did not finish starting")
		}
		gateWait = time.Since(start)
		ctx, cancel := context.WithTimeout(b.ctx, callTimeout)
		defer cancel()
		return f(ctx)
	}()
	if b.log != nil {
		if err != nil {
			b.log.Warn("call failed", "op", op, "code", ErrorCode(err), "err", err.Error())
		}
		b.log.Debug("call", "op", op, "gateWaitMs", gateWait.Milliseconds(), "ms", time.Since(start).Milliseconds())
	}
	return v, err
}

// callKMS is call with the KMS client of the current connection.
func callKMS[T any](b *base, op string, f func(ctx context.Context, c *kms.Client) (T, error)) (T, error) {
	return call(b, op, func(ctx context.Context) (T, error) {
		c, err := b.conn.Client(ctx)
		if err != nil {
			var zero T
			return zero, err
		}
		return f(ctx, c)
	})
}

// done adapts a call without a result to call.
func done(b *base, op string, f func(ctx context.Context) error) error {
	_, err := call(b, op, func(ctx context.Context) (struct{}, error) { return struct{}{}, f(ctx) })
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
	CodeNoLocalKMS      = "App.LocalKMSUnavailable"
	CodeBadMaterial     = "Key.InvalidMaterial"      // a key material file holds no 128- or 256-bit key
	CodeMaterialSize    = "Key.MaterialSizeMismatch" // the material's size is not the region's
	CodeUnknown         = errcode.Unknown
)

func invalid(msg string) error { return errcode.New(CodeInvalidInput, msg) }

// NewError returns an error with a stable code (for kmsctl, which reports what the
// services gave it in events, and its own usage errors, the same way as theirs).
func NewError(code, message string) error { return errcode.New(code, message) }

// ErrorCode returns the stable code of err (the first error in its chain that has
// one), or "App.UnknownError".
func ErrorCode(err error) string { return errcode.CodeOr(err, CodeUnknown) }

// Describe returns err's stable code and the message to show for it: the service's
// own message for an error the KMS answered, the error's text otherwise.
func Describe(err error) (code, message string) {
	code = ErrorCode(err)
	if e := errcode.As(err); e != nil && e.Code == code && strings.HasPrefix(e.Op, "kms ") && e.Message != "" {
		return code, e.Message
	}
	return code, err.Error()
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
