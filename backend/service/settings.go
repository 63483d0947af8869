package service

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// SettingsService manages connection profiles (secrets in the OS keychain, never in a
// file and never sent back to the UI) and reports the keychain's state.
type SettingsService struct {
	base
	profiles *profileStore
	dialogs  Dialogs
	events   Events
}

// Profiles lists every profile (without secrets).
func (s *SettingsService) Profiles() ([]Profile, error) {
	return withStore(s, "Profiles", func(_ context.Context, st *credentials.Store) ([]Profile, error) {
		return dtos(st.List(), profileDTO), nil
	})
}

// Active returns the profile in use.
func (s *SettingsService) Active() (Profile, error) {
	return withStore(s, "Active", func(_ context.Context, st *credentials.Store) (Profile, error) { return profileDTO(st.Active()), nil })
}

// SetActive switches to another profile and tells the UI.
func (s *SettingsService) SetActive(name string) (Profile, error) {
	return withStore(s, "SetActive", func(_ context.Context, st *credentials.Store) (Profile, error) {
		if err := st.SetActive(name); err != nil {
			return Profile{}, err
		}
		p := profileDTO(st.Active())
		s.log.Info("profile switched", "profile", p.Name, "kind", p.Kind, "region", p.Region)
		s.events.ProfileChanged(p)
		return p, nil
	})
}

// SaveProfile creates or updates a profile; the key pair goes to the keychain.
func (s *SettingsService) SaveProfile(in ProfileInput) (Profile, error) {
	return withStore(s, "SaveProfile", func(_ context.Context, st *credentials.Store) (Profile, error) {
		var secret *credentials.Secret
		id, key := strings.TrimSpace(in.SecretID), strings.TrimSpace(in.SecretKey)
		switch {
		case key != "":
			secret = &credentials.Secret{SecretID: id, SecretKey: key}
		case id != "" && id != in.Profile.SecretIDMasked:
			return Profile{}, invalid("enter the SecretKey together with a new SecretId")
		}
		in.Profile.Name = strings.TrimSpace(in.Profile.Name)
		if _, err := parseRecipients(in.Profile.Recovery); err != nil {
			return Profile{}, err
		}
		saved, err := st.Save(credentials.Profile{Name: in.Profile.Name, Settings: in.Profile.settings()}, secret)
		if err != nil {
			return Profile{}, err
		}
		if in.ProxyPassword != "" {
			if err := st.SetProxyPassword(saved.Name, in.ProxyPassword); err != nil {
				return Profile{}, err
			}
			if saved, err = st.Get(saved.Name); err != nil {
				return Profile{}, err
			}
		}
		p := profileDTO(saved)
		s.log.Info("profile saved", "profile", p.Name, "kind", p.Kind, "region", p.Region, "site", p.Site, "proxy", p.Proxy.Mode,
			"secretId", p.SecretIDMasked, "storage", p.SecretStorage)
		if p.Name == st.Active().Name {
			s.events.ProfileChanged(p)
		}
		return p, nil
	})
}

// DeleteProfile removes a profile and its keychain items.
func (s *SettingsService) DeleteProfile(name string) error {
	_, err := withStore(s, "DeleteProfile", func(_ context.Context, st *credentials.Store) (struct{}, error) {
		wasActive := st.Active().Name == name
		if err := st.Delete(name); err != nil {
			return struct{}{}, err
		}
		if wasActive {
			s.events.ProfileChanged(profileDTO(st.Active()))
		}
		return struct{}{}, nil
	})
	return err
}

// TestProfile checks a profile with GetServiceStatus and ListKeys(Limit 1). A failure is
// reported in the result (with its code, which the UI translates into what to check),
// not as an error.
func (s *SettingsService) TestProfile(name string) (TestResult, error) {
	return withStore(s, "TestProfile", func(ctx context.Context, st *credentials.Store) (TestResult, error) {
		p, err := st.Get(name)
		if err != nil {
			return TestResult{}, err
		}
		res := TestResult{Region: p.Region}
		fail := func(err error) (TestResult, error) {
			res.Code, res.Message = ErrorCode(err), err.Error()
			s.log.Info("connection test failed", "profile", name, "code", res.Code)
			return res, nil
		}
		c, err := s.conn.ClientForProfile(name)
		if err != nil {
			return fail(err)
		}
		start := time.Now()
		status, err := c.ServiceStatus(ctx)
		res.LatencyMs = time.Since(start).Milliseconds()
		if err != nil {
			return fail(err)
		}
		res.ServiceEnabled = status.Enabled
		if !status.Enabled {
			return fail(errcode.New("UnsupportedOperation", "KMS is not activated for this account"))
		}
		page, err := c.ListKeys(ctx, kms.ListOptions{Limit: 1})
		if err != nil {
			return fail(err)
		}
		res.OK, res.KeyCount = true, page.Total
		s.log.Info("connection test passed", "profile", name, "latencyMs", res.LatencyMs)
		return res, nil
	})
}

// ImportEnv creates a profile from TENCENTCLOUD_SECRET_ID / _SECRET_KEY / _SESSION_TOKEN /
// _REGION in the environment.
func (s *SettingsService) ImportEnv(name string) (Profile, error) {
	return s.profileCall("ImportEnv", func(st *credentials.Store) (credentials.Profile, error) { return st.ImportEnv(name) })
}

// TCCLIProfiles lists the tccli profiles found in ~/.tccli.
func (s *SettingsService) TCCLIProfiles() ([]string, error) {
	return withStore(s, "TCCLIProfiles", func(_ context.Context, st *credentials.Store) ([]string, error) {
		names, err := st.TCCLIProfiles()
		if names == nil {
			names = []string{}
		}
		return names, err
	})
}

// ImportTCCLI creates a profile from a tccli profile. The plaintext tccli credential
// file is left alone; the UI then offers DeleteTCCLIFile.
func (s *SettingsService) ImportTCCLI(tccliName, asName string) (Profile, error) {
	return s.profileCall("ImportTCCLI", func(st *credentials.Store) (credentials.Profile, error) { return st.ImportTCCLI(tccliName, asName) })
}

// DeleteTCCLIFile deletes a tccli plaintext credential file, when the user asked to.
func (s *SettingsService) DeleteTCCLIFile(tccliName string) error {
	_, err := withStore(s, "DeleteTCCLIFile", func(_ context.Context, st *credentials.Store) (struct{}, error) {
		return struct{}{}, st.DeleteTCCLICredentialFile(tccliName)
	})
	return err
}

// ExportProfiles asks where to save and writes every profile, without secrets. It
// returns the path, or "" if the user cancelled.
func (s *SettingsService) ExportProfiles() (string, error) {
	return withStore(s, "ExportProfiles", func(_ context.Context, st *credentials.Store) (string, error) {
		path, err := s.dialogs.SaveFile("Export profiles", "kmsdesk-profiles.json")
		if err != nil || path == "" {
			return "", err
		}
		var buf strings.Builder
		if err := st.Export(&buf); err != nil {
			return "", err
		}
		return path, writeFileAtomic(path, []byte(buf.String()), 0o644)
	})
}

var importPolicies = map[ImportPolicy]credentials.ConflictPolicy{ImportReport: credentials.ConflictReport,
	ImportSkip: credentials.ConflictSkip, ImportReplace: credentials.ConflictReplace, ImportRename: credentials.ConflictRename}

// ImportProfiles imports a profile export from path ("" asks with a dialog): with
// policy report nothing is imported if a name exists (the result lists the
// conflicts); skip, replace and rename resolve them.
func (s *SettingsService) ImportProfiles(path string, policy ImportPolicy) (ImportResult, error) {
	return withStore(s, "ImportProfiles", func(_ context.Context, st *credentials.Store) (ImportResult, error) {
		p, ok := importPolicies[policy]
		if !ok {
			return ImportResult{}, invalid("unknown conflict policy " + string(policy))
		}
		if path == "" {
			var err error
			if path, err = s.dialogs.OpenFile("Import profiles"); err != nil || path == "" {
				return ImportResult{}, err
			}
		}
		f, err := os.Open(path)
		if err != nil {
			return ImportResult{}, errcode.Wrap(CodeFileIO, "open the file", err)
		}
		defer f.Close()
		res, err := st.Import(f, p)
		return ImportResult(res), err
	})
}

// KeychainStatus reports whether the OS keychain answers, and what to do if not.
func (s *SettingsService) KeychainStatus() (KeychainStatus, error) {
	return withStore(s, "KeychainStatus", func(ctx context.Context, st *credentials.Store) (KeychainStatus, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return KeychainStatus(st.KeychainStatus(ctx)), nil
	})
}

// Regions lists the regions for the picker: the offline list, with any region the
// current KMS reports (GetRegions) added.
func (s *SettingsService) Regions() ([]Region, error) {
	return call(&s.base, "Regions", func(ctx context.Context) ([]Region, error) {
		var out []Region
		known := map[string]bool{}
		for _, r := range credentials.KnownRegions() {
			out = append(out, Region(r))
			known[r.ID] = true
		}
		c, err := s.conn.Client(ctx)
		if err != nil {
			return out, nil
		}
		online, err := c.Regions(ctx)
		if err != nil {
			return out, nil // the offline list is enough to pick from
		}
		for _, id := range online {
			if !known[id] {
				out = append(out, Region{ID: id, NameZH: id, NameEN: id})
			}
		}
		return out, nil
	})
}

// AssumeRole obtains temporary credentials for a profile with sts:AssumeRole, using its
// stored long-term keys; they are refreshed automatically before they expire.
func (s *SettingsService) AssumeRole(name, roleArn, sessionName string, minutes int) (Profile, error) {
	return withStore(s, "AssumeRole", func(ctx context.Context, st *credentials.Store) (Profile, error) {
		p, err := st.AssumeRole(ctx, name, roleArn, sessionName, time.Duration(minutes)*time.Minute)
		return profileDTO(p), err
	})
}

// SetTemporary stores temporary credentials entered by hand for a profile.
func (s *SettingsService) SetTemporary(in TemporaryInput) (Profile, error) {
	return s.profileCall("SetTemporary", func(st *credentials.Store) (credentials.Profile, error) {
		c := kms.Credentials{SecretID: strings.TrimSpace(in.SecretID), SecretKey: strings.TrimSpace(in.SecretKey), Token: strings.TrimSpace(in.Token)}
		if in.Expiry > 0 {
			c.Expiry = time.Unix(in.Expiry, 0)
		}
		if err := st.SetTemporary(in.Name, c); err != nil {
			return credentials.Profile{}, err
		}
		return st.Get(in.Name)
	})
}

// withStore is call with the profile store.
func withStore[T any](s *SettingsService, op string, f func(ctx context.Context, st *credentials.Store) (T, error)) (T, error) {
	return call(&s.base, op, func(ctx context.Context) (T, error) {
		st, err := s.profiles.get()
		if err != nil {
			var zero T
			return zero, err
		}
		return f(ctx, st)
	})
}

// profileCall runs a store operation that yields a profile.
func (s *SettingsService) profileCall(op string, f func(st *credentials.Store) (credentials.Profile, error)) (Profile, error) {
	return withStore(s, op, func(_ context.Context, st *credentials.Store) (Profile, error) {
		p, err := f(st)
		return profileDTO(p), err
	})
}
