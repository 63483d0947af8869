package service

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// ConnectionFor turns a stored profile into a Connection whose credentials are read
// from the store at each request (so a changed secret or a refreshed STS token reaches
// an existing client).
func ConnectionFor(store *credentials.Store, p credentials.Profile) Connection {
	name := p.Name
	c := Connection{
		Profile:  p.Name,
		Kind:     string(p.Kind),
		Region:   p.Region,
		Endpoint: p.Endpoint,
		Language: p.Language,
		Timeout:  time.Duration(p.TimeoutSeconds) * time.Second,
	}
	if p.Kind != credentials.KindLocal {
		c.Credentials = func(ctx context.Context) (kms.Credentials, error) {
			cr, err := store.Credentials(ctx, name)
			if err != nil {
				return kms.Credentials{}, err
			}
			return kms.Credentials{SecretID: cr.SecretID, SecretKey: cr.SecretKey, Token: cr.Token}, nil
		}
	}
	return c
}

// ProfileResolver resolves the store's active profile at every call.
func ProfileResolver(store *credentials.Store) Resolver {
	return func(context.Context) (Connection, error) {
		return ConnectionFor(store, store.Active()), nil
	}
}

// SettingsService manages connection profiles (secrets in the OS keychain, never in a
// file and never sent back to the UI) and reports the keychain's state.
type SettingsService struct {
	base
	store   *credentials.Store
	dialogs Dialogs
	events  Events
}

// NewSettingsService returns a SettingsService.
func NewSettingsService(ctx context.Context, gate Gate, log *slog.Logger, conn *Connector, store *credentials.Store, dialogs Dialogs, events Events) *SettingsService {
	return &SettingsService{base: base{ctx: ctx, gate: gate, log: log, conn: conn}, store: store, dialogs: dialogs, events: events}
}

// Profiles lists every profile (without secrets).
func (s *SettingsService) Profiles() []credentials.Profile { return s.store.List() }

// Active returns the profile in use.
func (s *SettingsService) Active() credentials.Profile { return s.store.Active() }

// SetActive switches to another profile and tells the UI.
func (s *SettingsService) SetActive(name string) (credentials.Profile, error) {
	if err := s.store.SetActive(name); err != nil {
		return credentials.Profile{}, s.logErr("SetActive", err)
	}
	p := s.store.Active()
	s.log.Info("profile switched", "profile", p.Name, "kind", p.Kind, "region", p.Region)
	if s.events != nil {
		s.events.Emit("profile:changed", p)
	}
	return p, nil
}

// ProfileInput is a profile to save with, optionally, a new API key pair. An empty
// SecretKey keeps the stored key pair; a SecretID alone is refused.
type ProfileInput struct {
	Profile   credentials.Profile `json:"profile"`
	SecretID  string              `json:"secretId"`
	SecretKey string              `json:"secretKey"`
}

// SaveProfile creates or updates a profile; the key pair goes to the keychain.
func (s *SettingsService) SaveProfile(in ProfileInput) (credentials.Profile, error) {
	var secret *credentials.Secret
	id, key := strings.TrimSpace(in.SecretID), strings.TrimSpace(in.SecretKey)
	switch {
	case key != "":
		secret = &credentials.Secret{SecretID: id, SecretKey: key}
	case id != "" && id != in.Profile.SecretIDMasked:
		return credentials.Profile{}, s.logErr("SaveProfile", invalid("enter the SecretKey together with a new SecretId"))
	}
	p, err := s.store.Save(in.Profile, secret)
	if err != nil {
		return credentials.Profile{}, s.logErr("SaveProfile", err)
	}
	s.log.Info("profile saved", "profile", p.Name, "kind", p.Kind, "region", p.Region, "secretId", p.SecretIDMasked, "storage", p.SecretStorage)
	if p.Name == s.store.Active().Name && s.events != nil {
		s.events.Emit("profile:changed", p)
	}
	return p, nil
}

// DeleteProfile removes a profile and its keychain items.
func (s *SettingsService) DeleteProfile(name string) error {
	wasActive := s.store.Active().Name == name
	if err := s.store.Delete(name); err != nil {
		return s.logErr("DeleteProfile", err)
	}
	if wasActive && s.events != nil {
		s.events.Emit("profile:changed", s.store.Active())
	}
	return nil
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

// TestProfile checks a profile with GetServiceStatus and ListKeys(Limit 1). A failure is
// reported in the result (with its code, which the UI translates into what to check),
// not as an error.
func (s *SettingsService) TestProfile(name string) (TestResult, error) {
	ctx, cancel, err := s.begin()
	if err != nil {
		return TestResult{}, err
	}
	defer cancel()
	p, err := s.store.Get(name)
	if err != nil {
		return TestResult{}, s.logErr("TestProfile", err)
	}
	res := TestResult{Region: p.Region}
	fail := func(err error) (TestResult, error) {
		res.Code, res.Message = ErrorCode(err), err.Error()
		s.log.Info("connection test failed", "profile", name, "code", res.Code)
		return res, nil
	}
	c, err := s.conn.ClientFor(ConnectionFor(s.store, p))
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	st, err := c.ServiceStatus(ctx)
	res.LatencyMs = time.Since(start).Milliseconds()
	if err != nil {
		return fail(err)
	}
	res.ServiceEnabled = st.Enabled
	if !st.Enabled {
		return fail(&kms.Error{Code: "UnsupportedOperation", Message: "KMS is not activated for this account"})
	}
	page, err := c.ListKeys(ctx, kms.ListOptions{Limit: 1})
	if err != nil {
		return fail(err)
	}
	res.OK, res.KeyCount = true, page.Total
	s.log.Info("connection test passed", "profile", name, "latencyMs", res.LatencyMs)
	return res, nil
}

// ImportEnv creates a profile from TENCENTCLOUD_SECRET_ID / _SECRET_KEY / _SESSION_TOKEN /
// _REGION in the environment.
func (s *SettingsService) ImportEnv(name string) (credentials.Profile, error) {
	p, err := s.store.ImportEnv(name)
	return p, s.logErr("ImportEnv", err)
}

// TCCLIProfiles lists the tccli profiles found in ~/.tccli.
func (s *SettingsService) TCCLIProfiles() ([]string, error) {
	names, err := s.store.TCCLIProfiles()
	if names == nil {
		names = []string{}
	}
	return names, s.logErr("TCCLIProfiles", err)
}

// ImportTCCLI creates a profile from a tccli profile. The plaintext tccli credential
// file is left alone; the UI then offers DeleteTCCLIFile.
func (s *SettingsService) ImportTCCLI(tccliName, asName string) (credentials.Profile, error) {
	p, err := s.store.ImportTCCLI(tccliName, asName)
	return p, s.logErr("ImportTCCLI", err)
}

// DeleteTCCLIFile deletes a tccli plaintext credential file, when the user asked to.
func (s *SettingsService) DeleteTCCLIFile(tccliName string) error {
	return s.logErr("DeleteTCCLIFile", s.store.DeleteTCCLICredentialFile(tccliName))
}

// ExportProfiles asks where to save and writes every profile, without secrets. It
// returns the path, or "" if the user cancelled.
func (s *SettingsService) ExportProfiles() (string, error) {
	path, err := s.dialogs.SaveFile("Export profiles", "kmsdesk-profiles.json")
	if err != nil || path == "" {
		return "", s.logErr("ExportProfiles", err)
	}
	var buf strings.Builder
	if err := s.store.Export(&buf); err != nil {
		return "", s.logErr("ExportProfiles", err)
	}
	_ = os.Remove(path + ".partial")
	return path, s.logErr("ExportProfiles", writeFileAtomic(path, []byte(buf.String()), 0o644))
}

// Conflict policies of ImportProfiles.
const (
	ImportReport  = "report"
	ImportSkip    = "skip"
	ImportReplace = "replace"
	ImportRename  = "rename"
)

// ImportProfiles asks for a profile export and imports it. policy is "report" (import
// nothing if a name exists; the result lists the conflicts), "skip", "replace" or
// "rename". path "" asks with a dialog.
func (s *SettingsService) ImportProfiles(path, policy string) (credentials.ImportResult, error) {
	pol := map[string]credentials.ConflictPolicy{ImportReport: credentials.ConflictReport, ImportSkip: credentials.ConflictSkip,
		ImportReplace: credentials.ConflictReplace, ImportRename: credentials.ConflictRename}
	p, ok := pol[policy]
	if !ok {
		return credentials.ImportResult{}, s.logErr("ImportProfiles", invalid("unknown conflict policy "+policy))
	}
	if path == "" {
		var err error
		if path, err = s.dialogs.OpenFile("Import profiles"); err != nil || path == "" {
			return credentials.ImportResult{}, s.logErr("ImportProfiles", err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return credentials.ImportResult{}, s.logErr("ImportProfiles", &Error{Code: CodeFileIO, Message: "open the file", Err: err})
	}
	defer f.Close()
	res, err := s.store.Import(f, p)
	return res, s.logErr("ImportProfiles", err)
}

// KeychainStatus reports whether the OS keychain answers, and what to do if not.
func (s *SettingsService) KeychainStatus() credentials.Status {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	return s.store.KeychainStatus(ctx)
}

// Regions lists the regions for the picker: the offline list, with any region the
// current KMS reports (GetRegions) added.
func (s *SettingsService) Regions() []credentials.Region {
	out := credentials.KnownRegions()
	ctx, cancel, err := s.begin()
	if err != nil {
		return out
	}
	defer cancel()
	c, err := s.conn.Client(ctx)
	if err != nil {
		return out
	}
	online, err := c.Regions(ctx)
	if err != nil {
		return out
	}
	known := map[string]bool{}
	for _, r := range out {
		known[r.ID] = true
	}
	for _, id := range online {
		if !known[id] {
			out = append(out, credentials.Region{ID: id, NameZH: id, NameEN: id})
		}
	}
	return out
}

// AssumeRole obtains temporary credentials for a profile with sts:AssumeRole, using its
// stored long-term keys; they are refreshed automatically before they expire.
func (s *SettingsService) AssumeRole(name, roleArn, sessionName string, minutes int) (credentials.Profile, error) {
	ctx, cancel, err := s.begin()
	if err != nil {
		return credentials.Profile{}, err
	}
	defer cancel()
	p, err := s.store.AssumeRole(ctx, name, roleArn, sessionName, time.Duration(minutes)*time.Minute)
	return p, s.logErr("AssumeRole", err)
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

// SetTemporary stores temporary credentials entered by hand for a profile.
func (s *SettingsService) SetTemporary(in TemporaryInput) (credentials.Profile, error) {
	c := credentials.Credentials{SecretID: strings.TrimSpace(in.SecretID), SecretKey: strings.TrimSpace(in.SecretKey), Token: strings.TrimSpace(in.Token)}
	if in.Expiry > 0 {
		c.Expiry = time.Unix(in.Expiry, 0)
	}
	if err := s.store.SetTemporary(in.Name, c); err != nil {
		return credentials.Profile{}, s.logErr("SetTemporary", err)
	}
	p, err := s.store.Get(in.Name)
	return p, s.logErr("SetTemporary", err)
}
