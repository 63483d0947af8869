// Command kmsdesk is KMS Desk, a desktop app for Tencent Cloud KMS: manage keys,
// encrypt and decrypt text, drop files and folders on the window to encrypt them.
//
// main.go wires the Wails options and binds the services; app.go owns the lifecycle.
// These two files are the only ones that import Wails.
package main

import (
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"runtime"
	"strings"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"

	"github.com/kmsdesk/kmsdesk/backend/applog"
	"github.com/kmsdesk/kmsdesk/backend/service"
	"github.com/kmsdesk/kmsdesk/backend/webview2"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// processStart is taken as early as Go allows, for the startup-time measurement.
var processStart = time.Now()

// singleInstanceID identifies KMS Desk for the single-instance lock.
const singleInstanceID = "com.kmsdesk.app.8f1c2d9e"

//go:embed all:frontend/dist
var assets embed.FS

//go:embed build/appicon.png
var icon []byte

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	launch, done, code := parseArgs(args, stdout, stderr)
	if done {
		return code
	}
	// The Wails bindings generator runs this binary (built with -tags bindings) to read
	// the bound methods; it needs no display and marks the run with "tsoutputtype".
	_, generatingBindings := os.LookupEnv("tsoutputtype")
	if msg := displayProblem(runtime.GOOS, os.Getenv, os.Args[0]); msg != "" && !generatingBindings {
		fmt.Fprintln(stderr, msg)
		return 3
	}
	dirs, err := service.DefaultDirs()
	if generatingBindings {
		// Reading the bound methods must not create the user's files.
		tmp, terr := os.MkdirTemp("", "kmsdesk-bindings-")
		if terr == nil {
			defer os.RemoveAll(tmp)
		}
		dirs, err = service.Dirs{Config: tmp, LocalKMS: tmp, Logs: tmp}, terr
	}
	if err != nil {
		fmt.Fprintln(stderr, "kmsdesk:", err)
		return 1
	}
	log, logPath, closeLog, err := openLog(dirs.Logs, generatingBindings, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "kmsdesk:", err)
		return 1
	}
	defer closeLog()
	startupPhase(log, "log open")
	log.Info("starting", "version", version, "platform", runtime.GOOS+"/"+runtime.GOARCH,
		"files", len(launch.files), "intent", intentName(launch.intent))
	if !generatingBindings {
		if code, stop := webview2.Check(log, stderr); stop {
			return code
		}
	}

	app, err := NewApp(AppConfig{Version: version, Dirs: dirs, Log: log, LogFile: logPath,
		LaunchFiles: launch.files, LaunchIntent: launch.intent})
	if err != nil {
		log.Error("start", "err", err)
		fmt.Fprintln(stderr, "kmsdesk:", err)
		return 1
	}
	startupPhase(log, "app built")
	prefs := app.InitialPreferences()
	width, height := 1280, 800
	if w := prefs.Window; w.Width >= 900 && w.Height >= 600 {
		width, height = w.Width, w.Height
	}
	startState := options.Normal
	if prefs.Window.Maximised {
		startState = options.Maximised
	}
	startupPhase(log, "wails run")

	err = wails.Run(&options.App{
		Title:            "KMS Desk",
		Width:            width,
		Height:           height,
		MinWidth:         900,
		MinHeight:        600,
		WindowStartState: startState,
		AssetServer:      &assetserver.Options{Assets: frontendAssets()},
		BackgroundColour: &options.RGBA{R: 246, G: 247, B: 249, A: 255},
		OnStartup:        app.startup,
		OnDomReady:       app.domReady,
		OnBeforeClose:    app.beforeClose,
		OnShutdown:       app.shutdown,
		Bind:             app.Bindings(),
		EnumBind:         service.Enums(),
		ErrorFormatter:   service.FormatError,
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               singleInstanceID,
			OnSecondInstanceLaunch: app.secondInstance,
		},
		DragAndDrop: &options.DragAndDrop{
			EnableFileDrop: true,
			// DisableWebViewDrop must stay false: on Linux it removes the webview as a
			// drop destination and no file drop arrives at all (wails#3563).
			DisableWebViewDrop: false,
		},
		EnableDefaultContextMenu: false,
		Linux: &linux.Options{
			Icon:             icon,
			ProgramName:      "kmsdesk",
			WebviewGpuPolicy: webviewGpuPolicy(os.Getenv),
		},
		Windows: &windows.Options{
			WebviewIsTransparent: false,
			DisableWindowIcon:    false,
		},
		// macOS hands a double-clicked .kmsenc file over by this event, not by argv.
		Mac: &mac.Options{OnFileOpen: func(path string) { app.handOver(service.IntentNone, path) }},
	})
	if err != nil {
		log.Error("wails run", "err", err)
		fmt.Fprintln(stderr, "kmsdesk:", err)
		return 1
	}
	return 0
}

// startupPhase logs at debug level that a phase of the startup ended now.
func startupPhase(log *slog.Logger, phase string) {
	service.LogStartupPhase(log, processStart, phase, time.Now())
}

// webviewGpuEnv set to 1 lets WebKitGTK render with the GPU (OpenGL) again.
const webviewGpuEnv = "KMSDESK_WEBVIEW_GPU"

// webviewGpuPolicy is how WebKitGTK renders the window on Linux: on the CPU unless
// webviewGpuEnv asks for the GPU. Compositing with OpenGL sets up a GL context and its
// shaders before the first picture, and where Mesa emulates the GPU (virtual machines,
// remote desktops, Xvfb) draws every frame on the CPU all the same: under Xvfb it cost
// about 250 ms of CPU before the key list was painted. Forms and tables gain nothing from
// it. It is also Wails' own default on Linux, for the drivers that draw a blank window
// (wails#2977; docs/TROUBLESHOOTING.md#linux-blank-window).
func webviewGpuPolicy(getenv func(string) string) linux.WebviewGpuPolicy {
	if getenv(webviewGpuEnv) == "1" {
		return linux.WebviewGpuPolicyOnDemand
	}
	return linux.WebviewGpuPolicyNever
}

// logLevelEnv selects the log level: "debug" adds the startup phases and every bound
// call (docs/TROUBLESHOOTING.md); anything else is the default, info.
const logLevelEnv = "KMSDESK_LOG_LEVEL"

// logLevel is the level logLevelEnv asks for.
func logLevel(getenv func(string) string) slog.Level {
	if strings.EqualFold(strings.TrimSpace(getenv(logLevelEnv)), "debug") {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// openLog opens the rotated log file (and mirrors it to stderr in development builds).
// The bindings generator gets a discarded log, so generating bindings writes no files.
func openLog(dir string, discard bool, stderr io.Writer) (*slog.Logger, string, func(), error) {
	if discard {
		return slog.New(slog.DiscardHandler), "", func() {}, nil
	}
	f, err := applog.OpenFile(dir, 0, 0)
	if err != nil {
		return nil, "", nil, err
	}
	var also io.Writer
	if version == "dev" {
		also = stderr
	}
	return applog.New(f, also, logLevel(os.Getenv)), f.Path(), func() { f.Close() }, nil
}

// frontendAssets is the built frontend (frontend/dist) as the webview sees it: the
// build stores the bundles in assets/ gzip-compressed (NAME.gz, see vite.config.ts) to
// keep the binary small, and they are decompressed here when the webview asks for NAME.
func frontendAssets() fs.FS {
	dist, err := fs.Sub(assets, "frontend/dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return gzipFS{dist}
}

// gzipFS serves NAME from NAME.gz when only the compressed file exists.
type gzipFS struct{ fs.FS }

// Open implements fs.FS.
func (g gzipFS) Open(name string) (fs.File, error) {
	f, err := g.FS.Open(name)
	if !errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	zf, zerr := g.FS.Open(name + ".gz")
	if zerr != nil {
		return nil, err
	}
	defer zf.Close()
	st, zerr := zf.Stat()
	if zerr != nil {
		return nil, zerr
	}
	zr, zerr := gzip.NewReader(zf)
	if zerr != nil {
		return nil, fmt.Errorf("decompress %s: %w", name, zerr)
	}
	data, zerr := io.ReadAll(zr)
	if zerr != nil {
		return nil, fmt.Errorf("decompress %s: %w", name, zerr)
	}
	return &memFile{Reader: bytes.NewReader(data), info: memInfo{name: path.Base(name), size: int64(len(data)), mod: st.ModTime()}}, nil
}

// memFile is a decompressed asset; it is an io.ReadSeeker, so the asset server can
// answer range requests.
type memFile struct {
	*bytes.Reader
	info memInfo
}

func (m *memFile) Stat() (fs.FileInfo, error) { return m.info, nil }
func (m *memFile) Close() error               { return nil }

type memInfo struct {
	name string
	size int64
	mod  time.Time
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return i.mod }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

// devFlags are the flags a Wails dev build accepts, with a value each; they are not files.
var devFlags = map[string]bool{"-devserver": true, "-assetdir": true, "-frontenddevserverurl": true, "-loglevel": true}

// launchArgs is what a command line asks the app to do: open files, with an intent
// ("Encrypt with KMS Desk" / "Decrypt with KMS Desk" of the file manager) or without
// (double-click, `kmsdesk FILE`: the content decides).
type launchArgs struct {
	files  []string
	intent service.OpenIntent
}

const usage = `Usage: kmsdesk [--encrypt | --decrypt] [--] [FILE...]

KMS Desk: Tencent Cloud KMS keys, text and file encryption.
Files and folders given are opened in the Files view (.kmsenc files to decrypt, others
to encrypt). When KMS Desk is running already, they go to its window.
  --encrypt  the files are to be encrypted ("Encrypt with KMS Desk" in the file manager)
  --decrypt  the files are to be decrypted ("Decrypt with KMS Desk")
  --version  print the version`

// parseArgs handles --version/--help and returns the files to open and the intent.
// done reports that the process should exit with code.
func parseArgs(args []string, stdout, stderr io.Writer) (launch launchArgs, done bool, code int) {
	onlyFiles := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "":
			continue
		case onlyFiles:
			launch.files = append(launch.files, a)
		case a == "--":
			onlyFiles = true
		case a == "--version" || a == "-version" || a == "-v":
			fmt.Fprintln(stdout, "kmsdesk", version)
			return launchArgs{}, true, 0
		case a == "--help" || a == "-help" || a == "-h":
			fmt.Fprintln(stdout, usage)
			return launchArgs{}, true, 0
		case a == "--encrypt" || a == "--decrypt":
			intent := service.IntentEncrypt
			if a == "--decrypt" {
				intent = service.IntentDecrypt
			}
			if launch.intent != service.IntentNone && launch.intent != intent {
				fmt.Fprintln(stderr, "kmsdesk: --encrypt and --decrypt exclude each other (try --help)")
				return launchArgs{}, true, 2
			}
			launch.intent = intent
		case devFlags[strings.SplitN(a, "=", 2)[0]]:
			if !strings.Contains(a, "=") {
				i++
			}
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(stderr, "kmsdesk: unknown option %s (try --help)\n", a)
			return launchArgs{}, true, 2
		default:
			launch.files = append(launch.files, a)
		}
	}
	if launch.intent != service.IntentNone && len(launch.files) == 0 {
		fmt.Fprintf(stderr, "kmsdesk: --%s needs the files or folders to %s (try --help)\n", launch.intent, launch.intent)
		return launchArgs{}, true, 2
	}
	return launch, false, 0
}

// intentName is an intent as the log shows it.
func intentName(i service.OpenIntent) string {
	if i == service.IntentNone {
		return "none"
	}
	return string(i)
}

// displayProblem explains, on Linux, that there is no display to open the window on,
// and how to run self (the command as typed) anyway.
func displayProblem(goos string, getenv func(string) string, self string) string {
	if goos != "linux" || getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != "" {
		return ""
	}
	return `kmsdesk: no graphical display found (neither DISPLAY nor WAYLAND_DISPLAY is set).
KMS Desk is a desktop app and needs a desktop session to open its window.
  - On a desktop: start it from the applications menu, or from a terminal inside the session.
  - On a server or over SSH: run it under a virtual display, e.g.
        xvfb-run -a ` + self + `
    (Debian/Ubuntu: apt-get install xvfb), or use the command-line tool 'kmsctl' instead.`
}
