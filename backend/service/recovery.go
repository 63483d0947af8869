package service

// Offline recovery keys and re-wrap: the ways to make sure a file can be decrypted
// again when its KMS key, account or computer is gone (docs/RECOVERY.md).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
	"github.com/kmsdesk/kmsdesk/backend/jobs"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// Codes of this file.
const (
	// CodeIdentityFile: the recovery key file could not be read (missing, too large).
	CodeIdentityFile = "Recovery.IdentityFile"
	// CodeRecoveryKeyExists: a recovery key file would replace an existing file.
	CodeRecoveryKeyExists = "Recovery.FileExists"
)

// maxIdentityFile bounds what is read as a recovery key file (a hybrid identity is
// about 100 bytes; a file of a few keys with comments stays far below this).
const maxIdentityFile = 64 << 10

// parseRecipients parses age recipients, skipping blanks and repeats.
func parseRecipients(in ...[]string) ([]envelope.Recipient, error) {
	var out []envelope.Recipient
	for _, list := range in {
		for _, s := range list {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			r, err := envelope.ParseRecipient(s)
			if err != nil {
				return nil, errcode.Wrap(errcode.Code(err), fmt.Sprintf("recovery recipient %q", clipText(s, 24)), err)
			}
			if !slices.ContainsFunc(out, func(o envelope.Recipient) bool { return o.KeyID() == r.KeyID() }) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// loadIdentities reads a recovery key file ("" gives none).
func loadIdentities(path string) ([]envelope.Identity, error) {
	if strings.TrimSpace(path) == "" {
		return nil, nil
	}
	data, err := readSmallFile(path, maxIdentityFile)
	if err != nil {
		return nil, errcode.Wrap(CodeIdentityFile, "read the recovery key file", err)
	}
	return envelope.ParseIdentities(bytes.NewReader(data))
}

// clipText shortens s to n runes for a message.
func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// WriteRecoveryKey makes a new offline recovery key and writes its secret half to
// path (0600; an existing file is never replaced). The returned RecoveryKey holds the
// identity too, for the caller to show once; nothing keeps a copy.
func WriteRecoveryKey(path string, postQuantum bool) (RecoveryKey, error) {
	id, err := envelope.GenerateIdentity(postQuantum)
	if err != nil {
		return RecoveryKey{}, err
	}
	rc := id.Recipient()
	kind := "X25519"
	if postQuantum {
		kind = "ML-KEM-768 + X25519 (post-quantum hybrid)"
	}
	text := fmt.Sprintf("# KMS Desk offline recovery key (%s)\n# Recovery key id: %s\n# Public key (recipient): %s\n# Keep this file offline. Anyone who has it can decrypt every file that lists this key.\n%s\n",
		kind, rc.KeyID(), rc.String(), id.String())
	if err := writeNewFile(path, []byte(text)); err != nil {
		return RecoveryKey{}, err
	}
	return RecoveryKey{Recipient: rc.String(), KeyID: rc.KeyID(), Path: path, Identity: id.String(), PostQuantum: postQuantum}, nil
}

// writeNewFile writes data to a new file at path (0600), synced. An existing file is
// never replaced, and a failed write removes the file it created. (It is created in
// place, not linked from a temporary file: recovery keys go to USB sticks, whose FAT
// file systems have no links.)
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return errcode.New(CodeRecoveryKeyExists, fmt.Sprintf("%s already exists: choose another name (a recovery key file is never replaced)", filepath.Base(path)))
	}
	if err != nil {
		return errcode.Wrap(CodeIdentityFile, "create the recovery key file", err)
	}
	if err := writeSyncClose(f, data); err != nil {
		os.Remove(path) // the file this call created, incomplete
		return errcode.Wrap(CodeIdentityFile, "write the recovery key file", err)
	}
	return nil
}

// CreateRecoveryKey makes a new offline recovery key: it asks where to save the
// secret half (the file to keep offline), writes it there and returns the public
// recipient to put in profiles, plus the identity once for the print view. "" path
// (the user cancelled) returns an empty RecoveryKey.
func (s *SettingsService) CreateRecoveryKey(postQuantum bool) (RecoveryKey, error) {
	return call(&s.base, "CreateRecoveryKey", func(context.Context) (RecoveryKey, error) {
		path, err := s.dialogs.SaveFile("Save the recovery key (keep it offline)", "kmsdesk-recovery-key.txt")
		if err != nil || path == "" {
			return RecoveryKey{}, err
		}
		k, err := WriteRecoveryKey(path, postQuantum)
		if err == nil {
			s.log.Info("recovery key created", "keyId", k.KeyID, "postQuantum", postQuantum)
		}
		return k, err
	})
}

// PickRecoveryKey asks for a recovery key file and checks it holds one; "" means the
// user cancelled. The key stays in the file: decrypt and re-wrap requests name the
// file, and the key never reaches the UI.
func (s *FileService) PickRecoveryKey() (RecoveryKeyFile, error) {
	return call(&s.base, "PickRecoveryKey", func(context.Context) (RecoveryKeyFile, error) {
		path, err := s.dialogs.OpenFile("Choose the recovery key file")
		if err != nil || path == "" {
			return RecoveryKeyFile{}, err
		}
		ids, err := loadIdentities(path)
		if err != nil {
			return RecoveryKeyFile{}, err
		}
		out := RecoveryKeyFile{Path: path, KeyIDs: make([]string, len(ids))}
		for i, id := range ids {
			out.KeyIDs[i] = id.Recipient().KeyID()
		}
		return out, nil
	})
}

// Rewrap starts changing which keys open encrypted files, in place: the data and
// the payload bytes stay as they are, only the key slots change (docs/FORMAT.md §7).
// It needs one way in to each file (a KMS key of the current profile, this
// computer's local KMS, or the recovery key file req.IdentityFile).
func (s *FileService) Rewrap(req RewrapRequest) (JobInfo, error) {
	return call(&s.base, "Rewrap", func(ctx context.Context) (JobInfo, error) {
		if len(req.To) == 0 && len(req.Add) == 0 && len(req.Remove) == 0 && len(req.AddRecovery) == 0 {
			return JobInfo{}, invalid("say what to change: keys to move to, to add or to remove")
		}
		ids, err := loadIdentities(req.IdentityFile)
		if err != nil {
			return JobInfo{}, err
		}
		dest, err := s.conn.connectionOf(req.Profile)
		if err != nil {
			return JobInfo{}, err
		}
		var adds []envelope.KeyRef
		if len(req.To)+len(req.Add) > 0 {
			c, err := s.conn.clientFor(dest)
			if err != nil {
				return JobInfo{}, err
			}
			if adds, err = keyRefs(ctx, c, append(slices.Clone(req.To), req.Add...)); err != nil {
				return JobInfo{}, err
			}
		}
		// Moving files to a profile's keys brings its recovery keys along.
		recovery := req.AddRecovery
		if len(req.To) > 0 {
			recovery = append(slices.Clone(dest.Recovery), recovery...)
		}
		rcs, err := parseRecipients(recovery)
		if err != nil {
			return JobInfo{}, err
		}
		remove, err := s.slotIDs(ctx, req.Remove)
		if err != nil {
			return JobInfo{}, err
		}
		replace := len(req.To) > 0
		keep := func(sl envelope.Slot) bool {
			if slices.Contains(remove, sl.KeyID) {
				return false
			}
			return !replace || !sl.IsKMS()
		}
		spec := jobs.RewrapSpec{Paths: req.Paths, Keep: keep, Add: adds, AddRecovery: rcs, Identities: ids}
		if req.Profile != "" {
			spec.Dest = s.conn.jobSource(req.Profile)
		}
		info, err := s.mgr.Rewrap(s.ctx, spec)
		return jobInfoDTO(info), err
	})
}

// keyRefs resolves keys for new slots: KeyIds, aliases (through c) and
// "REGION:KEYID" for a key of another region.
func keyRefs(ctx context.Context, c *kms.Client, refs []string) ([]envelope.KeyRef, error) {
	var out []envelope.KeyRef
	for _, ref := range refs {
		ref = strings.TrimSpace(ref)
		if ref == "" {
			continue
		}
		k := envelope.KeyRef{}
		if region, id, ok := strings.Cut(ref, ":"); ok {
			if !keyIDRE.MatchString(id) || region == "" {
				return nil, invalid(fmt.Sprintf("key %q: use REGION:KEYID (aliases only in the profile's region)", ref))
			}
			k = envelope.KeyRef{Region: region, KeyID: id}
		} else {
			id, err := resolveKeyID(ctx, c, ref)
			if err != nil {
				return nil, err
			}
			k.KeyID = id
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// slotIDs turns what the user names to remove into slot key ids: KeyIds as they are,
// recovery recipients (age1…) and their ids (age:…), and aliases of the current
// profile.
func (s *FileService) slotIDs(ctx context.Context, refs []string) ([]string, error) {
	var out []string
	for _, ref := range refs {
		ref = strings.TrimSpace(ref)
		switch {
		case ref == "":
			continue
		case keyIDRE.MatchString(ref), strings.HasPrefix(ref, "age:"):
		case strings.HasPrefix(ref, "age1"):
			r, err := envelope.ParseRecipient(ref)
			if err != nil {
				return nil, err
			}
			ref = r.KeyID()
		default:
			c, err := s.conn.Client(ctx)
			if err != nil {
				return nil, err
			}
			if ref, err = resolveKeyID(ctx, c, ref); err != nil {
				return nil, err
			}
		}
		out = append(out, ref)
	}
	return out, nil
}
