package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage customer master keys (CMKs)"}
	cmd.AddCommand(
		keysListCmd(g),
		keysCreateCmd(g),
		showCmd(g),
		keyCmd(g, "enable", "Enable a key", 0, func(s *session, k service.Key, _ []string) (service.Key, error) {
			if err := s.Keys.SetEnabled([]string{k.KeyID}, true); err != nil {
				return service.Key{}, err
			}
			return s.Keys.Describe(k.KeyID)
		}),
		guardedKeyCmd(g, "disable", "Disable a key (files only it opens cannot be decrypted until it is enabled again)", changeDisable,
			func(s *session, k service.Key) (service.Key, error) {
				if err := s.Keys.SetEnabled([]string{k.KeyID}, false); err != nil {
					return service.Key{}, err
				}
				return s.Keys.Describe(k.KeyID)
			}),
		keysScheduleDeleteCmd(g),
		keyCmd(g, "cancel-delete", "Cancel a scheduled deletion (the key becomes disabled)", 0, func(s *session, k service.Key, _ []string) (service.Key, error) {
			return s.Keys.CancelDeletion(k.KeyID)
		}),
		keyCmd(g, "alias", "Change a key's alias: keys alias KEY NEW-ALIAS", 1, func(s *session, k service.Key, a []string) (service.Key, error) {
			return s.Keys.UpdateAlias(k.KeyID, a[0])
		}),
		keyCmd(g, "description", "Change a key's description: keys description KEY TEXT", 1, func(s *session, k service.Key, a []string) (service.Key, error) {
			return s.Keys.UpdateDescription(k.KeyID, a[0])
		}),
		keysRotationCmd(g),
		keyCmd(g, "rotate", "Rotate a key's material now (automatic rotation must be on; at most once a day)", 0, func(s *session, k service.Key, _ []string) (service.Key, error) {
			return s.Keys.RotateNow(k.KeyID)
		}),
		keysImportMaterialCmd(g),
		keyCmd(g, "delete-material", "Delete the imported material of a key (it stays unusable until the same material is imported again)", 0, func(s *session, k service.Key, _ []string) (service.Key, error) {
			return s.Keys.DeleteMaterial(k.KeyID)
		}),
		guardedKeyCmd(g, "archive", "Archive a key (it can then only decrypt)", changeArchive, func(s *session, k service.Key) (service.Key, error) {
			return s.Keys.SetArchived(k.KeyID, true)
		}),
		keyCmd(g, "unarchive", "Cancel a key's archive", 0, func(s *session, k service.Key, _ []string) (service.Key, error) {
			return s.Keys.SetArchived(k.KeyID, false)
		}),
	)
	return cmd
}

func parseOnOff(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "on", "true", "enable", "yes":
		return true, nil
	case "off", "false", "disable", "no":
		return false, nil
	}
	return false, usageError(fmt.Sprintf("say on or off, not %q", s))
}

// showCmd is "keys show KEY" (also "keys describe KEY").
func showCmd(g *globals) *cobra.Command {
	cmd := keyCmd(g, "show", "Show a key's metadata, rotation period and last rotation included", 0, func(s *session, k service.Key, _ []string) (service.Key, error) { return k, nil })
	cmd.Aliases = []string{"describe"}
	return cmd
}

// keysRotationCmd is "keys rotation KEY on|off [--days N]".
func keysRotationCmd(g *globals) *cobra.Command {
	var days int
	cmd := keyCmd(g, "rotation", "Turn automatic rotation on (every --days days) or off: keys rotation KEY on|off", 1, func(s *session, k service.Key, a []string) (service.Key, error) {
		on, err := parseOnOff(a[0])
		if err != nil {
			return service.Key{}, err
		}
		if !on && days != 0 {
			return service.Key{}, usageError("--days goes with on")
		}
		return s.Keys.SetRotation(k.KeyID, on, days)
	})
	cmd.Flags().IntVar(&days, "days", 0, "rotation period in days, 7-365 (default: the service's, 365)")
	return cmd
}

// keysImportMaterialCmd is "keys import-material KEY --material FILE [--expires DATE]".
func keysImportMaterialCmd(g *globals) *cobra.Command {
	var (
		file, expires, wrapping string
	)
	cmd := keyCmd(g, "import-material", "Import key material from a file into a key created with --external", 0, func(s *session, k service.Key, _ []string) (service.Key, error) {
		if file == "" {
			return service.Key{}, usageError("--material FILE is required")
		}
		validTo, err := parseExpiry(expires, time.Local)
		if err != nil {
			return service.Key{}, err
		}
		abs, err := filepath.Abs(file)
		if err != nil {
			return service.Key{}, usageError(fmt.Sprintf("--material %q: %v", file, err))
		}
		return s.Keys.ImportMaterial(service.ImportMaterialInput{KeyID: k.KeyID, Path: abs, ValidTo: validTo, Wrapping: service.WrappingAlgorithm(wrapping)})
	})
	cmd.Long = "Import key material into a key created with 'kmsctl keys create --external' (bring your own\n" +
		"key). The material is wrapped here with the public key KMS hands out for the import, so it\n" +
		"never travels in clear. The file holds 32 bytes (AES-256) or, in national-standard (国密)\n" +
		"regions, 16 bytes (SM4): raw, or as hex or base64 text. Keep the file: KMS cannot give the\n" +
		"material back, and a key whose material expired or was deleted works again only with the\n" +
		"same material.\n\n" +
		"--expires takes a date (YYYY-MM-DD: the material works through that day, local time), an\n" +
		"RFC 3339 time, or never (the default)."
	f := cmd.Flags()
	f.StringVar(&file, "material", "", "the key material file (required)")
	f.StringVar(&expires, "expires", "", "when the material expires: YYYY-MM-DD, an RFC 3339 time, or never")
	f.StringVar(&wrapping, "wrapping", "", "RSAES_OAEP_SHA_256 (default), RSAES_OAEP_SHA_1, or SM2 (national-standard regions)")
	return cmd
}

// parseExpiry turns --expires into ImportMaterialInput.ValidTo: 0 for "" or never,
// the end of a YYYY-MM-DD day in loc, or an RFC 3339 time.
func parseExpiry(s string, loc *time.Location) (int64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "never":
		return 0, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err == nil {
		t = t.AddDate(0, 0, 1) // the material works through that day
	} else if t, err = time.Parse(time.RFC3339, s); err != nil {
		return 0, usageError(fmt.Sprintf("--expires takes YYYY-MM-DD, an RFC 3339 time (2030-01-31T18:00:00+08:00) or never, not %q", s))
	}
	if t.Unix() <= 0 {
		return 0, usageError(fmt.Sprintf("--expires %q is not a future time", s))
	}
	return t.Unix(), nil
}

// keyCmd is a command on one key given by KeyId or alias, with extra arguments.
func keyCmd(g *globals, use, short string, extra int, do func(*session, service.Key, []string) (service.Key, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use + " KEY" + strings.Repeat(" ARG", extra),
		Short: short,
		Args:  cobra.ExactArgs(1 + extra),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, nil)
			if err != nil {
				return err
			}
			defer s.close()
			k, err := s.Keys.Resolve(args[0])
			if err != nil {
				return err
			}
			k, err = do(s, k, args[1:])
			if err != nil {
				return err
			}
			return printKey(cmd.OutOrStdout(), k, g.json)
		},
	}
}

// guardedKeyCmd is a key change that first lists the known files on this computer
// the key opens (guardKey): with files only it opens, disabling or deleting needs
// --yes (or a "y" at the prompt on a terminal); otherwise it exits with status 3 and
// changes nothing.
func guardedKeyCmd(g *globals, use, short string, c keyChange, do func(*session, service.Key) (service.Key, error)) *cobra.Command {
	var yes bool
	cmd := keyCmd(g, use, short, 0, func(s *session, k service.Key, _ []string) (service.Key, error) {
		if err := guardKey(s.cmd, s, k, c, yes); err != nil {
			return service.Key{}, err
		}
		return do(s, k)
	})
	cmd.Long = short + ".\n\n" + guardHelp
	cmd.Flags().BoolVar(&yes, "yes", false, "go on even when files on this computer can be decrypted only with this key")
	return cmd
}

// guardHelp explains the guard of key changes in their help.
const guardHelp = "First the encrypted files on this computer that the key opens are listed (see 'kmsctl inventory').\n" +
	"When some of them open only with this key, disable and schedule-delete stop there (exit status 3,\n" +
	"nothing changed) unless --yes is given, or, on a terminal, \"y\" is answered. Move such files first:\n" +
	"kmsctl rewrap --add OTHER-KEY --remove KEY PATH..."

func keysListCmd(g *globals) *cobra.Command {
	var o service.ListOptions
	var state string
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			states := map[string]int{"": 0, "all": 0, "enabled": 1, "disabled": 2, "pendingdelete": 3, "pendingimport": 4, "archived": 5}
			st, ok := states[strings.ToLower(state)]
			if !ok {
				return usageError("--state is one of enabled, disabled, pendingdelete, pendingimport, archived")
			}
			o.State = st
			s, err := g.open(cmd, nil)
			if err != nil {
				return err
			}
			defer s.close()
			if o.Limit == 0 {
				o.Limit = 200
			}
			var keys []service.Key
			total := 0
			for {
				page, err := s.Keys.List(o)
				if err != nil {
					return err
				}
				keys = append(keys, page.Keys...)
				total = page.Total
				o.Offset += len(page.Keys)
				if !all || len(page.Keys) == 0 || o.Offset >= page.Total {
					break
				}
			}
			if g.json {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"keys": keys, "total": total})
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "KEY ID\tALIAS\tSTATE\tUSAGE\tCREATED\tROTATION")
			for _, k := range keys {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", safe(k.KeyID), safe(k.Alias), safe(k.KeyState), safe(k.KeyUsage), unixDate(k.CreateTime), onOff(k.RotationEnabled))
			}
			w.Flush()
			if len(keys) < total {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d keys shown (--all for every key)\n", len(keys), total)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Search, "search", "", "filter by alias or KeyId (substring)")
	f.StringVar(&state, "state", "", "enabled, disabled, pendingdelete, pendingimport or archived")
	f.StringVar(&o.Usage, "usage", "", "key usage, e.g. ENCRYPT_DECRYPT (default: all)")
	f.IntVar(&o.Limit, "limit", 0, "page size, 1-200")
	f.IntVar(&o.Offset, "offset", 0, "skip this many keys")
	f.BoolVar(&all, "all", false, "list every key (all pages)")
	return cmd
}

func keysCreateCmd(g *globals) *cobra.Command {
	var in service.CreateKeyInput
	var tags []string
	cmd := &cobra.Command{
		Use:   "create ALIAS",
		Short: "Create a key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.Alias = args[0]
			in.Tags = map[string]string{}
			for _, t := range tags {
				k, v, ok := strings.Cut(t, "=")
				if !ok || k == "" {
					return usageError("--tag takes key=value")
				}
				in.Tags[k] = v
			}
			s, err := g.open(cmd, nil)
			if err != nil {
				return err
			}
			defer s.close()
			k, err := s.Keys.Create(in)
			if err != nil {
				return err
			}
			return printKey(cmd.OutOrStdout(), k, g.json)
		},
	}
	cmd.Flags().StringVar(&in.Description, "description", "", "description (≤1024 bytes)")
	cmd.Flags().StringVar(&in.Usage, "usage", "", "ENCRYPT_DECRYPT (default), ASYMMETRIC_DECRYPT_RSA_2048, ASYMMETRIC_SIGN_VERIFY_ECC, …")
	cmd.Flags().BoolVar(&in.External, "external", false, "create the key without material: bring your own key with 'keys import-material'")
	cmd.Flags().StringArrayVar(&tags, "tag", nil, "tag key=value (repeatable)")
	return cmd
}

func keysScheduleDeleteCmd(g *globals) *cobra.Command {
	var days int
	var confirm string
	var yes bool
	cmd := &cobra.Command{
		Use:   "schedule-delete KEY",
		Short: "Schedule a disabled key for deletion after 7-30 days",
		Long: "Schedule a disabled key for deletion. Everything encrypted under it becomes unreadable\n" +
			"once it is deleted, so --confirm must repeat the key's alias (or its KeyId if it has none).\n\n" + guardHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, nil)
			if err != nil {
				return err
			}
			defer s.close()
			k, err := s.Keys.Resolve(args[0])
			if err != nil {
				return err
			}
			if err := guardKey(cmd, s, k, changeDelete, yes); err != nil {
				return err
			}
			k, err = s.Keys.ScheduleDeletion(k.KeyID, days, confirm)
			if err != nil {
				return err
			}
			return printKey(cmd.OutOrStdout(), k, g.json)
		},
	}
	cmd.Flags().IntVar(&days, "days", 30, "waiting period in days (7-30)")
	cmd.Flags().StringVar(&confirm, "confirm", "", "the key's alias, typed again (required)")
	cmd.Flags().BoolVar(&yes, "yes", false, "go on even when files on this computer can be decrypted only with this key")
	return cmd
}

func printKey(w io.Writer, k service.Key, asJSON bool) error {
	if asJSON {
		return writeJSON(w, k)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rows := [][2]string{
		{"KeyId", k.KeyID}, {"Alias", k.Alias}, {"State", k.KeyState}, {"Usage", k.KeyUsage},
		{"Description", k.Description}, {"Created", unixDate(k.CreateTime)}, {"Rotation", onOff(k.RotationEnabled)},
	}
	if k.RotateDays > 0 {
		rows = append(rows, [2]string{"Rotation period", fmt.Sprintf("%d days", k.RotateDays)})
		last := "never"
		if k.LastRotateTime > 0 {
			last = unixDate(k.LastRotateTime)
		}
		rows = append(rows, [2]string{"Last rotation", last})
		if k.RotationEnabled {
			rows = append(rows, [2]string{"Next rotation", unixDate(k.NextRotateTime)})
		}
	}
	rows = append(rows, [2]string{"Origin", k.Origin})
	if k.Origin == "EXTERNAL" {
		exp := "never"
		switch {
		case k.KeyState == "PendingImport":
			exp = "no material imported"
		case k.ValidTo > 0:
			exp = unixDate(k.ValidTo)
		}
		rows = append(rows, [2]string{"Material expires", exp})
	}
	if k.DeletionDate > 0 {
		rows = append(rows, [2]string{"Deletion date", unixDate(k.DeletionDate)})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], safe(r[1]))
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func unixDate(t int64) string {
	if t == 0 {
		return "-"
	}
	return time.Unix(t, 0).Format("2006-01-02 15:04:05")
}

func onOff(b bool) string { return map[bool]string{true: "on", false: "off"}[b] }
