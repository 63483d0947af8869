package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/service"
)

// session is what a command works with: the services on the connection the global
// flags chose (the same resolution as the desktop app, in backend/service).
type session struct {
	*service.Backend
	local *lazyLocal
	cmd   *cobra.Command
}

// open builds the services for a command; events receives the job events (nil: none).
// The local KMS of KMS Desk is opened in this process only if a local profile is used.
func (g *globals) open(cmd *cobra.Command, events service.Events) (*session, error) {
	dirs, err := service.DefaultDirs()
	if err != nil {
		return nil, err
	}
	local := &lazyLocal{dir: dirs.LocalKMS}
	b := service.New(service.Deps{
		Context: cmd.Context(),
		Gate:    service.OpenGate(),
		Dirs:    dirs,
		Target: service.Target{Profile: g.profile, Region: g.region, Endpoint: g.endpoint, Env: true,
			Proxy: g.proxy, InsecureHTTP: g.insecureHTTP},
		Local:   local,
		Events:  events,
		Dialogs: noDialogs{},
		Info:    service.AppInfo{Name: "kmsctl", Version: version},
	})
	return &session{Backend: b, local: local, cmd: cmd}, nil
}

// noLocalNoticeEnv, set to anything but "" or "0", hides the note noteLocalKMS prints.
const noLocalNoticeEnv = "KMSDESK_NO_LOCAL_NOTICE"

// localNoticeHelp ends the help of the commands that print that note.
const localNoticeHelp = "With a local-KMS profile (the default \"local\") it first notes on stderr that the key lives\n" +
	"only on this computer; set " + noLocalNoticeEnv + "=1 to hide that note."

// noteLocalKMS tells, on stderr and once per run, that the key of an encryption lives
// only on this computer when the connection is the local KMS: the files open only here
// unless its keys are backed up. stdout (and so --json) is left alone.
func (s *session) noteLocalKMS() {
	if v := os.Getenv(noLocalNoticeEnv); v != "" && v != "0" {
		return
	}
	conn, err := s.Host.Connection()
	if err != nil || conn.Kind != service.KindLocal {
		return
	}
	fmt.Fprintf(s.cmd.ErrOrStderr(), "kmsctl: note: profile %s uses the local KMS: its keys live only on this computer, so what you encrypt with them opens only here. "+
		"Back them up with 'kmsctl local backup -o FILE', or use a Tencent Cloud profile to open files elsewhere (%s=1 hides this note).\n", safe(conn.Profile), noLocalNoticeEnv)
}

// settings opens the services for a profile command: the profile named by --profile
// (or the one named in the command) decides nothing here, so the environment does not
// either.
func (g *globals) settings(cmd *cobra.Command) (*session, error) {
	return g.open(cmd, nil)
}

// close stops the session's jobs and closes the local KMS if it was opened.
func (s *session) close() {
	_ = s.Host.Shutdown(10 * time.Second)
	s.local.close()
}

// lazyLocal opens KMS Desk's embedded local KMS on first use (service.LocalKMS).
type lazyLocal struct {
	dir  string
	mode localkms.MasterKeyMode // MasterKeyAuto unless a local command's --master-key says
	once sync.Once
	srv  *localkms.Server
	err  error
}

func (l *lazyLocal) get() (*localkms.Server, error) {
	l.once.Do(func() {
		l.srv, l.err = localkms.Open(localkms.Options{DataDir: l.dir, MasterKey: l.mode})
		if l.err != nil {
			l.err = fmt.Errorf("open the local KMS in %s (if KMS Desk is running it holds this folder: close it, or use 'kmsctl local serve' and --endpoint): %w", l.dir, l.err)
		}
	})
	return l.srv, l.err
}

// Transport implements service.LocalKMS.
func (l *lazyLocal) Transport() http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		srv, err := l.get()
		if err != nil {
			return nil, err
		}
		return srv.Transport().RoundTrip(r)
	})
}

// EmbeddedCredential implements service.LocalKMS.
func (l *lazyLocal) EmbeddedCredential() (string, string, error) {
	srv, err := l.get()
	if err != nil {
		return "", "", err
	}
	return srv.EmbeddedCredential()
}

// InstanceIDs implements service.LocalKMS.
func (l *lazyLocal) InstanceIDs() []string {
	srv, err := l.get()
	if err != nil {
		return nil
	}
	return srv.InstanceIDs()
}

// Backup implements service.LocalKMS.
func (l *lazyLocal) Backup(w io.Writer, passphrase string) (service.LocalBackup, error) {
	srv, err := l.get()
	if err != nil {
		return service.LocalBackup{}, err
	}
	info, err := srv.Backup(w, passphrase)
	return service.LocalBackup(info), err
}

// Restore implements service.LocalKMS.
func (l *lazyLocal) Restore(r io.Reader, passphrase string) (service.LocalRestore, error) {
	srv, err := l.get()
	if err != nil {
		return service.LocalRestore{}, err
	}
	res, err := srv.Restore(r, passphrase)
	return service.LocalRestore(res), err
}

func (l *lazyLocal) close() {
	if l.srv != nil {
		l.srv.Close()
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// noDialogs answers every dialog with "cancelled": kmsctl takes paths as arguments.
type noDialogs struct{}

func (noDialogs) OpenFiles(string) ([]string, error)      { return nil, nil }
func (noDialogs) OpenFile(string) (string, error)         { return "", nil }
func (noDialogs) OpenDirectory(string) (string, error)    { return "", nil }
func (noDialogs) SaveFile(string, string) (string, error) { return "", nil }

// exitError carries a process exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) ExitCode() int { return e.code }

// usageError is a mistake in the command line (exit code 2).
func usageError(msg string) error { return &exitError{code: 2, msg: msg} }

// failed reports that some items failed after their errors were printed (exit code 1).
func failed(n int, what string) error {
	return &exitError{code: 1, msg: fmt.Sprintf("%d %s failed", n, what)}
}

// hints are what kmsctl suggests for the most common codes (the GUI translates all).
var hints = map[string]string{
	"AuthFailure.SecretIdNotFound":            "the SecretId does not exist or was disabled; check the key pair",
	"AuthFailure.SignatureFailure":            "the SecretKey does not match the SecretId",
	"AuthFailure.SignatureExpire":             "your clock is more than 5 minutes off (sync the system time), or the signed request was sent again",
	"AuthFailure.TokenFailure":                "the temporary credentials are invalid or expired",
	"Credentials.Expired":                     "get new temporary credentials (KMS Desk: Settings → Connections → Temporary credentials)",
	"AuthFailure.UnauthorizedOperation":       "ask for the CAM permission kms:*",
	"UnauthorizedOperation":                   "ask for the CAM permission kms:*",
	"ResourceUnavailable.CmkDisabled":         "enable the key: kmsctl keys enable KEY (a key scheduled for deletion: kmsctl keys cancel-delete KEY first)",
	"ResourceUnavailable.CmkNotFound":         "check the KeyId/alias and the region (--region)",
	"ResourceUnavailable.CmkArchived":         "the key is archived; it can only decrypt",
	"LocalKMS.WeakPassphrase":                 "use at least 12 characters, for example four random words",
	"LocalKMS.BackupPassphrase":               "type the passphrase the backup was made with (check Caps Lock and the keyboard layout)",
	"LocalKMS.BackupDamaged":                  "use another copy of the backup; this one is damaged or is not a backup of local keys",
	"LocalKMS.BackupVersion":                  "update kmsctl: the backup was made by a newer version",
	"LocalKMS.RestoreConflict":                "nothing was restored: rename or delete the key here that clashes, or restore into another --data folder",
	"Client.NetworkError":                     "check the network and the endpoint",
	"Client.Timeout":                          "the KMS did not answer in time; check the network",
	"Client.TLSError":                         "the endpoint's certificate was not trusted",
	"Client.NoCredentials":                    "set TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY or add a profile: kmsctl profile add",
	"Profile.InsecureHTTP":                    "use an https:// endpoint, or add --insecure-http if this network is trusted",
	"InvalidParameterValue.InvalidCiphertext": "the ciphertext is damaged, from another account/region, or the encryption context differs",
	"InvalidParameterValue.InvalidAlias":      "an alias is 1-60 letters, digits, '-' or '_' and does not start with 'kms-'",
	"UnsupportedOperation.RotateNotSupported": "turn automatic rotation on first (kmsctl keys rotation KEY on); imported and asymmetric keys do not rotate",
	"RequestLimitExceeded.RotateRateLimited":  "a key rotates at most once in 24 hours; try again tomorrow",
	"Key.MaterialSizeMismatch":                "this region takes 256-bit (AES-256) material, national-standard regions 128-bit (SM4)",
	"InvalidParameterValue.MaterialNotMatch":  "a key takes back only the material imported into it first",
	"UnsupportedOperation.NotExternalCmk":     "only keys created with --external take imported material",
}

// describeErr is the one line kmsctl prints for an error: the message, the code, a hint.
func describeErr(err error) string {
	code, msg := service.Describe(err)
	line := msg
	if code != service.CodeUnknown && !strings.Contains(msg, code) {
		line += " [" + code + "]"
	}
	if h := hints[code]; h != "" {
		line += " — " + h
	}
	return line
}

// printErr prints one line for a failed item.
func printErr(w io.Writer, item string, err error) {
	if item != "" {
		fmt.Fprintf(w, "kmsctl: %s: %s\n", safe(item), safe(describeErr(err)))
		return
	}
	fmt.Fprintf(w, "kmsctl: %s\n", safe(describeErr(err)))
}
