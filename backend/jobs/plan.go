package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// itemKind says what a planned file is.
type itemKind int

const (
	kindPlain    itemKind = iota // a file to encrypt
	kindEnvelope                 // a .kmsenc file
	kindBlob                     // a text file holding a KMS CiphertextBlob
)

// item is one file of a job.
type item struct {
	src     string      // absolute path of the input
	destDir string      // folder the output goes to
	info    fs.FileInfo // Lstat at planning time
	kind    itemKind
	total   int64 // bytes counted by progress: plaintext bytes (0 for blobs)
	// pre is a failure (or, with preSkip, a skip) decided while planning; the file is
	// reported but not processed.
	pre     error
	preSkip bool

	// ctx is the file's own context while it is processed (job.begin): it ends with
	// the job's or when the user cancels the file. stop ends it; cancelled records a
	// cancel that came before the file started. stop and cancelled are guarded by
	// the job's mu.
	ctx       context.Context
	stop      context.CancelFunc
	cancelled bool
}

// skipError marks a file as skipped (not failed) with a coded reason.
type skipError struct{ err error }

func (s *skipError) Error() string { return s.err.Error() }
func (s *skipError) Unwrap() error { return s.err }

// planner builds the item list of a job.
type planner struct {
	kind Kind
	planOptions
	items []*item
	seen  map[string]bool
}

// planOptions shape a plan.
type planOptions struct {
	outputDir string // absolute, or "" for next to the originals
	recursive bool   // folders are allowed among the paths
	// encryptNamedEncrypted lets an encryption take a file the user gave whose name
	// ends in .kmsenc (see EncryptSpec.Force).
	encryptNamedEncrypted bool
	// skipCurrent skips files to encrypt that have an up-to-date encrypted copy
	// where their output would go (see EncryptSpec.SkipCurrent).
	skipCurrent bool
}

// plan walks paths and returns the job's items in order: each path in the order
// given, folders in lexical order. Duplicate paths are listed once.
func plan(kind Kind, paths []string, o planOptions) []*item {
	p := &planner{kind: kind, planOptions: o, seen: map[string]bool{}}
	for _, path := range paths {
		p.add(path)
	}
	return p.items
}

func (p *planner) add(path string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	if p.seen[abs] {
		return
	}
	p.seen[abs] = true
	fi, err := os.Lstat(abs)
	switch {
	case err != nil:
		p.fail(abs, nil, statErr(err))
	case fi.Mode()&fs.ModeSymlink != 0:
		p.fail(abs, fi, newErr(CodeSymlink, "symbolic links are not followed; give the file it points to", nil))
	case fi.IsDir():
		if !p.recursive {
			p.fail(abs, fi, newErr(CodeIsFolder, "this is a folder (encrypt folders recursively)", nil))
			return
		}
		p.walk(abs)
	case !fi.Mode().IsRegular():
		p.fail(abs, fi, notRegular(fi))
	default:
		p.file(abs, fi, p.dest(abs, ""), true)
	}
}

// dest is the output folder of file src found under the dropped folder root ("" for a
// file given directly): the mirrored folder under outputDir, or src's own folder.
func (p *planner) dest(src, root string) string {
	if p.outputDir == "" {
		return filepath.Dir(src)
	}
	if root == "" {
		return p.outputDir
	}
	rel, err := filepath.Rel(filepath.Dir(root), filepath.Dir(src))
	if err != nil {
		return p.outputDir
	}
	return filepath.Join(p.outputDir, rel)
}

// walk adds the files under root. Symlinks inside are skipped with a reason by every
// kind of job, special files by encryption (the other kinds take only encrypted
// regular files); unreadable folders fail.
func (p *planner) walk(root string) {
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root && d == nil {
				p.fail(path, nil, statErr(err))
				return nil
			}
			p.fail(path, nil, newErr(CodeUnreadable, "cannot read this folder", err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if p.seen[path] {
			return nil
		}
		p.seen[path] = true
		if ownPartial(d.Name()) {
			return nil // an output being written (or left by a crash): not user data
		}
		fi, err := d.Info()
		if err != nil {
			p.fail(path, nil, statErr(err))
			return nil
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			// Every kind of job reports a link it did not follow: a link to an encrypted
			// file left out of a decrypt or a re-wrap must not look like it was done.
			p.skip(path, fi, newErr(CodeSymlink, "skipped: symbolic link (links are not followed)", nil))
		case !fi.Mode().IsRegular() && p.kind != KindEncrypt:
			// Decrypting a folder takes only its encrypted regular files.
		case !fi.Mode().IsRegular():
			p.skip(path, fi, notRegular(fi))
		default:
			p.file(path, fi, p.dest(path, root), false)
		}
		return nil
	})
}

// file adds a regular file. explicit is true for a path the user gave directly.
func (p *planner) file(path string, fi fs.FileInfo, dest string, explicit bool) {
	it := &item{src: path, destDir: dest, info: fi, kind: kindPlain}
	if p.kind == KindEncrypt {
		it.total = fi.Size()
		if explicit && hasExt(path, ExtEnvelope) && !p.encryptNamedEncrypted {
			// fake.kmsenc (a renamed or empty file) would become fake.kmsenc.kmsenc.
			it.pre = newErr(CodeNamedEncrypted, fmt.Sprintf("%s is named like an encrypted file but is not one; encrypting it would write %s%s (choose to encrypt it anyway, or rename it first)", filepath.Base(path), filepath.Base(path), ExtEnvelope), nil)
		} else if !explicit {
			// Inside a folder, files that are already encrypted are left alone, so
			// encrypting a folder twice does not wrap the first run's outputs.
			if k, _, _ := sniff(path, fi.Size()); k == kindEnvelope || k == kindBlob && hasExt(path, ExtBlob) {
				it.pre, it.preSkip = newErr(CodeAlreadyEncrypted, "skipped: already encrypted", nil), true
			}
		}
		if it.pre == nil && p.skipCurrent {
			if c := upToDateCopy(path, fi, dest); c != "" {
				it.pre, it.preSkip = about(c, newErr(CodeUpToDate, "skipped: "+filepath.Base(c)+" is an up-to-date encrypted copy", nil)), true
			}
		}
		p.items = append(p.items, it)
		return
	}
	k, total, err := sniff(path, fi.Size())
	switch {
	case err != nil:
		it.pre = err
	case k == kindPlain && !explicit:
		return // decrypting a folder takes only its encrypted files
	case k == kindPlain:
		it.pre = newErr(CodeNotEncrypted, "not a .kmsenc file or a KMS ciphertext file", nil)
	}
	it.kind, it.total = k, total
	p.items = append(p.items, it)
}

// upToDateCopy returns the path of the encrypted copy of the file at path (as fi
// describes it) in the folder dest, if that copy is up to date; else "". Up to date
// means: NAME.kmsenc is a regular file whose header (read without any key) promises
// exactly fi's size, and it was written after the original was last modified. It is
// a claim, not a check of the copy's integrity: "Verify" does that.
func upToDateCopy(path string, fi fs.FileInfo, dest string) string {
	c := filepath.Join(dest, filepath.Base(path)+ExtEnvelope)
	cfi, err := os.Lstat(c)
	if err != nil || !cfi.Mode().IsRegular() || !cfi.ModTime().After(fi.ModTime()) {
		return ""
	}
	if k, size, err := sniff(c, cfi.Size()); err != nil || k != kindEnvelope || size != fi.Size() {
		return ""
	}
	return c
}

func (p *planner) fail(path string, fi fs.FileInfo, err error) {
	p.items = append(p.items, &item{src: path, info: fi, pre: err})
}

func (p *planner) skip(path string, fi fs.FileInfo, err error) {
	p.items = append(p.items, &item{src: path, info: fi, pre: err, preSkip: true})
}

// ownPartial reports whether name is a partial output this package writes
// (partialName), or one an older version wrote for encrypted files
// ("x.kmsenc.partial", "x.kmsblob.partial").
func ownPartial(name string) bool {
	return isPartialName(name) || hasExt(name, ExtEnvelope+".partial") || hasExt(name, ExtBlob+".partial")
}

func hasExt(name, ext string) bool {
	_, ok := trimExt(name, ext)
	return ok
}

// statErr maps an Lstat error.
func statErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return newErr(CodeNotFound, "the file does not exist", nil)
	}
	return newErr(CodeUnreadable, "cannot read this file", err)
}

// notRegular is the skip reason of a special file.
func notRegular(fi fs.FileInfo) error {
	what := "a special file"
	switch m := fi.Mode(); {
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		what = "a device"
	case m&fs.ModeIrregular != 0:
		what = "not a regular file"
	}
	return newErr(CodeNotRegular, "skipped: "+what+" (only regular files are processed)", nil)
}

// sniff reads the start of a file and says what it is. For a .kmsenc file it returns
// the exact plaintext size from the header; a damaged header is returned as the error
// (with kindEnvelope). Unreadable files return File.Unreadable.
func sniff(path string, size int64) (itemKind, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return kindPlain, 0, statErr(err)
	}
	defer f.Close()
	var pre [len(envelope.Magic)]byte
	n, err := io.ReadFull(f, pre[:])
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return kindPlain, 0, newErr(CodeUnreadable, "cannot read this file", err)
	}
	if n == len(pre) && envelope.IsEnvelope(pre[:]) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return kindEnvelope, 0, newErr(CodeUnreadable, "cannot read this file", err)
		}
		h, err := envelope.Inspect(f)
		if err != nil {
			return kindEnvelope, 0, err
		}
		pt, err := envelope.PlaintextSize(size, h)
		if err != nil {
			return kindEnvelope, 0, err
		}
		return kindEnvelope, pt, nil
	}
	if size <= MaxBlobFile && size > 0 {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return kindPlain, 0, newErr(CodeUnreadable, "cannot read this file", err)
		}
		b, err := io.ReadAll(io.LimitReader(f, MaxBlobFile+1))
		if err != nil {
			return kindPlain, 0, newErr(CodeUnreadable, "cannot read this file", err)
		}
		if IsBlob(b) {
			return kindBlob, 0, nil
		}
	}
	return kindPlain, 0, nil
}

// Actions of a Classification.
const (
	ActionEncrypt = "encrypt"
	ActionDecrypt = "decrypt"
)

// Kinds of a Classification (and of an Inspection: envelope or blob).
const (
	ItemFile     = "file"     // a file to encrypt
	ItemFolder   = "folder"   // a folder
	ItemEnvelope = "envelope" // a .kmsenc file
	ItemBlob     = "blob"     // a small file holding only a KMS CiphertextBlob
)

// Classification describes one dropped path for the UI: what it is and which action
// applies. Content decides, not the extension.
type Classification struct {
	Path  string
	Name  string
	IsDir bool
	// Size is the file size, or the total size of the regular files under a folder.
	Size int64
	// Files is the number of regular files (1 for a file).
	Files int
	// Action is "encrypt" or "decrypt".
	Action string
	// Kind is "file", "folder", "envelope" (.kmsenc) or "blob" (CiphertextBlob file).
	Kind string
	// ErrorCode is set when the path cannot be used (File.NotFound, …).
	ErrorCode string
	// EncryptAnyway: the path cannot be used as it is, but may be encrypted if the
	// user says so (EncryptSpec.Force): a file named .kmsenc that is not one.
	EncryptAnyway bool
	// Forced: the user asked to encrypt this file named .kmsenc ("Encrypt with KMS
	// Desk"), so it is to be encrypted (EncryptSpec.Force) although its name says it
	// is encrypted; Kind tells whether it really is.
	Forced bool

	encrypted int // encrypted files under a folder
}

// Classify looks at a path. With no intent ("") content decides: a .kmsenc file or a
// small file holding only a KMS CiphertextBlob is to be decrypted, anything else
// encrypted, and a folder is to be decrypted when every regular file in it is encrypted
// (and there is at least one). An intent is what the user explicitly asked for ("Encrypt
// with KMS Desk" or "Decrypt with KMS Desk" in a file manager) and overrides the
// content: ActionEncrypt encrypts every readable path, encrypted files included (their
// Kind still says what they are); ActionDecrypt takes only what can be decrypted and
// marks anything else Envelope.NotEnvelope (a folder without an encrypted file
// File.NotEncrypted).
func Classify(path, intent string) Classification {
	c := classifyContent(path)
	switch {
	case intent == ActionEncrypt && (c.ErrorCode == "" || c.EncryptAnyway || c.Kind == ItemEnvelope && c.ErrorCode != CodeUnreadable):
		// A damaged header matters only for decrypting.
		c.Action, c.ErrorCode, c.EncryptAnyway = ActionEncrypt, "", false
		c.Forced = !c.IsDir && hasExt(path, ExtEnvelope)
	case intent == ActionDecrypt && c.ErrorCode == "" && c.Action == ActionEncrypt:
		if c.IsDir {
			if c.encrypted > 0 {
				c.Action = ActionDecrypt // decrypting a folder takes only its encrypted files
			} else {
				c.ErrorCode = CodeNotEncrypted
			}
			break
		}
		c.ErrorCode, c.EncryptAnyway = envelope.CodeNotEnvelope, true
	}
	return c
}

// classifyContent classifies a path by its content alone.
func classifyContent(path string) Classification {
	c := Classification{Path: path, Name: filepath.Base(path), Action: ActionEncrypt, Kind: ItemFile}
	fi, err := os.Lstat(path)
	if err != nil {
		c.ErrorCode = codeOf(statErr(err))
		return c
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		c.ErrorCode = CodeSymlink
		return c
	case fi.IsDir():
		c.IsDir, c.Kind = true, ItemFolder
		_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() || ownPartial(d.Name()) {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			c.Files++
			c.Size += info.Size()
			if k, _, _ := sniff(p, info.Size()); k != kindPlain {
				c.encrypted++
			}
			return nil
		})
		if c.Files > 0 && c.encrypted == c.Files {
			c.Action = ActionDecrypt
		}
		return c
	case !fi.Mode().IsRegular():
		c.ErrorCode = CodeNotRegular
		return c
	}
	c.Size, c.Files = fi.Size(), 1
	k, _, err := sniff(path, fi.Size())
	switch k {
	case kindEnvelope:
		c.Action, c.Kind = ActionDecrypt, ItemEnvelope
		if err != nil {
			c.ErrorCode = codeOf(err)
		}
	case kindBlob:
		c.Action, c.Kind = ActionDecrypt, ItemBlob
	default:
		switch {
		case err != nil:
			c.ErrorCode = codeOf(err)
		case hasExt(path, ExtEnvelope):
			// Named like an encrypted file but not one (renamed, empty, damaged before
			// the magic): nothing to decrypt, and encrypting it is the user's choice.
			c.ErrorCode, c.EncryptAnyway = envelope.CodeNotEnvelope, true
		}
	}
	return c
}

// Inspection is what the header of an encrypted file says, read without any key.
type Inspection struct {
	Path string
	// Kind is "envelope" or "blob".
	Kind string
	// Size is the file size in bytes.
	Size int64
	// Header is the parsed .kmsenc header (nil for a blob). Nothing in it is
	// authenticated until the file is decrypted or verified.
	Header *envelope.Header
	// PlaintextSize is the exact plaintext size (-1 for a blob: unknown).
	PlaintextSize int64
}

// Inspect reads the header of a .kmsenc file (or recognises a CiphertextBlob file)
// without calling KMS. Other files give File.NotEncrypted.
func Inspect(path string) (*Inspection, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, statErr(err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, newErr(CodeSymlink, "symbolic links are not followed", nil)
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(fi)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, statErr(err)
	}
	defer f.Close()
	k, _, err := sniff(path, fi.Size())
	switch {
	case k == kindEnvelope:
		h, herr := envelope.Inspect(f)
		if herr != nil {
			return nil, herr
		}
		in := &Inspection{Path: path, Kind: ItemEnvelope, Size: fi.Size(), Header: h, PlaintextSize: -1}
		if pt, perr := envelope.PlaintextSize(fi.Size(), h); perr == nil {
			in.PlaintextSize = pt
		} else {
			return nil, perr
		}
		return in, nil
	case err != nil:
		return nil, err
	case k == kindBlob:
		return &Inspection{Path: path, Kind: ItemBlob, Size: fi.Size(), PlaintextSize: -1}, nil
	}
	return nil, newErr(CodeNotEncrypted, "not a .kmsenc file or a KMS ciphertext file", nil)
}

// cleanPath returns the absolute, cleaned form of p (p itself if Abs fails).
func cleanPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// samePath reports whether two paths name the same file: equal after cleaning, or equal
// ignoring case and the same file on disk (case-insensitive filesystems).
func samePath(a, b string) bool {
	return cleanPath(a) == cleanPath(b) || strings.EqualFold(cleanPath(a), cleanPath(b)) && sameFile(a, b)
}

// sameFile reports whether two existing paths name the same file.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
