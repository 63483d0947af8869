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

	"github.com/kmsdesk/kmsdesk/backend/service"
)

// exitRefused is the exit status of a key change refused because files only that key
// opens are known (and neither --yes nor a "y" at the prompt said to go on).
const exitRefused = 3

// maxListed is how many paths a key change's warning lists.
const maxListed = 10

func newInventoryCmd(g *globals) *cobra.Command {
	var key string
	cmd := &cobra.Command{
		Use:   "inventory [--key KEY] [--json]",
		Short: "List the encrypted files KMS Desk and kmsctl wrote on this computer, and their keys",
		Long: "List the .kmsenc files KMS Desk and kmsctl encrypted or re-wrapped on this computer that are still\n" +
			"there, with the keys that open each (docs/FILES.md, \"Which files need which key\"). Files that\n" +
			"were deleted drop out; files on a drive that is not connected are shown as offline.\n" +
			"--key KEY (KeyId or alias) lists only the files that key opens and marks those no other key\n" +
			"opens. --json prints the entries (with --key: {keyId, count, only, files}).\n" +
			"No KMS call, except to resolve an alias.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.open(cmd, nil)
			if err != nil {
				return err
			}
			defer s.close()
			out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if key != "" {
				d, err := s.Keys.Dependents(key)
				if err != nil {
					return err
				}
				if g.json {
					return writeJSON(out, d)
				}
				rows := make([][]string, len(d.Files))
				for i, f := range d.Files {
					rows[i] = []string{safe(f.Path) + offline(f.Offline), fmt.Sprint(f.Size), unixDate(f.Time), map[bool]string{true: "NO: only this key opens it", false: "yes"}[f.Only]}
				}
				printTable(out, "PATH\tSIZE\tMODIFIED\tOTHER KEYS", rows)
				fmt.Fprintf(errw, "%d files known on this computer are encrypted with %s; %d of them only with it\n", d.Count, safe(d.KeyID), d.Only)
				return nil
			}
			list, err := s.Files.Inventory("")
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(out, list)
			}
			rows := make([][]string, len(list))
			for i, e := range list {
				keys := make([]string, len(e.Keys))
				for j, k := range e.Keys {
					keys[j] = slotLabel(k)
				}
				rows[i] = []string{safe(e.Path) + offline(e.Offline), fmt.Sprint(e.Size), unixDate(e.Time), strings.Join(keys, ", ")}
			}
			printTable(out, "PATH\tSIZE\tMODIFIED\tKEYS", rows)
			fmt.Fprintf(errw, "%d files\n", len(list))
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "only the files this key (KeyId or alias) opens")
	return cmd
}

// printTable prints tab-separated rows (escaped already) under header, aligned.
func printTable(out io.Writer, header string, rows [][]string) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	w.Flush()
}

func offline(off bool) string {
	if off {
		return " (offline: drive not connected?)"
	}
	return ""
}

// slotLabel names one key of a file for the terminal.
func slotLabel(k service.InspectionKey) string {
	switch k.Kind {
	case service.SlotRecovery:
		return safe(k.KeyID) + " (recovery key)"
	case service.SlotLocal:
		// Not known to be this computer's: another computer's, or this one's while
		// KMS Desk holds its data folder.
		where := "local KMS " + safe(k.Instance)
		if k.ThisComputer {
			where = "this computer's local KMS"
		}
		return fmt.Sprintf("%s (%s, %s)", safe(k.KeyID), where, safe(k.Region))
	case service.SlotTencent:
		return fmt.Sprintf("%s (%s)", safe(k.KeyID), safe(firstNonEmptyStr(k.Region, "default region")))
	}
	return safe(k.KeyID) + " (unknown kind)"
}

func firstNonEmptyStr(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// keyChange is a change to a key that the files depending on it should be told of.
type keyChange struct {
	// state is what the key becomes ("disabled"), for the messages.
	state string
	// blocks: afterwards the key no longer decrypts (disable, schedule deletion); an
	// archived key still does.
	blocks bool
}

var (
	changeDisable = keyChange{state: "disabled", blocks: true}
	changeDelete  = keyChange{state: "deleted", blocks: true}
	changeArchive = keyChange{state: "archived"}
)

// guardKey warns about the known files on this computer that key k opens before
// change; when some open only with it and the change stops it from decrypting, it
// asks on a terminal, and otherwise refuses (exit status 3) unless yes. A failure to
// read the inventory is reported and does not stop the change (the inventory is a
// help, not a record of every file).
func guardKey(cmd *cobra.Command, s *session, k service.Key, c keyChange, yes bool) error {
	errw := cmd.ErrOrStderr()
	name := safe(firstNonEmptyStr(k.Alias, k.KeyID))
	d, err := s.Keys.Dependents(k.KeyID)
	if err != nil {
		fmt.Fprintf(errw, "kmsctl: the files encrypted with %s are not known: %s\n", name, safe(describeErr(err)))
		return nil
	}
	if d.Count == 0 {
		return nil
	}
	fmt.Fprintf(errw, "kmsctl: %d files on this computer are encrypted with %s (%s); %d of them only with it:\n", d.Count, name, safe(k.KeyID), d.Only)
	for i, f := range d.Files {
		if i == maxListed {
			fmt.Fprintf(errw, "  … and %d more: kmsctl inventory --key %s\n", d.Count-maxListed, safe(k.KeyID))
			break
		}
		mark := ""
		if f.Only {
			mark = "  (only this key)"
		}
		fmt.Fprintf(errw, "  %s%s%s\n", safe(f.Path), offline(f.Offline), mark)
	}
	if !c.blocks {
		fmt.Fprintf(errw, "kmsctl: they still open while the key is archived; no new file can be encrypted with it\n")
		return nil
	}
	if d.Only == 0 || yes {
		return nil
	}
	move := fmt.Sprintf("move them to another key first: kmsctl rewrap --add OTHER-KEY --remove %s PATH...", safe(k.KeyID))
	if in, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(in.Fd())) {
		fmt.Fprintf(errw, "The %d files only %s opens cannot be decrypted once it is %s; %s.\nGo on anyway? [y/N] ", d.Only, name, c.state, move)
		if answer, _ := bufio.NewReader(in).ReadString('\n'); isYes(answer) {
			return nil
		}
		return &exitError{code: exitRefused, msg: "nothing was changed"}
	}
	return &exitError{code: exitRefused, msg: fmt.Sprintf("nothing was changed: %d files can be decrypted only with %s, which would be %s; %s; or repeat with --yes", d.Only, name, c.state, move)}
}

func isYes(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return s == "y" || s == "yes"
}

// keyStateCodes are the codes a KMS gives when a key's state keeps it from decrypting.
var keyStateCodes = map[string]bool{
	"ResourceUnavailable.CmkDisabled": true, "ResourceUnavailable.KeyDisabled": true,
	"ResourceUnavailable.KeyPendingDelete": true, "ResourceUnavailable.CmkStateNotSupport": true,
}

// explainKeyStates says, for each key (up to 5) whose state kept files of a job from
// opening, what its state is and the commands that fix it: a key scheduled for
// deletion needs the deletion cancelled before it can be enabled.
func explainKeyStates(w io.Writer, s *session, files []service.JobFile) {
	seen := map[string]bool{}
	for _, f := range files {
		if f.Status != service.FileFailed || f.KeyID == "" || !keyStateCodes[f.ErrorCode] || seen[f.KeyID] || len(seen) == 5 {
			continue
		}
		seen[f.KeyID] = true
		k, err := s.Keys.Describe(f.KeyID)
		if err != nil {
			continue
		}
		id, name := safe(k.KeyID), safe(firstNonEmptyStr(k.Alias, k.KeyID))
		switch k.KeyState {
		case "PendingDelete":
			fmt.Fprintf(w, "kmsctl: key %s is scheduled for deletion on %s: cancel the deletion (kmsctl keys cancel-delete %s), then enable it (kmsctl keys enable %s)\n",
				name, unixDate(k.DeletionDate), id, id)
		case "Disabled":
			fmt.Fprintf(w, "kmsctl: key %s is disabled: enable it (kmsctl keys enable %s) to decrypt these files\n", name, id)
		}
	}
}
