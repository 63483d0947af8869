package service

// The contract with the UI: every type a bound method takes or returns, every enum and
// every event payload lives in this file (events.go names the events). The TypeScript
// side is generated from it: frontend/wailsjs/go/models.ts by Wails (enums through
// EnumBind, see Enums), and frontend/src/api/events.gen.ts by `make bindings` from the
// Events table. Nothing of it is typed by hand in TypeScript; `make check-bindings`
// fails when the committed TypeScript is stale.
//
// JSON field names are camelCase. Times are Unix seconds unless named ...Ms.

import (
	"slices"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/jobs"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/netproxy"
)

// enumValue is one member of an enum as Wails' EnumBind wants it.
type enumValue[T ~string] struct {
	Value  T
	TSName string
}

// valid reports whether v is a member of the enum.
func valid[T ~string](all []enumValue[T], v T) bool {
	for _, e := range all {
		if e.Value == v {
			return true
		}
	}
	return false
}

// ---- enums ----------------------------------------------------------------------
//
// Each enum is a string type, its members, and an All... list for EnumBind (and for
// validating what the UI sends).

type (
	// ProfileKind says which KMS a profile talks to.
	ProfileKind string
	// Language is the UI language preference.
	Language string
	// Theme is the colour scheme preference.
	Theme string
	// Overwrite says what a file job does when an output already exists.
	Overwrite string
	// Decision answers a job's conflict question.
	Decision string
	// JobKind is what a file job does.
	JobKind string
	// JobState is where a file job is.
	JobState string
	// FileStatus is one file's outcome in a job.
	FileStatus string
	// ItemAction is what the Files view would do with a dropped item.
	ItemAction string
	// ItemKind is what a dropped item is.
	ItemKind string
	// ImportPolicy says what importing profiles does with a name that exists.
	ImportPolicy string
	// OpenIntent is what the user asked for when handing files to the app.
	OpenIntent string
	// SlotKind says who can open a key slot of a .kmsenc file (docs/FORMAT.md §1.2).
	SlotKind string
	// Suite is the crypto suite of a .kmsenc file (docs/FORMAT.md §3), or the choice
	// of one for new files.
	Suite string
	// Site is the Tencent Cloud site of an account.
	Site string
	// ProxyMode says how a profile's requests reach the network.
	ProxyMode string
	// WrappingAlgorithm is how imported key material is encrypted on its way to KMS.
	WrappingAlgorithm string
)

// Profile kinds.
const (
	KindLocal   ProfileKind = ProfileKind(credentials.KindLocal)   // the embedded local KMS
	KindTencent ProfileKind = ProfileKind(credentials.KindTencent) // Tencent Cloud KMS or a server speaking its API
)

// UI languages and themes.
const (
	LanguageAuto Language = "auto"
	LanguageZhCN Language = "zh-CN"
	LanguageEn   Language = "en"

	ThemeAuto  Theme = "auto"
	ThemeLight Theme = "light"
	ThemeDark  Theme = "dark"
)

// Overwrite policies and conflict decisions (backend/jobs enforces them).
const (
	OverwriteAsk       Overwrite = Overwrite(jobs.PolicyAsk)
	OverwriteSkip      Overwrite = Overwrite(jobs.PolicySkip)
	OverwriteRename    Overwrite = Overwrite(jobs.PolicyRename)
	OverwriteOverwrite Overwrite = Overwrite(jobs.PolicyOverwrite)

	DecisionOverwrite Decision = Decision(jobs.DecisionOverwrite)
	DecisionSkip      Decision = Decision(jobs.DecisionSkip)
	DecisionRename    Decision = Decision(jobs.DecisionRename)
	DecisionCancel    Decision = Decision(jobs.DecisionCancel)
)

// Job kinds, job states and file outcomes.
const (
	JobEncrypt JobKind = JobKind(jobs.KindEncrypt)
	JobDecrypt JobKind = JobKind(jobs.KindDecrypt)
	JobVerify  JobKind = JobKind(jobs.KindVerify)
	JobRewrap  JobKind = JobKind(jobs.KindRewrap) // change the keys that open files, in place

	JobRunning   JobState = jobs.StateRunning
	JobWaiting   JobState = jobs.StateWaiting // for a conflict decision
	JobDone      JobState = jobs.StateDone
	JobFailed    JobState = jobs.StateFailed // finished with at least one failed file
	JobCancelled JobState = jobs.StateCancelled

	FileDone      FileStatus = jobs.StatusDone
	FileFailed    FileStatus = jobs.StatusFailed
	FileSkipped   FileStatus = jobs.StatusSkipped
	FileCancelled FileStatus = jobs.StatusCancelled
)

// Dropped items: what they are and what the Files view would do with them.
const (
	ActionEncrypt ItemAction = jobs.ActionEncrypt
	ActionDecrypt ItemAction = jobs.ActionDecrypt

	ItemFile     ItemKind = jobs.ItemFile     // a file to encrypt
	ItemFolder   ItemKind = jobs.ItemFolder   // a folder
	ItemEnvelope ItemKind = jobs.ItemEnvelope // a .kmsenc file
	ItemBlob     ItemKind = jobs.ItemBlob     // a file holding a KMS CiphertextBlob

	IntentNone    OpenIntent = ""        // drop, double-click: the content decides
	IntentEncrypt OpenIntent = "encrypt" // "Encrypt with KMS Desk"
	IntentDecrypt OpenIntent = "decrypt" // "Decrypt with KMS Desk"
)

// Import policies.
const (
	ImportReport  ImportPolicy = "report" // import nothing; list the conflicts
	ImportSkip    ImportPolicy = "skip"
	ImportReplace ImportPolicy = "replace"
	ImportRename  ImportPolicy = "rename"
)

// Slot kinds.
const (
	SlotTencent  SlotKind = "tencent"  // Tencent Cloud KMS (or a server speaking its API)
	SlotLocal    SlotKind = "local"    // the local KMS of one computer
	SlotRecovery SlotKind = "recovery" // an offline recovery key
	SlotUnknown  SlotKind = "unknown"  // a newer kind this version cannot use
)

// Crypto suites. A file is "aes" or "sm4"; "auto" chooses the region's standard
// (SM4 in a national-standard region) when encrypting.
const (
	SuiteAuto Suite = Suite(jobs.SuiteAuto)
	SuiteAES  Suite = Suite(jobs.SuiteAES) // AES-256-GCM, suite 0x0001
	SuiteSM4  Suite = Suite(jobs.SuiteSM4) // SM4-GCM (国密), suite 0x0002
)

// Sites and proxy modes (backend/endpoint, backend/netproxy).
const (
	SiteChina Site = Site(endpoint.SiteChina) // the Chinese mainland site (cloud.tencent.com)
	SiteIntl  Site = Site(endpoint.SiteIntl)  // the international site (tencentcloud.com)

	ProxySystem ProxyMode = ProxyMode(netproxy.ModeSystem) // the computer's proxy settings
	ProxyNone   ProxyMode = ProxyMode(netproxy.ModeNone)   // direct, ignoring proxy environment variables
	ProxyManual ProxyMode = ProxyMode(netproxy.ModeManual) // the proxy named in the profile
)

// Wrapping algorithms of imported key material ("" means the default, RSA-OAEP
// SHA-256). SM2 is for national-standard (国密) regions.
const (
	WrappingDefault    WrappingAlgorithm = ""
	WrappingOAEPSHA256 WrappingAlgorithm = kms.WrapRSAOAEPSHA256
	WrappingOAEPSHA1   WrappingAlgorithm = kms.WrapRSAOAEPSHA1
	WrappingSM2        WrappingAlgorithm = kms.WrapSM2
)

// The members of each enum, with the names TypeScript gives them.
var (
	AllProfileKinds = []enumValue[ProfileKind]{{KindLocal, "Local"}, {KindTencent, "Tencent"}}
	AllLanguages    = []enumValue[Language]{{LanguageAuto, "Auto"}, {LanguageZhCN, "ZhCN"}, {LanguageEn, "En"}}
	AllThemes       = []enumValue[Theme]{{ThemeAuto, "Auto"}, {ThemeLight, "Light"}, {ThemeDark, "Dark"}}
	AllOverwrites   = []enumValue[Overwrite]{
		{OverwriteAsk, "Ask"}, {OverwriteSkip, "Skip"}, {OverwriteRename, "Rename"}, {OverwriteOverwrite, "Overwrite"},
	}
	AllDecisions = []enumValue[Decision]{
		{DecisionOverwrite, "Overwrite"}, {DecisionSkip, "Skip"}, {DecisionRename, "Rename"}, {DecisionCancel, "Cancel"},
	}
	AllJobKinds  = []enumValue[JobKind]{{JobEncrypt, "Encrypt"}, {JobDecrypt, "Decrypt"}, {JobVerify, "Verify"}, {JobRewrap, "Rewrap"}}
	AllJobStates = []enumValue[JobState]{
		{JobRunning, "Running"}, {JobWaiting, "Waiting"}, {JobDone, "Done"}, {JobFailed, "Failed"}, {JobCancelled, "Cancelled"},
	}
	AllFileStatuses = []enumValue[FileStatus]{
		{FileDone, "Done"}, {FileFailed, "Failed"}, {FileSkipped, "Skipped"}, {FileCancelled, "Cancelled"},
	}
	AllItemActions    = []enumValue[ItemAction]{{ActionEncrypt, "Encrypt"}, {ActionDecrypt, "Decrypt"}}
	AllItemKinds      = []enumValue[ItemKind]{{ItemFile, "File"}, {ItemFolder, "Folder"}, {ItemEnvelope, "Envelope"}, {ItemBlob, "Blob"}}
	AllOpenIntents    = []enumValue[OpenIntent]{{IntentNone, "None"}, {IntentEncrypt, "Encrypt"}, {IntentDecrypt, "Decrypt"}}
	AllImportPolicies = []enumValue[ImportPolicy]{
		{ImportReport, "Report"}, {ImportSkip, "Skip"}, {ImportReplace, "Replace"}, {ImportRename, "Rename"},
	}
	AllSlotKinds          = []enumValue[SlotKind]{{SlotTencent, "Tencent"}, {SlotLocal, "Local"}, {SlotRecovery, "Recovery"}, {SlotUnknown, "Unknown"}}
	AllSuites             = []enumValue[Suite]{{SuiteAuto, "Auto"}, {SuiteAES, "AES"}, {SuiteSM4, "SM4"}}
	AllSites              = []enumValue[Site]{{SiteChina, "China"}, {SiteIntl, "Intl"}}
	AllProxyModes         = []enumValue[ProxyMode]{{ProxySystem, "System"}, {ProxyNone, "None"}, {ProxyManual, "Manual"}}
	AllWrappingAlgorithms = []enumValue[WrappingAlgorithm]{
		{WrappingDefault, "Default"}, {WrappingOAEPSHA256, "OAEPSHA256"}, {WrappingOAEPSHA1, "OAEPSHA1"}, {WrappingSM2, "SM2"},
	}
)

// Enums returns every enum of the contract for Wails' EnumBind.
func Enums() []any {
	return []any{
		AllProfileKinds, AllLanguages, AllThemes, AllOverwrites, AllDecisions, AllJobKinds, AllJobStates,
		AllFileStatuses, AllItemActions, AllItemKinds, AllImportPolicies, AllOpenIntents, AllSlotKinds, AllSuites,
		AllSites, AllProxyModes, AllWrappingAlgorithms,
	}
}

// ---- keys -----------------------------------------------------------------------

// Key is the metadata of one customer master key (CMK).
type Key struct {
	KeyID           string `json:"keyId"`
	Alias           string `json:"alias"`
	Description     string `json:"description"`
	KeyState        string `json:"keyState"`
	KeyUsage        string `json:"keyUsage"`
	Origin          string `json:"origin"`
	Owner           string `json:"owner"`
	CreateTime      int64  `json:"createTime"`
	RotationEnabled bool   `json:"rotationEnabled"`
	// RotateDays is the automatic rotation period in days (0 for keys that cannot
	// rotate).
	RotateDays     int64 `json:"rotateDays"`
	NextRotateTime int64 `json:"nextRotateTime"`
	// LastRotateTime is when the key's material last rotated (0: never).
	LastRotateTime int64  `json:"lastRotateTime"`
	DeletionDate   int64  `json:"deletionDate"`
	ValidTo        int64  `json:"validTo"`
	ResourceID     string `json:"resourceId"`
	CreatorUin     int64  `json:"creatorUin"`
	// ComplianceType is the service's KeyMetadata.Type: 2 = FIPS-compliant, 4 = SM (国密).
	ComplianceType int64 `json:"complianceType"`
}

// dtos converts a list with f: never nil, so JSON gets [] for an empty list.
func dtos[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func keyDTO(k kms.Key) Key { return Key(k) }

// KeyPage is one page of keys and the number of keys matching.
type KeyPage struct {
	Keys  []Key `json:"keys"`
	Total int   `json:"total"`
}

// ListOptions filters and pages the key list. Zero values mean "no filter".
type ListOptions struct {
	Offset int `json:"offset"`
	// Limit is the page size, 1–200 (0 = the service default of 10).
	Limit int `json:"limit"`
	// Search is a fuzzy match on KeyId or alias.
	Search string `json:"search"`
	// State: 0 all, 1 Enabled, 2 Disabled, 3 PendingDelete, 4 PendingImport, 5 Archived.
	State int `json:"state"`
	// Usage: "" = every usage, or one KeyUsage value.
	Usage          string `json:"usage"`
	OrderAscending bool   `json:"orderAscending"`
	// Origin: "", "TENCENT_KMS" or "EXTERNAL".
	Origin string `json:"origin"`
	// Tags keeps keys that carry one of the values of every given tag key.
	Tags map[string][]string `json:"tags"`
}

// CreateKeyInput describes a new key.
type CreateKeyInput struct {
	Alias       string `json:"alias"`
	Description string `json:"description"`
	// Usage is a KeyUsage value; "" = ENCRYPT_DECRYPT.
	Usage string            `json:"usage"`
	Tags  map[string]string `json:"tags"`
	// External creates a key whose material the user imports (bring your own key):
	// Origin EXTERNAL, state PendingImport until ImportMaterial. ENCRYPT_DECRYPT only.
	External bool `json:"external"`
}

// MaterialFile is a key material file the user picked, as read and checked in Go
// (the material itself never reaches the UI).
type MaterialFile struct {
	// Path is "" when the user cancelled the dialog.
	Path string `json:"path"`
	Name string `json:"name"`
	// Bits is the size of the material in the file: 128 or 256 (0 with a Problem).
	Bits int `json:"bits"`
	// WantBits is what the key's region imports: 128 (SM4, national-standard regions)
	// or 256 (AES-256).
	WantBits int `json:"wantBits"`
	// Problem is the code of what is wrong with the file ("" = it can be imported).
	Problem string `json:"problem"`
}

// ImportMaterialInput imports a key material file into an EXTERNAL key.
type ImportMaterialInput struct {
	KeyID string `json:"keyId"`
	// Path is the material file: raw 16 or 32 bytes, or their hex or base64 text.
	Path string `json:"path"`
	// ValidTo is when the material expires (Unix seconds); 0 = never.
	ValidTo  int64             `json:"validTo"`
	Wrapping WrappingAlgorithm `json:"wrapping"`
}

// PublicKey is the public half of an asymmetric key.
type PublicKey struct {
	KeyID string `json:"keyId"`
	// DER is base64 of the DER SubjectPublicKeyInfo.
	DER string `json:"der"`
	PEM string `json:"pem"`
}

// Algorithm is one (KeyUsage, Algorithm) pair a region offers.
type Algorithm struct {
	KeyUsage  string `json:"keyUsage"`
	Algorithm string `json:"algorithm"`
}

// Algorithms lists what the region offers.
type Algorithms struct {
	Symmetric   []Algorithm `json:"symmetric"`
	AsymDecrypt []Algorithm `json:"asymmetricDecrypt"`
	AsymSign    []Algorithm `json:"asymmetricSign"`
	// NationalStandard: a national-standard (国密) region, whose symmetric keys are SM4.
	NationalStandard bool `json:"nationalStandard"`
}

func algorithmDTO(a kms.Algorithm) Algorithm { return Algorithm(a) }

// SignInput is a message to sign or verify with an asymmetric key.
type SignInput struct {
	KeyID     string `json:"keyId"`
	Algorithm string `json:"algorithm"`
	// Message is UTF-8 text signed as RAW (≤ 4096 bytes) unless File is set.
	Message string `json:"message"`
	// File, when set, is signed by its digest (MessageType DIGEST): SHA-384 for
	// ECDSA384_SHA384, SHA-256 otherwise; "?" lets the user pick the file.
	File string `json:"file"`
	// Signature (base64) is checked by Verify.
	Signature string `json:"signature"`
}

// SignResult is a signature and what was signed.
type SignResult struct {
	Signature   string `json:"signature"` // base64
	MessageType string `json:"messageType"`
	Digest      string `json:"digest"` // hex digest of the file, for DIGEST
	File        string `json:"file"`
	Valid       bool   `json:"valid"` // for Verify
}

// ---- text -----------------------------------------------------------------------

// ContextPair is one key/value row of an EncryptionContext.
type ContextPair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TextEncryptInput is text (or base64 bytes) to encrypt with a key.
type TextEncryptInput struct {
	KeyID string `json:"keyId"`
	// Text is UTF-8 text, or base64 when IsBase64 is set.
	Text     string        `json:"text"`
	IsBase64 bool          `json:"isBase64"`
	Context  []ContextPair `json:"context"`
}

// TextEncryptResult is the CiphertextBlob and the key that made it.
type TextEncryptResult struct {
	Blob  string `json:"blob"`
	KeyID string `json:"keyId"`
	Bytes int    `json:"bytes"` // plaintext size
}

// TextDecryptInput is a CiphertextBlob and the EncryptionContext it was made with.
type TextDecryptInput struct {
	Blob    string        `json:"blob"`
	Context []ContextPair `json:"context"`
}

// TextDecryptResult is the decrypted plaintext.
type TextDecryptResult struct {
	KeyID string `json:"keyId"`
	// Text is the plaintext when it is UTF-8 text; IsText says whether it is.
	Text   string `json:"text"`
	IsText bool   `json:"isText"`
	// Base64 is the plaintext in base64, always set.
	Base64 string `json:"base64"`
	Bytes  int    `json:"bytes"`
}

// OpenedBlob is a ciphertext read from a blob file.
type OpenedBlob struct {
	Path string `json:"path"`
	Blob string `json:"blob"`
}

// ---- app ------------------------------------------------------------------------

// Window is the remembered window geometry (0 = unknown).
type Window struct {
	Width     int  `json:"width"`
	Height    int  `json:"height"`
	X         int  `json:"x"`
	Y         int  `json:"y"`
	Maximised bool `json:"maximised"`
}

// Preferences are the user's settings that are not about connections.
type Preferences struct {
	Language Language `json:"language"`
	Theme    Theme    `json:"theme"`
	// OutputDir is the default folder for file results; "" = next to the originals.
	OutputDir string `json:"outputDir"`
	// LastKeyID is the key last used for files and text.
	LastKeyID string `json:"lastKeyId"`
	// Overwrite is the default overwrite policy for file jobs.
	Overwrite Overwrite `json:"overwrite"`
	Window    Window    `json:"window"`
	// LocalIntroSeen: the user closed the explanation of what the local KMS is.
	LocalIntroSeen bool `json:"localIntroSeen"`
	// LocalWarningOff: "don't show again" on the warning before encrypting files with
	// the local KMS.
	LocalWarningOff bool `json:"localWarningOff"`
	// Recovery are offline recovery recipients (age1…) the Files view adds to every
	// encryption, besides the profile's.
	Recovery []string `json:"recovery"`
}

// AppInfo describes the running app (About box).
type AppInfo struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	ConfigDir string `json:"configDir"`
	LogFile   string `json:"logFile"`
}

// UIReady is what the UI reports when a view has drawn new data (AppService.UIReady).
type UIReady struct {
	// View is the view drawn ("keys", "files").
	View string `json:"view"`
	// Rows is how many rows of data the view drew (keys in the list, staged items).
	Rows int `json:"rows"`
	// Marks are the UI's startup phases in the order they ended (logged at debug level).
	Marks []UIMark `json:"marks"`
}

// UIMark is a moment of the UI's startup: what had just happened and when, in Unix
// milliseconds of the UI's clock (performance.timeOrigin + performance.now()).
type UIMark struct {
	Name string  `json:"name"`
	AtMs float64 `json:"atMs"`
}

// ---- settings -------------------------------------------------------------------

// Profile is a named connection, without any secret.
type Profile struct {
	// Name is 1–64 characters from letters, digits, '-', '_' and '.'.
	Name   string      `json:"name"`
	Kind   ProfileKind `json:"kind"`
	Region string      `json:"region"`
	// Endpoint is a host (HTTPS) or a URL; empty for kind local.
	Endpoint string `json:"endpoint"`
	// SecretIDMasked is the stored SecretId with its middle hidden ("AKID****abcd").
	SecretIDMasked string `json:"secretIdMasked"`
	TimeoutSeconds int    `json:"timeoutSeconds"`
	// Language of the service's error messages: "zh-CN" or "en-US".
	Language string `json:"language"`
	// HasSecret reports whether long-term keys are stored.
	HasSecret bool `json:"hasSecret"`
	// SecretStorage is "keychain", "session" or "" (no secret).
	SecretStorage string `json:"secretStorage"`
	// SessionOnly: the secret lives in memory only (no keychain) and is lost on exit.
	SessionOnly bool `json:"sessionOnly"`
	// Temporary describes temporary (STS) credentials, if the profile uses them.
	Temporary *TempInfo `json:"temporary"`
	// Recovery are offline recovery recipients ("age1…") that get a slot in every file
	// encrypted with this profile (docs/RECOVERY.md).
	Recovery []string `json:"recovery"`
	// Suite is the default crypto suite of the files this profile encrypts.
	Suite Suite `json:"suite"`
	// Site is the Tencent Cloud site of the account ("" for kind local).
	Site Site `json:"site"`
	// AutoEndpoint: Endpoint is the default of Site and Region; a profile saved with an
	// empty endpoint keeps following them.
	AutoEndpoint bool `json:"autoEndpoint"`
	// Proxy says how requests reach the network.
	Proxy ProxySetting `json:"proxy"`
	// InsecureHTTP: the user accepted plain http:// to another computer.
	InsecureHTTP bool `json:"insecureHttp"`
	// PlainHTTP (derived): requests to Endpoint cross the network unencrypted (http://
	// to another computer); the UI warns wherever the profile is shown.
	PlainHTTP bool `json:"plainHttp"`
}

// ProxySetting is a profile's proxy, never with its password.
type ProxySetting struct {
	Mode ProxyMode `json:"mode"`
	// URL is the manual proxy ("http://proxy.corp:3128"); "" for other modes.
	URL      string `json:"url"`
	Username string `json:"username"`
	// HasPassword: a proxy password is stored; PasswordStorage is "keychain" or "session".
	HasPassword     bool   `json:"hasPassword"`
	PasswordStorage string `json:"passwordStorage"`
}

// settings are the stored settings of p (the derived fields stay behind).
func (p Profile) settings() credentials.Settings {
	return credentials.Settings{Kind: credentials.Kind(p.Kind), Region: p.Region, Endpoint: p.Endpoint,
		TimeoutSeconds: p.TimeoutSeconds, Language: p.Language, Recovery: p.Recovery, Suite: string(p.Suite),
		Site: endpoint.Site(p.Site), InsecureHTTP: p.InsecureHTTP,
		Proxy: credentials.Proxy{Mode: netproxy.Mode(p.Proxy.Mode), URL: p.Proxy.URL, Username: p.Proxy.Username}}
}

// TempInfo describes a profile's temporary credentials (never the token itself).
type TempInfo struct {
	RoleArn         string `json:"roleArn"`
	RoleSessionName string `json:"roleSessionName"`
	DurationSeconds int    `json:"durationSeconds"`
	// Expiry is when they expire (Unix seconds); 0 = unknown.
	Expiry         int64 `json:"expiry"`
	HasCredentials bool  `json:"hasCredentials"`
	SecondsLeft    int64 `json:"secondsLeft"`
	// Storage is "keychain" or "session".
	Storage string `json:"storage"`
}

func profileDTO(p credentials.Profile) Profile {
	out := Profile{Name: p.Name, Kind: ProfileKind(p.Kind), Region: p.Region, Endpoint: p.Endpoint,
		SecretIDMasked: p.SecretIDMasked, TimeoutSeconds: p.TimeoutSeconds, Language: p.Language,
		HasSecret: p.HasSecret, SecretStorage: p.SecretStorage, SessionOnly: p.SessionOnly, Recovery: p.Recovery, Suite: Suite(p.Suite),
		Site: Site(p.Site), InsecureHTTP: p.InsecureHTTP, Proxy: ProxySetting{Mode: ProxyMode(p.Proxy.Mode), URL: p.Proxy.URL,
			Username: p.Proxy.Username, HasPassword: p.Proxy.HasPassword, PasswordStorage: p.Proxy.PasswordStorage}}
	if out.Suite == "" {
		out.Suite = SuiteAuto
	}
	if out.Recovery == nil {
		out.Recovery = []string{}
	}
	if p.Kind == credentials.KindTencent {
		out.AutoEndpoint = p.Endpoint == credentials.DefaultEndpointFor(p.Site, p.Region)
		ep, err := endpoint.Parse(p.Endpoint)
		out.PlainHTTP = err == nil && ep.IsPlainHTTPRemote()
	}
	if t := p.Temporary; t != nil {
		out.Temporary = &TempInfo{RoleArn: t.RoleArn, RoleSessionName: t.RoleSessionName, DurationSeconds: t.DurationSeconds,
			HasCredentials: t.HasCredentials, SecondsLeft: t.SecondsLeft, Storage: t.Storage}
		if !t.Expiry.IsZero() {
			out.Temporary.Expiry = t.Expiry.Unix()
		}
	}
	return out
}

// ProfileInput is a profile to save with, optionally, a new API key pair. An empty
// SecretKey keeps the stored pair; a new SecretID alone is refused. An empty
// ProxyPassword keeps the stored proxy password (while the proxy user stays the same).
type ProfileInput struct {
	Profile       Profile `json:"profile"`
	SecretID      string  `json:"secretId"`
	SecretKey     string  `json:"secretKey"`
	ProxyPassword string  `json:"proxyPassword"`
}

// TemporaryInput is a set of temporary credentials entered by hand.
type TemporaryInput struct {
	Name      string `json:"name"`
	SecretID  string `json:"secretId"`
	SecretKey string `json:"secretKey"`
	Token     string `json:"token"`
	// Expiry is Unix seconds; 0 = unknown.
	Expiry int64 `json:"expiry"`
}

// TestResult is the outcome of a connection test.
type TestResult struct {
	OK        bool   `json:"ok"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	LatencyMs int64  `json:"latencyMs"`
	KeyCount  int    `json:"keyCount"`
	Region    string `json:"region"`
	// ServiceEnabled is false when KMS is not activated for the account.
	ServiceEnabled bool `json:"serviceEnabled"`
}

// Region is a region for the picker.
type Region struct {
	ID     string `json:"id"`
	NameZH string `json:"nameZh"`
	NameEN string `json:"nameEn"`
}

// KeychainStatus says whether the OS keychain answers, and what to do if not.
type KeychainStatus struct {
	Available bool `json:"available"`
	// Backend names the keychain ("Secret Service", "Windows Credential Manager", …).
	Backend string `json:"backend"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

// ImportResult is what importing profiles did.
type ImportResult struct {
	Imported  []string          `json:"imported"`
	Replaced  []string          `json:"replaced"`
	Skipped   []string          `json:"skipped"`
	Renamed   map[string]string `json:"renamed"`
	Conflicts []string          `json:"conflicts"`
}

// BackupResult is what backing up the local KMS's keys did.
type BackupResult struct {
	// Path is the file written; "" when the user cancelled the save dialog.
	Path string `json:"path"`
	// Keys and Credentials count the keys and API key pairs in the backup.
	Keys        int `json:"keys"`
	Credentials int `json:"credentials"`
	// Instances are the local KMS ids the backup carries (this computer's first).
	Instances []string `json:"instances"`
}

// RestoreResult is what restoring a backup of local keys did.
type RestoreResult struct {
	// Path is the backup file; "" when the user cancelled the open dialog.
	Path string `json:"path"`
	// KeysAdded are the KeyIds added; KeysPresent those that were here already (with
	// the same material; VersionsAdded newer material versions were added to them).
	KeysAdded     []string `json:"keysAdded"`
	KeysPresent   []string `json:"keysPresent"`
	VersionsAdded int      `json:"versionsAdded"`
	// AliasesAdded are the aliases of the keys added.
	AliasesAdded     []string `json:"aliasesAdded"`
	CredentialsAdded int      `json:"credentialsAdded"`
	// Instances are the backup's local KMS ids; files made with them decrypt here now.
	Instances []string `json:"instances"`
}

func restoreResultDTO(path string, r LocalRestore) RestoreResult {
	return RestoreResult{Path: path, KeysAdded: r.KeysAdded, KeysPresent: r.KeysPresent, VersionsAdded: r.VersionsAdded,
		AliasesAdded: r.AliasesAdded, CredentialsAdded: r.CredentialsAdded, Instances: r.Instances}
}

// ---- files ----------------------------------------------------------------------

// Item is one dropped path as the Files view shows it.
type Item struct {
	Path  string `json:"path"`
	Name  string `json:"name"`
	IsDir bool   `json:"isDir"`
	// Size is the file size, or the total of the regular files under a folder.
	Size int64 `json:"size"`
	// Files is the number of regular files under a folder (1 for a file).
	Files     int        `json:"files"`
	Action    ItemAction `json:"action"`
	Kind      ItemKind   `json:"kind"`
	ErrorCode string     `json:"errorCode"`
	// EncryptAnyway: the item cannot be used as it is, but the user may choose to
	// encrypt it (EncryptRequest.Force): a file named .kmsenc that is not one.
	EncryptAnyway bool `json:"encryptAnyway"`
	// Forced: the item is a file named .kmsenc that the user asked to encrypt
	// ("Encrypt with KMS Desk", OpenFiles.Intent encrypt), so it is to be encrypted
	// with EncryptRequest.Force; Kind envelope says it is already an encrypted file.
	// The UI also sets it when the user chooses "Encrypt anyway".
	Forced bool `json:"forced"`
}

func itemDTO(c jobs.Classification) Item {
	return Item{Path: c.Path, Name: c.Name, IsDir: c.IsDir, Size: c.Size, Files: c.Files,
		Action: ItemAction(c.Action), Kind: ItemKind(c.Kind), ErrorCode: c.ErrorCode, EncryptAnyway: c.EncryptAnyway, Forced: c.Forced}
}

// EncryptRequest asks to encrypt files and folders (folders recursively).
type EncryptRequest struct {
	Paths []string `json:"paths"`
	// KeyID is a KeyId or an alias of the current region.
	KeyID string `json:"keyId"`
	// BackupKeyIDs get a copy of each data key: "KEYID", an alias, or "REGION:KEYID".
	BackupKeyIDs []string      `json:"backupKeyIds"`
	Context      []ContextPair `json:"context"`
	// OutputDir is where outputs go, mirroring folders; "" = next to each original.
	OutputDir string    `json:"outputDir"`
	Overwrite Overwrite `json:"overwrite"`
	// RemoveOriginals deletes each original after its encrypted file was verified.
	RemoveOriginals bool `json:"removeOriginals"`
	// Direct writes files of 1–4096 bytes as plain CiphertextBlob files (.kmsblob).
	Direct bool `json:"direct"`
	// Recovery are offline recovery recipients (age1…) that get a slot in every file,
	// besides those of the profile.
	Recovery []string `json:"recovery"`
	// Force encrypts files named .kmsenc that are not encrypted files (the user chose
	// "Encrypt anyway"); without it they fail with File.NamedEncrypted.
	Force bool `json:"force"`
	// Suite is the crypto suite of the files; "" = the profile's default.
	Suite Suite `json:"suite"`
	// SkipCurrent skips files that already have an up-to-date encrypted copy where
	// their output would go (NAME.kmsenc promising the file's size, newer than the
	// file): they report skipped with File.UpToDate.
	SkipCurrent bool `json:"skipCurrent"`
}

// DecryptRequest asks to decrypt files and folders (the encrypted files in them).
type DecryptRequest struct {
	Paths     []string  `json:"paths"`
	OutputDir string    `json:"outputDir"`
	Overwrite Overwrite `json:"overwrite"`
	// RequireContext are pairs a .kmsenc file's encryption context must hold; for a
	// CiphertextBlob file they are the encryption context sent to KMS.
	RequireContext []ContextPair `json:"requireContext"`
	// IdentityFile is a recovery key file: files with a slot for one of its keys open
	// with it, without KMS.
	IdentityFile string `json:"identityFile"`
	// Force lets overwrite replace any existing file; without it a decrypted file
	// replaces only the name its own file name gives, never a dot-file
	// (File.WouldReplace).
	Force bool `json:"force,omitempty"`
}

// RewrapRequest asks to change which keys open encrypted files (in place; the data
// stays as it is).
type RewrapRequest struct {
	Paths []string `json:"paths"`
	// To replaces every KMS key of each file by these keys (KeyIds, aliases of the
	// profile's region, or REGION:KEYID); recovery keys stay.
	To []string `json:"to"`
	// Add are keys that get a slot besides the present ones.
	Add []string `json:"add"`
	// Remove are keys whose slots go: KeyIds, aliases, recovery key ids (age:…) or
	// recipients (age1…). Removing a file's last slot is refused.
	Remove []string `json:"remove"`
	// AddRecovery are offline recovery recipients (age1…) to add.
	AddRecovery []string `json:"addRecovery"`
	// Profile is the profile of the keys in To and Add ("" = the current one). With To,
	// its recovery recipients are added too.
	Profile string `json:"profile"`
	// IdentityFile is a recovery key file that opens the files when their KMS cannot.
	IdentityFile string `json:"identityFile"`
}

// RecoveryKey is a newly made offline recovery key.
type RecoveryKey struct {
	// Recipient is the public half (age1…): what profiles and files list.
	Recipient string `json:"recipient"`
	// KeyID is how files name it: "age:" and 16 hex digits.
	KeyID string `json:"keyId"`
	// Path is where the secret half was saved; "" when the user cancelled.
	Path string `json:"path"`
	// Identity is the secret half (AGE-SECRET-KEY-1…), returned once for the print
	// view; the app keeps no copy.
	Identity    string `json:"identity"`
	PostQuantum bool   `json:"postQuantum"`
}

// RecoveryKeyFile is a recovery key file the user chose.
type RecoveryKeyFile struct {
	// Path is "" when the user cancelled.
	Path string `json:"path"`
	// KeyIDs are the recovery key ids (age:…) of the keys in the file.
	KeyIDs []string `json:"keyIds"`
}

// JobInfo describes a started job.
type JobInfo struct {
	ID    string  `json:"id"`
	Kind  JobKind `json:"kind"`
	Files int     `json:"files"`
	Bytes int64   `json:"bytes"`
}

func jobInfoDTO(i jobs.Info) JobInfo {
	return JobInfo{ID: i.ID, Kind: JobKind(i.Kind), Files: i.Files, Bytes: i.Bytes}
}

// JobProgress is a snapshot of a file job: the payload of job:progress (about every
// 100 ms while it runs, and once at its end) and what Jobs lists.
type JobProgress struct {
	ID         string   `json:"id"`
	Kind       JobKind  `json:"kind"`
	State      JobState `json:"state"`
	FilesDone  int      `json:"filesDone"`
	FilesTotal int      `json:"filesTotal"`
	BytesDone  int64    `json:"bytesDone"`
	BytesTotal int64    `json:"bytesTotal"`
	// Done, Failed, Skipped and Cancelled count finished files by outcome.
	Done      int `json:"done"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
	Cancelled int `json:"cancelled"`
	// BytesPerSec is the rate over the last seconds (the average once the job ended);
	// 0 while unknown.
	BytesPerSec float64 `json:"bytesPerSec"`
	// EtaSeconds is the estimated time left; -1 while unknown.
	EtaSeconds float64 `json:"etaSeconds"`
	// Current is the file in progress, or null.
	Current *CurrentFile `json:"current"`
	// StartedMs is when the job started, Unix milliseconds.
	StartedMs int64 `json:"startedMs"`
	// Seconds is how long the job has run.
	Seconds float64 `json:"seconds"`
}

// CurrentFile is the file a job works on.
type CurrentFile struct {
	Path       string `json:"path"`
	BytesDone  int64  `json:"bytesDone"`
	BytesTotal int64  `json:"bytesTotal"`
}

func jobProgressDTO(p jobs.Progress) JobProgress {
	out := JobProgress{ID: p.ID, Kind: JobKind(p.Kind), State: JobState(p.State), FilesDone: p.FilesDone,
		FilesTotal: p.FilesTotal, BytesDone: p.BytesDone, BytesTotal: p.BytesTotal, Done: p.Done, Failed: p.Failed,
		Skipped: p.Skipped, Cancelled: p.Cancelled, BytesPerSec: p.BytesPerSec, EtaSeconds: p.EtaSeconds,
		StartedMs: p.Started.UnixMilli(), Seconds: p.Seconds}
	if c := p.Current; c != nil {
		out.Current = &CurrentFile{Path: c.Path, BytesDone: c.BytesDone, BytesTotal: c.BytesTotal}
	}
	return out
}

// JobFile is one file's outcome: the payload of job:file (once per file).
type JobFile struct {
	ID     string     `json:"id"`
	Path   string     `json:"path"`
	Output string     `json:"output"`
	Status FileStatus `json:"status"`
	// ErrorCode and Message say why a file failed or was skipped.
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
	// KeyID is, for a file no key opened, the first key tried (a KMS KeyId or a
	// recovery key id), so the UI can name it.
	KeyID string `json:"keyId"`
	// Recoverable: that file has a recovery slot, so a recovery key file opens it.
	Recoverable bool `json:"recoverable"`
	// Subject is the file or folder the error is about when it is not this file: the
	// output folder that could not be written (File.PermissionDenied), the encrypted
	// copy that is up to date (File.UpToDate); "" otherwise.
	Subject string `json:"subject"`
}

func jobFileDTO(f jobs.FileResult) JobFile {
	out := JobFile{ID: f.ID, Path: f.Path, Output: f.Output, Status: FileStatus(f.Status), ErrorCode: f.ErrorCode, Message: f.Message,
		Recoverable: f.Recoverable, Subject: f.Subject}
	if f.Key != nil {
		out.KeyID = f.Key.KeyID
	}
	return out
}

// JobConflict asks what to do about an existing output: the payload of job:conflict
// (overwrite "ask"). The job waits for FileService.ResolveConflict.
type JobConflict struct {
	ID     string `json:"id"`
	Path   string `json:"path"`
	Output string `json:"output"`
}

// JobSummary is the end of a job: the payload of job:done (once per job).
type JobSummary struct {
	ID        string   `json:"id"`
	Kind      JobKind  `json:"kind"`
	State     JobState `json:"state"`
	Done      int      `json:"done"`
	Failed    int      `json:"failed"`
	Skipped   int      `json:"skipped"`
	Cancelled int      `json:"cancelled"`
	// Bytes is the plaintext size of the files done.
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	// BytesPerSec is the average rate of the job.
	BytesPerSec float64 `json:"bytesPerSec"`
	// Final is the job's last progress (events may arrive out of order: this one is
	// the job's end for certain).
	Final JobProgress `json:"final"`
}

func jobSummaryDTO(s jobs.Summary) JobSummary {
	return JobSummary{ID: s.ID, Kind: JobKind(s.Kind), State: JobState(s.State), Done: s.Done, Failed: s.Failed,
		Skipped: s.Skipped, Cancelled: s.Cancelled, Bytes: s.Bytes, Seconds: s.Seconds, BytesPerSec: s.BytesPerSec,
		Final: jobProgressDTO(s.Final)}
}

// JobReport is everything known about one job: its progress, its files so far (every
// problem, and the first 1,000 successes), the conflict it waits on and its summary
// (for a UI that was reloaded while jobs ran).
type JobReport struct {
	Progress JobProgress  `json:"progress"`
	Files    []JobFile    `json:"files"`
	Conflict *JobConflict `json:"conflict"`
	// Done is the job's summary once it ended, or null.
	Done *JobSummary `json:"done"`
}

// InspectionKey is one key slot of a .kmsenc file: a key that can open it.
type InspectionKey struct {
	Kind SlotKind `json:"kind"`
	// KeyID is the CMK id, or for a recovery key "age:" and 16 hex digits.
	KeyID string `json:"keyId"`
	// Region is the KMS region ("" for a recovery key).
	Region string `json:"region"`
	// Instance is the id of the local KMS that holds the key (kind local).
	Instance string `json:"instance"`
	// ThisComputer is true when Instance is this computer's local KMS (or a backup
	// restored into it): the key can be used here.
	ThisComputer bool `json:"thisComputer"`
}

// inspectionKey describes a slot; local are the local KMS's instance ids.
func inspectionKey(s envelope.Slot, local []string) InspectionKey {
	k := InspectionKey{KeyID: s.KeyID, Region: s.Region}
	switch s.Type {
	case envelope.SlotTencentKMS:
		k.Kind = SlotTencent
	case envelope.SlotRecovery:
		k.Kind = SlotRecovery
	case envelope.SlotLocalKMS:
		k.Kind = SlotLocal
		k.Instance, k.Region, _ = envelope.SplitLocalRegion(s.Region)
		k.ThisComputer = slices.Contains(local, k.Instance)
	default:
		k.Kind = SlotUnknown
	}
	return k
}

// Inspection is what an encrypted file's header says, read without KMS. Nothing in it
// is authenticated until the file is decrypted or verified.
type Inspection struct {
	Path string `json:"path"`
	// Kind is envelope (.kmsenc) or blob (nothing more is readable without KMS).
	Kind ItemKind `json:"kind"`
	// Size is the file size in bytes.
	Size int64 `json:"size"`
	// Version and Suite of a .kmsenc file ("aes" or "sm4"; "" for a blob).
	Version           int             `json:"version"`
	Suite             Suite           `json:"suite"`
	Keys              []InspectionKey `json:"keys"`
	EncryptionContext string          `json:"encryptionContext"`
	// PlaintextSize is the exact size of the decrypted file (-1 for a blob: unknown).
	PlaintextSize int64  `json:"plaintextSize"`
	Creator       string `json:"creator"`
	// HasMetadata says whether the original name, time and mode travel inside.
	HasMetadata bool `json:"hasMetadata"`
}

// InventoryEntry is one encrypted file KMS Desk wrote or re-wrapped on this computer
// (the inventory, docs/FILES.md): where it is and which keys open it.
type InventoryEntry struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	// Time is the file's modification time, Unix seconds.
	Time int64 `json:"time"`
	// Recorded is when KMS Desk wrote or re-wrapped it, Unix seconds.
	Recorded int64 `json:"recorded"`
	// Offline: the file's folder was not there when the list was read (a drive that
	// is not connected); the entry is kept for 90 days.
	Offline bool            `json:"offline"`
	Keys    []InspectionKey `json:"keys"`
}

// Dependents are the known files on this computer that a KMS key opens.
type Dependents struct {
	KeyID string `json:"keyId"`
	// Count is how many known files the key opens.
	Count int `json:"count"`
	// Only is how many of them no other key (nor a recovery key) opens: they cannot be
	// decrypted while the key is disabled, and are lost once it is deleted.
	Only int `json:"only"`
	// Files are those files, the ones only this key opens first, then by path.
	Files []DependentFile `json:"files"`
}

// DependentFile is one file a key opens.
type DependentFile struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	// Time is the file's modification time, Unix seconds.
	Time int64 `json:"time"`
	// Only: no other key opens it.
	Only    bool `json:"only"`
	Offline bool `json:"offline"`
}

// ---- events ---------------------------------------------------------------------

// OpenFiles is the payload of app:open-files: files dropped on the window, given on
// the command line, handed over by a second launch or by the OS, classified.
type OpenFiles struct {
	Items  []Item     `json:"items"`
	Intent OpenIntent `json:"intent"`
}

// CloseRequest is the payload of app:confirm-close: the window was closed while jobs
// run; the UI asks and calls AppService.Quit.
type CloseRequest struct {
	Running int `json:"running"`
}
