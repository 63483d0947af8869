package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
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
	stsEP    endpoint.Endpoint // Options.STSEndpoint, parsed
	stsTrans http.RoundTripper
	assume   assumeFunc

	// writeMu serialises mutations, including their keychain calls, so the
	// keychain and the file change in the same order. It is never held by
	// readers.
	writeMu sync.Mutex

	mu      sync.RWMutex // guards everything below
	cfg     configFile
	session map[string]Secret          // long-term secrets kept for this session only
	temp    map[string]kms.Credentials // temporary credentials held in memory
	refresh map[string]chan struct{}   // per-profile lock around temporary-credential refresh (lockRefresh)
	proxyPW map[string]string          // proxy passwords kept for this session only (no keychain)

	// refreshWait, when set (by tests), is called when a caller of
	// lockRefresh finds a refresh of the profile in progress and waits for it.
	refreshWait func(name string)
}

// Open loads (or on first run creates) the profiles file and returns a Store.
func Open(opts Options) (*Store, error) {
	s := &Store{
		dir: opts.ConfigDir, kc: opts.Keychain, now: opts.Now, getenv: opts.Getenv,
		home: opts.HomeDir, stsTrans: opts.STSTransport,
		session: map[string]Secret{}, temp: map[string]kms.Credentials{}, refresh: map[string]chan struct{}{},
		proxyPW: map[string]string{},
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
	if opts.STSEndpoint != "" {
		var err error
		if s.stsEP, err = parseEndpoint(opts.STSEndpoint); err != nil {
			return nil, err
		}
	}
	if err := ensurePrivateDir(s.dir); err != nil {
		return nil, err
	}
	cfg, ok, err := readConfig(s.path())
	if err != nil {
		if errcode.Code(err) != CodeProfilesCorrupt || !opts.RecoverCorrupt {
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
func (s *Store) Get(name string) (p Profile, err error) {
	err = s.view(name, func(rec profileRecord) { p = s.toProfileLocked(rec) })
	return p, err
}

// record returns the stored record of a profile. Records in s.cfg are never
// changed in place (edit installs a new configFile), so the copy may share
// its Temporary with them.
func (s *Store) record(name string) (rec profileRecord, err error) {
	err = s.view(name, func(r profileRecord) { rec = r })
	return rec, err
}

// view runs f with the record of a profile under the read lock; a missing
// profile is Profile.NotFound.
func (s *Store) view(name string, f func(rec profileRecord)) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.cfg.find(name)
	if !ok {
		return notFound(name)
	}
	f(s.cfg.Profiles[i])
	return nil
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
	return s.update(name, func(cfg *configFile, _ *profileRecord) (func(), error) {
		cfg.Active = name
		return nil, nil
	})
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
	if err := checkPlainHTTP(op, np); err != nil {
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

	newItem := false     // a keychain item this save created, removed again if the file cannot be written
	dropProxyPW := false // the proxy password no longer belongs to the profile
	err = s.edit(func(cfg *configFile) (func(), error) {
		rec := recordFrom(np)
		i, exists := cfg.find(np.Name)
		if exists {
			old := cfg.Profiles[i]
			if createOnly {
				return nil, newErr(CodeProfileExists, op, "a profile with this name already exists", nil)
			}
			if old.Kind != np.Kind {
				return nil, newErr(CodeProfileKindChange, op, fmt.Sprintf("profile is of kind %q", old.Kind), nil)
			}
			rec.SecretStorage, rec.SecretIDMasked, rec.Temporary = old.SecretStorage, old.SecretIDMasked, old.Temporary
			var err error
			if dropProxyPW, err = s.carryProxyPassword(op, old, &rec); err != nil {
				return nil, err
			}
		}
		var after func()
		if secret != nil {
			err := s.kc.Set(context.Background(), np.Name, blob)
			switch {
			case err == nil:
				newItem = !exists
				rec.SecretStorage, rec.SecretIDMasked = StorageKeychain, kms.MaskSecretID(secret.SecretID)
				after = func() { delete(s.session, np.Name) }
			case noKeychain(err):
				rec.SecretStorage, rec.SecretIDMasked = "", ""
				after = func() { s.session[np.Name] = *secret }
			default:
				return nil, fmt.Errorf("%s: %w", op, err)
			}
		}
		cfg.upsert(rec)
		if dropProxyPW {
			secretAfter := after
			after = func() {
				if secretAfter != nil {
					secretAfter()
				}
				delete(s.proxyPW, np.Name)
			}
		}
		return after, nil
	})
	if err != nil {
		if newItem {
			_ = s.kc.Delete(context.Background(), np.Name)
		}
		return Profile{}, err
	}
	return s.Get(np.Name)
}

// keychainSecret is the JSON stored in a profile's keychain item.
type keychainSecret struct {
	SecretID  string `json:"SecretId"`
	SecretKey string `json:"SecretKey"`
}

// noKeychain reports the failures that mean "there is no keychain here",
// as opposed to "the keychain is there but said no".
func noKeychain(err error) bool {
	switch errcode.Code(err) {
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
	return s.update(name, func(cfg *configFile, rec *profileRecord) (func(), error) {
		if err := s.dropItems(op, *rec, true); err != nil {
			return nil, err
		}
		if err := s.dropProxyItem(op, *rec); err != nil {
			return nil, err
		}
		cfg.remove(name)
		if cfg.Active == name {
			cfg.Active = LocalProfileName
		}
		return func() {
			delete(s.session, name)
			delete(s.temp, name)
			delete(s.proxyPW, name)
		}, nil
	})
}

// dropItems deletes rec's keychain items: its temporary credentials and, with
// secret, its long-term keys. An item that is already gone is not an error.
func (s *Store) dropItems(op string, rec profileRecord, secret bool) error {
	var users []string
	if secret && rec.SecretStorage == StorageKeychain {
		users = append(users, rec.Name)
	}
	if rec.Temporary != nil && rec.Temporary.Storage == StorageKeychain {
		users = append(users, rec.Name+stsSuffix)
	}
	for _, user := range users {
		if err := s.kc.Delete(context.Background(), user); err != nil && errcode.Code(err) != CodeKeychainNotFound {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return nil
}

// Credentials returns what a KMS client needs to sign requests for the
// profile. For temporary credentials with a known role it refreshes them
// through AssumeRole when less than [RefreshBefore] is left (the long-term
// keys used for that stay in the keychain). Profiles of kind "local" give
// Credentials.NotNeeded.
func (s *Store) Credentials(ctx context.Context, name string) (kms.Credentials, error) {
	op := fmt.Sprintf("get credentials for profile %q", name)
	rec, err := s.record(name)
	if err != nil {
		return kms.Credentials{}, err
	}
	if rec.Kind == KindLocal {
		return kms.Credentials{}, newErr(CodeCredentialsNotNeeded, op, "the embedded KMS supplies its own credentials", nil)
	}
	if rec.Temporary != nil {
		return s.temporaryCredentials(ctx, name)
	}
	return s.longTerm(ctx, name)
}

// longTerm returns the stored long-term key pair.
func (s *Store) longTerm(ctx context.Context, name string) (kms.Credentials, error) {
	op := fmt.Sprintf("read secret for profile %q", name)
	var storage string
	var sec Secret
	var inSession bool
	if err := s.view(name, func(rec profileRecord) {
		storage = rec.SecretStorage
		sec, inSession = s.session[name]
	}); err != nil {
		return kms.Credentials{}, err
	}
	if inSession {
		return kms.Credentials{SecretID: sec.SecretID, SecretKey: sec.SecretKey}, nil
	}
	if storage != StorageKeychain {
		return kms.Credentials{}, newErr(CodeCredentialsMissing, op, "no secret is stored", nil)
	}
	return s.readItem(ctx, op, name, decodeSecretItem)
}

// readItem reads the keychain item of user and decodes it; errors name op.
func (s *Store) readItem(ctx context.Context, op, user string, decode func(string) (kms.Credentials, error)) (kms.Credentials, error) {
	v, err := s.kc.Get(ctx, user)
	if err != nil {
		return kms.Credentials{}, fmt.Errorf("%s: %w", op, err)
	}
	c, err := decode(v)
	if err != nil {
		return kms.Credentials{}, fmt.Errorf("%s: %w", op, err)
	}
	return c, nil
}

// decodeSecretItem parses a profile's keychain item. A value that is not
// ours (edited by hand, or written by another program) is reported rather
// than used.
func decodeSecretItem(v string) (kms.Credentials, error) {
	const op = "decode keychain item"
	var ks keychainSecret
	if err := json.Unmarshal([]byte(v), &ks); err != nil || validateSecret(op, ks.SecretID, ks.SecretKey) != nil {
		return kms.Credentials{}, newErr(CodeKeychainUnavailable, op, "keychain item is not a KMS Desk secret; enter the keys again", nil)
	}
	return kms.Credentials{SecretID: ks.SecretID, SecretKey: ks.SecretKey}, nil
}

// Status describes whether the keychain can be used.
type Status struct {
	// Available is true when the keychain answered.
	Available bool
	// Backend names the keychain ("secret-service", "macos-keychain",
	// "windows-credential-manager", "memory").
	Backend string
	// Code is the Keychain.* error code when not available.
	Code string
	// Message is the English error text when not available.
	Message string
	// Hint tells the user what to do when not available.
	Hint string
}

// KeychainStatus checks whether the keychain answers, by reading an item
// that never exists.
func (s *Store) KeychainStatus(ctx context.Context) Status {
	st := Status{Backend: s.kc.Backend()}
	_, err := s.kc.Get(ctx, probeUser)
	if err == nil || errcode.Code(err) == CodeKeychainNotFound {
		st.Available = true
		return st
	}
	st.Code = errcode.Code(err)
	if st.Code == "" {
		st.Code = CodeKeychainUnavailable
	}
	st.Message = err.Error()
	st.Hint = HintFor(st.Code)
	return st
}

// errUnchanged, returned by the change function of edit, ends the edit
// without writing anything.
var errUnchanged = errors.New("nothing to change")

// edit makes every change to the profiles. Under writeMu it re-reads the file,
// so that changes made by another process (kmsctl next to the app) are not
// overwritten, and lets change modify a copy. change may call the keychain; if
// it fails nothing is written. Otherwise edit writes the copy and then, under
// mu, installs it and runs the after function change returned (if any), which
// updates the in-memory secrets to match.
func (s *Store) edit(change func(cfg *configFile) (after func(), err error)) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	disk, ok, err := readConfig(s.path())
	if err != nil {
		return err
	}
	s.mu.Lock()
	if ok {
		s.cfg = disk
	}
	cfg := s.cfg.clone()
	s.mu.Unlock()

	after, err := change(&cfg)
	if errors.Is(err, errUnchanged) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := writeConfig(s.dir, cfg); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg = cfg
	if after != nil {
		after()
	}
	return nil
}

// update is edit for one existing profile: change gets the file and the
// profile's record to modify; a missing profile is Profile.NotFound.
func (s *Store) update(name string, change func(cfg *configFile, rec *profileRecord) (after func(), err error)) error {
	return s.edit(func(cfg *configFile) (func(), error) {
		i, ok := cfg.find(name)
		if !ok {
			return nil, notFound(name)
		}
		return change(cfg, &cfg.Profiles[i])
	})
}

// toProfileLocked builds the API view of a record. Caller holds mu.
func (s *Store) toProfileLocked(r profileRecord) Profile {
	p := Profile{Name: r.Name, Settings: r.Settings}
	p.Recovery = slices.Clone(r.Recovery)
	p.Proxy.HasPassword, p.Proxy.PasswordStorage = false, ""
	if _, ok := s.proxyPW[r.Name]; ok {
		p.Proxy.HasPassword, p.Proxy.PasswordStorage = true, StorageSession
	} else if r.hasProxyPassword() {
		p.Proxy.HasPassword, p.Proxy.PasswordStorage = true, StorageKeychain
	}
	if sec, ok := s.session[r.Name]; ok {
		p.HasSecret, p.SecretStorage, p.SessionOnly = true, StorageSession, true
		p.SecretIDMasked = kms.MaskSecretID(sec.SecretID)
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
