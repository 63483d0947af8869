package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

func init() {
	for k, v := range map[string]string{
		service.CodeIdentityFile:      "give the recovery key file made by 'kmsctl recovery keygen' (or by KMS Desk)",
		service.CodeRecoveryKeyExists: "choose another file name; a recovery key file is never replaced",
		"Envelope.InvalidRecoveryKey": "a recovery recipient starts with age1…; a recovery key file holds AGE-SECRET-KEY-1… lines",
		"Envelope.RecoveryKeyNeeded":  "give the file's recovery key with --identity FILE",
		"Envelope.LastSlot":           "keep at least one key: add the new key (--add or --to) in the same command",
	} {
		if _, ok := hints[k]; !ok {
			hints[k] = v
		}
	}
}

func newRecoveryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recovery",
		Short: "Offline recovery keys: a way to decrypt files without KMS (see docs/RECOVERY.md)",
	}
	var (
		out string
		pq  bool
	)
	keygen := &cobra.Command{
		Use:   "keygen -o FILE [--pq]",
		Short: "Make a recovery key: the secret half goes to FILE (0600), the public recipient to stdout",
		Long: "Make an offline recovery key. FILE holds the secret half: keep it offline (a safe, a USB stick\n" +
			"in a drawer); anyone who has it can decrypt every file that lists it. The recipient (age1…) is\n" +
			"public: give it to 'kmsctl encrypt --recovery', 'kmsctl rewrap --add-recovery' or a profile\n" +
			"('kmsctl profile add NAME --recovery age1…'). An existing FILE is never replaced.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError("-o FILE is required: where to save the secret half")
			}
			k, err := service.WriteRecoveryKey(out, pq)
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(cmd.OutOrStdout(), struct {
					Recipient   string `json:"recipient"`
					KeyID       string `json:"keyId"`
					Path        string `json:"path"`
					PostQuantum bool   `json:"postQuantum"`
				}{k.Recipient, k.KeyID, k.Path, k.PostQuantum})
			}
			fmt.Fprintln(cmd.OutOrStdout(), k.Recipient)
			fmt.Fprintf(cmd.ErrOrStderr(), "kmsctl: recovery key %s saved to %s: keep that file offline\n", k.KeyID, safe(k.Path))
			return nil
		},
	}
	keygen.Flags().StringVarP(&out, "output", "o", "", "file for the secret half (must not exist)")
	keygen.Flags().BoolVar(&pq, "pq", false, "a post-quantum hybrid key (ML-KEM-768 + X25519, age1pq1…)")
	cmd.AddCommand(keygen)
	return cmd
}

func newRewrapCmd(g *globals) *cobra.Command {
	var (
		req       service.RewrapRequest
		recursive bool
	)
	cmd := &cobra.Command{
		Use:   "rewrap (--to KEY | --add KEY | --remove KEY | --add-recovery RECIPIENT)... PATH...",
		Short: "Change which keys open .kmsenc files, in place, without decrypting them",
		Long: "Change the key slots of .kmsenc files: the data stays as it is (the payload bytes are identical),\n" +
			"only the header's wrapped data keys change. One KMS Decrypt per data key opens the files (or\n" +
			"--identity, a recovery key file, with no KMS at all); each file is rewritten through a temporary\n" +
			"file and renamed, so an interrupted run leaves every file either old or new.\n\n" +
			"  --to KEY              replace every KMS key of each file by KEY (recovery keys stay)\n" +
			"  --add KEY             add a slot for KEY\n" +
			"  --remove KEY          remove KEY's slot (KeyId, alias, age:… id or age1… recipient);\n" +
			"                        removing a file's last way in is refused\n" +
			"  --add-recovery R      add a slot for an offline recovery recipient (age1…)\n" +
			"  --to-profile NAME     KEY belongs to this profile (default: the one in use); a move with --to\n" +
			"                        also adds that profile's recovery recipients\n\n" +
			"KEY is a KeyId, an alias, or REGION:KEYID for a key of another region.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(req.To)+len(req.Add)+len(req.Remove)+len(req.AddRecovery) == 0 {
				return usageError("say what to change: --to, --add, --remove or --add-recovery")
			}
			if err := needRecursive(args, recursive, "re-wrap"); err != nil {
				return err
			}
			req.Paths = args
			return runJob(cmd, g, "re-wrapping", false, func(s *session) (service.JobInfo, error) {
				return s.Files.Rewrap(req)
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&req.To, "to", nil, "replace every KMS key of each file by this key (repeatable)")
	f.StringArrayVar(&req.Add, "add", nil, "add a slot for this key (repeatable)")
	f.StringArrayVar(&req.Remove, "remove", nil, "remove this key's slot (repeatable)")
	f.StringArrayVar(&req.AddRecovery, "add-recovery", nil, "add a slot for this recovery recipient, age1… (repeatable)")
	f.StringVar(&req.Profile, "to-profile", "", "profile the keys of --to and --add belong to (default: the one in use)")
	f.StringVar(&req.IdentityFile, "identity", "", "recovery key file that opens the files (no KMS needed)")
	f.BoolVarP(&recursive, "recursive", "r", false, "re-wrap the .kmsenc files in folders")
	return cmd
}

// needRecursive refuses folders among paths without -r.
func needRecursive(paths []string, recursive bool, verb string) error {
	if recursive {
		return nil
	}
	for _, a := range paths {
		if fi, err := os.Lstat(a); err == nil && fi.IsDir() {
			return usageError(fmt.Sprintf("%s is a folder: use -r to %s folders", strings.TrimRight(a, "/"), verb))
		}
	}
	return nil
}
