package jobs

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// Reading the inputs of a job, for encryption and decryption alike.

// openInput opens a planned input again and checks it is still the regular file that
// was planned (not replaced by a link or a special file meanwhile).
func (j *job) openInput(it *item) (*os.File, fs.FileInfo, error) {
	fi, err := os.Lstat(it.src)
	if err != nil {
		return nil, nil, statErr(err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, nil, newErr(CodeSymlink, "symbolic links are not followed", nil)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, notRegular(fi)
	}
	f, err := os.Open(it.src)
	if err != nil {
		return nil, nil, statErr(err)
	}
	ofi, err := f.Stat()
	if err != nil || !os.SameFile(fi, ofi) {
		f.Close()
		return nil, nil, newErr(CodeUnreadable, "the file was replaced while it was being opened", err)
	}
	return f, ofi, nil
}

// inputReader marks read errors of an input, so they map to File.Unreadable and
// everything else the engine reports to File.IOError.
type inputReader struct{ r io.Reader }

func (r inputReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = &inputError{err}
	}
	return n, err
}

type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func isInputErr(err error) bool {
	var ie *inputError
	return errors.As(err, &ie)
}
