package credentials

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Options configure [Open]. The zero value is the production setup.
type Options struct {
	// ConfigDir holds profiles.json. Default: <os.UserConfigDir()>/kmsdesk.
	ConfigDir string
	// Keychain stores secrets. Default: NewSystemKeychain(0, 0).
	Keychain Keychain
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Getenv reads environment variables for ImportEnv. Default: os.Getenv.
	Getenv func(string) string
	// HomeDir is where ~/.tccli is looked for. Default: os.UserHomeDir().
	HomeDir string
	// STSEndpoint overrides the STS endpoint used by AssumeRole, e.g.
	// "http://127.0.0.1:9000" for a local server. Default: derived from the
	// profile (see docs/CREDENTIALS.md).
	STSEndpoint string
	// STSTransport, when set, carries AssumeRole requests instead of the
	// default HTTP transport (e.g. an in-process local KMS).
	STSTransport http.RoundTripper
	// RecoverCorrupt makes Open move a damaged profiles.json aside
	// (profiles.json.damaged-<unix time>) and start fresh instead of failing.
	RecoverCorrupt bool
}

// Store keeps connection profiles in a JSON file and their secrets in the
// keychain (or, without a keychain, in memory for this session only).
// It is safe for concurrent use.
type Store struct {
	dir      string
	kc       Keychain
	now      func() time.Time
	getenv   func(string) string
	home     string
	homeErr  error
	stsEP    string
	stsTrans http.RoundTripper
	assume   assumeFunc

	// writeMu serialises mutations, including their keychain calls, so the
	// keychain and the file change in the same order. It is never held by
	// readers.
	writeMu sync.Mutex

	mu      sync.RWMutex // guards everything below
	cfg     configFile
	session map[string]Secret      // long-term secrets kept for this session only
	temp    map[string]Credentials // temporary credentials held in memory
	refresh map[string]*sync.Mutex // per-profile lock around temporary-credential refresh
}

// Open loads (or on first run creates) the profiles file and returns a Store.
func Open(opts Options) (*Store, error) {
	s := &Store{
		dir: opts.ConfigDir, kc: opts.Keychain, now: opts.Now, getenv: opts.Getenv,
		home: opts.HomeDir, stsEP: opts.STSEndpoint, stsTrans: opts.STSTransport,
		session: map[string]Secret{}, temp: map[string]Credentials{}, refresh: map[string]*sync.Mutex{},
	}
	if s.dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return nil, newErr(CodeProfilesIO, "find user config directory", "", err)
		}
		s.dir = filepath.Join(base, "kmsdesk")
	}
	if s.kc == nil {
		s.kc = NewSystemKeychain(0, 0)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.getenv == nil {
		s.getenv = os.Getenv
	}
	if s.home == "" {
		s.home, s.homeErr = os.UserHomeDir()
	}
	s.assume = s.sdkAssumeRole
	if s.stsEP != "" {
		if _, err := ParseEndpoint(s.stsEP); err != nil {
			return nil, err
		}
	}
	if err := ensurePrivateDir(s.dir); err != nil {
		return nil, err
	}
	cfg, ok, err := readConfig(s.path())
	if err != nil {
		if Code(err) != CodeProfilesCorrupt || !opts.RecoverCorrupt {
			return nil, err
		}
		aside := s.path() + ".damaged-" + strconv.FormatInt(s.now().Unix(), 10)
		if rerr := os.Rename(s.path(), aside); rerr != nil {
			return nil, newErr(CodeProfilesIO, "move damaged profiles file aside", "", rerr)
		}
		ok = false
	}
	if !ok {
		cfg = defaultConfig()
		if err := writeConfig(s.dir, cfg); err != nil {
			return nil, err
		}
	} else if fi, err := os.Stat(s.path()); err == nil && fi.Mode().Perm()&0o077 != 0 {
		// Tighten a file that someone loosened; rewriting it resets the mode.
		if err := writeConfig(s.dir, cfg); err != nil {
			return nil, err
		}
	}
	s.cfg = cfg
	return s, nil
}

// Path returns the profiles file's path.
func (s *Store) Path() string { return s.path() }

func (s *Store) path() string { return filepath.Join(s.dir, ConfigFileName) }

// List returns all profiles, "local" first, then by name.
func (s *Store) List() []Profile {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Profile, 0, len(s.cfg.Profiles))
	for _, r := range s.cfg.Profiles {
		out = append(out, s.toProfileLocked(r))
	}
	return out
}

// Get returns one profile.
func (s *Store) Get(name string) (Profile, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.cfg.find(name)
	if !ok {
		return Profile{}, notFound(name)
	}
	return s.toProfileLocked(s.cfg.Profiles[i]), nil
}

// Active returns the active profile (the built-in "local" one by default).
func (s *Store) Active() Profile {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.cfg.find(s.cfg.Active)
	if !ok {
		i, _ = s.cfg.find(LocalProfileName)
	}
	return s.toProfileLocked(s.cfg.Profiles[i])
}

// SetActive makes name the active profile and saves that choice.
func (s *Store) SetActive(name string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cfg, err := s.reload()
	if err != nil {
		return err
	}
	if _, ok := cfg.find(name); !ok {
		return notFound(name)
	}
	cfg.Active = name
	return s.commit(cfg, nil)
}

// Save creates or updates a profile. Derived fields of p are ignored. With
// secret == nil the stored secret (if any) is kept; otherwise the new key
// pair replaces it. Secrets go to the keychain; when no keychain exists
// (Keychain.NoSessionBus, .NoSecretService, .Unavailable) the secret is
// kept in memory for this session only and the returned profile says so
// (SecretStorage "session", SessionOnly true). Other keychain failures
// (locked, denied, timeout, too large) are returned and nothing changes.
// A profile cannot change kind, and kind "local" takes no secret.
func (s *Store) Save(p Profile, secret *Secret) (Profile, error) {
	return s.save(p, secret, false)
}

func (s *Store) save(p Profile, secret *Secret, createOnly bool) (Profile, error) {
	op := fmt.Sprintf("save profile %q", p.Name)
	np, err := normalize(p)
	if err != nil {
		return Profile{}, err
	}
	var blob string
	if secret != nil {
		if np.Kind == KindLocal {
			return Profile{}, newErr(CodeProfileInvalid, op, "local profiles take no secret", nil)
		}
		if err := validateSecret(op, secret.SecretID, secret.SecretKey); err != nil {
			return Profile{}, err
		}
		b, err := json.Marshal(keychainSecret{SecretID: secret.SecretID, SecretKey: secret.SecretKey})
		if err != nil {
			return Profile{}, newErr(CodeSecretInvalid, op, "", err)
		}
		if len(b) > MaxKeychainItemBytes {
			return Profile{}, newErr(CodeKeychainTooLarge, op, fmt.Sprintf("secret is larger than %d bytes", MaxKeychainItemBytes), nil)
		}
		blob = string(b)
	}

	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cfg, err := s.reload()
	if err != nil {
		return Profile{}, err
	}
	rec := recordFrom(np)
	i, exists := cfg.find(np.Name)
	if exists {
		old := cfg.Profiles[i]
		if createOnly {
			return Profile{}, newErr(CodeProfileExists, op, "a profile with this name already exists", nil)
		}
		if old.Kind != np.Kind {
			return Profile{}, newErr(CodeProfileKindChange, op, fmt.Sprintf("profile is of kind %q", old.Kind), nil)
		}
		rec.SecretStorage, rec.SecretIDMasked, rec.Temporary = old.SecretStorage, old.SecretIDMasked, old.Temporary
	}
	var sess *sessionChange
	if secret != nil {
		err := s.kc.Set(context.Background(), np.Name, blob)
		switch {
		case err == nil:
			rec.SecretStorage, rec.SecretIDMasked = StorageKeychain, MaskSecretID(secret.SecretID)
			sess = &sessionChange{name: np.Name}
		case noKeychain(err):
			rec.SecretStorage, rec.SecretIDMasked = "", ""
			sess = &sessionChange{name: np.Name, secret: secret}
		default:
			return Profile{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	cfg.upsert(rec)
	if err := s.commit(cfg, func() {
		if sess != nil {
			if sess.secret != nil {
				s.session[sess.name] = *sess.secret
			} else {
				delete(s.session, sess.name)
			}
		}
	}); err != nil {
		if !exists && rec.SecretStorage == StorageKeychain {
			_ = s.kc.Delete(context.Background(), np.Name)
		}
		return Profile{}, err
	}
	return s.Get(np.Name)
}

type sessionChange struct {
	name   string
	secret *Secret
}

// keychainSecret is the JSON stored in a profile's keychain item.
type keychainSecret struct {
	SecretID  string `json:"SecretId"`
	SecretKey string `json:"SecretKey"`
}

// noKeychain reports the failures that mean "there is no keychain here",
// as opposed to "the keychain is there but said no".
func noKeychain(err error) bool {
	switch Code(err) {
	case CodeKeychainNoSessionBus, CodeKeychainNoSecretService, CodeKeychainUnavailable:
		return true
	}
	return false
}

// Delete removes a profile and its keychain items. The built-in "local"
// profile cannot be deleted. If a keychain item cannot be removed (keychain
// locked, for example) the profile is kept and the error returned, so the
// user can retry; an item that is already gone is not an error.
func (s *Store) Delete(name string) error {
	op := fmt.Sprintf("delete profile %q", name)
	if name == LocalProfileName {
		return newErr(CodeProfileBuiltin, op, "the built-in profile cannot be deleted", nil)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	cfg, err := s.reload()
	if err != nil {
		return err
	}
	i, ok := cfg.find(name)
	if !ok {
		return notFound(name)
	}
	rec := cfg.Profiles[i]
	ctx := context.Background()
	if rec.SecretStorage == StorageKeychain {
		if err := s.kc.Delete(ctx, name); err != nil && Code(err) != CodeKeychainNotFound {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if rec.Temporary != nil && rec.Temporary.Storage == StorageKeychain {
		if err := s.kc.Delete(ctx, name+stsSuffix); err != nil && Code(err) != CodeKeychainNotFound {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	cfg.remove(name)
	if cfg.Active == name {
		cfg.Active = LocalProfileName
	}
	return s.commit(cfg, func() {
		delete(s.session, name)
		delete(s.temp, name)
	})
}

// Credentials returns what a KMS client needs to sign requests for the
// profile. For temporary credentials with a known role it refreshes them
// through AssumeRole when less than [RefreshBefore] is left (the long-term
// keys used for that stay in the keychain). Profiles of kind "local" give
// Credentials.NotNeeded.
func (s *Store) Credentials(ctx context.Context, name string) (Credentials, error) {
	op := fmt.Sprintf("get credentials for profile %q", name)
	s.mu.RLock()
	i, ok := s.cfg.find(name)
	var rec profileRecord
	if ok {
		rec = s.cfg.Profiles[i]
	}
	s.mu.RUnlock()
	if !ok {
		return Credentials{}, notFound(name)
	}
	if rec.Kind == KindLocal {
		return Credentials{}, newErr(CodeCredentialsNotNeeded, op, "the embedded KMS supplies its own credentials", nil)
	}
	if rec.Temporary != nil {
		return s.temporaryCredentials(ctx, name)
	}
	return s.longTerm(ctx, name)
}

// longTerm returns the stored long-term key pair.
func (s *Store) longTerm(ctx context.Context, name string) (Credentials, error) {
	op := fmt.Sprintf("read secret for profile %q", name)
	s.mu.RLock()
	sec, inSession := s.session[name]
	i, ok := s.cfg.find(name)
	var storage string
	if ok {
		storage = s.cfg.Profiles[i].SecretStorage
	}
	s.mu.RUnlock()
	if !ok {
		return Credentials{}, notFound(name)
	}
	if inSession {
		return Credentials{SecretID: sec.SecretID, SecretKey: sec.SecretKey}, nil
	}
	if storage != StorageKeychain {
		return Credentials{}, newErr(CodeCredentialsMissing, op, "no secret is stored", nil)
	}
	return s.readItem(ctx, op, name, decodeSecretItem)
}

// readItem reads the keychain item of user and decodes it; errors name op.
func (s *Store) readItem(ctx context.Context, op, user string, decode func(string) (Credentials, error)) (Credentials, error) {
	v, err := s.kc.Get(ctx, user)
	if err != nil {
		return Credentials{}, fmt.Errorf("%s: %w", op, err)
	}
	c, err := decode(v)
	if err != nil {
		return Credentials{}, fmt.Errorf("%s: %w", op, err)
	}
	return c, nil
}

// decodeSecretItem parses a profile's keychain item. A value that is not
// ours (edited by hand, or written by another program) is reported rather
// than used.
func decodeSecretItem(v string) (Credentials, error) {
	const op = "decode keychain item"
	var ks keychainSecret
	if err := json.Unmarshal([]byte(v), &ks); err != nil || validateSecret(op, ks.SecretID, ks.SecretKey) != nil {
		return Credentials{}, newErr(CodeKeychainUnavailable, op, "keychain item is not a KMS Desk secret; enter the keys again", nil)
	}
	return Credentials{SecretID: ks.SecretID, SecretKey: ks.SecretKey}, nil
}

// Status describes whether the keychain can be used.
type Status struct {
	// Available is true when the keychain answered.
	Available bool `json:"available"`
	// Backend names the keychain ("secret-service", "macos-keychain",
	// "windows-credential-manager", "memory").
	Backend string `json:"backend"`
	// Code is the Keychain.* error code when not available.
	Code string `json:"code,omitempty"`
	// Message is the English error text when not available.
	Message string `json:"message,omitempty"`
	// Hint tells the user what to do when not available.
	Hint string `json:"hint,omitempty"`
}

// KeychainStatus checks whether the keychain answers, by reading an item
// that never exists.
func (s *Store) KeychainStatus(ctx context.Context) Status {
	st := Status{Backend: s.kc.Backend()}
	_, err := s.kc.Get(ctx, probeUser)
	if err == nil || Code(err) == CodeKeychainNotFound {
		st.Available = true
		return st
	}
	st.Code = Code(err)
	if st.Code == "" {
		st.Code = CodeKeychainUnavailable
	}
	st.Message = err.Error()
	st.Hint = HintFor(st.Code)
	return st
}

// reload re-reads the profiles file so that changes made by another
// process (kmsctl next to the app) are not overwritten. It returns a copy
// to modify. Caller holds writeMu.
func (s *Store) reload() (configFile, error) {
	cfg, ok, err := readConfig(s.path())
	if err != nil {
		return configFile{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.cfg = cfg
	}
	return s.cfg.clone(), nil
}

// commit writes cfg and then, under the lock, installs it and runs also.
// Caller holds writeMu.
func (s *Store) commit(cfg configFile, also func()) error {
	if err := writeConfig(s.dir, cfg); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg = cfg
	if also != nil {
		also()
	}
	return nil
}

// toProfileLocked builds the API view of a record. Caller holds mu.
func (s *Store) toProfileLocked(r profileRecord) Profile {
	p := Profile{
		Name: r.Name, Kind: r.Kind, Region: r.Region, Endpoint: r.Endpoint,
		TimeoutSeconds: r.TimeoutSeconds, Language: r.Language,
	}
	if sec, ok := s.session[r.Name]; ok {
		p.HasSecret, p.SecretStorage, p.SessionOnly = true, StorageSession, true
		p.SecretIDMasked = MaskSecretID(sec.SecretID)
	} else if r.SecretStorage == StorageKeychain {
		p.HasSecret, p.SecretStorage = true, StorageKeychain
		p.SecretIDMasked = r.SecretIDMasked
	}
	if t := r.Temporary; t != nil {
		ti := &TempInfo{RoleArn: t.RoleArn, RoleSessionName: t.RoleSessionName, DurationSeconds: t.DurationSeconds}
		if c, ok := s.temp[r.Name]; ok {
			ti.HasCredentials, ti.Expiry, ti.Storage = true, c.Expiry, StorageSession
			if t.Storage == StorageKeychain {
				ti.Storage = StorageKeychain
			}
		} else if t.Storage == StorageKeychain {
			ti.HasCredentials, ti.Storage = true, StorageKeychain
			if t.Expiry != nil {
				ti.Expiry = *t.Expiry
			}
		}
		if ti.HasCredentials && !ti.Expiry.IsZero() {
			if left := ti.Expiry.Sub(s.now()); left > 0 {
				ti.SecondsLeft = int64(left / time.Second)
			}
		}
		p.Temporary = ti
	}
	return p
}

func notFound(name string) error {
	return newErr(CodeProfileNotFound, fmt.Sprintf("find profile %q", name), "no such profile", nil)
}
