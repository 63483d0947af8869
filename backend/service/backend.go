package service

import (
	"context"
	"log/slog"
	"path/filepath"
	"runtime"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
)

// Deps is everything the services need from their host (the desktop shell or kmsctl).
type Deps struct {
	// Context ends when the host shuts down.
	Context context.Context
	// Gate opens when startup is done (OpenGate() for kmsctl).
	Gate Gate
	Log  *slog.Logger
	// Dirs are where profiles, settings and the local KMS live.
	Dirs Dirs
	// RecoverCorruptProfiles moves a damaged profiles.json aside instead of failing
	// (the desktop app; kmsctl reports it).
	RecoverCorruptProfiles bool
	// Target is what to connect to (kmsctl's flags); zero is the active profile.
	Target Target
	// Local is the embedded local KMS (nil: local profiles are unavailable).
	Local LocalKMS
	// Events receives the events for the UI (nil: none).
	Events  Events
	Dialogs Dialogs
	Desktop Desktop
	Info    AppInfo
	// Quit ends the app (nil in kmsctl).
	Quit func()
	// Started is when the process started.
	Started time.Time
	// Getenv reads the environment (nil: os.Getenv).
	Getenv func(string) string
}

// Backend is the set of services: those the desktop app binds, and Host, which only
// the host calls.
type Backend struct {
	Keys     *KeyService
	Text     *TextService
	App      *AppService
	Settings *SettingsService
	Files    *FileService
	// Host is for the desktop shell and kmsctl, never bound to the UI.
	Host *Host
}

// New builds the services from d. The profile store is opened on first use
// (Host.OpenProfiles opens it at once).
func New(d Deps) *Backend {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Events == nil {
		d.Events = NoEvents{}
	}
	if d.Context == nil {
		d.Context = context.Background()
	}
	profiles := &profileStore{opts: credentials.Options{ConfigDir: d.Dirs.Config, RecoverCorrupt: d.RecoverCorruptProfiles}}
	conn := newConnector(profiles, d.Local, d.Target, d.Getenv)
	b := base{ctx: d.Context, gate: d.Gate, log: d.Log, conn: conn}
	d.Info.GoVersion = runtime.Version()
	d.Info.Platform = runtime.GOOS + "/" + runtime.GOARCH
	files := &fileQueue{events: d.Events}
	prefs := &prefsFile{path: filepath.Join(d.Dirs.Config, "settings.json")}
	inv := newInventoryRecorder(d.Dirs.Config, d.Log)
	be := &Backend{
		Keys:     &KeyService{base: b, dialogs: coded(d.Dialogs), inv: inv},
		Text:     &TextService{base: b, dialogs: coded(d.Dialogs), desktop: d.Desktop},
		App:      &AppService{base: b, info: d.Info, prefs: prefs, files: files, quit: d.Quit, started: d.Started},
		Settings: &SettingsService{base: b, profiles: profiles, dialogs: coded(d.Dialogs), events: d.Events},
		Files:    newFileService(b, coded(d.Dialogs), d.Desktop, d.Events, d.Info, inv),
	}
	be.Host = &Host{b: be, events: d.Events, files: files, prefs: prefs, conn: conn, profiles: profiles}
	return be
}

// Bindings returns the services to hand to Wails' Bind.
func (b *Backend) Bindings() []any {
	return []any{b.Keys, b.Text, b.App, b.Settings, b.Files}
}

// Host is what the host (the desktop shell, kmsctl) calls and the UI never does.
type Host struct {
	b        *Backend
	events   Events
	files    *fileQueue
	prefs    *prefsFile
	conn     *Connector
	profiles *profileStore
}

// OpenProfiles opens the profile store now (the desktop app, so that a store it cannot
// open stops it at startup with a clear message).
func (h *Host) OpenProfiles() error {
	_, err := h.profiles.get()
	return err
}

// OfferFiles hands files to the UI (dropped on the window, given on the command line,
// handed over by a second launch or the OS), classified, as app:open-files.
func (h *Host) OfferFiles(paths []string, intent OpenIntent) {
	if len(paths) > 0 {
		h.files.offer(classify(paths, intent))
	}
}

// Preferences returns the saved preferences (for the window's first size).
func (h *Host) Preferences() Preferences {
	p, err := h.prefs.load(h.b.App.log)
	if err != nil {
		h.b.App.log.Warn("read preferences", "err", err)
	}
	return p
}

// SaveWindow records the window geometry, keeping the other preferences.
func (h *Host) SaveWindow(w Window) error {
	_, err := h.prefs.update(h.b.App.log, func(p *Preferences) { p.Window = w })
	return err
}

// CloseRequested reports whether the window may close now: when file jobs run it asks
// the UI to confirm (app:confirm-close) and returns false.
func (h *Host) CloseRequested() bool {
	running := h.b.Files.jobs(true)
	if len(running) == 0 {
		return true
	}
	h.events.ConfirmClose(running)
	return false
}

// Shutdown clears a copied secret from the clipboard, cancels every file job and waits
// up to timeout for them to remove their partial files and for the files they finished
// to be recorded in the inventory.
func (h *Host) Shutdown(timeout time.Duration) error {
	if h.b.Text.desktop != nil {
		h.b.Text.clearClipboard()
	}
	start := time.Now()
	err := h.b.Files.stopJobs(timeout)
	h.b.Files.inv.flush(max(timeout-time.Since(start), 0))
	return err
}

// Connection returns the connection the services use now (kmsctl's messages).
func (h *Host) Connection() (Connection, error) { return h.conn.Current() }

// Wait blocks until no file job runs or ctx ends (kmsctl waits for its jobs).
func (h *Host) Wait(ctx context.Context) error { return h.b.Files.mgr.Wait(ctx) }
