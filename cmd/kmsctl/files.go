package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

// fileHints are kmsctl's suggestions for file-job codes, added to hints.
var fileHints = map[string]string{
	"File.Exists":                   "use --overwrite rename or --overwrite overwrite",
	"File.DiskFull":                 "free some space or choose another output folder with -o",
	"File.NotEncrypted":             "only .kmsenc files and KMS ciphertext files can be decrypted",
	"File.OutputIsInput":            "choose another output folder with -o",
	"File.NamedEncrypted":           "rename the file, or use --force to encrypt it anyway",
	"File.WouldReplace":             "check the file came from you, then use --force to replace it, or --overwrite rename",
	"File.IsFolder":                 "use -r to encrypt folders",
	"File.Symlink":                  "links are not followed; give the file it points to",
	"File.Changed":                  "the file was modified while it was processed; run the command again",
	"File.UpToDate":                 "its encrypted copy is up to date; leave out --skip-current to encrypt it again",
	"File.PermissionDenied":         "make the folder writable for you, or choose another output folder with -o",
	"Envelope.AuthenticationFailed": "the file was damaged or modified after encryption and cannot be trusted",
	"Envelope.Truncated":            "the file is incomplete; copy it again from its source",
	"Envelope.ContextMismatch":      "give the encryption context the file was made with (--context k=v)",
	"Envelope.Unsupported":          "this file needs a newer version of kmsctl",
}

func init() {
	for k, v := range fileHints {
		if _, ok := hints[k]; !ok {
			hints[k] = v
		}
	}
}

// jobRun collects the events of one job and renders them: a progress line on a
// terminal, one line per failed or skipped file, the outputs on stdout.
type jobRun struct {
	service.NoEvents
	mu       sync.Mutex
	out, err io.Writer
	tty      bool
	json     bool
	verb     string
	// existsFails counts File.Exists skips as failures (no --overwrite given).
	existsFails bool
	files       []service.JobFile
	failed      int
	exists      int // skipped because the output exists, counted as failures
	lineShown   bool
	done        chan service.JobSummary
}

// JobProgress implements service.Events: the progress line on a terminal.
func (r *jobRun) JobProgress(p service.JobProgress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tty && !r.json {
		fmt.Fprint(r.err, "\r\033[K"+progressLine(r.verb, p))
		r.lineShown = true
	}
}

// JobFile implements service.Events: outputs on stdout, problems on stderr.
func (r *jobRun) JobFile(v service.JobFile) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files = append(r.files, v)
	r.clearLine()
	switch {
	case v.Status == service.FileFailed:
		r.failed++
		printErr(r.err, v.Path, service.NewError(v.ErrorCode, v.Message))
	case v.Status == service.FileSkipped && v.ErrorCode == "File.Exists" && r.existsFails:
		r.exists++
		printErr(r.err, v.Path, service.NewError(v.ErrorCode, v.Message))
	case v.Status == service.FileSkipped:
		printErr(r.err, v.Path, service.NewError(v.ErrorCode, v.Message))
	case v.Status == service.FileDone && !r.json:
		switch {
		case v.Output != "":
			fmt.Fprintln(r.out, safe(v.Output))
		case r.verb == "verifying":
			fmt.Fprintln(r.out, safe(v.Path)+": OK")
		}
		if v.Message != "" {
			fmt.Fprintf(r.err, "kmsctl: %s: %s\n", safe(v.Path), safe(v.Message))
		}
	}
}

// JobDone implements service.Events.
func (r *jobRun) JobDone(d service.JobSummary) {
	r.mu.Lock()
	r.clearLine()
	r.mu.Unlock()
	r.done <- d
}

func (r *jobRun) clearLine() {
	if r.lineShown {
		fmt.Fprint(r.err, "\r\033[K")
		r.lineShown = false
	}
}

// progressLine renders one progress report: files, percent, rate, time left (rate
// and time left as the service computed them).
func progressLine(verb string, p service.JobProgress) string {
	pct := 100.0
	if p.BytesTotal > 0 {
		pct = 100 * float64(p.BytesDone) / float64(p.BytesTotal)
	} else if p.FilesTotal > 0 {
		pct = 100 * float64(p.FilesDone) / float64(p.FilesTotal)
	}
	eta := "--:--"
	if p.EtaSeconds >= 0 {
		s := int(p.EtaSeconds + 0.5)
		eta = fmt.Sprintf("%d:%02d", s/60, s%60)
		if s >= 3600 {
			eta = fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
		}
	}
	line := fmt.Sprintf("%s %d/%d files  %3.0f%%  %s/s  ETA %s", verb, p.FilesDone, p.FilesTotal, pct, megabytes(p.BytesPerSec), eta)
	if p.Current != nil {
		name := []rune(filepath.Base(p.Current.Path))
		if len(name) > 40 {
			name = append(name[:37], []rune("...")...)
		}
		line += "  " + safe(string(name))
	}
	return line
}

// megabytes writes a byte count (or rate) in decimal megabytes, 1 MB = 1,000,000 bytes,
// as the desktop app, GNOME Files and the macOS Finder do.
func megabytes(n float64) string { return fmt.Sprintf("%.1f MB", n/1e6) }

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// runJob opens the connection, starts a job with start and waits for it, printing as
// it goes. The exit status is 1 if a file failed and 130 if interrupted.
func runJob(cmd *cobra.Command, g *globals, verb string, existsFails bool, start func(*session) (service.JobInfo, error)) error {
	r := &jobRun{out: cmd.OutOrStdout(), err: cmd.ErrOrStderr(), tty: isTerminal(cmd.ErrOrStderr()), json: g.json,
		verb: verb, existsFails: existsFails, done: make(chan service.JobSummary, 1)}
	s, err := g.open(cmd, r)
	if err != nil {
		return err
	}
	defer s.close()
	info, err := start(s)
	if err != nil {
		return err
	}
	sum := <-r.done
	r.mu.Lock()
	files := r.files
	r.mu.Unlock()
	if r.failed > 0 {
		explainKeyStates(cmd.ErrOrStderr(), s, files)
	}
	if g.json {
		if files == nil {
			files = []service.JobFile{}
		}
		if err := writeJSON(cmd.OutOrStdout(), struct {
			Files   []service.JobFile  `json:"files"`
			Summary service.JobSummary `json:"summary"`
		}{files, sum}); err != nil {
			return err
		}
	}
	switch {
	case sum.State == service.JobCancelled || cmd.Context().Err() != nil:
		return &exitError{code: 130, msg: fmt.Sprintf("interrupted: %d of %d files done, %d cancelled; no partial files were left", sum.Done, info.Files, sum.Cancelled)}
	case r.failed > 0 && r.exists > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d files failed, %d not written because the output exists", r.failed, info.Files, r.exists)}
	case r.failed > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d files failed", r.failed, info.Files)}
	case r.exists > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d files not written because the output exists (use --overwrite)", r.exists, info.Files)}
	}
	if r.tty && !g.json {
		fmt.Fprintf(cmd.ErrOrStderr(), "kmsctl: %s: %d files done, %d skipped, %s in %.1f s\n", verb, sum.Done, sum.Skipped, megabytes(float64(sum.Bytes)), sum.Seconds)
	}
	return nil
}

// checkOverwrite validates --overwrite (ask needs a window).
func checkOverwrite(v string) error {
	switch v {
	case "", "skip", "rename", "overwrite":
		return nil
	}
	return usageError(fmt.Sprintf("--overwrite takes skip, rename or overwrite, not %q", v))
}

// checkSuite validates a --suite flag ("" = the profile's default).
func checkSuite(v string) error {
	switch service.Suite(v) {
	case "", service.SuiteAuto, service.SuiteAES, service.SuiteSM4:
		return nil
	}
	return usageError(fmt.Sprintf("--suite takes auto, aes or sm4, not %q", v))
}

// suiteName is the user-facing name of a .kmsenc file's suite.
func suiteName(s service.Suite) string {
	switch s {
	case service.SuiteAES:
		return "AES-256-GCM"
	case service.SuiteSM4:
		return "SM4-GCM (国密)"
	}
	return string(s)
}

func newEncryptCmd(g *globals) *cobra.Command {
	var (
		key, output, overwrite string
		ctxFlags, backups, rec []string
		suite                  string
		recursive, direct, rm  bool
		force, skipCurrent     bool
	)
	cmd := &cobra.Command{
		Use:   "encrypt --key KEYID|ALIAS [flags] PATH...",
		Short: "Encrypt files (and folders with -r) into .kmsenc files",
		Long: "Encrypt each file into PATH.kmsenc next to it (or under -o DIR, mirroring folders), with one\n" +
			"KMS data key per batch of up to 1000 files. Outputs are written to a locked partial file\n" +
			"(.NAME.<random>.kmsdesk-partial), synced and renamed: an interrupted run leaves no partial file.\n" +
			"Existing outputs are kept unless --overwrite says otherwise. See docs/FILES.md.\n\n" +
			localNoticeHelp,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if key == "" {
				return usageError("--key is required")
			}
			if err := checkOverwrite(overwrite); err != nil {
				return err
			}
			if err := checkSuite(suite); err != nil {
				return err
			}
			pairs, err := contextPairs(ctxFlags)
			if err != nil {
				return err
			}
			if err := needRecursive(args, recursive, "encrypt"); err != nil {
				return err
			}
			policy := service.Overwrite(overwrite)
			if policy == "" {
				policy = service.OverwriteSkip
			}
			return runJob(cmd, g, "encrypting", overwrite == "", func(s *session) (service.JobInfo, error) {
				s.noteLocalKMS()
				return s.Files.Encrypt(service.EncryptRequest{Paths: args, KeyID: key, BackupKeyIDs: backups, Context: pairs,
					OutputDir: output, Overwrite: policy, RemoveOriginals: rm, Direct: direct, Recovery: rec, Force: force, Suite: service.Suite(suite),
					SkipCurrent: skipCurrent})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "KeyId or alias of the key")
	f.StringArrayVar(&ctxFlags, "context", nil, "encryption context key=value (repeatable); needed again to decrypt blob files")
	f.StringArrayVar(&backups, "backup-key", nil, "also wrap the data key with this key: KEYID, alias, or REGION:KEYID (repeatable)")
	f.StringVarP(&output, "output", "o", "", "write outputs under this folder, mirroring folders (default: next to each file)")
	f.BoolVarP(&recursive, "recursive", "r", false, "encrypt folders recursively")
	f.BoolVar(&direct, "direct", false, "write files of 1-4096 bytes as plain CiphertextBlob files (.kmsblob) with the Encrypt API")
	f.StringVar(&overwrite, "overwrite", "", "when an output exists: skip, rename or overwrite (default: skip, and report it)")
	f.StringArrayVar(&rec, "recovery", nil, "also give this offline recovery recipient (age1…) a slot in every file (repeatable; the profile's are always added)")
	f.BoolVar(&force, "force", false, "also encrypt files named .kmsenc that are not encrypted files (fake.kmsenc → fake.kmsenc.kmsenc)")
	f.BoolVar(&skipCurrent, "skip-current", false, "skip files that already have an up-to-date encrypted copy where the output would go (NAME.kmsenc of the same size, newer than the file)")
	f.BoolVar(&rm, "remove-originals", false, "delete each original after its encrypted file was re-read and verified (a plain delete)")
	f.StringVar(&suite, "suite", "", "crypto suite: auto (the region's standard: SM4 in a national-standard region), aes (AES-256-GCM) or sm4 (SM4-GCM, 国密); default: the profile's")
	return cmd
}

func newDecryptCmd(g *globals) *cobra.Command {
	var (
		output, overwrite, identity string
		ctxFlags                    []string
		recursive, force            bool
	)
	cmd := &cobra.Command{
		Use:   "decrypt [-o DIR] [--overwrite skip|rename|overwrite [--force]] PATH...",
		Short: "Decrypt .kmsenc and CiphertextBlob files, restoring their original names",
		Long: "Decrypt each file next to it (or under -o DIR) under its original name, time and permissions.\n" +
			"Folders are searched for encrypted files. A file holding only a KMS CiphertextBlob (as the Encrypt\n" +
			"API sample writes it) is recognised and decrypted with the Decrypt API.\n" +
			"--overwrite overwrite replaces only the name a file's own name gives (report.pdf for\n" +
			"report.pdf.kmsenc), never a dot-file or a name read from inside the file, unless --force.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOverwrite(overwrite); err != nil {
				return err
			}
			pairs, err := contextPairs(ctxFlags)
			if err != nil {
				return err
			}
			_ = recursive
			policy := service.Overwrite(overwrite)
			if policy == "" {
				policy = service.OverwriteSkip
			}
			return runJob(cmd, g, "decrypting", overwrite == "", func(s *session) (service.JobInfo, error) {
				return s.Files.Decrypt(service.DecryptRequest{Paths: args, OutputDir: output, Overwrite: policy, RequireContext: pairs, IdentityFile: identity, Force: force})
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "", "write outputs under this folder, mirroring folders (default: next to each file)")
	f.StringVar(&overwrite, "overwrite", "", "when an output exists: skip, rename or overwrite (default: skip, and report it)")
	f.StringArrayVar(&ctxFlags, "context", nil, "required encryption context key=value (repeatable; for blob files: the context to decrypt with)")
	f.BoolVarP(&recursive, "recursive", "r", false, "accepted for symmetry: folders are always searched")
	f.StringVar(&identity, "identity", "", "recovery key file: files with a slot for its key open without KMS")
	f.BoolVar(&force, "force", false, "with --overwrite overwrite: also replace dot-files and names read from inside the encrypted files")
	return cmd
}

func newVerifyCmd(g *globals) *cobra.Command {
	var ctxFlags []string
	cmd := &cobra.Command{
		Use:   "verify PATH...",
		Short: "Check that encrypted files decrypt and are intact (nothing is written)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pairs, err := contextPairs(ctxFlags)
			if err != nil {
				return err
			}
			if len(pairs) > 0 {
				return usageError("verify checks the file as stored; to require context values use decrypt --context")
			}
			return runJob(cmd, g, "verifying", false, func(s *session) (service.JobInfo, error) {
				return s.Files.Verify(args)
			})
		},
	}
	cmd.Flags().StringArrayVar(&ctxFlags, "context", nil, "not supported by verify")
	_ = cmd.Flags().MarkHidden("context")
	return cmd
}

func newInspectCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect PATH...",
		Short: "Show what an encrypted file's header says (keys, regions, context, size); no KMS call",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.open(cmd, nil)
			if err != nil {
				return err
			}
			defer s.close()
			var all []service.Inspection
			failedN := 0
			for _, p := range args {
				in, err := s.Files.Inspect(p)
				if err != nil {
					failedN++
					printErr(cmd.ErrOrStderr(), p, err)
					continue
				}
				all = append(all, in)
				if !g.json {
					printInspection(cmd.OutOrStdout(), in)
				}
			}
			if g.json {
				if all == nil {
					all = []service.Inspection{}
				}
				if err := writeJSON(cmd.OutOrStdout(), all); err != nil {
					return err
				}
			}
			if failedN > 0 {
				return failed(failedN, "files")
			}
			return nil
		},
	}
}

func printInspection(w io.Writer, in service.Inspection) {
	if in.Kind == service.ItemBlob {
		fmt.Fprintf(w, "%s: KMS CiphertextBlob file (%d bytes); the key and size are known only to KMS\n", safe(in.Path), in.Size)
		return
	}
	fmt.Fprintf(w, "%s: .kmsenc v%d, %s, %d bytes of plaintext\n", safe(in.Path), in.Version, safe(suiteName(in.Suite)), in.PlaintextSize)
	for i, k := range in.Keys {
		region := k.Region
		if region == "" {
			region = "default region"
		}
		fmt.Fprintf(w, "  key %d: %s (%s)\n", i+1, safe(k.KeyID), safe(region))
	}
	ec := in.EncryptionContext
	if ec == "" {
		ec = "(none)"
	}
	fmt.Fprintf(w, "  encryption context: %s\n", safe(ec))
	if in.Creator != "" {
		fmt.Fprintf(w, "  written by: %s\n", safe(in.Creator))
	}
	meta := "no"
	if in.HasMetadata {
		meta = "yes (encrypted)"
	}
	fmt.Fprintf(w, "  original name and time inside: %s\n", meta)
}
