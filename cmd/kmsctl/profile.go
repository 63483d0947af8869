package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/service"
)

func newProfileCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Manage connection profiles (shared with KMS Desk; secrets in the OS keychain)",
	}
	cmd.AddCommand(profileAddCmd(g), profileListCmd(g), profileTestCmd(g), profileRemoveCmd(), profileUseCmd(), profileImportTCCLICmd(g))
	return cmd
}

// settings opens the profile store and the settings service around it.
func settings(cmd *cobra.Command) (*service.SettingsService, *credentials.Store, error) {
	store, _, err := openStore()
	if err != nil {
		return nil, nil, err
	}
	conn := service.NewConnector(service.ProfileResolver(store), nil)
	s := newSession(cmd.Context(), conn, store, "", func() {})
	return s.backend.Settings, store, nil
}

// readSecret reads a secret from the terminal without echo, or a line from stdin.
func readSecret(cmd *cobra.Command, prompt string) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		return strings.TrimSpace(string(b)), err
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

func profileAddCmd(g *globals) *cobra.Command {
	var p credentials.Profile
	var kind string
	cmd := &cobra.Command{
		Use:   "add NAME --kind local|tencent --region R [--endpoint URL]",
		Short: "Add or update a profile",
		Long: "Add or update a profile. For --kind tencent the SecretId and SecretKey come from\n" +
			"TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY, or are asked for without echo;\n" +
			"they are stored in the OS keychain, never in a file, and never taken from a flag.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p.Name, p.Kind = args[0], credentials.Kind(kind)
			p.Endpoint = g.endpoint
			if g.region != "" {
				p.Region = g.region
			}
			svc, _, err := settings(cmd)
			if err != nil {
				return err
			}
			in := service.ProfileInput{Profile: p}
			if p.Kind == credentials.KindTencent {
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
			}
			saved, err := svc.SaveProfile(in)
			if err != nil {
				return err
			}
			if saved.SessionOnly {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning: no OS keychain is available; the secret was not stored and is forgotten when kmsctl exits")
			}
			return printProfiles(cmd.OutOrStdout(), []credentials.Profile{saved}, "", g.json)
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "tencent", "local (the embedded local KMS) or tencent (Tencent Cloud or a compatible endpoint)")
	cmd.Flags().IntVar(&p.TimeoutSeconds, "timeout", 0, "request timeout in seconds (default 30)")
	cmd.Flags().StringVar(&p.Language, "language", "", "language of service messages: zh-CN or en-US")
	return cmd
}

func profileListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List profiles (secrets are never shown)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, _, err := settings(cmd)
			if err != nil {
				return err
			}
			return printProfiles(cmd.OutOrStdout(), svc.Profiles(), svc.Active().Name, g.json)
		},
	}
}

func printProfiles(w io.Writer, ps []credentials.Profile, active string, asJSON bool) error {
	if asJSON {
		return writeJSON(w, ps)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tNAME\tKIND\tREGION\tENDPOINT\tSECRET ID\tSTORED IN")
	for _, p := range ps {
		mark := ""
		if p.Name == active {
			mark = "*"
		}
		storage := p.SecretStorage
		if p.Temporary != nil && p.Temporary.HasCredentials {
			storage += fmt.Sprintf(" (temporary, %ds left)", p.Temporary.SecondsLeft)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, p.Name, p.Kind, p.Region, p.Endpoint, p.SecretIDMasked, storage)
	}
	return tw.Flush()
}

func profileTestCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Check a profile: GetServiceStatus and ListKeys with its credentials",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, dirs, err := openStore()
			if err != nil {
				return err
			}
			p, err := store.Get(args[0])
			if err != nil {
				return err
			}
			var local service.LocalKMS
			if p.Kind == credentials.KindLocal {
				srv, err := openLocal(dirs.LocalKMS)
				if err != nil {
					return err
				}
				defer srv.Close()
				local = srv
			}
			s := newSession(cmd.Context(), service.NewConnector(service.ProfileResolver(store), local), store, "", func() {})
			res, err := s.backend.Settings.TestProfile(p.Name)
			if err != nil {
				return err
			}
			if g.json {
				if err := writeJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else if res.OK {
				fmt.Fprintf(cmd.OutOrStdout(), "ok: %s answered in %d ms; %d keys in %s\n", p.Name, res.LatencyMs, res.KeyCount, res.Region)
			}
			if !res.OK {
				return &exitError{code: 1, msg: fmt.Sprintf("profile %s: %s", p.Name, describeErr(&service.Error{Code: res.Code, Message: res.Message}))}
			}
			return nil
		},
	}
}

func profileRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a profile and its keychain items",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, _, err := settings(cmd)
			if err != nil {
				return err
			}
			if err := svc.DeleteProfile(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed profile %s\n", args[0])
			return nil
		},
	}
}

func profileUseCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "use NAME",
		Short: "Make a profile the active one (for kmsctl and KMS Desk)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, _, err := settings(cmd)
			if err != nil {
				return err
			}
			p, err := svc.SetActive(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "active profile: %s\n", p.Name)
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
			svc, _, err := settings(cmd)
			if err != nil {
				return err
			}
			p, err := svc.ImportTCCLI(name, as)
			if err != nil {
				return err
			}
			if err := printProfiles(cmd.OutOrStdout(), []credentials.Profile{p}, "", g.json); err != nil {
				return err
			}
			if deleteFile {
				if err := svc.DeleteTCCLIFile(name); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "deleted the plaintext tccli credential file of %s\n", name)
			} else {
				fmt.Fprintf(cmd.ErrOrStderr(), "the plaintext file ~/.tccli/%s.credential still holds the key; run again with --delete-tccli-file to remove it\n", name)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "name of the new profile (default tccli-NAME)")
	cmd.Flags().BoolVar(&deleteFile, "delete-tccli-file", false, "delete the plaintext tccli credential file after a successful import")
	return cmd
}
