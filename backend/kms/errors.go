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
	"time"

	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
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

	// CodeCredentialsExpired: the service refused the session token of temporary
	// credentials at or past their expiry (AuthFailure.TokenFailure). It is the code
	// backend/credentials gives when it finds them expired before sending: either way
	// the user needs new temporary credentials.
	CodeCredentialsExpired = "Credentials.Expired"
)

// codeTokenFailure is Tencent Cloud's answer to a session token that is invalid or
// has expired ("Token verification failed. Please check your Token is correct.").
const codeTokenFailure = "AuthFailure.TokenFailure"

// tokenExpirySlack is how close to their expiry temporary credentials refused with
// codeTokenFailure count as expired: the ±5 minutes the service allows between its
// clock and a request's timestamp.
const tokenExpirySlack = 5 * time.Minute

// tokenExpired returns the CodeCredentialsExpired error for a call that the service
// refused with codeTokenFailure, signed with temporary credentials whose expiry is
// within tokenExpirySlack of now or past; nil otherwise (the token is then wrong or
// revoked, and the service's own code says so).
func tokenExpired(e *errcode.Error, c Credentials, now time.Time) *errcode.Error {
	if e.Code != codeTokenFailure || c.Token == "" || c.Expiry.IsZero() || now.Before(c.Expiry.Add(-tokenExpirySlack)) {
		return nil
	}
	return &errcode.Error{Code: CodeCredentialsExpired, Op: e.Op, RequestID: e.RequestID,
		Message: fmt.Sprintf("the temporary credentials expired at %s (the service answered %s: %s)",
			c.Expiry.UTC().Format(time.RFC3339), e.Code, e.Message)}
}

// CodeRotateRateLimited is the service's answer to a second RotateKey within 24 hours.
const CodeRotateRateLimited = "RequestLimitExceeded.RotateRateLimited"

// Failed calls return an *errcode.Error: Code is the Tencent Cloud error code where the
// service sent one (with its RequestID), or one of the Client.* codes above; Op is
// "kms <Action>"; Message is the service's message (in the profile's language) or a
// short English description. It never holds secrets.

// newError returns a failed call of action.
func newError(code, action, msg string, cause error) *errcode.Error {
	e := &errcode.Error{Code: code, Message: msg, Err: cause}
	if action != "" {
		e.Op = "kms " + action
	}
	return e
}

// mapError turns whatever the SDK returned into a coded error.
func mapError(ctx context.Context, action string, err error) *errcode.Error {
	if e := errcode.As(err); e != nil {
		if e.Op == "" {
			e.Op = "kms " + action
		}
		return e
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return newError(CodeTimeout, action, "the request timed out", err)
		}
		return newError(CodeCancelled, action, "the request was cancelled", err)
	}
	var sdk *sdkerrors.TencentCloudSDKError
	if errors.As(err, &sdk) {
		if !strings.HasPrefix(sdk.Code, "ClientError.") {
			e := newError(sdk.Code, action, sdk.Message, nil)
			e.RequestID = sdk.RequestId
			return e
		}
		cause := errors.Unwrap(sdk)
		if cause == nil {
			cause = errors.New(sdk.Message)
		}
		switch sdk.Code {
		case "ClientError.NetworkError", "ClientError.IOError":
			return networkError(action, cause)
		case "ClientError.ParseJsonError", "ClientError.HttpStatusCodeError":
			return newError(CodeBadResponse, action, "the endpoint did not answer like Tencent Cloud KMS", cause)
		case "ClientError.BuildRequestError", "ClientError.InvalidParameter", "ClientError.TypeError":
			return newError(CodeInvalidInput, action, sdk.Message, cause)
		}
		return newError(CodeUnknown, action, sdk.Message, cause)
	}
	return networkError(action, err)
}

func networkError(action string, err error) *errcode.Error {
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
		return newError(CodeTLS, action, "the KMS endpoint's TLS certificate was not accepted", err)
	case isNetTimeout(err):
		return newError(CodeTimeout, action, "the request timed out", err)
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) {
		return newError(CodeNetwork, action, "the KMS endpoint could not be reached", err)
	}
	return newError(CodeNetwork, action, fmt.Sprintf("the KMS endpoint could not be reached (%v)", err), err)
}

// jitter returns a random duration in [0, max) nanoseconds.
func jitter(max int64) int64 {
	if max <= 0 {
		return 0
	}
	return rand.Int64N(max)
}
