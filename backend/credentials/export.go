package credentials

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// Profile export file identification and limits.
const (
	// ExportFormat is the "format" value of a profile export file.
	ExportFormat = "kmsdesk-profiles"
	// ExportVersion is the export file version this code writes and reads.
	ExportVersion = 1
	// MaxExportBytes is the largest export file Import reads.
	MaxExportBytes = 1 << 20
	// MaxExportProfiles is the most profiles one export file may hold.
	MaxExportProfiles = 1000
)

// exportFile is the JSON written by Export (see docs/CREDENTIALS.md).
type exportFile struct {
	Format     string          `json:"format"`
	Version    int             `json:"version"`
	ExportedAt time.Time       `json:"exportedAt"`
	Profiles   []exportProfile `json:"profiles"`
}

type exportProfile struct {
	Name string `json:"name"`
	Settings
	RoleArn         string `json:"roleArn,omitempty"`
	RoleSessionName string `json:"roleSessionName,omitempty"`
	DurationSeconds int    `json:"durationSeconds,omitempty"`
}

// exportOf returns the export form of a profile's settings: never a secret, nor where
// the proxy password is kept.
func exportOf(name string, st Settings) exportProfile {
	ep := exportProfile{Name: name, Settings: st}
	ep.Recovery = slices.Clone(st.Recovery)
	ep.Proxy.HasPassword, ep.Proxy.PasswordStorage = false, ""
	return ep
}

// Export writes the named profiles (all when names is empty) as a versioned
// JSON file without any secret, for IT to hand out.
func (s *Store) Export(w io.Writer, names ...string) error {
	s.mu.RLock()
	f := exportFile{Format: ExportFormat, Version: ExportVersion, ExportedAt: s.now().UTC().Truncate(time.Second), Profiles: []exportProfile{}}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, r := range s.cfg.Profiles {
		if len(names) > 0 && !want[r.Name] {
			continue
		}
		delete(want, r.Name)
		ep := exportOf(r.Name, r.Settings)
		if r.Temporary != nil {
			ep.RoleArn, ep.RoleSessionName, ep.DurationSeconds = r.Temporary.RoleArn, r.Temporary.RoleSessionName, r.Temporary.DurationSeconds
		}
		f.Profiles = append(f.Profiles, ep)
	}
	s.mu.RUnlock()
	for n := range want {
		return notFound(n)
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return newErr(CodeProfilesIO, "export profiles", "", err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		return newErr(CodeProfilesIO, "export profiles", "", err)
	}
	return nil
}

// parseExport reads and validates an export file. Unknown fields are
// refused (an export must never carry secrets, so a "secretKey" field is an
// error, not something to ignore).
func parseExport(data []byte) (exportFile, error) {
	const op = "read profile export"
	if len(data) > MaxExportBytes {
		return exportFile{}, newErr(CodeImportInvalid, op, fmt.Sprintf("file is larger than %d bytes", MaxExportBytes), nil)
	}
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return exportFile{}, newErr(CodeImportInvalid, op, "not a JSON object", err)
	}
	if head.Format != ExportFormat {
		return exportFile{}, newErr(CodeImportInvalid, op, fmt.Sprintf("format is %q, want %q", head.Format, ExportFormat), nil)
	}
	if head.Version > ExportVersion {
		return exportFile{}, newErr(CodeImportUnsupportedVersion, op, fmt.Sprintf("version %d is newer than %d", head.Version, ExportVersion), nil)
	}
	if head.Version < 1 {
		return exportFile{}, newErr(CodeImportInvalid, op, "missing version", nil)
	}
	var f exportFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return exportFile{}, newErr(CodeImportInvalid, op, "unexpected content (exports never contain secrets)", err)
	}
	if dec.More() {
		return exportFile{}, newErr(CodeImportInvalid, op, "trailing data after the JSON object", nil)
	}
	if len(f.Profiles) > MaxExportProfiles {
		return exportFile{}, newErr(CodeImportInvalid, op, fmt.Sprintf("more than %d profiles", MaxExportProfiles), nil)
	}
	seen := map[string]bool{}
	for i, p := range f.Profiles {
		n, err := normalize(Profile{Name: p.Name, Settings: p.Settings})
		if err != nil {
			return exportFile{}, newErr(CodeImportInvalid, op, fmt.Sprintf("profile %d (%q) is invalid", i+1, p.Name), err)
		}
		if seen[n.Name] {
			return exportFile{}, newErr(CodeImportInvalid, op, fmt.Sprintf("profile %q appears twice", n.Name), nil)
		}
		seen[n.Name] = true
		if p.RoleArn != "" || p.RoleSessionName != "" || p.DurationSeconds != 0 {
			if n.Kind != KindTencent || validateToken(p.RoleArn, 1024) != nil ||
				(p.RoleSessionName != "" && !sessionNameRE.MatchString(p.RoleSessionName)) ||
				(p.DurationSeconds != 0 && (time.Duration(p.DurationSeconds)*time.Second < MinAssumeRoleDuration || time.Duration(p.DurationSeconds)*time.Second > MaxAssumeRoleDuration)) {
				return exportFile{}, newErr(CodeImportInvalid, op, fmt.Sprintf("profile %q has an invalid role", n.Name), nil)
			}
		}
		ep := exportOf(n.Name, n.Settings)
		ep.RoleArn, ep.RoleSessionName, ep.DurationSeconds = p.RoleArn, p.RoleSessionName, p.DurationSeconds
		f.Profiles[i] = ep
	}
	return f, nil
}

// ConflictPolicy says what Import does with a profile whose name exists.
type ConflictPolicy int

const (
	// ConflictReport imports nothing when any name exists and lists the
	// conflicts in ImportResult.Conflicts, so the user can choose.
	ConflictReport ConflictPolicy = iota
	// ConflictSkip keeps existing profiles and imports the rest.
	ConflictSkip
	// ConflictReplace overwrites existing profiles' settings. Their stored
	// secret is kept only when kind and endpoint are unchanged (a key is
	// never sent to an endpoint it was not entered for); temporary
	// credentials are always dropped.
	ConflictReplace
	// ConflictRename imports clashing profiles under a new name "<name>-2", "-3", ….
	ConflictRename
)

// ImportResult reports what Import did.
type ImportResult struct {
	// Imported lists the names of new profiles (after renaming).
	Imported []string
	// Replaced lists existing profiles overwritten under ConflictReplace.
	Replaced []string
	// Skipped lists profiles left alone under ConflictSkip.
	Skipped []string
	// Renamed maps a name in the file to the name it was imported as.
	Renamed map[string]string
	// Conflicts lists names that already exist; only under ConflictReport,
	// and then nothing was imported.
	Conflicts []string
}

// Import reads a profile export and adds its profiles. Names that already
// exist are handled by policy; nothing is overwritten silently.
func (s *Store) Import(r io.Reader, policy ConflictPolicy) (ImportResult, error) {
	const op = "import profiles"
	if policy < ConflictReport || policy > ConflictRename {
		return newImportResult(), newErr(CodeImportInvalid, op, "unknown conflict policy", nil)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxExportBytes+1))
	if err != nil {
		return newImportResult(), newErr(CodeProfilesIO, op, "", err)
	}
	f, err := parseExport(data)
	if err != nil {
		return newImportResult(), err
	}
	var res ImportResult
	err = s.edit(func(cfg *configFile) (func(), error) {
		res = newImportResult()
		for _, p := range f.Profiles {
			if _, ok := cfg.find(p.Name); ok {
				res.Conflicts = append(res.Conflicts, p.Name)
			}
		}
		if policy == ConflictReport && len(res.Conflicts) > 0 {
			return nil, errUnchanged
		}
		res.Conflicts = []string{}
		var dropSession, dropTemp []string
		for _, p := range f.Profiles {
			rec := recordFrom(Profile{Name: p.Name, Settings: p.Settings})
			if p.RoleArn != "" {
				rec.Temporary = &tempRecord{RoleArn: p.RoleArn, RoleSessionName: p.RoleSessionName, DurationSeconds: p.DurationSeconds}
			}
			i, exists := cfg.find(p.Name)
			switch {
			case !exists:
				res.Imported = append(res.Imported, p.Name)
			case policy == ConflictSkip:
				res.Skipped = append(res.Skipped, p.Name)
				continue
			case policy == ConflictRename:
				rec.Name = freeName(cfg, p.Name)
				res.Renamed[p.Name] = rec.Name
				res.Imported = append(res.Imported, rec.Name)
			case policy == ConflictReplace:
				// A key is never sent to an endpoint it was not entered for.
				old := cfg.Profiles[i]
				keepSecret := old.Kind == rec.Kind && old.Endpoint == rec.Endpoint
				if err := s.dropItems(fmt.Sprintf("%s: replace %q", op, old.Name), old, !keepSecret); err != nil {
					return nil, err
				}
				if err := s.dropProxyItem(fmt.Sprintf("%s: replace %q", op, old.Name), old); err != nil {
					return nil, err
				}
				dropTemp = append(dropTemp, old.Name)
				if keepSecret {
					rec.SecretStorage, rec.SecretIDMasked = old.SecretStorage, old.SecretIDMasked
				} else {
					dropSession = append(dropSession, old.Name)
				}
				res.Replaced = append(res.Replaced, p.Name)
			}
			cfg.upsert(rec)
		}
		return func() {
			for _, n := range dropSession {
				delete(s.session, n)
			}
			for _, n := range dropTemp {
				delete(s.temp, n)
				delete(s.proxyPW, n)
			}
		}, nil
	})
	if err != nil {
		return newImportResult(), err
	}
	return res, nil
}

func newImportResult() ImportResult {
	return ImportResult{Imported: []string{}, Replaced: []string{}, Skipped: []string{}, Renamed: map[string]string{}, Conflicts: []string{}}
}

// freeName returns "<name>-2", "<name>-3", … (shortening name to stay
// within MaxNameLen) that is not taken in cfg.
func freeName(cfg *configFile, name string) string {
	for n := 2; ; n++ {
		suffix := "-" + strconv.Itoa(n)
		base := name
		if len(base)+len(suffix) > MaxNameLen {
			base = base[:MaxNameLen-len(suffix)]
		}
		cand := base + suffix
		if _, ok := cfg.find(cand); !ok {
			return cand
		}
	}
}
