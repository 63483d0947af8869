package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/service"
)

// backupPassphraseEnv names the environment variable scripts pass a backup passphrase
// in; a passphrase is never taken from a flag (other users can read the command line).
const backupPassphraseEnv = "KMSDESK_BACKUP_PASSPHRASE"

// backupWarning is printed after a backup.
const backupWarning = "Anyone with this file and its passphrase can decrypt your files. Without them, a lost computer means lost files.\n" +
	"Keep the file somewhere other than this computer, and the passphrase apart from it."

func newLocalBackupCmd(g *globals, lo *localOptions) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup -o FILE",
		Short: "Back up every key of the local KMS into one passphrase-sealed file",
		Long: "Write every key (all material versions, state, alias, rotation), the API key pairs and\n" +
			"the instance ids of the local KMS in --data into FILE, an age file sealed with a\n" +
			"passphrase of at least 12 characters. The passphrase comes from " + backupPassphraseEnv + "\n" +
			"or is asked twice without echo; it is never taken from a flag. FILE must not exist.\n" +
			"KMS Desk and 'kmsctl local serve' hold the data folder: stop them first.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError("kmsctl local backup needs -o FILE")
			}
			if _, err := os.Lstat(out); err == nil {
				return service.NewError("File.Exists", out+" already exists; a backup never replaces a file: choose another name")
			}
			if _, err := os.Stat(filepath.Join(lo.dataDir, "localkms.db")); err != nil {
				return service.NewError(localkms.CodeDataDir, fmt.Sprintf("there is no local KMS in %s (no localkms.db): pass --data", lo.dataDir))
			}
			mode, err := parseMasterKeyMode(lo.masterKey)
			if err != nil {
				return err
			}
			pass, err := readBackupPassphrase(cmd, true)
			if err != nil {
				return err
			}
			local := &lazyLocal{dir: lo.dataDir, mode: mode}
			defer local.close()
			res, err := service.WriteLocalBackup(local, out, pass)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if g.json {
				return printJSON(w, res)
			}
			fmt.Fprintf(w, "Backed up %d key(s) and %d API key pair(s) of the local KMS in %s\nto %s (local KMS ids: %s).\n%s\n",
				res.Keys, res.Credentials, safe(lo.dataDir), safe(res.Path), safe(strings.Join(res.Instances, ", ")), backupWarning)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the backup file to create (it must not exist)")
	return cmd
}

func newLocalRestoreCmd(g *globals, lo *localOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Restore a backup of local keys into the local KMS (all or nothing)",
		Long: "Merge the backup FILE into the local KMS in --data (created if missing): keys that\n" +
			"are not there are added, keys already there are kept (material versions they lack\n" +
			"are added), and the backup's instance ids are served, so files encrypted on the\n" +
			"backed-up computer decrypt here. A key id or alias that belongs to a different key\n" +
			"refuses the whole restore. The passphrase comes from " + backupPassphraseEnv + " or is asked\n" +
			"without echo. KMS Desk and 'kmsctl local serve' hold the data folder: stop them first.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mode, err := parseMasterKeyMode(lo.masterKey)
			if err != nil {
				return err
			}
			if _, err := os.Stat(args[0]); err != nil {
				return service.NewError("File.NotFound", fmt.Sprintf("open the backup: %v", err))
			}
			pass, err := readBackupPassphrase(cmd, false)
			if err != nil {
				return err
			}
			local := &lazyLocal{dir: lo.dataDir, mode: mode}
			defer local.close()
			res, err := service.RestoreLocalBackup(local, args[0], pass)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if g.json {
				return printJSON(w, res)
			}
			fmt.Fprintf(w, "Restored %s into the local KMS in %s:\n", safe(res.Path), safe(lo.dataDir))
			fmt.Fprintf(w, "  keys added:          %d%s\n", len(res.KeysAdded), listed(res.AliasesAdded))
			fmt.Fprintf(w, "  keys already here:   %d (material versions added: %d)\n", len(res.KeysPresent), res.VersionsAdded)
			fmt.Fprintf(w, "  API key pairs added: %d\n", res.CredentialsAdded)
			fmt.Fprintf(w, "  local KMS ids now served: %s\n", safe(strings.Join(res.Instances, ", ")))
			return nil
		},
	}
}

// listed is " (a, b, c)" for the aliases, or "" for none.
func listed(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return " (" + safe(strings.Join(items, ", ")) + ")"
}

func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// readBackupPassphrase returns the passphrase of KMSDESK_BACKUP_PASSPHRASE, or asks for
// it on the terminal without echo; confirm asks twice and checks the strength first.
func readBackupPassphrase(cmd *cobra.Command, confirm bool) (string, error) {
	check := func(p string) error {
		if confirm {
			return localkms.CheckPassphrase(p)
		}
		return nil
	}
	if p, ok := os.LookupEnv(backupPassphraseEnv); ok {
		return p, check(p)
	}
	f, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usageError("no passphrase: set " + backupPassphraseEnv + " or run kmsctl in a terminal to be asked (a passphrase is never taken from a flag)")
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		return string(b), err
	}
	if !confirm {
		return ask("Passphrase of the backup: ")
	}
	p, err := ask(fmt.Sprintf("New passphrase for the backup (at least %d characters): ", localkms.MinPassphraseLen))
	if err != nil {
		return "", err
	}
	if err := check(p); err != nil {
		return "", err
	}
	again, err := ask("The same passphrase again: ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", service.NewError(service.CodeInvalidInput, "the two passphrases differ; nothing was written")
	}
	return p, nil
}
