package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
)

// Dirs are where KMS Desk keeps its files.
type Dirs struct {
	// Config holds profiles.json and settings.json (never a secret).
	Config string
	// LocalKMS is the data directory of the embedded local KMS.
	LocalKMS string
	// Logs holds the rotated log file.
	Logs string
}

// HomeEnv, when set, puts every KMS Desk file under that directory (tests, portable use).
const HomeEnv = "KMSDESK_HOME"

// DefaultDirs returns the per-user directories: <UserConfigDir>/kmsdesk/{.,localkms,logs},
// or $KMSDESK_HOME/{.,localkms,logs}.
func DefaultDirs() (Dirs, error) {
	root := os.Getenv(HomeEnv)
	if root == "" {
		cfg, err := os.UserConfigDir()
		if err != nil {
			return Dirs{}, fmt.Errorf("find the user config directory: %w", err)
		}
		root = filepath.Join(cfg, "kmsdesk")
	}
	return Dirs{Config: root, LocalKMS: filepath.Join(root, "localkms"), Logs: filepath.Join(root, "logs")}, nil
}

// normalise replaces unknown values with the defaults.
func (p *Preferences) normalise() {
	if !valid(AllLanguages, p.Language) {
		p.Language = LanguageAuto
	}
	if !valid(AllThemes, p.Theme) {
		p.Theme = ThemeAuto
	}
	if !valid(AllOverwrites, p.Overwrite) {
		p.Overwrite = OverwriteRename
	}
	if p.Recovery == nil {
		p.Recovery = []string{}
	}
}

// AppService is the app itself: about, preferences, the end of the startup.
type AppService struct {
	base
	info  AppInfo
	prefs *prefsFile
	files *fileQueue
	quit  func()

	started   time.Time
	readyOnce sync.Once
}

// UIReady is called by the UI each time a view has drawn new data and the frame was
// painted (the Keys view its first page, the Files view the items dropped on it); it
// logs "view drawn view=V rows=N" at debug level. The first call ends the startup: it
// logs the time since the process started ("ui ready view=keys rows=N sinceStartMs=…",
// which the smoke test reads) and at debug level the UI's startup phases, on the same
// scale (LogStartupPhase).
func (s *AppService) UIReady(r UIReady) {
	s.log.Debug("view drawn", "view", r.View, "rows", r.Rows)
	s.readyOnce.Do(func() {
		s.log.Info("ui ready", "view", r.View, "rows", r.Rows, "sinceStartMs", time.Since(s.started).Milliseconds())
		for _, m := range r.Marks {
			at := time.UnixMicro(int64(m.AtMs * 1000))
			LogStartupPhase(s.log, s.started, "ui: "+m.Name, at)
		}
	})
}

// LogStartupPhase logs at debug level that a phase of the startup ended at the moment
// at, as milliseconds since the process started: "startup phase=NAME sinceStartMs=N"
// (KMSDESK_LOG_LEVEL=debug shows them; docs/TROUBLESHOOTING.md).
func LogStartupPhase(log *slog.Logger, started time.Time, phase string, at time.Time) {
	log.Debug("startup", "phase", phase, "sinceStartMs", at.Sub(started).Round(time.Millisecond).Milliseconds())
}

// Listening is called by the UI once it subscribed to the events: files handed to the
// app before then (on the command line, by a second launch) reach it now, as
// app:open-files events.
func (s *AppService) Listening() { s.files.attach() }

// Info returns the version and platform of the app.
func (s *AppService) Info() AppInfo { return s.info }

// Preferences returns the saved preferences (defaults if none were saved).
func (s *AppService) Preferences() (Preferences, error) {
	return call(&s.base, "Preferences", func(context.Context) (Preferences, error) { return s.prefs.load(s.log) })
}

// SavePreferences stores the preferences (settings.json, 0600 in a 0700 directory).
func (s *AppService) SavePreferences(p Preferences) (Preferences, error) {
	return call(&s.base, "SavePreferences", func(context.Context) (Preferences, error) {
		rcs, err := parseRecipients(p.Recovery)
		if err != nil {
			return Preferences{}, err
		}
		p.Recovery = make([]string, len(rcs))
		for i, r := range rcs {
			p.Recovery[i] = r.String()
		}
		return s.prefs.update(s.log, func(cur *Preferences) { w := cur.Window; *cur = p; cur.Window = w })
	})
}

// Quit ends the app; the UI calls it after the user confirmed closing while jobs run.
func (s *AppService) Quit() {
	if s.quit != nil {
		s.quit()
	}
}

// prefsFile is settings.json.
type prefsFile struct {
	mu   sync.Mutex
	path string
}

func (f *prefsFile) load(log *slog.Logger) (Preferences, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loadLocked(log)
}

func (f *prefsFile) loadLocked(log *slog.Logger) (Preferences, error) {
	var p Preferences
	b, err := os.ReadFile(f.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return Preferences{}, errcode.Wrap(CodeFileIO, "read settings", err)
	default:
		if err := json.Unmarshal(b, &p); err != nil {
			log.Warn("settings.json is unreadable; using defaults", "err", err)
			p = Preferences{}
		}
	}
	p.normalise()
	return p, nil
}

// update changes the stored preferences with change and returns them.
func (f *prefsFile) update(log *slog.Logger, change func(*Preferences)) (Preferences, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, err := f.loadLocked(log)
	if err != nil {
		return Preferences{}, err
	}
	change(&p)
	p.normalise()
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return Preferences{}, errcode.Wrap(CodeFileIO, "create the settings folder", err)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return Preferences{}, errcode.Wrap(CodeUnknown, "encode settings", err)
	}
	return p, writeFileAtomic(f.path, b, 0o600)
}

// fileQueue hands files to the UI: until the UI listens they are queued, so none is
// lost while it loads; then every batch goes out at once as app:open-files.
type fileQueue struct {
	events Events
	mu     sync.Mutex
	queue  []OpenFiles
	open   bool
}

func (q *fileQueue) offer(o OpenFiles) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.open {
		q.queue = append(q.queue, o)
		return
	}
	q.events.OpenFiles(o)
}

func (q *fileQueue) attach() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.open = true
	for _, o := range q.queue {
		q.events.OpenFiles(o)
	}
	q.queue = nil
}
