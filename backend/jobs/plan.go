package jobs

import (
	"errors"
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
}

// skipError marks a file as skipped (not failed) with a coded reason.
type skipError struct{ err error }

func (s *skipError) Error() string { return s.err.Error() }
func (s *skipError) Unwrap() error { return s.err }

// planner builds the item list of a job.
type planner struct {
	kind      Kind
	outputDir string // absolute, or "" for next to the originals
	recursive bool
	items     []*item
	seen      map[string]bool
}

// plan walks paths and returns the job's items in order: each path in the order
// given, folders in lexical order. Duplicate paths are listed once.
func plan(kind Kind, paths []string, outputDir string, recursive bool) []*item {
	p := &planner{kind: kind, outputDir: outputDir, recursive: recursive, seen: map[string]bool{}}
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

// walk adds the files under root. Symlinks and special files inside are skipped with
// a reason; unreadable folders fail.
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
		case !fi.Mode().IsRegular() && p.kind != KindEncrypt:
			// Decrypting a folder takes only its encrypted regular files.
		case fi.Mode()&fs.ModeSymlink != 0:
			p.skip(path, fi, newErr(CodeSymlink, "skipped: symbolic link (links are not followed)", nil))
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
		if !explicit {
			// Inside a folder, files that are already encrypted are left alone, so
			// encrypting a folder twice does not wrap the first run's outputs.
			if k, _, _ := sniff(path, fi.Size()); k == kindEnvelope || k == kindBlob && hasExt(path, ExtBlob) {
				it.pre, it.preSkip = newErr(CodeAlreadyEncrypted, "skipped: already encrypted", nil), true
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

func (p *planner) fail(path string, fi fs.FileInfo, err error) {
	p.items = append(p.items, &item{src: path, info: fi, pre: err})
}

func (p *planner) skip(path string, fi fs.FileInfo, err error) {
	p.items = append(p.items, &item{src: path, info: fi, pre: err, preSkip: true})
}

// ownPartial reports whether name is a partial output this package writes for
// encrypted files (decrypted partials cannot be told apart from user files by name).
func ownPartial(name string) bool {
	return hasExt(name, ExtEnvelope+ExtPartial) || hasExt(name, ExtBlob+ExtPartial)
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
}

// Classify looks at a path: a .kmsenc file or a small file holding only a KMS
// CiphertextBlob is to be decrypted, anything else encrypted. A folder is to be
// decrypted when every regular file in it is encrypted (and there is at least one).
func Classify(path string) Classification {
	c := Classification{Path: path, Name: filepath.Base(path), Action: "encrypt", Kind: "file"}
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
		c.IsDir, c.Kind = true, "folder"
		encrypted := 0
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
				encrypted++
			}
			return nil
		})
		if c.Files > 0 && encrypted == c.Files {
			c.Action = "decrypt"
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
		c.Action, c.Kind = "decrypt", "envelope"
		if err != nil {
			c.ErrorCode = codeOf(err)
		}
	case kindBlob:
		c.Action, c.Kind = "decrypt", "blob"
	default:
		if err != nil {
			c.ErrorCode = codeOf(err)
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
		in := &Inspection{Path: path, Kind: "envelope", Size: fi.Size(), Header: h, PlaintextSize: -1}
		if pt, perr := envelope.PlaintextSize(fi.Size(), h); perr == nil {
			in.PlaintextSize = pt
		} else {
			return nil, perr
		}
		return in, nil
	case err != nil:
		return nil, err
	case k == kindBlob:
		return &Inspection{Path: path, Kind: "blob", Size: fi.Size(), PlaintextSize: -1}, nil
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
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false
	}
	return os.SameFile(fa, fb)
}
