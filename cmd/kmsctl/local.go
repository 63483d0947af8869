package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/spf13/cobra"
)

// localShutdownTimeout bounds how long "local serve" waits for in-flight
// requests after SIGINT/SIGTERM.
const localShutdownTimeout = 5 * time.Second

// localOptions are the flags shared by the "local" commands.
type localOptions struct {
	dataDir   string
	masterKey string
}

// localError is a CLI error with a stable code.
type localError struct {
	code string
	msg  string
}

func (e *localError) Error() string     { return e.msg }
func (e *localError) ErrorCode() string { return e.code }

// defaultLocalDataDir is <user config dir>/kmsdesk/localkms, e.g.
// ~/.config/kmsdesk/localkms on Linux, ~/Library/Application Support/kmsdesk/localkms
// on macOS and %AppData%\kmsdesk\localkms on Windows.
func defaultLocalDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return filepath.Join(".", "kmsdesk", "localkms")
	}
	return filepath.Join(dir, "kmsdesk", "localkms")
}

func parseMasterKeyMode(s string) (localkms.MasterKeyMode, error) {
	switch s {
	case "auto", "":
		return localkms.MasterKeyAuto, nil
	case "file":
		return localkms.MasterKeyFile, nil
	case "keychain":
		return localkms.MasterKeyKeychain, nil
	}
	return 0, &localError{code: "LocalKMS.InvalidOptions", msg: fmt.Sprintf("--master-key must be auto, file or keychain, not %q", s)}
}

func newLocalCmd(g *globals) *cobra.Command {
	lo := &localOptions{}
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Run and administer the local KMS (a Tencent Cloud KMS API server on this machine)",
		Long: "The local KMS speaks Tencent Cloud KMS API 2019-01-18, so the official SDKs, tccli and\n" +
			"kmsctl itself can use it instead of the cloud. See docs/LOCAL-KMS.md.",
		Args: cobra.NoArgs,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&lo.dataDir, "data", defaultLocalDataDir(), "data directory (database and, with --master-key file, master.key)")
	pf.StringVar(&lo.masterKey, "master-key", "auto", "where the at-rest master key lives: auto, file or keychain")
	cmd.AddCommand(newLocalServeCmd(g, lo), newLocalCredentialsCmd(g, lo))
	return cmd
}

func newLocalServeCmd(g *globals, lo *localOptions) *cobra.Command {
	var (
		listen      string
		seed        string
		uin         string
		appID       string
		regions     []string
		allowRemote bool
		envCreds    bool
		tlsCert     string
		tlsKey      string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the local KMS over HTTP until interrupted",
		Long: "Serve the local KMS over HTTP. Prints one line with the URL once listening, then one log\n" +
			"line per request on stderr. The default region is the global --region (default ap-guangzhou).\n" +
			"Listening on a non-loopback address needs --allow-remote: requests are authenticated,\n" +
			"but travel in clear HTTP.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mode, err := parseMasterKeyMode(lo.masterKey)
			if err != nil {
				return err
			}
			if err := checkLocalListen(listen, allowRemote); err != nil {
				return err
			}
			var tlsConfig *tls.Config
			if tlsCert != "" || tlsKey != "" {
				pair, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
				if err != nil {
					return &localError{code: "LocalKMS.InvalidOptions", msg: fmt.Sprintf("--tls-cert/--tls-key: %v", err)}
				}
				tlsConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			srv, err := localkms.Open(localkms.Options{
				DataDir:              lo.dataDir,
				Region:               g.region,
				Regions:              regions,
				Uin:                  uin,
				AppID:                appID,
				AcceptEnvCredentials: envCreds,
				MasterKey:            mode,
				Logger:               logger,
			})
			if err != nil {
				return err
			}
			defer srv.Close()
			if seed != "" {
				if err := seedLocal(srv, seed); err != nil {
					return err
				}
			}
			if creds, err := srv.ListCredentials(); err == nil && len(creds) == 0 && !envCreds {
				logger.Warn("localkms: no credentials yet; stop the server and run 'kmsctl local credentials create --data " + lo.dataDir + "', or restart with --env-credentials")
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", listen, err)
			}
			scheme := "http://"
			if tlsConfig != nil {
				scheme = "https://"
			}
			url := scheme + ln.Addr().String()
			out := cmd.OutOrStdout()
			if g.json {
				b, _ := json.Marshal(map[string]string{"url": url, "dataDir": lo.dataDir})
				fmt.Fprintln(out, string(b))
			} else {
				fmt.Fprintln(out, "local KMS listening on "+url)
			}
			return serveLocal(cmd.Context(), ln, srv, tlsConfig)
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:9000", "address to listen on (port 0 picks a free port)")
	f.StringVar(&seed, "seed", "", "YAML seed file of keys to create if their aliases do not exist yet")
	f.StringVar(&uin, "uin", localkms.DefaultUin, "account UIN reported as CreatorUin")
	f.StringVar(&appID, "app-id", localkms.DefaultAppID, "account AppId")
	f.StringSliceVar(&regions, "regions", nil, "regions served and answered by GetRegions (default: a built-in list)")
	f.BoolVar(&allowRemote, "allow-remote", false, "allow listening on a non-loopback address")
	f.BoolVar(&envCreds, "env-credentials", false, "also accept TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY from the environment")
	f.StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (for clients that only speak HTTPS, e.g. tccli)")
	f.StringVar(&tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	return cmd
}

// checkLocalListen refuses addresses that are not loopback unless allowed.
func checkLocalListen(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &localError{code: "LocalKMS.InvalidOptions", msg: fmt.Sprintf("--listen %q: %v", addr, err)}
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return &localError{
		code: "LocalKMS.RemoteListenRefused",
		msg:  fmt.Sprintf("refusing to listen on non-loopback address %q without --allow-remote", addr),
	}
}

func seedLocal(srv *localkms.Server, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open seed file: %w", err)
	}
	defer f.Close()
	return srv.Seed(f)
}

// serveLocal serves (HTTPS when tlsConfig is set) until ctx is cancelled, then
// shuts down gracefully.
func serveLocal(ctx context.Context, ln net.Listener, srv *localkms.Server, tlsConfig *tls.Config) error {
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         tlsConfig,
	}
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- hs.ServeTLS(ln, "", "")
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), localShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func newLocalCredentialsCmd(g *globals, lo *localOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "Create and list the local KMS's API key pairs (run while the server is stopped)",
		Args:  cobra.NoArgs,
	}
	var name string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a key pair and print its SecretId and SecretKey (the SecretKey is shown only once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv, err := openLocalAdmin(lo)
			if err != nil {
				return err
			}
			defer srv.Close()
			c, err := srv.CreateCredential(name)
			if err != nil {
				return err
			}
			return printCredential(cmd.OutOrStdout(), g.json, c)
		},
	}
	create.Flags().StringVar(&name, "name", "default", "label of the key pair")
	list := &cobra.Command{
		Use:   "list",
		Short: "List key pairs (never prints a SecretKey)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv, err := openLocalAdmin(lo)
			if err != nil {
				return err
			}
			defer srv.Close()
			creds, err := srv.ListCredentials()
			if err != nil {
				return err
			}
			return printCredentialList(cmd.OutOrStdout(), g.json, creds)
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

func openLocalAdmin(lo *localOptions) (*localkms.Server, error) {
	mode, err := parseMasterKeyMode(lo.masterKey)
	if err != nil {
		return nil, err
	}
	return localkms.Open(localkms.Options{DataDir: lo.dataDir, MasterKey: mode})
}

func printCredential(w io.Writer, asJSON bool, c localkms.Credential) error {
	if asJSON {
		b, err := json.Marshal(struct {
			Name      string `json:"name"`
			SecretID  string `json:"secretId"`
			SecretKey string `json:"secretKey"`
			CreatedAt string `json:"createdAt"`
		}{c.Name, c.SecretID, c.SecretKey, c.CreatedAt.UTC().Format(time.RFC3339)})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	}
	_, err := fmt.Fprintf(w, "Name:      %s\nSecretId:  %s\nSecretKey: %s\nThe SecretKey is shown only this once; store it safely.\n", c.Name, c.SecretID, c.SecretKey)
	return err
}

func printCredentialList(w io.Writer, asJSON bool, creds []localkms.CredentialInfo) error {
	if asJSON {
		type item struct {
			Name      string `json:"name"`
			SecretID  string `json:"secretId"`
			CreatedAt string `json:"createdAt"`
			Embedded  bool   `json:"embedded"`
		}
		items := make([]item, 0, len(creds))
		for _, c := range creds {
			items = append(items, item{c.Name, c.SecretID, c.CreatedAt.UTC().Format(time.RFC3339), c.Embedded})
		}
		b, err := json.Marshal(items)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSECRET ID\tCREATED\tEMBEDDED")
	for _, c := range creds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.SecretID, c.CreatedAt.UTC().Format(time.RFC3339), strconv.FormatBool(c.Embedded))
	}
	return tw.Flush()
}
