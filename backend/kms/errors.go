package kms

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"

	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

// Codes produced on the client side. Service errors keep the code Tencent Cloud sent
// (e.g. "ResourceUnavailable.CmkDisabled", "AuthFailure.SignatureExpire").
const (
	CodeInvalidConfig = "Client.InvalidConfig" // bad region/endpoint in the profile
	CodeNoCredentials = "Client.NoCredentials" // the profile has no SecretId/SecretKey
	CodeNetwork       = "Client.NetworkError"  // KMS could not be reached (offline, DNS, refused)
	CodeTimeout       = "Client.Timeout"       // the request timed out
	CodeTLS           = "Client.TLSError"      // the server's certificate was not trusted
	CodeCancelled     = "Client.Cancelled"     // the caller cancelled the request
	CodeBadResponse   = "Client.BadResponse"   // the endpoint did not answer like a KMS
	CodeInvalidInput  = "Client.InvalidInput"  // the request was refused before sending
	CodeUnknown       = "Client.UnknownError"  // anything else
)

// Error is a failed KMS call. Code is the Tencent Cloud error code where the service sent
// one, or one of the Client.* codes above. Message is the service's message (in the
// profile's language) or a short English description; it never holds secrets.
type Error struct {
	Code      string
	Message   string
	RequestID string
	Action    string
	Err       error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Action != "" {
		b.WriteString("kms ")
		b.WriteString(e.Action)
		b.WriteString(": ")
	}
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// ErrorCode returns the stable code the UI translates.
func (e *Error) ErrorCode() string { return e.Code }

// Unwrap returns the cause of a client-side failure.
func (e *Error) Unwrap() error { return e.Err }

// Code returns the KMS error code of err, or "" if err is not a KMS error.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// IsCode reports whether err is a KMS error with exactly this code or a sub-code of it
// ("AuthFailure" matches "AuthFailure.SignatureExpire").
func IsCode(err error, code string) bool {
	c := Code(err)
	return c == code || strings.HasPrefix(c, code+".")
}

// mapError turns whatever the SDK returned into *Error.
func mapError(ctx context.Context, action string, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Action == "" {
			e.Action = action
		}
		return e
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return &Error{Code: CodeTimeout, Action: action, Message: "the request timed out", Err: err}
		}
		return &Error{Code: CodeCancelled, Action: action, Message: "the request was cancelled", Err: err}
	}
	var sdk *sdkerrors.TencentCloudSDKError
	if errors.As(err, &sdk) {
		if !strings.HasPrefix(sdk.Code, "ClientError.") {
			return &Error{Code: sdk.Code, Message: sdk.Message, RequestID: sdk.RequestId, Action: action}
		}
		cause := errors.Unwrap(sdk)
		if cause == nil {
			cause = errors.New(sdk.Message)
		}
		switch sdk.Code {
		case "ClientError.NetworkError", "ClientError.IOError":
			return networkError(action, cause)
		case "ClientError.ParseJsonError", "ClientError.HttpStatusCodeError":
			return &Error{Code: CodeBadResponse, Action: action, Message: "the endpoint did not answer like Tencent Cloud KMS", Err: cause}
		case "ClientError.BuildRequestError", "ClientError.InvalidParameter", "ClientError.TypeError":
			return &Error{Code: CodeInvalidInput, Action: action, Message: sdk.Message, Err: cause}
		}
		return &Error{Code: CodeUnknown, Action: action, Message: sdk.Message, Err: cause}
	}
	return networkError(action, err)
}

func networkError(action string, err error) *Error {
	var (
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		certInvalid x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		certErr     *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &certInvalid),
		errors.As(err, &recordErr), errors.As(err, &certErr):
		return &Error{Code: CodeTLS, Action: action, Message: "the KMS endpoint's TLS certificate was not accepted", Err: err}
	case isNetTimeout(err):
		return &Error{Code: CodeTimeout, Action: action, Message: "the request timed out", Err: err}
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) {
		return &Error{Code: CodeNetwork, Action: action, Message: "the KMS endpoint could not be reached", Err: err}
	}
	return &Error{Code: CodeNetwork, Action: action, Message: fmt.Sprintf("the KMS endpoint could not be reached (%v)", err), Err: err}
}

// jitter returns a random duration in [0, max) nanoseconds.
func jitter(max int64) int64 {
	if max <= 0 {
		return 0
	}
	return rand.Int64N(max)
}
