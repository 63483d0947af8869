package localkms

import (
	"crypto/rand"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Credential is a permanent API key pair. SecretKey is only ever returned by
// CreateCredential and EmbeddedCredential.
type Credential struct {
	Name      string
	SecretID  string
	SecretKey string
	CreatedAt time.Time
}

// CredentialInfo describes a stored permanent key pair without its secret.
type CredentialInfo struct {
	Name      string
	SecretID  string
	CreatedAt time.Time
	// Embedded marks the pair the desktop app uses for its embedded profile.
	Embedded bool
}

// TempCredential is a temporary key pair: requests must carry Token as X-TC-Token
// and are refused after Expiry.
type TempCredential struct {
	SecretID  string
	SecretKey string
	Token     string
	Expiry    time.Time
}

// Credential kinds.
const (
	kindPermanent   = "permanent"
	kindEmbedded    = "embedded"
	kindTemporary   = "temporary"
	kindEnvironment = "environment"
)

// Credential formats and limits.
const (
	secretIDPrefix     = "AKID"
	secretIDRandomLen  = 32             // characters after "AKID" (36 in all, like Tencent's)
	secretKeyLen       = 32             // characters
	tokenLen           = 128            // characters of a temporary token
	maxCredentialName  = 64             // characters
	defaultTempTTL     = 2 * time.Hour  // IssueTemporaryCredential default
	maxTempTTL         = 12 * time.Hour // IssueTemporaryCredential and AssumeRole maximum
	embeddedCredName   = "embedded"
	defaultCredName    = "default"
	alphanumericLetter = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// credential is a stored or in-memory key pair.
type credential struct {
	Name      string `json:"name"`
	SecretID  string `json:"secretId"`
	SecretKey string `json:"secretKey"`
	Kind      string `json:"kind"`
	CreatedAt int64  `json:"createdAt"`
	Expiry    int64  `json:"expiry,omitempty"` // Unix seconds; temporary only
	Token     string `json:"token,omitempty"`  // temporary only
}

type credState int

const (
	credValid credState = iota
	credUnknown
	credExpired
)

func (s *Server) lookupCredential(secretID string) (*credential, credState) {
	s.mu.RLock()
	c := s.creds[secretID]
	s.mu.RUnlock()
	if c == nil {
		return nil, credUnknown
	}
	if c.Kind == kindTemporary && s.nowUnix() >= c.Expiry {
		return c, credExpired
	}
	return c, credValid
}

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	buf := make([]byte, 2*n)
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic("localkms: crypto/rand failed: " + err.Error())
		}
		for _, b := range buf {
			if int(b) >= limit {
				continue
			}
			out[i] = alphabet[int(b)%len(alphabet)]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}

func newSecretPair() (id, key string) {
	return secretIDPrefix + randomString(secretIDRandomLen, alphanumericLetter), randomString(secretKeyLen, alphanumericLetter)
}

// addCredential persists and publishes a credential.
func (s *Server) addCredential(c *credential) error {
	if s.closed.Load() {
		return newError(CodeClosed, nil, "server is closed")
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.addCredentialLocked(c)
}

func (s *Server) addCredentialLocked(c *credential) error {
	if err := s.store.commit(write{putCreds: []*credential{c}}); err != nil {
		return err
	}
	s.mu.Lock()
	s.creds[c.SecretID] = c
	s.mu.Unlock()
	return nil
}

// CreateCredential creates, stores and returns a new permanent key pair. An empty
// name becomes "default"; names need not be unique. The SecretKey is returned only
// here.
func (s *Server) CreateCredential(name string) (Credential, error) {
	if name == "" {
		name = defaultCredName
	}
	if utf8.RuneCountInString(name) > maxCredentialName || !utf8.ValidString(name) || strings.ContainsFunc(name, isControl) {
		return Credential{}, newError(CodeInvalidArgument, nil, "credential name must be 1-%d printable characters", maxCredentialName)
	}
	id, secret := newSecretPair()
	now := s.now()
	c := &credential{Name: name, SecretID: id, SecretKey: secret, Kind: kindPermanent, CreatedAt: now.Unix()}
	if err := s.addCredential(c); err != nil {
		return Credential{}, err
	}
	return Credential{Name: name, SecretID: id, SecretKey: secret, CreatedAt: time.Unix(c.CreatedAt, 0)}, nil
}

// isControl reports whether r is a C0 control, DEL or a C1 control.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// ListCredentials lists the stored permanent key pairs (including the embedded
// one), oldest first, without secrets.
func (s *Server) ListCredentials() ([]CredentialInfo, error) {
	if s.closed.Load() {
		return nil, newError(CodeClosed, nil, "server is closed")
	}
	s.mu.RLock()
	var out []CredentialInfo
	for _, c := range s.creds {
		if c.Kind != kindPermanent && c.Kind != kindEmbedded {
			continue
		}
		out = append(out, CredentialInfo{Name: c.Name, SecretID: c.SecretID, CreatedAt: time.Unix(c.CreatedAt, 0), Embedded: c.Kind == kindEmbedded})
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b CredentialInfo) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.SecretID, b.SecretID)
	})
	return out, nil
}

// EmbeddedCredential returns the key pair the desktop app uses for its embedded
// profile, creating and storing it (sealed) on first use. It is stable across
// restarts.
func (s *Server) EmbeddedCredential() (secretID, secretKey string, err error) {
	if s.closed.Load() {
		return "", "", newError(CodeClosed, nil, "server is closed")
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.RLock()
	for _, c := range s.creds {
		if c.Kind == kindEmbedded {
			s.mu.RUnlock()
			return c.SecretID, c.SecretKey, nil
		}
	}
	s.mu.RUnlock()
	id, secret := newSecretPair()
	c := &credential{Name: embeddedCredName, SecretID: id, SecretKey: secret, Kind: kindEmbedded, CreatedAt: s.nowUnix()}
	if err := s.addCredentialLocked(c); err != nil {
		return "", "", err
	}
	return id, secret, nil
}

// IssueTemporaryCredential issues a temporary key pair valid for ttl (default 2 h
// when ttl <= 0, at most 12 h). Requests signed with it must carry the token in
// X-TC-Token; after expiry they get AuthFailure.TokenFailure ("Token verification
// failed"), as from the real service.
func (s *Server) IssueTemporaryCredential(ttl time.Duration) (TempCredential, error) {
	if ttl <= 0 {
		ttl = defaultTempTTL
	}
	if ttl > maxTempTTL {
		return TempCredential{}, newError(CodeInvalidArgument, nil, "temporary credential lifetime %s exceeds %s", ttl, maxTempTTL)
	}
	c, err := s.issueTemp(s.now().Add(ttl).Unix())
	if err != nil {
		return TempCredential{}, err
	}
	return TempCredential{SecretID: c.SecretID, SecretKey: c.SecretKey, Token: c.Token, Expiry: time.Unix(c.Expiry, 0)}, nil
}

// issueTemp stores a new temporary credential and drops expired ones.
func (s *Server) issueTemp(expiry int64) (*credential, error) {
	if s.closed.Load() {
		return nil, newError(CodeClosed, nil, "server is closed")
	}
	id, secret := newSecretPair()
	c := &credential{
		Name: "temporary", SecretID: id, SecretKey: secret, Kind: kindTemporary,
		CreatedAt: s.nowUnix(), Expiry: expiry, Token: randomString(tokenLen, alphanumericLetter),
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	now := s.nowUnix()
	var expired []string
	s.mu.RLock()
	for sid, old := range s.creds {
		if old.Kind == kindTemporary && now >= old.Expiry {
			expired = append(expired, sid)
		}
	}
	s.mu.RUnlock()
	if err := s.store.commit(write{putCreds: []*credential{c}, delCreds: expired}); err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, sid := range expired {
		delete(s.creds, sid)
	}
	s.creds[c.SecretID] = c
	s.mu.Unlock()
	for _, sid := range expired {
		s.sigKeys.forget(sid)
	}
	return c, nil
}
