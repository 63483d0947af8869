package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wailsapp/wails/v2/pkg/options"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/service"
)

// AppConfig is what main hands the app.
type AppConfig struct {
	Version     string
	Dirs        service.Dirs
	Log         *slog.Logger
	LogFile     string
	LaunchFiles []string
}

// App owns the lifecycle: it starts the embedded local KMS, opens the startup gate the
// bound services wait on, hooks file drops and second launches, and adapts the Wails
// runtime to the backend's Events/Dialogs/Desktop interfaces.
type App struct {
	cfg   AppConfig
	log   *slog.Logger
	shell *shell

	rootCtx     context.Context
	cancel      context.CancelFunc
	startupDone chan struct{}

	local   *embeddedKMS
	backend *service.Backend
	// forceQuit is set once the user confirmed quitting while jobs run.
	forceQuit atomic.Bool
}

// NewApp builds the app and its services; nothing is started until Wails calls startup.
func NewApp(cfg AppConfig) (*App, error) {
	ctx, cancel := context.WithCancel(context.Background())
	a := &App{cfg: cfg, log: cfg.Log, shell: &shell{log: cfg.Log}, rootCtx: ctx, cancel: cancel,
		startupDone: make(chan struct{}), local: &embeddedKMS{}}
	// The profile store reads profiles.json only; the keychain is touched when a
	// secret is needed, so a slow or locked keychain never delays the window.
	store, err := credentials.Open(credentials.Options{ConfigDir: cfg.Dirs.Config, RecoverCorrupt: true})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("open profiles: %w", err)
	}
	conn := service.NewConnector(service.ProfileResolver(store), a.local)
	a.backend = service.New(service.Deps{
		Profiles:  store,
		Context:   ctx,
		Gate:      a.startupDone,
		Log:       cfg.Log,
		Connector: conn,
		Events:    a.shell,
		Dialogs:   a.shell,
		Desktop:   a.shell,
		Info:      service.AppInfo{Name: "KMS Desk", Version: cfg.Version, ConfigDir: cfg.Dirs.Config, LogFile: cfg.LogFile},
		Quit:      a.quit,
		Started:   processStart,
	})
	return a, nil
}

// Bindings are the services the frontend may call.
func (a *App) Bindings() []any { return a.backend.Bindings() }

// InitialPreferences returns the saved preferences for the window options.
func (a *App) InitialPreferences() service.Preferences {
	p, err := a.backend.App.Preferences()
	if err != nil {
		a.log.Warn("read preferences", "err", err)
	}
	return p
}

// startup runs when the Wails runtime is ready.
func (a *App) startup(ctx context.Context) {
	a.shell.setContext(ctx)
	wruntime.EventsOn(ctx, "wails:file-drop", a.fileDrop)
	if w := a.InitialPreferences().Window; w.Width > 0 && !w.Maximised && (w.X != 0 || w.Y != 0) {
		wruntime.WindowSetPosition(ctx, w.X, w.Y)
	}
	go a.init()
}

// init opens the embedded local KMS, then opens the gate. Bound methods wait on the gate,
// so a slow keychain never blocks the window from appearing.
func (a *App) init() {
	defer close(a.startupDone)
	srv, err := localkms.Open(localkms.Options{
		DataDir:   a.cfg.Dirs.LocalKMS,
		MasterKey: localkms.MasterKeyAuto,
		Logger:    a.log.With("component", "localkms"),
	})
	if err != nil {
		a.log.Error("open the embedded local KMS", "err", err)
		a.local.set(nil, err)
		return
	}
	a.local.set(srv, nil)
	a.backend.App.OfferLaunchFiles(a.cfg.LaunchFiles)
	a.log.Info("ready")
}

func (a *App) domReady(context.Context) {}

// beforeClose saves the window geometry. It returns true (keep the window open) when
// jobs are still running, after asking the UI to confirm.
func (a *App) beforeClose(ctx context.Context) bool {
	w, h := wruntime.WindowGetSize(ctx)
	x, y := wruntime.WindowGetPosition(ctx)
	win := service.Window{Width: w, Height: h, X: x, Y: y, Maximised: wruntime.WindowIsMaximised(ctx)}
	if win.Maximised {
		if p := a.InitialPreferences(); p.Window.Width > 0 {
			win.Width, win.Height, win.X, win.Y = p.Window.Width, p.Window.Height, p.Window.X, p.Window.Y
		}
	}
	if err := a.backend.App.UpdateWindow(win); err != nil {
		a.log.Warn("save window geometry", "err", err)
	}
	if n, _ := a.backend.Files.RunningJobs(); n > 0 && !a.forceQuit.Load() {
		// Ask first: the UI shows a dialog and calls AppService.Quit on confirmation.
		a.shell.Emit("app:confirm-close", n)
		return true
	}
	return false
}

// shutdown cancels running jobs and waits (bounded) for them to remove their partial
// files, then closes the local KMS.
func (a *App) shutdown(context.Context) {
	a.cancel()
	service.StopFileJobs(a.backend.Files, 5*time.Second)
	a.local.close(a.log)
	a.log.Info("stopped")
}

// quit ends the app without asking again (the UI asked the user already).
func (a *App) quit() {
	a.forceQuit.Store(true)
	if ctx := a.shell.context(); ctx != nil {
		wruntime.Quit(ctx)
	}
}

// secondInstance receives the arguments of a second launch and hands its files over.
func (a *App) secondInstance(data options.SecondInstanceData) {
	a.handOver(launchFiles(data.Args, data.WorkingDirectory)...)
}

// launchFiles returns the files among a second launch's arguments, with relative paths
// resolved against the directory that launch was started in (not ours).
func launchFiles(args []string, workDir string) []string {
	files, _, _ := parseArgs(args, nilWriter{}, nilWriter{})
	for i, f := range files {
		if !filepath.IsAbs(f) && workDir != "" {
			files[i] = filepath.Join(workDir, f)
		}
	}
	return files
}

// handOver brings the window to the front and hands files to the UI.
func (a *App) handOver(files ...string) {
	a.log.Info("second launch", "files", len(files))
	if ctx := a.shell.context(); ctx != nil {
		wruntime.WindowUnminimise(ctx)
		wruntime.Show(ctx)
	}
	a.backend.App.OfferLaunchFiles(files)
}

// fileDrop is the file-drop hook. Native drops arrive as (int, int, []string); the same
// event emitted by JavaScript arrives JSON-decoded, so both shapes are accepted (Wails'
// own runtime.OnFileDrop accepts only the first and panics on a malformed payload).
func (a *App) fileDrop(data ...any) {
	if len(data) != 3 {
		a.log.Warn("file drop without paths")
		return
	}
	var paths []string
	switch p := data[2].(type) {
	case []string:
		paths = p
	case []any:
		for _, v := range p {
			if s, ok := v.(string); ok && s != "" {
				paths = append(paths, s)
			}
		}
	}
	a.log.Info("files dropped", "count", len(paths))
	a.backend.App.OfferLaunchFiles(paths)
}

// embeddedKMS is the local KMS opened in the background; the services reach it only
// after the startup gate opened, i.e. after set.
type embeddedKMS struct {
	mu  sync.RWMutex
	srv *localkms.Server
	err error
}

func (e *embeddedKMS) set(srv *localkms.Server, err error) {
	e.mu.Lock()
	e.srv, e.err = srv, err
	e.mu.Unlock()
}

func (e *embeddedKMS) get() (*localkms.Server, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.srv == nil {
		if e.err != nil {
			return nil, e.err
		}
		return nil, fmt.Errorf("the local KMS is still starting")
	}
	return e.srv, nil
}

// Transport implements service.LocalKMS.
func (e *embeddedKMS) Transport() http.RoundTripper { return embeddedTransport{e} }

// EmbeddedCredential implements service.LocalKMS.
func (e *embeddedKMS) EmbeddedCredential() (string, string, error) {
	srv, err := e.get()
	if err != nil {
		return "", "", err
	}
	return srv.EmbeddedCredential()
}

func (e *embeddedKMS) close(log *slog.Logger) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		if err := e.srv.Close(); err != nil {
			log.Warn("close the local KMS", "err", err)
		}
		e.srv = nil
	}
}

type embeddedTransport struct{ e *embeddedKMS }

func (t embeddedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	srv, err := t.e.get()
	if err != nil {
		return nil, err
	}
	return srv.Transport().RoundTrip(r)
}

// shell adapts the Wails runtime to service.Events, service.Dialogs and service.Desktop.
// Runtime calls need the Wails context (any other context kills the process), so every
// method is a no-op or an error until startup handed it over.
type shell struct {
	log *slog.Logger
	mu  sync.RWMutex
	ctx context.Context
}

func (s *shell) setContext(ctx context.Context) {
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
}

func (s *shell) context() context.Context {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.ctx
}

var errNoWindow = fmt.Errorf("the window is not ready")

// Emit implements service.Events.
func (s *shell) Emit(name string, data any) {
	if ctx := s.context(); ctx != nil {
		wruntime.EventsEmit(ctx, name, data)
	}
}

// OpenFiles implements service.Dialogs.
func (s *shell) OpenFiles(title string) ([]string, error) {
	ctx := s.context()
	if ctx == nil {
		return nil, errNoWindow
	}
	return wruntime.OpenMultipleFilesDialog(ctx, wruntime.OpenDialogOptions{Title: title})
}

// OpenFile implements service.Dialogs.
func (s *shell) OpenFile(title string) (string, error) {
	ctx := s.context()
	if ctx == nil {
		return "", errNoWindow
	}
	return wruntime.OpenFileDialog(ctx, wruntime.OpenDialogOptions{Title: title})
}

// OpenDirectory implements service.Dialogs.
func (s *shell) OpenDirectory(title string) (string, error) {
	ctx := s.context()
	if ctx == nil {
		return "", errNoWindow
	}
	return wruntime.OpenDirectoryDialog(ctx, wruntime.OpenDialogOptions{Title: title, CanCreateDirectories: true})
}

// SaveFile implements service.Dialogs.
func (s *shell) SaveFile(title, defaultName string) (string, error) {
	ctx := s.context()
	if ctx == nil {
		return "", errNoWindow
	}
	return wruntime.SaveFileDialog(ctx, wruntime.SaveDialogOptions{Title: title, DefaultFilename: defaultName, CanCreateDirectories: true})
}

// SetClipboard implements service.Desktop.
func (s *shell) SetClipboard(text string) error {
	ctx := s.context()
	if ctx == nil {
		return errNoWindow
	}
	return wruntime.ClipboardSetText(ctx, text)
}

// Clipboard implements service.Desktop.
func (s *shell) Clipboard() (string, error) {
	ctx := s.context()
	if ctx == nil {
		return "", errNoWindow
	}
	return wruntime.ClipboardGetText(ctx)
}

// ShowFolder implements service.Desktop: it opens a folder in the OS file manager.
func (s *shell) ShowFolder(path string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("explorer", path)
	case "darwin":
		cmd = exec.Command("open", path)
	default:
		cmd = exec.Command("xdg-open", path)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

type nilWriter struct{}

func (nilWriter) Write(p []byte) (int, error) { return len(p), nil }
