package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// Dirs are where KMS Desk keeps its files.
type Dirs struct {
	// Config holds profiles.json and settings.json (never a secret).
	Config string `json:"config"`
	// LocalKMS is the data directory of the embedded local KMS.
	LocalKMS string `json:"localKms"`
	// Logs holds the rotated log file.
	Logs string `json:"logs"`
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

// Window is the remembered window geometry (0 = unknown).
type Window struct {
	Width     int  `json:"width"`
	Height    int  `json:"height"`
	X         int  `json:"x"`
	Y         int  `json:"y"`
	Maximised bool `json:"maximised"`
}

// Preferences are the user's settings that are not about connections.
type Preferences struct {
	// Language: "auto" (follow the OS), "zh-CN" or "en".
	Language string `json:"language"`
	// Theme: "auto", "light" or "dark".
	Theme string `json:"theme"`
	// OutputDir is the default folder for file results; "" = next to the originals.
	OutputDir string `json:"outputDir"`
	// LastKeyID is the key last used for files and text.
	LastKeyID string `json:"lastKeyId"`
	// Overwrite is the default overwrite policy for file jobs.
	Overwrite string `json:"overwrite"`
	Window    Window `json:"window"`
}

func (p *Preferences) normalise() {
	switch p.Language {
	case "auto", "zh-CN", "en":
	default:
		p.Language = "auto"
	}
	switch p.Theme {
	case "auto", "light", "dark":
	default:
		p.Theme = "auto"
	}
	switch p.Overwrite {
	case "ask", "skip", "rename", "overwrite":
	default:
		p.Overwrite = "rename"
	}
}

// AppInfo describes the running app (About box).
type AppInfo struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	ConfigDir string `json:"configDir"`
	LogFile   string `json:"logFile"`
}

// AppService is the app itself: about, preferences, files handed over on launch.
type AppService struct {
	base
	info    AppInfo
	prefsMu sync.Mutex
	prefs   string // path of settings.json

	launchMu sync.Mutex
	launch   []string
	attached bool // the UI has taken the queue once; later files only go out as events
	events   Events
	quit     func()

	started   time.Time
	readyOnce sync.Once
}

// NewAppService returns an AppService. quit ends the app (nil in kmsctl).
// started is when the process started (for the startup-time log line).
func NewAppService(ctx context.Context, gate Gate, log *slog.Logger, info AppInfo, events Events, quit func(), started time.Time) *AppService {
	info.GoVersion = runtime.Version()
	info.Platform = runtime.GOOS + "/" + runtime.GOARCH
	return &AppService{base: base{ctx: ctx, gate: gate, log: log}, info: info,
		prefs: filepath.Join(info.ConfigDir, "settings.json"), events: events, quit: quit, started: started}
}

// UIReady is called by the UI once its first view has drawn its data; it logs the time
// since the process started, once ("ui ready … sinceStartMs=…"), which the smoke test reads.
func (s *AppService) UIReady(view string) {
	s.readyOnce.Do(func() {
		s.log.Info("ui ready", "view", view, "sinceStartMs", time.Since(s.started).Milliseconds())
	})
}

// Info returns the version and platform of the app.
func (s *AppService) Info() AppInfo { return s.info }

// Preferences returns the saved preferences (defaults if none were saved).
func (s *AppService) Preferences() (Preferences, error) {
	s.prefsMu.Lock()
	defer s.prefsMu.Unlock()
	return s.loadPrefs()
}

func (s *AppService) loadPrefs() (Preferences, error) {
	var p Preferences
	b, err := os.ReadFile(s.prefs)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return Preferences{}, s.logErr("Preferences", &Error{Code: CodeFileIO, Message: "read settings", Err: err})
	default:
		if err := json.Unmarshal(b, &p); err != nil {
			s.log.Warn("settings.json is unreadable; using defaults", "err", err)
			p = Preferences{}
		}
	}
	p.normalise()
	return p, nil
}

// SavePreferences stores the preferences (settings.json, 0600 in a 0700 directory).
func (s *AppService) SavePreferences(p Preferences) (Preferences, error) {
	p.normalise()
	s.prefsMu.Lock()
	defer s.prefsMu.Unlock()
	return p, s.logErr("SavePreferences", s.writePrefs(p))
}

// UpdateWindow records the window geometry, keeping the other preferences.
func (s *AppService) UpdateWindow(w Window) error {
	s.prefsMu.Lock()
	defer s.prefsMu.Unlock()
	p, err := s.loadPrefs()
	if err != nil {
		return err
	}
	p.Window = w
	return s.writePrefs(p)
}

func (s *AppService) writePrefs(p Preferences) error {
	if err := os.MkdirAll(filepath.Dir(s.prefs), 0o700); err != nil {
		return &Error{Code: CodeFileIO, Message: "create the settings folder", Err: err}
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return &Error{Code: CodeUnknown, Message: "encode settings", Err: err}
	}
	_ = os.Remove(s.prefs + ".partial")
	return writeFileAtomic(s.prefs, b, 0o600)
}

// OfferLaunchFiles hands files to the UI: the files the app was started with, dropped
// on the window, or handed over by a second launch. Until the UI has taken the queue
// once (TakeLaunchFiles at its start) they are queued, so none is lost while it loads;
// after that they are only sent as the event app:open-files.
func (s *AppService) OfferLaunchFiles(paths []string) {
	if len(paths) == 0 {
		return
	}
	s.launchMu.Lock()
	if !s.attached {
		s.launch = append(s.launch, paths...)
	}
	s.launchMu.Unlock()
	if s.events != nil {
		s.events.Emit("app:open-files", paths)
	}
}

// TakeLaunchFiles returns and forgets the files handed over so far; the UI calls it once
// it is ready, so files given before it loaded are not lost.
func (s *AppService) TakeLaunchFiles() []string {
	s.launchMu.Lock()
	defer s.launchMu.Unlock()
	out := s.launch
	s.launch, s.attached = nil, true
	if out == nil {
		out = []string{}
	}
	return out
}

// Quit ends the app; the UI calls it after the user confirmed closing while jobs run.
func (s *AppService) Quit() {
	if s.quit != nil {
		s.quit()
	}
}
