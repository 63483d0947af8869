// Package applog is KMS Desk's log: one file in the user data directory, rotated by size,
// written through log/slog, with helpers that keep secrets and plaintext out of it.
//
// Nothing that is a secret (SecretKey, session token, data key) or user data (plaintext,
// decrypted text) may be logged. Values that identify something but should not be
// readable in full (a SecretId) are logged through [Mask]; values that must never appear
// are wrapped in [Secret], which always logs as "[REDACTED]".
package applog

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// DefaultMaxSize is the size at which the log file is rotated, in bytes.
const DefaultMaxSize = 5 << 20

// DefaultKeep is how many rotated files (kmsdesk.log.1 … .N) are kept.
const DefaultKeep = 3

// FileName is the name of the current log file inside the log directory.
const FileName = "kmsdesk.log"

// RotatingFile is an io.Writer appending to dir/kmsdesk.log that renames the file to
// kmsdesk.log.1 (shifting older ones) when it would grow past MaxSize. Files are 0600
// in a 0700 directory. It is safe for concurrent use.
type RotatingFile struct {
	mu      sync.Mutex
	dir     string
	maxSize int64
	keep    int
	f       *os.File
	size    int64
}

// OpenFile opens (creating) dir/kmsdesk.log for appending. maxSize ≤ 0 and keep ≤ 0
// select the defaults.
func OpenFile(dir string, maxSize int64, keep int) (*RotatingFile, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if keep <= 0 {
		keep = DefaultKeep
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	r := &RotatingFile{dir: dir, maxSize: maxSize, keep: keep}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

// Path returns the path of the current log file.
func (r *RotatingFile) Path() string { return filepath.Join(r.dir, FileName) }

func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.Path(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	r.f, r.size = f, st.Size()
	return nil
}

// Write appends p, rotating first if p would take the file past the size limit.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, os.ErrClosed
	}
	if r.size > 0 && r.size+int64(len(p)) > r.maxSize {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *RotatingFile) rotate() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("close log file: %w", err)
	}
	base := r.Path()
	_ = os.Remove(fmt.Sprintf("%s.%d", base, r.keep))
	for i := r.keep - 1; i >= 1; i-- {
		_ = os.Rename(fmt.Sprintf("%s.%d", base, i), fmt.Sprintf("%s.%d", base, i+1))
	}
	if err := os.Rename(base, base+".1"); err != nil {
		return fmt.Errorf("rotate log file: %w", err)
	}
	return r.open()
}

// Close closes the file.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// New returns a JSON slog.Logger writing to w (and to also, e.g. stderr in development,
// when not nil) at the given level.
func New(w io.Writer, also io.Writer, level slog.Level) *slog.Logger {
	if also != nil {
		w = io.MultiWriter(w, also)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// Secret wraps a value that must never be logged; it logs as "[REDACTED]".
type Secret string

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// String implements fmt.Stringer so %v/%s never print the value either.
func (Secret) String() string { return "[REDACTED]" }

// Mask shows the first 4 and last 4 characters of an identifier such as a SecretId
// ("AKID****wxyz"); shorter values are masked completely.
func Mask(id string) string {
	if len(id) <= 8 {
		if id == "" {
			return ""
		}
		return "****"
	}
	return id[:4] + "****" + id[len(id)-4:]
}
