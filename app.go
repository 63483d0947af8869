package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wailsapp/wails/v2/pkg/options"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

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
	// LaunchIntent is --encrypt/--decrypt of the command line (IntentNone without).
	LaunchIntent service.OpenIntent
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
	// handovers gathers the files of launches that arrive together into one batch.
	handovers *handoverBatcher
	// forceQuit is set once the user confirmed quitting while jobs run.
	forceQuit atomic.Bool
}

// NewApp builds the app and its services; nothing is started until Wails calls startup.
func NewApp(cfg AppConfig) (*App, error) {
	ctx, cancel := context.WithCancel(context.Background())
	a := &App{cfg: cfg, log: cfg.Log, shell: &shell{log: cfg.Log}, rootCtx: ctx, cancel: cancel,
		startupDone: make(chan struct{}), local: &embeddedKMS{}}
	var dialogs service.Dialogs = a.shell
	if d, ok := service.ScriptedDialogs(os.Getenv(service.EnvScriptedDialogs)); ok {
		dialogs = d // browser e2e tests of a dev build: no native dialog to click
	}
	a.handovers = newHandoverBatcher(handoverQuiet, handoverMaxWait, time.AfterFunc, a.offer)
	a.backend = service.New(service.Deps{
		Context:                ctx,
		Gate:                   a.startupDone,
		Log:                    cfg.Log,
		Dirs:                   cfg.Dirs,
		RecoverCorruptProfiles: true,
		Local:                  a.local,
		Events:                 service.Emitter(a.shell.emit),
		Dialogs:                dialogs,
		Desktop:                a.shell,
		Info:                   service.AppInfo{Name: "KMS Desk", Version: cfg.Version, ConfigDir: cfg.Dirs.Config, LogFile: cfg.LogFile},
		Quit:                   a.quit,
		Started:                processStart,
	})
	// The profile store reads profiles.json only; the keychain is touched when a
	// secret is needed, so a slow or locked keychain never delays the window.
	if err := a.backend.Host.OpenProfiles(); err != nil {
		cancel()
		return nil, fmt.Errorf("open profiles: %w", err)
	}
	return a, nil
}

// Bindings are the services the frontend may call.
func (a *App) Bindings() []any { return a.backend.Bindings() }

// InitialPreferences returns the saved preferences for the window options.
func (a *App) InitialPreferences() service.Preferences { return a.backend.Host.Preferences() }

// startup runs when the Wails runtime is ready.
func (a *App) startup(ctx context.Context) {
	startupPhase(a.log, "wails runtime ready")
	a.shell.setContext(ctx)
	wruntime.EventsOn(ctx, "wails:file-drop", a.fileDrop)
	// The launch's own files join the launches that arrive right after it: Explorer
	// starts one process per selected file, the first of which becomes this app.
	a.handovers.add(a.cfg.LaunchFiles, a.cfg.LaunchIntent)
	if w := a.InitialPreferences().Window; w.Width > 0 && !w.Maximised && (w.X != 0 || w.Y != 0) {
		wruntime.WindowSetPosition(ctx, w.X, w.Y)
	}
	go a.init()
}

// init opens the embedded local KMS, then opens the gate. Bound methods wait on the gate,
// so a slow keychain never blocks the window from appearing.
func (a *App) init() {
	defer close(a.startupDone)
	defer startupPhase(a.log, "gate open")
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
	a.log.Info("ready")
}

// domReady runs when the page's DOM is loaded (its scripts may still be running).
func (a *App) domReady(context.Context) { startupPhase(a.log, "dom ready") }

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
	if err := a.backend.Host.SaveWindow(win); err != nil {
		a.log.Warn("save window geometry", "err", err)
	}
	// With jobs running the UI asks first and calls AppService.Quit on confirmation.
	return !a.forceQuit.Load() && !a.backend.Host.CloseRequested()
}

// shutdown clears a copied secret from the clipboard, cancels running jobs and waits
// (bounded) for them to remove their partial files, then closes the local KMS.
func (a *App) shutdown(context.Context) {
	a.cancel()
	if err := a.backend.Host.Shutdown(5 * time.Second); err != nil {
		a.log.Warn("file jobs did not stop in time", "err", err)
	}
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
	l := launchFiles(data.Args, data.WorkingDirectory)
	a.handOver(l.intent, l.files...)
}

// launchFiles returns the files among a second launch's arguments, with relative paths
// resolved against the directory that launch was started in (not ours), and its intent.
func launchFiles(args []string, workDir string) launchArgs {
	l, _, _ := parseArgs(args, nilWriter{}, nilWriter{})
	for i, f := range l.files {
		if !filepath.IsAbs(f) && workDir != "" {
			l.files[i] = filepath.Join(workDir, f)
		}
	}
	return l
}

// handOver brings the window to the front and hands files to the UI (in a batch with
// the launches that arrive together).
func (a *App) handOver(intent service.OpenIntent, files ...string) {
	a.log.Info("second launch", "files", len(files), "intent", intentName(intent))
	if ctx := a.shell.context(); ctx != nil {
		wruntime.WindowUnminimise(ctx)
		wruntime.Show(ctx)
	}
	a.handovers.add(files, intent)
}

// offer hands one batch of launch files to the UI.
func (a *App) offer(files []string, intent service.OpenIntent) {
	a.log.Info("files handed over", "count", len(files), "intent", intentName(intent))
	a.backend.Host.OfferFiles(files, intent)
}

// How long the batcher waits for more launches: Explorer's "Encrypt with KMS Desk" on
// N selected files starts N processes (one per file, MultiSelectModel=Player only lifts
// the 15-file limit), which arrive within a fraction of a second of each other.
const (
	handoverQuiet   = 600 * time.Millisecond // a batch closes this long after its last launch
	handoverMaxWait = 4 * time.Second        // and at the latest this long after its first
)

// handoverBatcher gathers files handed over with the same intent until no launch came
// for quiet (or maxWait passed since the batch began) and then offers them as one
// batch. A launch with another intent closes the current batch first.
type handoverBatcher struct {
	quiet, maxWait time.Duration
	afterFunc      func(time.Duration, func()) *time.Timer
	flush          func([]string, service.OpenIntent)

	mu     sync.Mutex
	files  []string
	intent service.OpenIntent
	began  time.Time
	timer  *time.Timer
	seq    int // identifies the current timer: a stopped one that fires anyway does nothing
	now    func() time.Time
}

func newHandoverBatcher(quiet, maxWait time.Duration, afterFunc func(time.Duration, func()) *time.Timer, flush func([]string, service.OpenIntent)) *handoverBatcher {
	return &handoverBatcher{quiet: quiet, maxWait: maxWait, afterFunc: afterFunc, flush: flush, now: time.Now}
}

// add puts files into the current batch (or starts one).
func (b *handoverBatcher) add(files []string, intent service.OpenIntent) {
	if len(files) == 0 {
		return
	}
	b.mu.Lock()
	var closed []string
	var closedIntent service.OpenIntent
	if len(b.files) > 0 && intent != b.intent {
		closed, closedIntent = b.take()
	}
	if len(b.files) == 0 {
		b.intent, b.began = intent, b.now()
	}
	b.files = append(b.files, files...)
	wait := b.quiet
	if left := b.maxWait - b.now().Sub(b.began); left < wait {
		wait = max(left, 0)
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	b.seq++
	seq := b.seq
	b.timer = b.afterFunc(wait, func() { b.fire(seq) })
	b.mu.Unlock()
	if closed != nil {
		b.flush(closed, closedIntent)
	}
}

// fire closes the batch when timer seq runs out; a timer that was replaced or stopped
// but fired anyway finds another seq and does nothing.
func (b *handoverBatcher) fire(seq int) {
	b.mu.Lock()
	if seq != b.seq || len(b.files) == 0 {
		b.mu.Unlock()
		return
	}
	files, intent := b.take()
	b.mu.Unlock()
	b.flush(files, intent)
}

// take empties the current batch; b.mu is held.
func (b *handoverBatcher) take() ([]string, service.OpenIntent) {
	files, intent := b.files, b.intent
	b.files, b.intent = nil, service.IntentNone
	b.seq++
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	return files, intent
}

// fileDrop is the file-drop hook.
func (a *App) fileDrop(data ...any) {
	paths := droppedPaths(data)
	a.log.Info("files dropped", "count", len(paths))
	// Classifying a large folder takes a moment: never hold up the event loop.
	go a.backend.Host.OfferFiles(paths, service.IntentNone)
}

// droppedPaths reads the paths of a file drop. Native drops arrive as (int, int,
// []string); the same event emitted by JavaScript arrives JSON-decoded, so both shapes
// are accepted (Wails' own runtime.OnFileDrop accepts only the first and panics on a
// malformed payload).
func droppedPaths(data []any) []string {
	if len(data) != 3 {
		return nil
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
	return paths
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

// InstanceIDs implements service.LocalKMS.
func (e *embeddedKMS) InstanceIDs() []string {
	srv, err := e.get()
	if err != nil {
		return nil
	}
	return srv.InstanceIDs()
}

// Backup implements service.LocalKMS.
func (e *embeddedKMS) Backup(w io.Writer, passphrase string) (service.LocalBackup, error) {
	srv, err := e.get()
	if err != nil {
		return service.LocalBackup{}, err
	}
	info, err := srv.Backup(w, passphrase)
	return service.LocalBackup(info), err
}

// Restore implements service.LocalKMS.
func (e *embeddedKMS) Restore(r io.Reader, passphrase string) (service.LocalRestore, error) {
	srv, err := e.get()
	if err != nil {
		return service.LocalRestore{}, err
	}
	res, err := srv.Restore(r, passphrase)
	return service.LocalRestore(res), err
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

// shell adapts the Wails runtime to service.Events (through service.Emitter),
// service.Dialogs and service.Desktop.
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

// emit sends an event to the UI (service.Emitter turns the typed events into these).
func (s *shell) emit(name string, data any) {
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
