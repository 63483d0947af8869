package credentials

import (
	"context"
	"fmt"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/netproxy"
)

// proxySuffix marks the keychain item that holds a profile's proxy password. '#' is
// not allowed in profile names, so it cannot collide.
const proxySuffix = "#proxy"

// keepsProxyPassword reports whether a stored proxy password still belongs to the
// profile's new proxy setting: still a manual proxy, with the same user name.
func keepsProxyPassword(old, rec profileRecord) bool {
	return rec.Proxy.Mode == netproxy.ModeManual && rec.Proxy.Username != "" && rec.Proxy.Username == old.Proxy.Username
}

// carryProxyPassword, inside an edit that replaces old with rec, keeps the proxy
// password when it still belongs to rec's proxy and otherwise deletes its keychain
// item; drop says the caller must also forget a session copy once the edit is written.
func (s *Store) carryProxyPassword(op string, old profileRecord, rec *profileRecord) (drop bool, err error) {
	if keepsProxyPassword(old, *rec) {
		rec.Proxy.PasswordStorage = old.Proxy.PasswordStorage
		return false, nil
	}
	return true, s.dropProxyItem(op, old)
}

// dropProxyItem deletes rec's proxy password item, if it has one; an item that is
// already gone is not an error.
func (s *Store) dropProxyItem(op string, rec profileRecord) error {
	if !rec.hasProxyPassword() {
		return nil
	}
	if err := s.kc.Delete(context.Background(), rec.Name+proxySuffix); err != nil && errcode.Code(err) != CodeKeychainNotFound {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// SetProxyPassword stores the password of a profile's manual proxy in the keychain
// (item "<name>#proxy"), or, when no keychain exists, in memory for this session
// (Proxy.PasswordStorage says which). An empty password removes it. The profile must
// use a manual proxy with a user name.
func (s *Store) SetProxyPassword(name, password string) error {
	op := fmt.Sprintf("set the proxy password of profile %q", name)
	if len(password) > netproxy.MaxPasswordLen {
		return newErr(CodeProfileInvalid, op, fmt.Sprintf("the proxy password is longer than %d bytes", netproxy.MaxPasswordLen), nil)
	}
	return s.update(name, func(_ *configFile, rec *profileRecord) (func(), error) {
		if password == "" {
			if err := s.dropProxyItem(op, *rec); err != nil {
				return nil, err
			}
			rec.Proxy.PasswordStorage = ""
			return func() { delete(s.proxyPW, name) }, nil
		}
		if rec.Proxy.Mode != netproxy.ModeManual || rec.Proxy.Username == "" {
			return nil, newErr(CodeProfileInvalid, op, "a proxy password needs a manual proxy with a user name", nil)
		}
		err := s.kc.Set(context.Background(), name+proxySuffix, password)
		switch {
		case err == nil:
			rec.Proxy.PasswordStorage = StorageKeychain
			return func() { delete(s.proxyPW, name) }, nil
		case noKeychain(err):
			if err := s.dropProxyItem(op, *rec); err != nil {
				return nil, err
			}
			rec.Proxy.PasswordStorage = ""
			return func() { s.proxyPW[name] = password }, nil
		}
		return nil, fmt.Errorf("%s: %w", op, err)
	})
}

// ProxyConfig returns the proxy setting of a profile with its password (read from the
// keychain or this session's memory), ready for netproxy. Local profiles never use a
// proxy (ModeNone).
func (s *Store) ProxyConfig(ctx context.Context, name string) (netproxy.Config, error) {
	op := fmt.Sprintf("read the proxy setting of profile %q", name)
	var (
		rec      profileRecord
		pw       string
		inMemory bool
	)
	if err := s.view(name, func(r profileRecord) { rec = r; pw, inMemory = s.proxyPW[name] }); err != nil {
		return netproxy.Config{}, err
	}
	if rec.Kind == KindLocal {
		return netproxy.Config{Mode: netproxy.ModeNone}, nil
	}
	p := rec.Proxy
	if p.Mode == "" {
		p.Mode = netproxy.ModeSystem
	}
	cfg := netproxy.Config{Mode: p.Mode, URL: p.URL, Username: p.Username, Getenv: s.getenv}
	switch {
	case p.Mode != netproxy.ModeManual || p.Username == "":
	case inMemory:
		cfg.Password = pw
	case rec.hasProxyPassword():
		v, err := s.kc.Get(ctx, name+proxySuffix)
		if err != nil {
			return netproxy.Config{}, fmt.Errorf("%s: %w", op, err)
		}
		cfg.Password = v
	}
	return cfg, nil
}
