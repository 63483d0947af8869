package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kmsdesk/kmsdesk/backend/kms"
)

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage customer master keys (CMKs)"}
	cmd.AddCommand(
		keysListCmd(g),
		keysCreateCmd(g),
		keyCmd(g, "describe", "Show a key's metadata", 0, func(s *session, k kms.Key, _ []string) (kms.Key, error) { return k, nil }),
		keyCmd(g, "enable", "Enable a key", 0, func(s *session, k kms.Key, _ []string) (kms.Key, error) {
			if err := s.backend.Keys.SetEnabled([]string{k.KeyID}, true); err != nil {
				return kms.Key{}, err
			}
			return s.backend.Keys.Describe(k.KeyID)
		}),
		keyCmd(g, "disable", "Disable a key", 0, func(s *session, k kms.Key, _ []string) (kms.Key, error) {
			if err := s.backend.Keys.SetEnabled([]string{k.KeyID}, false); err != nil {
				return kms.Key{}, err
			}
			return s.backend.Keys.Describe(k.KeyID)
		}),
		keysScheduleDeleteCmd(g),
		keyCmd(g, "cancel-delete", "Cancel a scheduled deletion (the key becomes disabled)", 0, func(s *session, k kms.Key, _ []string) (kms.Key, error) {
			return s.backend.Keys.CancelDeletion(k.KeyID)
		}),
		keyCmd(g, "alias", "Change a key's alias: keys alias KEY NEW-ALIAS", 1, func(s *session, k kms.Key, a []string) (kms.Key, error) {
			return s.backend.Keys.UpdateAlias(k.KeyID, a[0])
		}),
		keyCmd(g, "description", "Change a key's description: keys description KEY TEXT", 1, func(s *session, k kms.Key, a []string) (kms.Key, error) {
			return s.backend.Keys.UpdateDescription(k.KeyID, a[0])
		}),
		keyCmd(g, "rotation", "Turn automatic rotation on or off: keys rotation KEY on|off", 1, func(s *session, k kms.Key, a []string) (kms.Key, error) {
			on, err := parseOnOff(a[0])
			if err != nil {
				return kms.Key{}, err
			}
			return s.backend.Keys.SetRotation(k.KeyID, on, 0)
		}),
		keyCmd(g, "archive", "Archive a key (it can then only decrypt)", 0, func(s *session, k kms.Key, _ []string) (kms.Key, error) {
			return s.backend.Keys.SetArchived(k.KeyID, true)
		}),
		keyCmd(g, "unarchive", "Cancel a key's archive", 0, func(s *session, k kms.Key, _ []string) (kms.Key, error) {
			return s.backend.Keys.SetArchived(k.KeyID, false)
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

// keyCmd is a command on one key given by KeyId or alias, with extra arguments.
func keyCmd(g *globals, use, short string, extra int, do func(*session, kms.Key, []string) (kms.Key, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use + " KEY" + strings.Repeat(" ARG", extra),
		Short: short,
		Args:  cobra.ExactArgs(1 + extra),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			k, err := s.backend.Keys.Resolve(args[0])
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

func keysListCmd(g *globals) *cobra.Command {
	var o kms.ListOptions
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
			s, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			if o.Limit == 0 {
				o.Limit = 200
			}
			var keys []kms.Key
			total := 0
			for {
				page, err := s.backend.Keys.List(o)
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
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.KeyID, k.Alias, k.KeyState, k.KeyUsage, unixDate(k.CreateTime), onOff(k.RotationEnabled))
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
	var in kms.CreateKeyInput
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
			s, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			k, err := s.backend.Keys.Create(in)
			if err != nil {
				return err
			}
			return printKey(cmd.OutOrStdout(), k, g.json)
		},
	}
	cmd.Flags().StringVar(&in.Description, "description", "", "description (≤1024 bytes)")
	cmd.Flags().StringVar(&in.Usage, "usage", "", "ENCRYPT_DECRYPT (default), ASYMMETRIC_DECRYPT_RSA_2048, ASYMMETRIC_SIGN_VERIFY_ECC, …")
	cmd.Flags().StringArrayVar(&tags, "tag", nil, "tag key=value (repeatable)")
	return cmd
}

func keysScheduleDeleteCmd(g *globals) *cobra.Command {
	var days int
	var confirm string
	cmd := &cobra.Command{
		Use:   "schedule-delete KEY",
		Short: "Schedule a disabled key for deletion after 7-30 days",
		Long: "Schedule a disabled key for deletion. Everything encrypted under it becomes unreadable\n" +
			"once it is deleted, so --confirm must repeat the key's alias (or its KeyId if it has none).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			k, err := s.backend.Keys.Resolve(args[0])
			if err != nil {
				return err
			}
			k, err = s.backend.Keys.ScheduleDeletion(k.KeyID, days, confirm)
			if err != nil {
				return err
			}
			return printKey(cmd.OutOrStdout(), k, g.json)
		},
	}
	cmd.Flags().IntVar(&days, "days", 30, "waiting period in days (7-30)")
	cmd.Flags().StringVar(&confirm, "confirm", "", "the key's alias, typed again (required)")
	return cmd
}

func printKey(w io.Writer, k kms.Key, asJSON bool) error {
	if asJSON {
		return writeJSON(w, k)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rows := [][2]string{
		{"KeyId", k.KeyID}, {"Alias", k.Alias}, {"State", k.KeyState}, {"Usage", k.KeyUsage},
		{"Description", k.Description}, {"Created", unixDate(k.CreateTime)}, {"Rotation", onOff(k.RotationEnabled)},
		{"Origin", k.Origin},
	}
	if k.DeletionDate > 0 {
		rows = append(rows, [2]string{"Deletion date", unixDate(k.DeletionDate)})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
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
