package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/jobs"
)

// Backup and restore of the local KMS's keys (docs/LOCAL-KMS.md, "Backup and
// restore"). The keys of the local KMS exist only on this computer; a backup file,
// sealed with a passphrase, lets another computer (or this one, after a loss) decrypt
// the files again. The local KMS makes and reads the file; this file asks where it
// goes and writes it so that no partial file is ever left. The passphrase is passed
// through and never logged.

// LocalBackup is what a backup holds (localkms.BackupInfo).
type LocalBackup struct {
	Keys        int
	Credentials int
	Instances   []string
}

// LocalRestore is what a restore did (localkms.RestoreResult).
type LocalRestore struct {
	KeysAdded        []string
	KeysPresent      []string
	VersionsAdded    int
	AliasesAdded     []string
	CredentialsAdded int
	Instances        []string
}

// BackupFileName is the name the save dialog proposes for a backup made at t.
func BackupFileName(t time.Time) string {
	return "kmsdesk-local-keys-" + t.Format("2006-01-02") + ".age"
}

// BackupLocalKeys backs up the local KMS's keys: it seals them with passphrase (a
// weak one is refused before anything is asked), asks where to save, and writes the
// file (0600, never partially). A path "" in the result means the user cancelled.
func (s *SettingsService) BackupLocalKeys(passphrase string) (BackupResult, error) {
	return call(&s.base, "BackupLocalKeys", func(context.Context) (BackupResult, error) {
		data, info, err := sealLocalBackup(s.conn.local, passphrase)
		if err != nil {
			return BackupResult{}, err
		}
		path, err := s.dialogs.SaveFile("Back up local keys", BackupFileName(time.Now()))
		if err != nil || path == "" {
			return BackupResult{}, err
		}
		// The save dialog asked before replacing a file.
		if err := writeFileAtomic(path, data, 0o600); err != nil {
			return BackupResult{}, err
		}
		s.log.Info("local keys backed up", "keys", info.Keys, "credentials", info.Credentials)
		return backupResultDTO(path, info), nil
	})
}

// ChooseLocalBackup asks for a backup file to restore; "" when the user cancelled.
func (s *SettingsService) ChooseLocalBackup() (string, error) {
	return call(&s.base, "ChooseLocalBackup", func(context.Context) (string, error) {
		return s.dialogs.OpenFile("Restore local keys")
	})
}

// RestoreLocalKeys restores the backup at path ("" asks with a dialog) into the local
// KMS, all or nothing. A path "" in the result means the user cancelled.
func (s *SettingsService) RestoreLocalKeys(path, passphrase string) (RestoreResult, error) {
	return call(&s.base, "RestoreLocalKeys", func(context.Context) (RestoreResult, error) {
		if path == "" {
			var err error
			if path, err = s.dialogs.OpenFile("Restore local keys"); err != nil || path == "" {
				return RestoreResult{}, err
			}
		}
		res, err := RestoreLocalBackup(s.conn.local, path, passphrase)
		if err == nil {
			s.log.Info("local keys restored", "added", len(res.KeysAdded), "present", len(res.KeysPresent), "instances", len(res.Instances))
		}
		return res, err
	})
}

// WriteLocalBackup backs up local into a new file at path (kmsctl local backup): 0600,
// written under a temporary name and synced before it appears; an existing path is
// refused (File.Exists), also when it appears while the backup is being made.
func WriteLocalBackup(local LocalKMS, path, passphrase string) (BackupResult, error) {
	if _, err := os.Lstat(path); err == nil {
		return BackupResult{}, errExists(path)
	}
	data, info, err := sealLocalBackup(local, passphrase)
	if err != nil {
		return BackupResult{}, err
	}
	if err := writeFileVia(path, data, 0o600, placeNew); err != nil {
		return BackupResult{}, err
	}
	return backupResultDTO(path, info), nil
}

// RestoreLocalBackup restores the backup file at path into local.
func RestoreLocalBackup(local LocalKMS, path, passphrase string) (RestoreResult, error) {
	if err := localUsable(local); err != nil {
		return RestoreResult{}, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return RestoreResult{}, errcode.Wrap(jobs.CodeNotFound, "open the backup", err)
	}
	if err != nil {
		return RestoreResult{}, errcode.Wrap(CodeFileIO, "open the backup", err)
	}
	defer f.Close()
	r, err := local.Restore(f, passphrase)
	if err != nil {
		return RestoreResult{}, err
	}
	return restoreResultDTO(path, r), nil
}

// sealLocalBackup makes a backup of local in memory (at most tens of MiB).
func sealLocalBackup(local LocalKMS, passphrase string) ([]byte, LocalBackup, error) {
	if err := localUsable(local); err != nil {
		return nil, LocalBackup{}, err
	}
	var buf bytes.Buffer
	info, err := local.Backup(&buf, passphrase)
	if err != nil {
		return nil, LocalBackup{}, err
	}
	return buf.Bytes(), info, nil
}

// localUsable returns why the local KMS cannot be used now (it did not open: the
// credential lookup says why), or nil.
func localUsable(local LocalKMS) error {
	if local == nil {
		return errcode.New(CodeNoLocalKMS, "the local KMS is not running")
	}
	if len(local.InstanceIDs()) > 0 {
		return nil
	}
	_, _, err := local.EmbeddedCredential()
	if errcode.Code(err) != "" {
		return err
	}
	return errcode.Wrap(CodeNoLocalKMS, "the local KMS is not running", err)
}

func backupResultDTO(path string, info LocalBackup) BackupResult {
	return BackupResult{Path: path, Keys: info.Keys, Credentials: info.Credentials, Instances: info.Instances}
}

// placeNew puts the temporary file tmp at path unless path exists: a hard link fails
// if it does. Where the file system has no hard links, it checks and renames.
func placeNew(tmp, path string) error {
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		os.Remove(tmp) // path holds the data now; tmp is only a second name
		return nil
	case errors.Is(err, fs.ErrExist):
		return errExists(path)
	}
	if _, serr := os.Lstat(path); serr == nil {
		return errExists(path)
	}
	return os.Rename(tmp, path)
}

func errExists(path string) error {
	return errcode.New(jobs.CodeExists, fmt.Sprintf("%s already exists; a backup never replaces a file: choose another name", path))
}
