package credentials

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/endpoint"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/netproxy"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"
)

// STS limits and defaults.
const (
	// RefreshBefore is how long before expiry temporary credentials with a
	// known role are refreshed.
	RefreshBefore = 5 * time.Minute
	// DefaultAssumeRoleDuration is the lifetime requested when none is given
	// (the STS default).
	DefaultAssumeRoleDuration = 2 * time.Hour
	// MaxAssumeRoleDuration is the longest lifetime STS grants.
	MaxAssumeRoleDuration = 12 * time.Hour
	// MinAssumeRoleDuration is the shortest lifetime accepted here.
	MinAssumeRoleDuration = time.Minute
	// MaxTokenLen is the longest session token accepted (STS documents at most 4,096 bytes).
	MaxTokenLen = 4096
)

var sessionNameRE = regexp.MustCompile(`^[A-Za-z0-9=,.@_-]{2,128}$`)

// tempAction is what to do with a profile's temporary credentials.
type tempAction int

const (
	tempUse     tempAction = iota // use the held credentials
	tempRefresh                   // call AssumeRole now
	tempExpired                   // held credentials expired and cannot be refreshed
	tempMissing                   // none held and none can be obtained
)

// decideTemp is the refresh policy. Credentials are refreshed when a role
// is known and they are missing, expired, or within RefreshBefore of
// expiry. Without a role, credentials are used until they expire; an
// unknown (zero) expiry never expires here (the server will say so).
func decideTemp(now time.Time, have bool, expiry time.Time, canRefresh bool) tempAction {
	if !have {
		if canRefresh {
			return tempRefresh
		}
		return tempMissing
	}
	if expiry.IsZero() {
		return tempUse
	}
	left := expiry.Sub(now)
	if left > RefreshBefore {
		return tempUse
	}
	if canRefresh {
		return tempRefresh
	}
	if left > 0 {
		return tempUse
	}
	return tempExpired
}

// stsItem is the JSON stored in a profile's "<name>#sts" keychain item.
type stsItem struct {
	SecretID  string `json:"SecretId"`
	SecretKey string `json:"SecretKey"`
	Token     string `json:"Token"`
	Expiry    int64  `json:"Expiry,omitempty"` // Unix seconds; 0 = unknown
}

// assumeRequest is one AssumeRole call.
type assumeRequest struct {
	Base        kms.Credentials // long-term keys
	Region      string
	Endpoint    endpoint.Endpoint // STS endpoint
	Language    string
	Timeout     int // seconds
	RoleArn     string
	SessionName string
	Duration    time.Duration
	Proxy       netproxy.Config // the profile's proxy, password included
}

type assumeFunc func(ctx context.Context, req assumeRequest) (kms.Credentials, error)

// sdkAssumeRole calls sts:AssumeRole with the official SDK client.
func (s *Store) sdkAssumeRole(ctx context.Context, req assumeRequest) (kms.Credentials, error) {
	op := "assume role"
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = req.Endpoint.SDKScheme()
	cpf.HttpProfile.Endpoint = req.Endpoint.SDKEndpoint()
	cpf.HttpProfile.ReqTimeout = req.Timeout
	cpf.Language = req.Language
	client, err := sts.NewClient(common.NewCredential(req.Base.SecretID, req.Base.SecretKey), req.Region, cpf)
	if err != nil {
		return kms.Credentials{}, stsError(op, err)
	}
	if s.stsTrans != nil {
		client.WithHttpTransport(s.stsTrans)
	} else {
		proxy, err := req.Proxy.Func()
		if err != nil {
			return kms.Credentials{}, newErr(CodeProfileInvalid, op, "", err)
		}
		timeout := time.Duration(req.Timeout) * time.Second
		client.WithHttpTransport(netproxy.NewTransport(proxy, min(netproxy.DefaultConnectTimeout, timeout)))
	}
	r := sts.NewAssumeRoleRequest()
	r.RoleArn = common.StringPtr(req.RoleArn)
	r.RoleSessionName = common.StringPtr(req.SessionName)
	r.DurationSeconds = common.Uint64Ptr(uint64(req.Duration / time.Second))
	resp, err := client.AssumeRoleWithContext(ctx, r)
	if err != nil {
		return kms.Credentials{}, stsError(op, err)
	}
	return credentialsFromAssumeRole(resp)
}

// credentialsFromAssumeRole checks an AssumeRole response and converts it.
func credentialsFromAssumeRole(resp *sts.AssumeRoleResponse) (kms.Credentials, error) {
	const op = "read AssumeRole response"
	if resp == nil || resp.Response == nil || resp.Response.Credentials == nil {
		return kms.Credentials{}, newErr(CodeSTSFailed, op, "response has no credentials", nil)
	}
	c := resp.Response.Credentials
	out := kms.Credentials{SecretID: deref(c.TmpSecretId), SecretKey: deref(c.TmpSecretKey), Token: deref(c.Token)}
	if err := validateSecret(op, out.SecretID, out.SecretKey); err != nil {
		return kms.Credentials{}, newErr(CodeSTSFailed, op, "response has malformed credentials", nil)
	}
	if validateToken(out.Token, MaxTokenLen) != nil {
		return kms.Credentials{}, newErr(CodeSTSFailed, op, "response has a malformed token", nil)
	}
	switch {
	case resp.Response.ExpiredTime != nil && *resp.Response.ExpiredTime > 0:
		out.Expiry = time.Unix(*resp.Response.ExpiredTime, 0).UTC()
	case resp.Response.Expiration != nil:
		t, err := time.Parse(time.RFC3339, *resp.Response.Expiration)
		if err != nil {
			return kms.Credentials{}, newErr(CodeSTSFailed, op, "response has a malformed expiry", err)
		}
		out.Expiry = t.UTC()
	default:
		return kms.Credentials{}, newErr(CodeSTSFailed, op, "response has no expiry", nil)
	}
	return out, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// stsEndpointFor picks the STS endpoint for a profile: Options.STSEndpoint if
// set; for a Tencent Cloud KMS endpoint the STS endpoint of the same site and
// region ("kms.<rest>" → "sts.<rest>"); for any other (custom, private-cloud,
// local) endpoint the profile's own, since such servers answer STS themselves.
func (s *Store) stsEndpointFor(p profileRecord) (endpoint.Endpoint, error) {
	if !s.stsEP.IsZero() {
		return s.stsEP, nil
	}
	e, err := parseEndpoint(p.Endpoint)
	if err != nil {
		return endpoint.Endpoint{}, err
	}
	sts, err := e.Sibling(endpoint.ServiceSTS)
	if err != nil {
		return endpoint.Endpoint{}, newErr(CodeSTSFailed, "find STS endpoint", "", err)
	}
	return sts, nil
}

// SetTemporary stores temporary credentials (SecretId, SecretKey, token
// and, if known, expiry) entered by the user for a tencent profile. The
// token goes to the "<name>#sts" keychain item when it fits under
// [MaxKeychainItemBytes] and a keychain is usable, otherwise it is kept in
// memory for this session (TempInfo.Storage says which). A role set
// earlier with AssumeRole is kept.
func (s *Store) SetTemporary(name string, c kms.Credentials) error {
	op := fmt.Sprintf("set temporary credentials for profile %q", name)
	if err := validateSecret(op, c.SecretID, c.SecretKey); err != nil {
		return err
	}
	if err := validateToken(c.Token, MaxTokenLen); err != nil {
		return newErr(CodeSecretInvalid, op, "token "+err.Error(), nil)
	}
	if !c.Expiry.IsZero() && !c.Expiry.After(s.now()) {
		return newErr(CodeCredentialsExpired, op, "these temporary credentials have already expired", nil)
	}
	return s.storeTemp(name, c, nil)
}

// ClearTemporary forgets a profile's temporary credentials and role, so it
// uses its long-term keys again.
func (s *Store) ClearTemporary(name string) error {
	op := fmt.Sprintf("clear temporary credentials for profile %q", name)
	return s.update(name, func(_ *configFile, rec *profileRecord) (func(), error) {
		if err := s.dropItems(op, *rec, false); err != nil {
			return nil, err
		}
		rec.Temporary = nil
		return func() { delete(s.temp, name) }, nil
	})
}

// roleInfo is the role part of a tempRecord.
type roleInfo struct {
	arn, session string
	duration     int
}

// withRole returns a copy of rec's temporary-credential record (an empty one
// when it has none) with role set, if role != nil.
func (rec *profileRecord) withRole(role *roleInfo) *tempRecord {
	t := tempRecord{}
	if rec.Temporary != nil {
		t = *rec.Temporary
	}
	if role != nil {
		t.RoleArn, t.RoleSessionName, t.DurationSeconds = role.arn, role.session, role.duration
	}
	return &t
}

// role returns the role recorded in t, with the defaults filled in.
func (t *tempRecord) role(profile string) roleInfo {
	return roleInfo{
		arn:      t.RoleArn,
		session:  cmp.Or(t.RoleSessionName, defaultSessionName(profile)),
		duration: cmp.Or(t.DurationSeconds, int(DefaultAssumeRoleDuration/time.Second)),
	}
}

// storeTemp saves temporary credentials (and, when role != nil, the role
// used to get them).
func (s *Store) storeTemp(name string, c kms.Credentials, role *roleInfo) error {
	op := fmt.Sprintf("store temporary credentials for profile %q", name)
	item := stsItem{SecretID: c.SecretID, SecretKey: c.SecretKey, Token: c.Token}
	if !c.Expiry.IsZero() {
		item.Expiry = c.Expiry.Unix()
	}
	blob, err := json.Marshal(item)
	if err != nil {
		return newErr(CodeSecretInvalid, op, "", err)
	}
	return s.update(name, func(_ *configFile, rec *profileRecord) (func(), error) {
		if rec.Kind != KindTencent {
			return nil, newErr(CodeProfileInvalid, op, "only tencent profiles use temporary credentials", nil)
		}
		t := rec.withRole(role)
		ctx := context.Background()
		wasKeychain := t.Storage == StorageKeychain
		t.Storage, t.Expiry = "", nil
		// Any keychain failure leaves the short-lived token in memory only.
		if len(blob) <= MaxKeychainItemBytes && s.kc.Set(ctx, name+stsSuffix, string(blob)) == nil {
			t.Storage = StorageKeychain
			if !c.Expiry.IsZero() {
				e := c.Expiry.UTC()
				t.Expiry = &e
			}
		}
		if wasKeychain && t.Storage != StorageKeychain {
			_ = s.kc.Delete(ctx, name+stsSuffix)
		}
		rec.Temporary = t
		return func() { s.temp[name] = c }, nil
	})
}

// AssumeRole obtains temporary credentials for roleArn with the profile's
// long-term keys (sts:AssumeRole through the official SDK, at the STS
// endpoint described in [Options.STSEndpoint], over [Options.STSTransport]
// when set) and makes the profile use them. From then on [Store.Credentials]
// refreshes them before they expire. sessionName defaults to
// "kmsdesk-<name>"; duration 0 means [DefaultAssumeRoleDuration].
func (s *Store) AssumeRole(ctx context.Context, name, roleArn, sessionName string, duration time.Duration) (Profile, error) {
	op := fmt.Sprintf("assume role for profile %q", name)
	if err := validateToken(roleArn, 1024); err != nil {
		return Profile{}, newErr(CodeProfileInvalid, op, "role ARN "+err.Error(), nil)
	}
	if sessionName == "" {
		sessionName = defaultSessionName(name)
	}
	if !sessionNameRE.MatchString(sessionName) {
		return Profile{}, newErr(CodeProfileInvalid, op, "session name must be 2-128 characters from letters, digits and =,.@_-", nil)
	}
	if duration == 0 {
		duration = DefaultAssumeRoleDuration
	}
	if duration < MinAssumeRoleDuration || duration > MaxAssumeRoleDuration {
		return Profile{}, newErr(CodeProfileInvalid, op, fmt.Sprintf("duration must be between %s and %s", MinAssumeRoleDuration, MaxAssumeRoleDuration), nil)
	}
	role := roleInfo{arn: roleArn, session: sessionName, duration: int(duration / time.Second)}
	defer s.lockRefresh(name)()
	if _, err := s.assumeAndStore(ctx, name, role); err != nil {
		return Profile{}, err
	}
	return s.Get(name)
}

func defaultSessionName(profile string) string {
	n := "kmsdesk-" + profile
	if len(n) > 128 {
		n = n[:128]
	}
	return n
}

// assumeAndStore calls AssumeRole with the profile's long-term keys and
// stores the result. Caller holds the profile's refresh lock.
func (s *Store) assumeAndStore(ctx context.Context, name string, role roleInfo) (kms.Credentials, error) {
	op := fmt.Sprintf("assume role for profile %q", name)
	rec, err := s.record(name)
	if err != nil {
		return kms.Credentials{}, err
	}
	if rec.Kind != KindTencent {
		return kms.Credentials{}, newErr(CodeProfileInvalid, op, "only tencent profiles can assume a role", nil)
	}
	base, err := s.longTerm(ctx, name)
	if err != nil {
		return kms.Credentials{}, err
	}
	ep, err := s.stsEndpointFor(rec)
	if err != nil {
		return kms.Credentials{}, err
	}
	proxy, err := s.ProxyConfig(ctx, name)
	if err != nil {
		return kms.Credentials{}, err
	}
	c, err := s.assume(ctx, assumeRequest{
		Base: base, Region: rec.Region, Endpoint: ep, Language: rec.Language, Timeout: rec.TimeoutSeconds,
		RoleArn: role.arn, SessionName: role.session, Duration: time.Duration(role.duration) * time.Second, Proxy: proxy,
	})
	if err != nil {
		return kms.Credentials{}, err
	}
	if err := s.storeTemp(name, c, &role); err != nil {
		return kms.Credentials{}, err
	}
	return c, nil
}

// lockRefresh takes the lock that serialises refreshes of one profile and
// returns its unlock function. A caller that finds another refresh in
// progress waits for it (and then, holding the lock, finds fresh credentials).
// Each lock is a channel with room for one holder.
func (s *Store) lockRefresh(name string) (unlock func()) {
	s.mu.Lock()
	l, ok := s.refresh[name]
	if !ok {
		l = make(chan struct{}, 1)
		s.refresh[name] = l
	}
	s.mu.Unlock()
	select {
	case l <- struct{}{}:
	default:
		if s.refreshWait != nil {
			s.refreshWait(name)
		}
		l <- struct{}{}
	}
	return func() { <-l }
}

// temporaryCredentials returns (and when needed refreshes) the profile's
// temporary credentials.
func (s *Store) temporaryCredentials(ctx context.Context, name string) (kms.Credentials, error) {
	op := fmt.Sprintf("get temporary credentials for profile %q", name)
	defer s.lockRefresh(name)()
	var rec profileRecord
	var c kms.Credentials
	var have, sessionSecret bool
	if err := s.view(name, func(r profileRecord) {
		rec = r
		c, have = s.temp[name]
		_, sessionSecret = s.session[name]
	}); err != nil {
		return kms.Credentials{}, err
	}
	t := rec.Temporary
	if t == nil {
		return s.longTerm(ctx, name)
	}
	if !have && t.Storage == StorageKeychain {
		got, err := s.readTempItem(ctx, name)
		switch {
		case err == nil:
			c, have = got, true
			s.mu.Lock()
			s.temp[name] = c
			s.mu.Unlock()
		case errcode.Code(err) == CodeKeychainNotFound:
		default:
			return kms.Credentials{}, err
		}
	}
	canRefresh := t.RoleArn != "" && (sessionSecret || rec.SecretStorage == StorageKeychain)
	switch decideTemp(s.now(), have, c.Expiry, canRefresh) {
	case tempUse:
		return c, nil
	case tempRefresh:
		nc, err := s.assumeAndStore(ctx, name, t.role(name))
		if err != nil {
			if have && (c.Expiry.IsZero() || c.Expiry.After(s.now())) {
				// Still valid: keep working and retry on the next call.
				return c, nil
			}
			return kms.Credentials{}, err
		}
		return nc, nil
	case tempExpired:
		return kms.Credentials{}, newErr(CodeCredentialsExpired, op, fmt.Sprintf("expired at %s", c.Expiry.UTC().Format(time.RFC3339)), nil)
	default:
		return kms.Credentials{}, newErr(CodeCredentialsMissing, op, "no temporary credentials are held and no role is set to obtain them", nil)
	}
}

func (s *Store) readTempItem(ctx context.Context, name string) (kms.Credentials, error) {
	op := fmt.Sprintf("read temporary credentials for profile %q", name)
	return s.readItem(ctx, op, name+stsSuffix, decodeSTSItem)
}

// decodeSTSItem parses a profile's "<name>#sts" keychain item.
func decodeSTSItem(v string) (kms.Credentials, error) {
	const op = "decode keychain item"
	var it stsItem
	if err := json.Unmarshal([]byte(v), &it); err != nil || validateSecret(op, it.SecretID, it.SecretKey) != nil ||
		validateToken(it.Token, MaxTokenLen) != nil || it.Expiry < 0 {
		return kms.Credentials{}, newErr(CodeKeychainUnavailable, op, "keychain item is not a KMS Desk token", nil)
	}
	c := kms.Credentials{SecretID: it.SecretID, SecretKey: it.SecretKey, Token: it.Token}
	if it.Expiry != 0 {
		c.Expiry = time.Unix(it.Expiry, 0).UTC()
	}
	return c, nil
}
