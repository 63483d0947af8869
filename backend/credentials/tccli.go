package credentials

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// Environment variables read by [Store.ImportEnv] (the names the Tencent
// Cloud SDKs and tccli use).
const (
	EnvSecretID     = "TENCENTCLOUD_SECRET_ID"
	EnvSecretKey    = "TENCENTCLOUD_SECRET_KEY"
	EnvSessionToken = "TENCENTCLOUD_SESSION_TOKEN"
	EnvRegion       = "TENCENTCLOUD_REGION"
)

// maxTCCLIFileBytes bounds a tccli file we are willing to read.
const maxTCCLIFileBytes = 1 << 20

// ImportEnv creates a tencent profile called name from TENCENTCLOUD_SECRET_ID,
// TENCENTCLOUD_SECRET_KEY, and optionally TENCENTCLOUD_SESSION_TOKEN (then
// the keys are temporary credentials of unknown expiry) and
// TENCENTCLOUD_REGION. An existing profile is never overwritten
// (Profile.Exists).
func (s *Store) ImportEnv(name string) (Profile, error) {
	op := "import credentials from environment"
	id, key := strings.TrimSpace(s.getenv(EnvSecretID)), strings.TrimSpace(s.getenv(EnvSecretKey))
	if id == "" || key == "" {
		return Profile{}, newErr(CodeEnvMissing, op, EnvSecretID+" and "+EnvSecretKey+" must both be set", nil)
	}
	p := Profile{Name: name, Settings: Settings{Kind: KindTencent, Region: strings.TrimSpace(s.getenv(EnvRegion))}}
	token := strings.TrimSpace(s.getenv(EnvSessionToken))
	return s.importKeys(p, kms.Credentials{SecretID: id, SecretKey: key, Token: token}, nil)
}

// importKeys creates profile p (never overwriting) with long-term keys, or,
// when c.Token is set, with temporary credentials. role, if set, records a
// role to assume with the long-term keys.
func (s *Store) importKeys(p Profile, c kms.Credentials, role *roleInfo) (Profile, error) {
	if c.Token == "" {
		if _, err := s.save(p, &Secret{SecretID: c.SecretID, SecretKey: c.SecretKey}, true); err != nil {
			return Profile{}, err
		}
		if role != nil {
			if err := s.setRole(p.Name, *role); err != nil {
				_ = s.Delete(p.Name)
				return Profile{}, err
			}
		}
		return s.Get(p.Name)
	}
	// Check the temporary credentials before creating anything.
	if err := validateSecret("import temporary credentials", c.SecretID, c.SecretKey); err != nil {
		return Profile{}, err
	}
	if err := validateToken(c.Token, MaxTokenLen); err != nil {
		return Profile{}, newErr(CodeSecretInvalid, "import temporary credentials", "token "+err.Error(), nil)
	}
	if _, err := s.save(p, nil, true); err != nil {
		return Profile{}, err
	}
	if err := s.SetTemporary(p.Name, c); err != nil {
		_ = s.Delete(p.Name)
		return Profile{}, err
	}
	return s.Get(p.Name)
}

// setRole records a role on a profile without obtaining credentials; the
// first Credentials call assumes it.
func (s *Store) setRole(name string, role roleInfo) error {
	return s.update(name, func(_ *configFile, rec *profileRecord) (func(), error) {
		rec.Temporary = rec.withRole(&role)
		return nil, nil
	})
}

// tccliCredential is the content of ~/.tccli/<profile>.credential.
type tccliCredential struct {
	SecretID        string
	SecretKey       string
	Token           string
	Type            string
	RoleArn         string
	RoleSessionName string
}

// parseTCCLICredential parses a tccli credential file: a JSON object with
// "secretId", "secretKey", optional "token", optional "type" ("default",
// "cvm-role", "oauth", "sso") and optional "role-arn" / "role-session-name".
// tccli writes the string "None" for values the user left empty.
func parseTCCLICredential(data []byte) (tccliCredential, error) {
	const op = "parse tccli credential file"
	m, err := decodeTCCLIFile(op, data)
	if err != nil {
		return tccliCredential{}, err
	}
	var c tccliCredential
	if err := stringFields(m, "", map[string]*string{
		"secretId": &c.SecretID, "secretKey": &c.SecretKey, "token": &c.Token,
		"type": &c.Type, "role-arn": &c.RoleArn, "role-session-name": &c.RoleSessionName,
	}); err != nil {
		return tccliCredential{}, newErr(CodeTCCLIInvalid, op, err.Error(), nil)
	}
	switch c.Type {
	case "", "default":
	default:
		return tccliCredential{}, newErr(CodeTCCLIUnsupported, op, fmt.Sprintf("credential type %q cannot be imported", c.Type), nil)
	}
	if c.SecretID == "" || c.SecretKey == "" {
		return tccliCredential{}, newErr(CodeTCCLIInvalid, op, "secretId and secretKey must both be set", nil)
	}
	return c, nil
}

// tccliConfigure is what we use from ~/.tccli/<profile>.configure.
type tccliConfigure struct {
	Region      string
	Language    string
	KMSEndpoint string
}

// parseTCCLIConfigure parses a tccli configure file: a JSON object whose
// "_sys_param" object holds "region", "output", "language" (older files
// have them at the top level) and with one object per service, e.g.
// "kms": {"endpoint": "kms.tencentcloudapi.com", "version": "2019-01-18"}.
func parseTCCLIConfigure(data []byte) (tccliConfigure, error) {
	const op = "parse tccli configure file"
	m, err := decodeTCCLIFile(op, data)
	if err != nil {
		return tccliConfigure{}, err
	}
	var c tccliConfigure
	sys, err := optionalObject(m, "_sys_param")
	if sys == nil {
		sys = m
	}
	kms, kmsErr := optionalObject(m, "kms")
	err = cmp.Or(err, kmsErr,
		stringFields(sys, "", map[string]*string{"region": &c.Region, "language": &c.Language}),
		stringFields(kms, "kms.", map[string]*string{"endpoint": &c.KMSEndpoint}))
	if err != nil {
		return tccliConfigure{}, newErr(CodeTCCLIInvalid, op, err.Error(), nil)
	}
	return c, nil
}

// decodeTCCLIFile parses a tccli file, a JSON object; errors are TCCLI.Invalid.
func decodeTCCLIFile(op string, data []byte) (map[string]any, error) {
	if len(data) > maxTCCLIFileBytes {
		return nil, newErr(CodeTCCLIInvalid, op, "file is larger than 1 MiB", nil)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return nil, newErr(CodeTCCLIInvalid, op, "not a JSON object", err)
	}
	return m, nil
}

// optionalObject returns m[key] as a JSON object; absent and null give nil.
func optionalObject(m map[string]any, key string) (map[string]any, error) {
	raw, ok := m[key]
	if !ok || raw == nil {
		return nil, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an object", key)
	}
	return obj, nil
}

// stringFields sets *fields[key] to m[key] as a trimmed string, for every key
// in key order. Absent keys, null and tccli's "None" give "", and so does a
// nil m. where prefixes the key in errors ("kms.").
func stringFields(m map[string]any, where string, fields map[string]*string) error {
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		v := ""
		switch raw := m[key].(type) {
		case nil:
		case string:
			if v = strings.TrimSpace(raw); v == "None" {
				v = ""
			}
		default:
			return fmt.Errorf("%s%s is not a string", where, key)
		}
		*fields[key] = v
	}
	return nil
}

func (s *Store) tccliDir() (string, error) {
	if s.home == "" {
		err := s.homeErr
		if err == nil {
			err = errors.New("home directory unknown")
		}
		return "", newErr(CodeTCCLINotFound, "find tccli directory", "", err)
	}
	return filepath.Join(s.home, ".tccli"), nil
}

// validateTCCLIName refuses names that could leave ~/.tccli.
func validateTCCLIName(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 255 ||
		strings.ContainsAny(name, `/\`+"\x00") || filepath.Base(name) != name {
		return newErr(CodeTCCLINotFound, "find tccli profile", fmt.Sprintf("%q is not a tccli profile name", name), nil)
	}
	return nil
}

// TCCLIProfiles lists the tccli profiles that have a credential file
// (~/.tccli/<name>.credential), sorted. A missing ~/.tccli gives an empty list.
func (s *Store) TCCLIProfiles() ([]string, error) {
	dir, err := s.tccliDir()
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, newErr(CodeProfilesIO, "list tccli profiles", "", err)
	}
	out := []string{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".credential")
		if !ok || !e.Type().IsRegular() || validateTCCLIName(name) != nil {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

// ImportTCCLI creates a tencent profile asName (default: the tccli name)
// from ~/.tccli/<tccliName>.credential and, if present, .configure (region,
// language, kms endpoint). A token in the file makes the keys temporary
// credentials of unknown expiry; "role-arn" records a role that
// Credentials assumes with the keys. An existing profile is never
// overwritten. The plaintext tccli file is left alone: offer the user
// [Store.DeleteTCCLICredentialFile] afterwards.
func (s *Store) ImportTCCLI(tccliName, asName string) (Profile, error) {
	op := fmt.Sprintf("import tccli profile %q", tccliName)
	if err := validateTCCLIName(tccliName); err != nil {
		return Profile{}, err
	}
	if asName == "" {
		asName = tccliName
	}
	if err := ValidateName(asName); err != nil {
		return Profile{}, err
	}
	dir, err := s.tccliDir()
	if err != nil {
		return Profile{}, err
	}
	credData, err := readHead(filepath.Join(dir, tccliName+".credential"), maxTCCLIFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return Profile{}, newErr(CodeTCCLINotFound, op, "no credential file", err)
	}
	if err != nil {
		return Profile{}, newErr(CodeTCCLIInvalid, op, "read credential file", err)
	}
	cred, err := parseTCCLICredential(credData)
	if err != nil {
		return Profile{}, fmt.Errorf("%s: %w", op, err)
	}
	var conf tccliConfigure
	confData, err := readHead(filepath.Join(dir, tccliName+".configure"), maxTCCLIFileBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return Profile{}, newErr(CodeTCCLIInvalid, op, "read configure file", err)
	default:
		if conf, err = parseTCCLIConfigure(confData); err != nil {
			return Profile{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	p := Profile{Name: asName, Settings: Settings{Kind: KindTencent, Region: conf.Region, Endpoint: conf.KMSEndpoint}}
	if conf.Language == LanguageEnUS || conf.Language == LanguageZhCN {
		p.Language = conf.Language
	}
	if p.Region != "" && ValidateRegion(p.Region) != nil {
		return Profile{}, newErr(CodeTCCLIInvalid, op, fmt.Sprintf("configure file has region %q", p.Region), nil)
	}
	if p.Endpoint != "" {
		if _, err := endpoint.Parse(p.Endpoint); err != nil {
			return Profile{}, newErr(CodeTCCLIInvalid, op, "configure file has an invalid kms endpoint", err)
		}
	}
	var role *roleInfo
	if cred.RoleArn != "" && cred.Token == "" {
		session := cred.RoleSessionName
		if session == "" || !sessionNameRE.MatchString(session) {
			session = defaultSessionName(asName)
		}
		role = &roleInfo{arn: cred.RoleArn, session: session, duration: int(DefaultAssumeRoleDuration.Seconds())}
	}
	return s.importKeys(p, kms.Credentials{SecretID: cred.SecretID, SecretKey: cred.SecretKey, Token: cred.Token}, role)
}

// DeleteTCCLICredentialFile deletes ~/.tccli/<tccliName>.credential, the
// plaintext file holding tccli's keys. Call it only when the user asked to,
// after ImportTCCLI; the .configure file (no secrets) is left in place.
func (s *Store) DeleteTCCLICredentialFile(tccliName string) error {
	op := fmt.Sprintf("delete tccli credential file for %q", tccliName)
	if err := validateTCCLIName(tccliName); err != nil {
		return err
	}
	dir, err := s.tccliDir()
	if err != nil {
		return err
	}
	err = os.Remove(filepath.Join(dir, tccliName+".credential"))
	if errors.Is(err, fs.ErrNotExist) {
		return newErr(CodeTCCLINotFound, op, "no credential file", err)
	}
	if err != nil {
		return newErr(CodeProfilesIO, op, "", err)
	}
	return nil
}
