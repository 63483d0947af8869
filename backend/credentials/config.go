package credentials

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"time"
)

// ConfigFileName is the name of the profiles file inside the config directory.
const ConfigFileName = "profiles.json"

// configVersion is the version of the profiles file this code writes.
const configVersion = 1

// maxConfigBytes bounds the profiles file we are willing to read.
const maxConfigBytes = 4 << 20

// configFile is the on-disk form of the profiles file. It holds no secret:
// only the facts that a secret exists in the keychain and a masked SecretId.
type configFile struct {
	Version  int             `json:"version"`
	Active   string          `json:"active"`
	Profiles []profileRecord `json:"profiles"`
}

type profileRecord struct {
	Name string `json:"name"`
	Settings
	SecretIDMasked string      `json:"secretIdMasked,omitempty"`
	SecretStorage  string      `json:"secretStorage,omitempty"` // "keychain" or ""
	Temporary      *tempRecord `json:"temporary,omitempty"`
}

type tempRecord struct {
	RoleArn         string     `json:"roleArn,omitempty"`
	RoleSessionName string     `json:"roleSessionName,omitempty"`
	DurationSeconds int        `json:"durationSeconds,omitempty"`
	Expiry          *time.Time `json:"expiry,omitempty"`  // set only when Storage is "keychain"
	Storage         string     `json:"storage,omitempty"` // "keychain" or ""
}

func defaultLocalRecord() profileRecord {
	return profileRecord{Name: LocalProfileName, Settings: Settings{
		Kind: KindLocal, Region: DefaultRegion, TimeoutSeconds: DefaultTimeoutSeconds, Language: LanguageZhCN,
	}}
}

func defaultConfig() configFile {
	return configFile{Version: configVersion, Active: LocalProfileName, Profiles: []profileRecord{defaultLocalRecord()}}
}

// parseConfig parses and validates a profiles file. It guarantees a valid,
// de-duplicated list that contains the built-in "local" profile and an
// active profile that exists.
func parseConfig(data []byte) (configFile, error) {
	const op = "parse profiles file"
	var cfg configFile
	if len(data) > maxConfigBytes {
		return cfg, newErr(CodeProfilesCorrupt, op, "file is too large", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&cfg); err != nil {
		return configFile{}, newErr(CodeProfilesCorrupt, op, "not valid JSON", err)
	}
	if dec.More() {
		return configFile{}, newErr(CodeProfilesCorrupt, op, "trailing data after the JSON object", nil)
	}
	if cfg.Version < 1 {
		return configFile{}, newErr(CodeProfilesCorrupt, op, "missing version", nil)
	}
	if cfg.Version > configVersion {
		return configFile{}, newErr(CodeProfilesCorrupt, op, fmt.Sprintf("file version %d is newer than this KMS Desk understands (%d)", cfg.Version, configVersion), nil)
	}
	seen := map[string]bool{}
	out := cfg.Profiles[:0:0]
	for _, r := range cfg.Profiles {
		n, err := normalize(Profile{Name: r.Name, Settings: r.Settings})
		if err != nil {
			return configFile{}, newErr(CodeProfilesCorrupt, op, fmt.Sprintf("profile %q is invalid", r.Name), err)
		}
		if seen[n.Name] {
			return configFile{}, newErr(CodeProfilesCorrupt, op, fmt.Sprintf("profile %q appears twice", n.Name), nil)
		}
		seen[n.Name] = true
		rec := recordFrom(n)
		if r.SecretStorage == StorageKeychain && n.Kind == KindTencent {
			rec.SecretStorage = StorageKeychain
			rec.SecretIDMasked = r.SecretIDMasked
		}
		if r.hasProxyPassword() && rec.Proxy.Username != "" {
			rec.Proxy.PasswordStorage = StorageKeychain
		}
		if r.Temporary != nil && n.Kind == KindTencent {
			t := *r.Temporary
			if t.Storage != StorageKeychain {
				t.Storage, t.Expiry = "", nil
			}
			rec.Temporary = &t
		}
		out = append(out, rec)
	}
	if !seen[LocalProfileName] {
		out = append(out, defaultLocalRecord())
	}
	cfg.Profiles = out
	cfg.Version = configVersion
	if !seen[cfg.Active] {
		cfg.Active = LocalProfileName
	}
	sortRecords(cfg.Profiles)
	return cfg, nil
}

// recordFrom is the record of a normalized profile's settings (its secrets and their
// storage are the caller's to add).
func recordFrom(p Profile) profileRecord {
	r := profileRecord{Name: p.Name, Settings: p.Settings}
	r.Recovery = slices.Clone(p.Recovery)
	r.Proxy.HasPassword, r.Proxy.PasswordStorage = false, ""
	return r
}

// hasProxyPassword reports whether the record says a proxy password is in the keychain.
func (r profileRecord) hasProxyPassword() bool {
	return r.Proxy.PasswordStorage == StorageKeychain
}

// sortRecords orders profiles "local" first, then by name.
func sortRecords(rs []profileRecord) {
	sort.SliceStable(rs, func(i, j int) bool {
		if (rs[i].Name == LocalProfileName) != (rs[j].Name == LocalProfileName) {
			return rs[i].Name == LocalProfileName
		}
		return rs[i].Name < rs[j].Name
	})
}

func (c configFile) clone() configFile {
	out := configFile{Version: c.Version, Active: c.Active, Profiles: make([]profileRecord, len(c.Profiles))}
	for i, r := range c.Profiles {
		if r.Temporary != nil {
			t := *r.Temporary
			if t.Expiry != nil {
				e := *t.Expiry
				t.Expiry = &e
			}
			r.Temporary = &t
		}
		r.Recovery = slices.Clone(r.Recovery)
		out.Profiles[i] = r
	}
	return out
}

func (c *configFile) find(name string) (int, bool) {
	for i := range c.Profiles {
		if c.Profiles[i].Name == name {
			return i, true
		}
	}
	return -1, false
}

func (c *configFile) upsert(r profileRecord) {
	if i, ok := c.find(r.Name); ok {
		c.Profiles[i] = r
		return
	}
	c.Profiles = append(c.Profiles, r)
	sortRecords(c.Profiles)
}

func (c *configFile) remove(name string) {
	if i, ok := c.find(name); ok {
		c.Profiles = append(c.Profiles[:i], c.Profiles[i+1:]...)
	}
}

// ensurePrivateDir creates dir with mode 0700, or tightens an existing one.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return newErr(CodeProfilesIO, "create config directory", "", err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(dir)
		if err != nil {
			return newErr(CodeProfilesIO, "check config directory", "", err)
		}
		if fi.Mode().Perm() != 0o700 {
			if err := os.Chmod(dir, 0o700); err != nil {
				return newErr(CodeProfilesIO, "restrict config directory to its owner", "", err)
			}
		}
	}
	return nil
}

// readConfig reads the profiles file; a missing file gives ok=false.
func readConfig(path string) (cfg configFile, ok bool, err error) {
	data, err := readHead(path, maxConfigBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return configFile{}, false, nil
	}
	if err != nil {
		return configFile{}, false, newErr(CodeProfilesIO, "read profiles file", "", err)
	}
	cfg, err = parseConfig(data)
	if err != nil {
		return configFile{}, false, err
	}
	return cfg, true, nil
}

// readHead reads at most limit+1 bytes of a file: enough for its parser to
// refuse a file larger than limit without reading all of it.
func readHead(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

// writeConfig writes the profiles file atomically (temp file, fsync,
// rename, fsync of the directory) with mode 0600 inside a 0700 directory.
func writeConfig(dir string, cfg configFile) error {
	const op = "write profiles file"
	if err := ensurePrivateDir(dir); err != nil {
		return err
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return newErr(CodeProfilesIO, op, "", err)
	}
	data = append(data, '\n')
	tmp, err := os.CreateTemp(dir, ".profiles-*.tmp")
	if err != nil {
		return newErr(CodeProfilesIO, op, "", err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return newErr(CodeProfilesIO, op, "", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return newErr(CodeProfilesIO, op, "", err)
	}
	if err := tmp.Sync(); err != nil {
		return newErr(CodeProfilesIO, op, "", err)
	}
	if err := tmp.Close(); err != nil {
		return newErr(CodeProfilesIO, op, "", err)
	}
	if err := os.Rename(tmpName, filepath.Join(dir, ConfigFileName)); err != nil {
		return newErr(CodeProfilesIO, op, "", err)
	}
	committed = true
	syncDir(dir)
	return nil
}

// syncDir flushes a directory entry after a rename; best effort (not
// supported on Windows).
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
