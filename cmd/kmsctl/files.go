package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

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
	"File.IsFolder":                 "use -r to encrypt folders",
	"File.Symlink":                  "links are not followed; give the file it points to",
	"File.Changed":                  "the file was modified while it was processed; run the command again",
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

// fileErr is a per-file failure as kmsctl prints it.
type fileErr struct{ code, msg string }

func (e *fileErr) Error() string     { return e.msg }
func (e *fileErr) ErrorCode() string { return e.code }

// jobRun collects the events of one job and renders them: a progress line on a
// terminal, one line per failed or skipped file, the outputs on stdout.
type jobRun struct {
	mu       sync.Mutex
	out, err io.Writer
	tty      bool
	json     bool
	verb     string
	// existsFails counts File.Exists skips as failures (no --overwrite given).
	existsFails bool
	files       []service.FileEvent
	failed      int
	exists      int // skipped because the output exists, counted as failures
	lineShown   bool
	done        chan service.DoneEvent
}

// Emit implements service.Events.
func (r *jobRun) Emit(name string, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch v := data.(type) {
	case service.ProgressEvent:
		if r.tty && !r.json {
			fmt.Fprint(r.err, "\r\033[K"+progressLine(r.verb, v))
			r.lineShown = true
		}
	case service.FileEvent:
		r.files = append(r.files, v)
		r.clearLine()
		switch {
		case v.Status == "failed":
			r.failed++
			printErr(r.err, v.Path, &fileErr{code: v.ErrorCode, msg: v.Message})
		case v.Status == "skipped" && v.ErrorCode == "File.Exists" && r.existsFails:
			r.exists++
			printErr(r.err, v.Path, &fileErr{code: v.ErrorCode, msg: v.Message})
		case v.Status == "skipped":
			printErr(r.err, v.Path, &fileErr{code: v.ErrorCode, msg: v.Message})
		case v.Status == "done" && !r.json:
			switch {
			case v.Output != "":
				fmt.Fprintln(r.out, v.Output)
			case r.verb == "verifying":
				fmt.Fprintln(r.out, v.Path+": OK")
			}
			if v.Message != "" {
				fmt.Fprintf(r.err, "kmsctl: %s: %s\n", v.Path, v.Message)
			}
		}
	case service.DoneEvent:
		r.clearLine()
		r.done <- v
	}
}

func (r *jobRun) clearLine() {
	if r.lineShown {
		fmt.Fprint(r.err, "\r\033[K")
		r.lineShown = false
	}
}

// progressLine renders one progress report: files, percent, rate, ETA.
func progressLine(verb string, p service.ProgressEvent) string {
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
	line := fmt.Sprintf("%s %d/%d files  %3.0f%%  %.1f MB/s  ETA %s", verb, p.FilesDone, p.FilesTotal, pct, p.BytesPerSec/1e6, eta)
	if p.Current != nil {
		name := filepath.Base(p.Current.Path)
		if len(name) > 40 {
			name = name[:37] + "..."
		}
		line += "  " + name
	}
	return line
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// fileService builds a FileService whose events go to r (conn may be nil for
// commands that never call KMS).
func fileService(cmd *cobra.Command, conn *service.Connector, r *jobRun) *service.FileService {
	var ev service.Events
	if r != nil {
		ev = r
	}
	return service.NewFileService(cmd.Context(), service.OpenGate(), slog.New(slog.DiscardHandler), conn,
		noDialogs{}, nil, ev, service.AppInfo{Name: "kmsctl", Version: version})
}

// runJob opens the connection, starts a job with start and waits for it, printing as
// it goes. The exit status is 1 if a file failed and 130 if interrupted.
func runJob(cmd *cobra.Command, g *globals, verb string, existsFails bool, start func(*service.FileService) (service.JobInfo, error)) error {
	s, err := g.open(cmd)
	if err != nil {
		return err
	}
	defer s.close()
	r := &jobRun{out: cmd.OutOrStdout(), err: cmd.ErrOrStderr(), tty: isTerminal(cmd.ErrOrStderr()), json: g.json,
		verb: verb, existsFails: existsFails, done: make(chan service.DoneEvent, 1)}
	fs := fileService(cmd, s.conn, r)
	info, err := start(fs)
	if err != nil {
		return err
	}
	sum := <-r.done
	// Partial files are gone by the time job:done is sent; the service stops here.
	_ = service.StopFileJobs(fs, 10*time.Second)
	if g.json {
		r.mu.Lock()
		files := r.files
		r.mu.Unlock()
		if files == nil {
			files = []service.FileEvent{}
		}
		if err := writeJSON(cmd.OutOrStdout(), struct {
			Files   []service.FileEvent `json:"files"`
			Summary service.DoneEvent   `json:"summary"`
		}{files, sum}); err != nil {
			return err
		}
	}
	switch {
	case sum.State == "cancelled" || cmd.Context().Err() != nil:
		return &exitError{code: 130, msg: fmt.Sprintf("interrupted: %d of %d files done, %d cancelled; no partial files were left", sum.Done, info.Files, sum.Cancelled)}
	case r.failed > 0 && r.exists > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d files failed, %d not written because the output exists", r.failed, info.Files, r.exists)}
	case r.failed > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d files failed", r.failed, info.Files)}
	case r.exists > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d files not written because the output exists (use --overwrite)", r.exists, info.Files)}
	}
	if r.tty && !g.json {
		fmt.Fprintf(cmd.ErrOrStderr(), "kmsctl: %s: %d files done, %d skipped, %.1f MB in %.1f s\n", verb, sum.Done, sum.Skipped, float64(sum.Bytes)/1e6, sum.Seconds)
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

func newEncryptCmd(g *globals) *cobra.Command {
	var (
		key, output, overwrite string
		ctxFlags, backups      []string
		recursive, direct, rm  bool
	)
	cmd := &cobra.Command{
		Use:   "encrypt --key KEYID|ALIAS [flags] PATH...",
		Short: "Encrypt files (and folders with -r) into .kmsenc files",
		Long: "Encrypt each file into PATH.kmsenc next to it (or under -o DIR, mirroring folders), with one\n" +
			"KMS data key per batch of up to 1000 files. Outputs are written to NAME.partial, synced and\n" +
			"renamed: an interrupted run leaves no partial file. Existing outputs are kept unless --overwrite\n" +
			"says otherwise. See docs/FILES.md.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if key == "" {
				return usageError("--key is required")
			}
			if err := checkOverwrite(overwrite); err != nil {
				return err
			}
			pairs, err := contextPairs(ctxFlags)
			if err != nil {
				return err
			}
			if !recursive {
				for _, a := range args {
					if fi, err := os.Lstat(a); err == nil && fi.IsDir() {
						return usageError(a + " is a folder: use -r to encrypt folders")
					}
				}
			}
			policy := overwrite
			if policy == "" {
				policy = "skip"
			}
			return runJob(cmd, g, "encrypting", overwrite == "", func(fs *service.FileService) (service.JobInfo, error) {
				return fs.Encrypt(service.EncryptRequest{Paths: args, KeyID: key, BackupKeyIDs: backups, Context: pairs,
					OutputDir: output, Overwrite: policy, RemoveOriginals: rm, Direct: direct})
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
	f.BoolVar(&rm, "remove-originals", false, "delete each original after its encrypted file was re-read and verified (a plain delete)")
	return cmd
}

func newDecryptCmd(g *globals) *cobra.Command {
	var (
		output, overwrite string
		ctxFlags          []string
		recursive         bool
	)
	cmd := &cobra.Command{
		Use:   "decrypt [-o DIR] [--overwrite skip|rename|overwrite] PATH...",
		Short: "Decrypt .kmsenc and CiphertextBlob files, restoring their original names",
		Long: "Decrypt each file next to it (or under -o DIR) under its original name, time and permissions.\n" +
			"Folders are searched for encrypted files. A file holding only a KMS CiphertextBlob (as the Encrypt\n" +
			"API sample writes it) is recognised and decrypted with the Decrypt API.",
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
			policy := overwrite
			if policy == "" {
				policy = "skip"
			}
			return runJob(cmd, g, "decrypting", overwrite == "", func(fs *service.FileService) (service.JobInfo, error) {
				return fs.Decrypt(service.DecryptRequest{Paths: args, OutputDir: output, Overwrite: policy, RequireContext: pairs})
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "", "write outputs under this folder, mirroring folders (default: next to each file)")
	f.StringVar(&overwrite, "overwrite", "", "when an output exists: skip, rename or overwrite (default: skip, and report it)")
	f.StringArrayVar(&ctxFlags, "context", nil, "required encryption context key=value (repeatable; for blob files: the context to decrypt with)")
	f.BoolVarP(&recursive, "recursive", "r", false, "accepted for symmetry: folders are always searched")
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
			return runJob(cmd, g, "verifying", false, func(fs *service.FileService) (service.JobInfo, error) {
				return fs.Verify(args)
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
			fs := fileService(cmd, nil, nil)
			var all []service.Inspection
			failedN := 0
			for _, p := range args {
				in, err := fs.Inspect(p)
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
	if in.Kind == "blob" {
		fmt.Fprintf(w, "%s: KMS CiphertextBlob file (%d bytes); the key and size are known only to KMS\n", in.Path, in.Size)
		return
	}
	fmt.Fprintf(w, "%s: .kmsenc v%d, %s, %d bytes of plaintext\n", in.Path, in.Version, in.Suite, in.PlaintextSize)
	for i, k := range in.Keys {
		region := k.Region
		if region == "" {
			region = "default region"
		}
		fmt.Fprintf(w, "  key %d: %s (%s)\n", i+1, k.KeyID, region)
	}
	ec := in.EncryptionContext
	if ec == "" {
		ec = "(none)"
	}
	fmt.Fprintf(w, "  encryption context: %s\n", ec)
	if in.Creator != "" {
		fmt.Fprintf(w, "  written by: %s\n", in.Creator)
	}
	meta := "no"
	if in.HasMetadata {
		meta = "yes (encrypted)"
	}
	fmt.Fprintf(w, "  original name and time inside: %s\n", meta)
}
