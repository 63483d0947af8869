package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/service"
)

// session is what a command works with: the services on the chosen connection.
type session struct {
	backend *service.Backend
	conn    *service.Connector
	store   *credentials.Store
	label   string // what KMS is in use, for messages
	close   func()
}

// openStore opens the profile store of KMS Desk (shared with the desktop app).
func openStore() (*credentials.Store, service.Dirs, error) {
	dirs, err := service.DefaultDirs()
	if err != nil {
		return nil, dirs, err
	}
	store, err := credentials.Open(credentials.Options{ConfigDir: dirs.Config})
	if err != nil {
		return nil, dirs, err
	}
	return store, dirs, nil
}

// envCredentials reads the SDK's own environment variables.
func envCredentials() (kms.Credentials, bool) {
	c := kms.Credentials{
		SecretID:  os.Getenv("TENCENTCLOUD_SECRET_ID"),
		SecretKey: os.Getenv("TENCENTCLOUD_SECRET_KEY"),
		Token:     os.Getenv("TENCENTCLOUD_SESSION_TOKEN"),
	}
	return c, c.SecretID != "" && c.SecretKey != ""
}

// open resolves the connection from the global flags:
//   - --profile NAME: that profile (secrets from the keychain; "local" opens the
//     embedded local KMS of KMS Desk in-process);
//   - otherwise --endpoint or TENCENTCLOUD_SECRET_ID/_SECRET_KEY: those credentials
//     (region from --region, TENCENTCLOUD_REGION, or ap-guangzhou);
//   - otherwise the active profile of KMS Desk.
func (g *globals) open(cmd *cobra.Command) (*session, error) {
	ctx := cmd.Context()
	envCreds, haveEnv := envCredentials()
	if g.profile == "" && (g.endpoint != "" || haveEnv) {
		if !haveEnv {
			return nil, usageError("--endpoint needs credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or use --profile")
		}
		region := firstNonEmpty(g.region, os.Getenv("TENCENTCLOUD_REGION"), "ap-guangzhou")
		conn := service.Connection{Profile: "(environment)", Kind: service.KindTencent, Region: region, Endpoint: g.endpoint,
			Language: "en-US", Credentials: kms.StaticCredentials(envCreds)}
		c := service.NewConnector(func(context.Context) (service.Connection, error) { return conn, nil }, nil)
		label := firstNonEmpty(g.endpoint, kms.DefaultEndpoint) + " (" + region + ")"
		return newSession(ctx, c, nil, label, func() {}), nil
	}
	store, dirs, err := openStore()
	if err != nil {
		return nil, err
	}
	p := store.Active()
	if g.profile != "" {
		if p, err = store.Get(g.profile); err != nil {
			return nil, err
		}
	}
	conn := service.ConnectionFor(store, p)
	if g.region != "" {
		conn.Region = g.region
	}
	if g.endpoint != "" {
		conn.Endpoint = g.endpoint
	}
	if conn.Language == "" {
		conn.Language = "en-US"
	}
	resolve := func(context.Context) (service.Connection, error) { return conn, nil }
	if p.Kind != credentials.KindLocal {
		c := service.NewConnector(resolve, nil)
		return newSession(ctx, c, store, fmt.Sprintf("profile %s (%s)", p.Name, conn.Region), func() {}), nil
	}
	srv, err := openLocal(dirs.LocalKMS)
	if err != nil {
		return nil, err
	}
	c := service.NewConnector(resolve, srv)
	return newSession(ctx, c, store, fmt.Sprintf("profile %s (local KMS)", p.Name), func() { srv.Close() }), nil
}

// openLocal opens KMS Desk's embedded local KMS in this process.
func openLocal(dir string) (*localkms.Server, error) {
	srv, err := localkms.Open(localkms.Options{DataDir: dir, MasterKey: localkms.MasterKeyAuto})
	if err != nil {
		return nil, fmt.Errorf("open the local KMS in %s (if KMS Desk is running it holds this folder: close it, or use 'kmsctl local serve' and --endpoint): %w", dir, err)
	}
	return srv, nil
}

func newSession(ctx context.Context, conn *service.Connector, store *credentials.Store, label string, closeFn func()) *session {
	b := service.New(service.Deps{
		Context:   ctx,
		Gate:      service.OpenGate(),
		Log:       slog.New(slog.DiscardHandler),
		Connector: conn,
		Events:    nil,
		Dialogs:   noDialogs{},
		Desktop:   nil,
		Profiles:  store,
		Info:      service.AppInfo{Name: "kmsctl", Version: version},
	})
	return &session{backend: b, conn: conn, store: store, label: label, close: closeFn}
}

// noDialogs answers every dialog with "cancelled": kmsctl takes paths as arguments.
type noDialogs struct{}

func (noDialogs) OpenFiles(string) ([]string, error)      { return nil, nil }
func (noDialogs) OpenFile(string) (string, error)         { return "", nil }
func (noDialogs) OpenDirectory(string) (string, error)    { return "", nil }
func (noDialogs) SaveFile(string, string) (string, error) { return "", nil }

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

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
	"AuthFailure.SignatureExpire":             "your clock is more than 5 minutes off; sync the system time",
	"AuthFailure.TokenFailure":                "the temporary credentials are invalid or expired",
	"AuthFailure.UnauthorizedOperation":       "ask for the CAM permission kms:*",
	"UnauthorizedOperation":                   "ask for the CAM permission kms:*",
	"ResourceUnavailable.CmkDisabled":         "enable the key: kmsctl keys enable KEY",
	"ResourceUnavailable.CmkNotFound":         "check the KeyId/alias and the region (--region)",
	"ResourceUnavailable.CmkArchived":         "the key is archived; it can only decrypt",
	"Client.NetworkError":                     "check the network and the endpoint",
	"Client.Timeout":                          "the KMS did not answer in time; check the network",
	"Client.TLSError":                         "the endpoint's certificate was not trusted",
	"Client.NoCredentials":                    "set TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY or add a profile: kmsctl profile add",
	"InvalidParameterValue.InvalidCiphertext": "the ciphertext is damaged, from another account/region, or the encryption context differs",
	"InvalidParameterValue.InvalidAlias":      "an alias is 1-60 letters, digits, '-' or '_' and does not start with 'kms-'",
}

// describeErr is the one line kmsctl prints for an error: the message, the code, a hint.
func describeErr(err error) string {
	code := service.ErrorCode(err)
	msg := err.Error()
	var ke *kms.Error
	if errors.As(err, &ke) && ke.Message != "" {
		msg = ke.Message
	}
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
		fmt.Fprintf(w, "kmsctl: %s: %s\n", item, describeErr(err))
		return
	}
	fmt.Fprintf(w, "kmsctl: %s\n", describeErr(err))
}
