package localkms

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// MasterKeyMode selects where the master key that seals data at rest is kept.
type MasterKeyMode int

const (
	// MasterKeyAuto uses the OS keychain when one is usable (on Linux: a session bus
	// whose socket exists and a Secret Service answering within the timeout), and
	// otherwise a 0600 file in DataDir. A data dir keeps the choice made when it was
	// initialised.
	MasterKeyAuto MasterKeyMode = iota
	// MasterKeyFile keeps the master key in DataDir/master.key (mode 0600).
	MasterKeyFile
	// MasterKeyKeychain keeps the master key in the OS keychain and fails if it is
	// unavailable.
	MasterKeyKeychain
)

// String returns "auto", "file" or "keychain".
func (m MasterKeyMode) String() string {
	switch m {
	case MasterKeyAuto:
		return "auto"
	case MasterKeyFile:
		return "file"
	case MasterKeyKeychain:
		return "keychain"
	}
	return fmt.Sprintf("MasterKeyMode(%d)", int(m))
}

const (
	masterKeyFileName = "master.key"       // file in DataDir holding the base64 master key
	masterKeyLen      = 32                 // bytes (AES-256)
	keychainService   = "kmsdesk-localkms" // keychain service name
	keychainTimeout   = 5 * time.Second    // per keychain call; a locked keychain may prompt

	sourceFile     = "file"
	sourceKeychain = "keychain"
)

// keychainBackend is the OS keychain; replaced in tests.
type keychainBackend interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
}

type osKeychain struct{}

func (osKeychain) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeychain) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }

var (
	keychain          keychainBackend = osKeychain{}
	keychainAvailable                 = defaultKeychainAvailable
)

// defaultKeychainAvailable reports whether calling the keychain can work without
// side effects. On Linux and the BSDs it requires a session bus address whose
// socket exists, so that godbus never autolaunches a bus.
func defaultKeychainAvailable() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return false
	}
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return false
	}
	addr, _, _ = strings.Cut(addr, ";")
	switch {
	case strings.HasPrefix(addr, "unix:path="):
		path := strings.TrimPrefix(addr, "unix:path=")
		path, _, _ = strings.Cut(path, ",")
		fi, err := os.Stat(path)
		return err == nil && fi.Mode()&fs.ModeSocket != 0
	case strings.HasPrefix(addr, "unix:abstract="), strings.HasPrefix(addr, "unix:tmpdir="), strings.HasPrefix(addr, "tcp:"):
		return true
	}
	return false
}

// withTimeout runs f on its own goroutine and gives up after keychainTimeout.
func withTimeout[T any](f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	t := time.NewTimer(keychainTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, fmt.Errorf("keychain did not answer within %s", keychainTimeout)
	}
}

// keychainUser names the keychain item of one data dir.
func keychainUser(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	return "master-key-" + hex.EncodeToString(sum[:8])
}

// loadMasterKey returns the master key and where it lives. recorded is the source
// stored in an initialised database ("" for a new one).
func loadMasterKey(dataDir string, mode MasterKeyMode, recorded string) ([]byte, string, error) {
	want := recorded
	if want == "" {
		switch mode {
		case MasterKeyFile:
			want = sourceFile
		case MasterKeyKeychain:
			want = sourceKeychain
		case MasterKeyAuto:
			want = sourceFile
			if keychainAvailable() {
				want = sourceKeychain
			}
		default:
			return nil, "", newError(CodeInvalidOptions, nil, "unknown master key mode %d", int(mode))
		}
	} else if (mode == MasterKeyFile && recorded != sourceFile) || (mode == MasterKeyKeychain && recorded != sourceKeychain) {
		return nil, "", newError(CodeMasterKey, nil, "data dir was initialised with the master key in the %s, not the %s", recorded, mode)
	}
	isNew := recorded == ""
	if want == sourceKeychain {
		k, err := keychainMasterKey(dataDir, isNew)
		if err == nil {
			return k, sourceKeychain, nil
		}
		if !(isNew && mode == MasterKeyAuto) {
			return nil, "", err
		}
		// Auto on a new data dir: the keychain looked usable but is not; use a file.
	}
	k, err := fileMasterKey(dataDir, isNew)
	if err != nil {
		return nil, "", err
	}
	return k, sourceFile, nil
}

func keychainMasterKey(dataDir string, create bool) ([]byte, error) {
	if !keychainAvailable() {
		return nil, newError(CodeKeychainUnavailable, nil, "no usable OS keychain (on Linux: no session bus with a Secret Service)")
	}
	user := keychainUser(dataDir)
	text, err := withTimeout(func() (string, error) { return keychain.Get(keychainService, user) })
	if err == nil {
		return decodeMasterKey(text)
	}
	if !errors.Is(err, keyring.ErrNotFound) {
		return nil, newError(CodeKeychainUnavailable, err, "read master key from keychain")
	}
	if !create {
		return nil, newError(CodeMasterKey, nil, "master key of this data dir is missing from the keychain")
	}
	k := make([]byte, masterKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, newError(CodeMasterKey, err, "generate master key")
	}
	enc := base64.StdEncoding.EncodeToString(k)
	if _, err := withTimeout(func() (struct{}, error) { return struct{}{}, keychain.Set(keychainService, user, enc) }); err != nil {
		return nil, newError(CodeKeychainUnavailable, err, "store master key in keychain")
	}
	// Read back: some keychains accept a write they cannot serve later.
	text, err = withTimeout(func() (string, error) { return keychain.Get(keychainService, user) })
	if err != nil || text != enc {
		return nil, newError(CodeKeychainUnavailable, err, "read back master key from keychain")
	}
	return k, nil
}

func fileMasterKey(dataDir string, create bool) ([]byte, error) {
	path := filepath.Join(dataDir, masterKeyFileName)
	data, err := os.ReadFile(path)
	if err == nil {
		return decodeMasterKey(string(data))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, newError(CodeMasterKey, err, "read master key file")
	}
	if !create {
		return nil, newError(CodeMasterKey, nil, "master key file %s is missing", path)
	}
	k := make([]byte, masterKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, newError(CodeMasterKey, err, "generate master key")
	}
	if err := writeFileSync(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n")); err != nil {
		return nil, newError(CodeMasterKey, err, "write master key file")
	}
	return k, nil
}

func decodeMasterKey(text string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil || len(k) != masterKeyLen {
		return nil, newError(CodeMasterKey, err, "master key is malformed")
	}
	return k, nil
}

// writeFileSync creates path exclusively with mode 0600, writes data, fsyncs the
// file and its directory.
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// wipe overwrites b with zeros (best effort: the runtime may have copied it).
func wipe(b []byte) {
	clear(b)
}
