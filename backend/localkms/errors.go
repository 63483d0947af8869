package localkms

import (
	"fmt"
)

// Error is the error type of this package's Go API (Open, Seed, credentials, ...).
// Its code is stable and is returned by ErrorCode; the message never contains
// secrets or plaintext.
type Error struct {
	code string
	msg  string
	err  error
}

// Error returns the message, prefixed with the package name.
func (e *Error) Error() string {
	if e.err != nil {
		return "localkms: " + e.msg + ": " + e.err.Error()
	}
	return "localkms: " + e.msg
}

// ErrorCode returns the stable code, e.g. "LocalKMS.DataDirInUse".
func (e *Error) ErrorCode() string { return e.code }

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.err }

// Stable codes of [Error].
const (
	// CodeInvalidOptions: an Options field is invalid.
	CodeInvalidOptions = "LocalKMS.InvalidOptions"
	// CodeDataDir: the data directory or database cannot be used.
	CodeDataDir = "LocalKMS.DataDir"
	// CodeDataDirInUse: another process holds the database lock.
	CodeDataDirInUse = "LocalKMS.DataDirInUse"
	// CodeCorrupt: a stored record cannot be opened (wrong master key or damage).
	CodeCorrupt = "LocalKMS.Corrupt"
	// CodeMasterKey: the master key cannot be created or loaded.
	CodeMasterKey = "LocalKMS.MasterKey"
	// CodeKeychainUnavailable: the OS keychain is not usable.
	CodeKeychainUnavailable = "Keychain.Unavailable"
	// CodeInvalidSeed: a seed file is malformed or invalid.
	CodeInvalidSeed = "LocalKMS.InvalidSeed"
	// CodeClosed: the server has been closed.
	CodeClosed = "LocalKMS.Closed"
	// CodeInvalidArgument: an argument of a Go API call is invalid.
	CodeInvalidArgument = "LocalKMS.InvalidArgument"
	// CodeStorage: a write to the database failed.
	CodeStorage = "LocalKMS.Storage"
	// CodeWeakPassphrase: a backup passphrase is too short (see [MinPassphraseLen]).
	CodeWeakPassphrase = "LocalKMS.WeakPassphrase"
	// CodeBackupPassphrase: the passphrase does not open the backup.
	CodeBackupPassphrase = "LocalKMS.BackupPassphrase"
	// CodeBackupDamaged: the file is damaged, truncated or not a backup of local keys.
	CodeBackupDamaged = "LocalKMS.BackupDamaged"
	// CodeBackupVersion: the backup was made by a newer version in a format this one
	// does not read.
	CodeBackupVersion = "LocalKMS.BackupVersion"
	// CodeRestoreConflict: the backup holds a key whose KeyId or alias belongs to a
	// different key here; nothing was restored.
	CodeRestoreConflict = "LocalKMS.RestoreConflict"
)

func newError(code string, err error, format string, args ...any) *Error {
	return &Error{code: code, msg: fmt.Sprintf(format, args...), err: err}
}

// apiError is an error answered on the wire: a Tencent Cloud error code with an
// English and a Chinese message.
type apiError struct {
	code string
	en   string
	zh   string
}

func (e *apiError) Error() string { return e.code + ": " + e.en }

// ErrorCode returns the Tencent Cloud error code.
func (e *apiError) ErrorCode() string { return e.code }

func (e *apiError) message(english bool) string {
	if english || e.zh == "" {
		return e.en
	}
	return e.zh
}

func apiErr(code, en, zh string) *apiError { return &apiError{code: code, en: en, zh: zh} }

// Tencent Cloud error codes answered by the server.
const (
	codeInvalidAuthorization = "AuthFailure.InvalidAuthorization"
	codeSecretIDNotFound     = "AuthFailure.SecretIdNotFound"
	codeSignatureExpire      = "AuthFailure.SignatureExpire"
	codeSignatureFailure     = "AuthFailure.SignatureFailure"
	codeTokenFailure         = "AuthFailure.TokenFailure"

	codeInternalError            = "InternalError"
	codeInvalidAction            = "InvalidAction"
	codeInvalidParameter         = "InvalidParameter"
	codeInvalidParameterValue    = "InvalidParameterValue"
	codeMissingParameter         = "MissingParameter"
	codeNoSuchVersion            = "NoSuchVersion"
	codeRequestLimitExceeded     = "RequestLimitExceeded"
	codeRotateRateLimited        = "RequestLimitExceeded.RotateRateLimited"
	codeRequestSizeLimitExceeded = "RequestSizeLimitExceeded"
	codeUnknownParameter         = "UnknownParameter"
	codeUnsupportedRegion        = "UnsupportedRegion"

	codeInvalidPendingWindow = "InvalidParameter.InvalidPendingWindowInDays"
	codeDecryptMaterialError = "InvalidParameter.DecryptMaterialError"
	codeAliasAlreadyExists   = "InvalidParameterValue.AliasAlreadyExists"
	codeDuplicatedKeyID      = "InvalidParameterValue.DuplicatedKeyId"
	codeInvalidAlias         = "InvalidParameterValue.InvalidAlias"
	codeInvalidCiphertext    = "InvalidParameterValue.InvalidCiphertext"
	codeInvalidHsmClusterID  = "InvalidParameterValue.InvalidHsmClusterId"
	codeInvalidKeyID         = "InvalidParameterValue.InvalidKeyId"
	codeInvalidKeyUsage      = "InvalidParameterValue.InvalidKeyUsage"
	codeInvalidPlaintext     = "InvalidParameterValue.InvalidPlaintext"
	codeInvalidType          = "InvalidParameterValue.InvalidType"
	codeMaterialNotMatch     = "InvalidParameterValue.MaterialNotMatch"
	codeTagKeysDuplicated    = "InvalidParameterValue.TagKeysDuplicated"

	codeDecryptError = "FailedOperation.DecryptError"

	codeCmkArchived         = "ResourceUnavailable.CmkArchived"
	codeCmkDisabled         = "ResourceUnavailable.CmkDisabled"
	codeCmkNotFound         = "ResourceUnavailable.CmkNotFound"
	codeCmkNotPendingDelete = "ResourceUnavailable.CmkNotPendingDelete"
	codeCmkShouldBeDisabled = "ResourceUnavailable.CmkShouldBeDisabled"
	codeCmkStateNotSupport  = "ResourceUnavailable.CmkStateNotSupport"
	codeKeyPendingDelete    = "ResourceUnavailable.KeyPendingDelete"
	codeTokenExpired        = "ResourceUnavailable.TokenExpired"

	codeExternalCmkCanNotRotate = "UnsupportedOperation.ExternalCmkCanNotRotate"
	codeNotExternalCmk          = "UnsupportedOperation.NotExternalCmk"
	codeUnsupportedKeyUsage     = "UnsupportedOperation.UnsupportedKeyUsageInCurrentRegion"
	codeRotateNotSupported      = "UnsupportedOperation.RotateNotSupported"

	codeCmkLimitExceeded = "LimitExceeded.CmkLimitExceeded"

	codeSTSOverTime        = "InvalidParameter.OverTimeError"
	codeSTSTempKeyNotAllow = "FailedOperation.TempKeyNotAllowed"
)

// Frequently used wire errors. Details are identifiers or limits, never secrets.

func errMissingParam(name string) *apiError {
	return apiErr(codeMissingParameter,
		fmt.Sprintf("The request is missing a required parameter `%s`.", name),
		fmt.Sprintf("缺少参数错误：`%s` 是必须的。", name))
}

func errUnknownParam(name string) *apiError {
	return apiErr(codeUnknownParameter,
		fmt.Sprintf("The parameter `%s` is not recognized.", name),
		fmt.Sprintf("未知参数错误：`%s` 不是该接口的参数。", name))
}

func errInvalidParam(name, reasonEn, reasonZh string) *apiError {
	return apiErr(codeInvalidParameter,
		fmt.Sprintf("Invalid parameter `%s`: %s.", name, reasonEn),
		fmt.Sprintf("参数错误：`%s` %s。", name, reasonZh))
}

func errInvalidValue(name, reasonEn, reasonZh string) *apiError {
	return apiErr(codeInvalidParameterValue,
		fmt.Sprintf("Invalid value of parameter `%s`: %s.", name, reasonEn),
		fmt.Sprintf("参数取值错误：`%s` %s。", name, reasonZh))
}

func errInvalidKeyID(id string) *apiError {
	return apiErr(codeInvalidKeyID,
		fmt.Sprintf("The KeyId %q is not a valid KeyId.", truncate(id, 64)),
		fmt.Sprintf("KeyId %q 格式不正确。", truncate(id, 64)))
}

func errCmkNotFound(id string) *apiError {
	return apiErr(codeCmkNotFound,
		fmt.Sprintf("The CMK %s does not exist in this region.", id),
		fmt.Sprintf("CMK %s 在该地域不存在。", id))
}

func errInvalidCiphertext() *apiError {
	return apiErr(codeInvalidCiphertext,
		"The CiphertextBlob is invalid, or the EncryptionContext does not match the one used for encryption.",
		"密文格式不正确，或 EncryptionContext 与加密时不一致。")
}

func errCmkDisabled(id string) *apiError {
	return apiErr(codeCmkDisabled,
		fmt.Sprintf("The CMK %s is disabled or pending deletion.", id),
		fmt.Sprintf("CMK %s 已被禁用或处于计划删除状态。", id))
}

func errStateNotSupport(id, state string) *apiError {
	return apiErr(codeCmkStateNotSupport,
		fmt.Sprintf("The CMK %s is in state %s, which does not allow this operation.", id, state),
		fmt.Sprintf("CMK %s 当前状态为 %s，不支持该操作。", id, state))
}

func errInvalidKeyUsage(id, usage string) *apiError {
	return apiErr(codeInvalidKeyUsage,
		fmt.Sprintf("The KeyUsage %s of CMK %s does not allow this operation.", usage, id),
		fmt.Sprintf("CMK %s 的用途 %s 不支持该操作。", id, usage))
}

func errInternal() *apiError {
	return apiErr(codeInternalError, "Internal error.", "内部错误。")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
