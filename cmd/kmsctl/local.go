package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/service"
	"github.com/spf13/cobra"
)

// localOptions are the flags shared by the "local" commands.
type localOptions struct {
	dataDir   string
	masterKey string
}

// defaultLocalDataDir is the desktop app's: <user config dir>/kmsdesk/localkms, e.g.
// ~/.config/kmsdesk/localkms on Linux, ~/Library/Application Support/kmsdesk/localkms
// on macOS and %AppData%\kmsdesk\localkms on Windows, or $KMSDESK_HOME/localkms.
func defaultLocalDataDir() string {
	dirs, err := service.DefaultDirs()
	if err != nil {
		return filepath.Join(".", "kmsdesk", "localkms")
	}
	return dirs.LocalKMS
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
	return 0, service.NewError("LocalKMS.InvalidOptions", fmt.Sprintf("--master-key must be auto, file or keychain, not %q", s))
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
	cmd.AddCommand(newLocalServeCmd(g, lo), newLocalCredentialsCmd(g, lo), newLocalBackupCmd(g, lo), newLocalRestoreCmd(g, lo))
	return cmd
}

func newLocalServeCmd(g *globals, lo *localOptions) *cobra.Command {
	var (
		listen      string
		seed        string
		uin         string
		appID       string
		regions     []string
		national    bool
		nationalIn  []string
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
			"--national-standard (or --national-regions) makes regions behave like Tencent Cloud's\n" +
			"national-standard (国密) regions: SM4 symmetric keys, SM2 signing, 128-bit imported material.\n" +
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
					return service.NewError("LocalKMS.InvalidOptions", fmt.Sprintf("--tls-cert/--tls-key: %v", err))
				}
				tlsConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
			}
			nationalRegions, err := nationalStandardRegions(national, nationalIn, regions)
			if err != nil {
				return err
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			srv, err := localkms.Open(localkms.Options{
				DataDir:                 lo.dataDir,
				Region:                  g.region,
				Regions:                 regions,
				NationalStandardRegions: nationalRegions,
				Uin:                     uin,
				AppID:                   appID,
				AcceptEnvCredentials:    envCreds,
				MasterKey:               mode,
				Logger:                  logger,
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
			return srv.Serve(cmd.Context(), ln, tlsConfig)
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:9000", "address to listen on (port 0 picks a free port)")
	f.StringVar(&seed, "seed", "", "YAML seed file of keys to create if their aliases do not exist yet")
	f.StringVar(&uin, "uin", localkms.DefaultUin, "account UIN reported as CreatorUin")
	f.StringVar(&appID, "app-id", localkms.DefaultAppID, "account AppId")
	f.StringSliceVar(&regions, "regions", nil, "regions served and answered by GetRegions (default: a built-in list)")
	f.BoolVar(&national, "national-standard", false, "run every region in national-standard (国密) mode: SM4 symmetric keys, 128-bit imported material")
	f.StringSliceVar(&nationalIn, "national-regions", nil, "run only these regions in national-standard (国密) mode")
	f.BoolVar(&allowRemote, "allow-remote", false, "allow listening on a non-loopback address")
	f.BoolVar(&envCreds, "env-credentials", false, "also accept TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY from the environment")
	f.StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (for clients that only speak HTTPS, e.g. tccli)")
	f.StringVar(&tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	return cmd
}

// nationalStandardRegions is Options.NationalStandardRegions for the flags:
// every served region with --national-standard, the listed ones with
// --national-regions.
func nationalStandardRegions(all bool, listed, served []string) ([]string, error) {
	switch {
	case all && len(listed) > 0:
		return nil, usageError("give --national-standard (every region) or --national-regions, not both")
	case all && len(served) > 0:
		return served, nil
	case all:
		return localkms.DefaultRegions, nil
	}
	return listed, nil
}

// checkLocalListen refuses addresses that are not loopback unless allowed.
func checkLocalListen(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return service.NewError("LocalKMS.InvalidOptions", fmt.Sprintf("--listen %q: %v", addr, err))
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
	return service.NewError("LocalKMS.RemoteListenRefused", fmt.Sprintf("refusing to listen on non-loopback address %q without --allow-remote", addr))
}

func seedLocal(srv *localkms.Server, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open seed file: %w", err)
	}
	defer f.Close()
	return srv.Seed(f)
}

func newLocalCredentialsCmd(g *globals, lo *localOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "Create and list the local KMS's API key pairs (run while the server is stopped)",
		Args:  cobra.NoArgs,
	}
	var name string
	var temporary time.Duration
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a key pair and print its SecretId and SecretKey (the SecretKey is shown only once)",
		Long: "Create a key pair and print its SecretId and SecretKey (the SecretKey is shown only once).\n" +
			"With --temporary DURATION it is a temporary key pair with a session token, as STS\n" +
			"AssumeRole gives, that expires after DURATION (at most 12h; AssumeRole's shortest is\n" +
			"15m): requests must carry the token, and get AuthFailure.TokenFailure once it expired,\n" +
			"so an application's handling of expired credentials can be tried out quickly.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("temporary") && temporary <= 0 {
				return usageError("--temporary needs a positive duration, e.g. 30s or 2h")
			}
			srv, err := openLocalAdmin(lo)
			if err != nil {
				return err
			}
			defer srv.Close()
			if temporary > 0 {
				tc, err := srv.IssueTemporaryCredential(temporary)
				if err != nil {
					return err
				}
				return printTempCredential(cmd.OutOrStdout(), g.json, tc)
			}
			c, err := srv.CreateCredential(name)
			if err != nil {
				return err
			}
			return printCredential(cmd.OutOrStdout(), g.json, c)
		},
	}
	create.Flags().StringVar(&name, "name", "default", "label of the key pair")
	create.Flags().DurationVar(&temporary, "temporary", 0, "create a temporary key pair with a session token that expires after this long (e.g. 30s, 2h)")
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
	_, err := fmt.Fprintf(w, "Name:      %s\nSecretId:  %s\nSecretKey: %s\nThe SecretKey is shown only this once; store it safely.\n", safe(c.Name), c.SecretID, c.SecretKey)
	return err
}

// printTempCredential prints a temporary key pair with its token and expiry.
func printTempCredential(w io.Writer, asJSON bool, c localkms.TempCredential) error {
	expiry := c.Expiry.UTC().Format(time.RFC3339)
	if asJSON {
		return writeJSON(w, struct {
			SecretID  string `json:"secretId"`
			SecretKey string `json:"secretKey"`
			Token     string `json:"token"`
			Expiry    string `json:"expiry"`
		}{c.SecretID, c.SecretKey, c.Token, expiry})
	}
	_, err := fmt.Fprintf(w, "SecretId:  %s\nSecretKey: %s\nToken:     %s\nExpires:   %s\nThe SecretKey and token are shown only this once.\n", c.SecretID, c.SecretKey, c.Token, expiry)
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", safe(c.Name), safe(c.SecretID), c.CreatedAt.UTC().Format(time.RFC3339), strconv.FormatBool(c.Embedded))
	}
	return tw.Flush()
}
