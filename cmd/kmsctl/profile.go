package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

func newProfileCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Manage connection profiles (shared with KMS Desk; secrets in the OS keychain)",
	}
	cmd.AddCommand(profileAddCmd(g), profileListCmd(g), profileTestCmd(g), profileRemoveCmd(g), profileUseCmd(g), profileImportTCCLICmd(g))
	return cmd
}

// readSecret reads a secret from the terminal without echo, or a line from stdin. It
// reads byte by byte, so the next call gets the next line.
func readSecret(cmd *cobra.Command, prompt string) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		return strings.TrimSpace(string(b)), err
	}
	var line []byte
	var c [1]byte
	for len(line) <= maxSecretLine {
		n, err := in.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				break
			}
			line = append(line, c[0])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSpace(string(line)), nil
}

// maxSecretLine bounds a secret read from standard input, in bytes.
const maxSecretLine = 8192

func profileAddCmd(g *globals) *cobra.Command {
	var p service.Profile
	var kind, suite, site, proxyUser string
	cmd := &cobra.Command{
		Use:   "add NAME --kind local|tencent --region R [--site china|intl] [--endpoint URL] [--proxy none|system|URL] [--suite auto|aes|sm4]",
		Short: "Add or update a profile",
		Long: "Add or update a profile. For --kind tencent the SecretId and SecretKey come from\n" +
			"TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY, or are asked for without echo;\n" +
			"they are stored in the OS keychain, never in a file, and never taken from a flag.\n\n" +
			"Without --endpoint the endpoint follows --site and --region: kms.tencentcloudapi.com\n" +
			"(china), kms.intl.tencentcloudapi.com (intl), or kms.<region>.tencentcloudapi.com for a\n" +
			"financial-zone region. --proxy sets how the profile reaches the network (default system);\n" +
			"with --proxy-user the proxy password is asked for (or read from a line of standard\n" +
			"input) and kept in the OS keychain. A plain http:// endpoint on another computer needs\n" +
			"--insecure-http, which the profile records.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSuite(suite); err != nil {
				return err
			}
			p.Name, p.Kind, p.Site, p.Suite = args[0], service.ProfileKind(kind), service.Site(site), service.Suite(suite)
			p.Endpoint, p.InsecureHTTP = g.endpoint, g.insecureHTTP
			if g.region != "" {
				p.Region = g.region
			}
			var err error
			if p.Proxy, err = proxySetting(g.proxy, proxyUser); err != nil {
				return err
			}
			s, err := g.settings(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			if !cmd.Flags().Changed("recovery") {
				// An update keeps the recovery keys an organisation set.
				if ps, err := s.Settings.Profiles(); err == nil {
					for _, old := range ps {
						if old.Name == p.Name {
							p.Recovery = old.Recovery
						}
					}
				}
			}
			in := service.ProfileInput{Profile: p}
			if p.Kind == service.KindTencent {
				id, key := os.Getenv("TENCENTCLOUD_SECRET_ID"), os.Getenv("TENCENTCLOUD_SECRET_KEY")
				if id == "" || key == "" {
					if id, err = readSecret(cmd, "SecretId: "); err != nil {
						return err
					}
					if key, err = readSecret(cmd, "SecretKey: "); err != nil {
						return err
					}
				}
				in.SecretID, in.SecretKey = id, key
				if proxyUser != "" {
					if in.ProxyPassword, err = readSecret(cmd, "Proxy password for "+safe(proxyUser)+": "); err != nil {
						return err
					}
				}
			}
			saved, err := s.Settings.SaveProfile(in)
			if err != nil {
				return err
			}
			if saved.SessionOnly {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning: no OS keychain is available; the secret was not stored and is forgotten when kmsctl exits")
			}
			if saved.PlainHTTP {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s uses plain http:// to another computer: requests, plaintexts and data keys cross the network unencrypted\n", safe(saved.Name))
			}
			return printProfiles(cmd.OutOrStdout(), []service.Profile{saved}, "", g.json)
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "tencent", "local (the embedded local KMS) or tencent (Tencent Cloud or a compatible endpoint)")
	cmd.Flags().StringVar(&site, "site", "china", "Tencent Cloud site of the account: china (cloud.tencent.com) or intl (tencentcloud.com)")
	cmd.Flags().StringVar(&proxyUser, "proxy-user", "", "user name for the proxy given with --proxy URL; the password is asked for")
	cmd.Flags().IntVar(&p.TimeoutSeconds, "timeout", 0, "request timeout in seconds (default 30)")
	cmd.Flags().StringVar(&p.Language, "language", "", "language of service messages: zh-CN or en-US")
	cmd.Flags().StringArrayVar(&p.Recovery, "recovery", nil, "offline recovery recipient (age1…) that gets a slot in every file encrypted with this profile (repeatable; --recovery '' clears them)")
	cmd.Flags().StringVar(&suite, "suite", "", "default crypto suite of encrypted files: auto (the region's standard), aes or sm4 (国密)")
	return cmd
}

// proxySetting turns --proxy (none, system, a URL, or "" for the default) and
// --proxy-user into a profile's proxy setting.
func proxySetting(proxy, user string) (service.ProxySetting, error) {
	switch proxy {
	case "", string(service.ProxySystem):
		if user != "" {
			return service.ProxySetting{}, usageError("--proxy-user needs --proxy URL")
		}
		return service.ProxySetting{Mode: service.ProxySystem}, nil
	case string(service.ProxyNone):
		if user != "" {
			return service.ProxySetting{}, usageError("--proxy-user needs --proxy URL")
		}
		return service.ProxySetting{Mode: service.ProxyNone}, nil
	}
	return service.ProxySetting{Mode: service.ProxyManual, URL: proxy, Username: user}, nil
}

func profileListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List profiles (secrets are never shown)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.settings(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			ps, err := s.Settings.Profiles()
			if err != nil {
				return err
			}
			active, err := s.Settings.Active()
			if err != nil {
				return err
			}
			return printProfiles(cmd.OutOrStdout(), ps, active.Name, g.json)
		},
	}
}

func printProfiles(w io.Writer, ps []service.Profile, active string, asJSON bool) error {
	if asJSON {
		return writeJSON(w, ps)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tNAME\tKIND\tREGION\tENDPOINT\tSECRET ID\tSTORED IN\tSITE\tPROXY")
	for _, p := range ps {
		mark := ""
		if p.Name == active {
			mark = "*"
		}
		storage := p.SecretStorage
		if p.Temporary != nil && p.Temporary.HasCredentials {
			storage += fmt.Sprintf(" (temporary, %ds left)", p.Temporary.SecondsLeft)
		}
		ep := p.Endpoint
		if p.PlainHTTP {
			ep += " (unencrypted)"
		}
		proxy := string(p.Proxy.Mode)
		if p.Proxy.Mode == service.ProxyManual {
			proxy = p.Proxy.URL
			if p.Proxy.Username != "" {
				proxy += " as " + p.Proxy.Username
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, safe(p.Name), safe(string(p.Kind)), safe(p.Region), safe(ep),
			safe(p.SecretIDMasked), safe(storage), safe(string(p.Site)), safe(proxy))
	}
	return tw.Flush()
}

func profileTestCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Check a profile: GetServiceStatus and ListKeys with its credentials",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.settings(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			res, err := s.Settings.TestProfile(args[0])
			if err != nil {
				return err
			}
			if g.json {
				if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else if res.OK {
				fmt.Fprintf(cmd.OutOrStdout(), "ok: %s answered in %d ms; %d keys in %s\n", safe(args[0]), res.LatencyMs, res.KeyCount, safe(res.Region))
			}
			if !res.OK {
				return &exitError{code: 1, msg: fmt.Sprintf("profile %s: %s", args[0], describeErr(service.NewError(res.Code, res.Message)))}
			}
			return nil
		},
	}
}

func profileRemoveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a profile and its keychain items",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.settings(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			if err := s.Settings.DeleteProfile(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed profile %s\n", safe(args[0]))
			return nil
		},
	}
}

func profileUseCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "use NAME",
		Short: "Make a profile the active one (for kmsctl and KMS Desk)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.settings(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			p, err := s.Settings.SetActive(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "active profile: %s\n", safe(p.Name))
			return nil
		},
	}
}

func profileImportTCCLICmd(g *globals) *cobra.Command {
	var as string
	var deleteFile bool
	cmd := &cobra.Command{
		Use:   "import-tccli [NAME]",
		Short: "Import a tccli profile (~/.tccli/NAME.credential, default \"default\")",
		Long: "Import a tccli profile into the OS keychain. The plaintext tccli credential file is\n" +
			"kept unless --delete-tccli-file is given (kmsctl never deletes it silently).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "default"
			if len(args) == 1 {
				name = args[0]
			}
			if as == "" {
				as = "tccli-" + name
			}
			s, err := g.settings(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			p, err := s.Settings.ImportTCCLI(name, as)
			if err != nil {
				return err
			}
			if err := printProfiles(cmd.OutOrStdout(), []service.Profile{p}, "", g.json); err != nil {
				return err
			}
			if deleteFile {
				if err := s.Settings.DeleteTCCLIFile(name); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "deleted the plaintext tccli credential file of %s\n", safe(name))
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "the plaintext file ~/.tccli/%s.credential still holds the key; run again with --delete-tccli-file to remove it\n", safe(name))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "name of the new profile (default tccli-NAME)")
	cmd.Flags().BoolVar(&deleteFile, "delete-tccli-file", false, "delete the plaintext tccli credential file after a successful import")
	return cmd
}
