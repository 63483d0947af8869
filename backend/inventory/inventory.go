// Package inventory keeps, on this computer, the list of the .kmsenc files KMS Desk
// wrote or re-wrapped and of the keys that open each of them, so that disabling,
// archiving or deleting a key can say first which files would become unreadable
// (docs/FILES.md, "Which files need which key").
//
// An [Entry] holds a file's path, size and modification time, when it was recorded,
// and its key slots as the file's header names them: the slot type, the region (for a
// local-KMS slot "<instance id>/<region>") and the key id (a KMS KeyId, or "age:…" for
// an offline recovery key). Never the wrapped key, a data key, plaintext or any name
// other than the encrypted file's own path.
//
// # The file
//
// One JSON document (see [Marshal]) in the app's data folder, version [Version]:
//
//	{"version":1,"entries":[{"path":"/home/ann/q3.xlsx.kmsenc","size":20580,
//	  "mtime":1767225600123456789,"recorded":1767225600,
//	  "slots":[{"type":1,"region":"ap-guangzhou","keyId":"23e80852-…"}]}]}
//
// A [Store] replaces it whole (temporary file, fsync, rename) while it holds an
// exclusive lock on a file next to it (flock, LockFileEx), so the desktop app and
// kmsctl, or two copies of the app, update it at the same time without losing an
// update. It holds at most [MaxEntries] entries: the oldest recorded go first.
//
// The list is a help, not a record of truth: a file copied elsewhere, renamed or made
// by another program is not in it. Entries whose file is gone are dropped when the
// list is read ([Store.List]); a file whose folder is gone too (a drive that is not
// connected) is kept, marked offline, for [OfflineKeep].
package inventory

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
)

// Version is the version of the inventory file this package reads and writes.
const Version = 1

// Limits of the inventory file.
const (
	// MaxEntries is the most files the inventory lists (about 3 MB of JSON with one
	// key per file); recording more drops the oldest recorded first.
	MaxEntries = 10000
	// MaxPath is the longest path recorded, in bytes (longer ones are not recorded).
	MaxPath = 4096
	// maxField is the longest key id or region, in bytes (the format's own bound).
	maxField = 255
	// maxFileSize bounds what is read as an inventory file: MaxEntries entries of the
	// longest path and the most slots stay below it.
	maxFileSize = 128 << 20
)

// Codes of this package's errors.
const (
	// CodeCorrupt: the inventory file is not valid JSON of this format. Recording a
	// file moves it aside (inventory.json.corrupt) and starts a new one.
	CodeCorrupt = "Inventory.Corrupt"
	// CodeNewerVersion: the inventory was written by a newer KMS Desk; it is neither
	// read nor changed.
	CodeNewerVersion = "Inventory.NewerVersion"
	// CodeBusy: another program held the inventory's lock for too long.
	CodeBusy = "Inventory.Busy"
	// CodeIO: the inventory file or its folder could not be read or written.
	CodeIO = "Inventory.IOError"
)

// Slot is one key slot of a file, without its wrapped key.
type Slot struct {
	// Type is the format's slot type (docs/FORMAT.md §1.2): 1 Tencent Cloud KMS,
	// 2 offline recovery key, 3 local KMS.
	Type envelope.SlotType `json:"type"`
	// Region is the KMS region; for a local-KMS slot "<instance id>/<region>".
	Region string `json:"region,omitempty"`
	// KeyID is the KMS KeyId, or "age:" and 16 hex digits for a recovery key.
	KeyID string `json:"keyId"`
}

// Envelope returns the slot as the envelope package describes it (no wrapped key).
func (s Slot) Envelope() envelope.Slot {
	return envelope.Slot{Type: s.Type, Region: s.Region, KeyID: s.KeyID}
}

// known reports whether this version can open a slot of s's type.
func (s Slot) known() bool {
	return s.Type == envelope.SlotTencentKMS || s.Type == envelope.SlotLocalKMS || s.Type == envelope.SlotRecovery
}

// Entry is one recorded .kmsenc file.
type Entry struct {
	// Path is the file's absolute, clean path.
	Path string `json:"path"`
	// Size is the file's size in bytes when it was last read.
	Size int64 `json:"size"`
	// ModTime is the file's modification time then, Unix nanoseconds: a file whose
	// size or time differs has its header read again.
	ModTime int64 `json:"mtime"`
	// Recorded is when KMS Desk wrote or re-wrapped it, Unix seconds.
	Recorded int64 `json:"recorded"`
	// Missing is when the file was first found unreachable with its folder gone (a
	// drive not connected), Unix seconds; 0 while it is there.
	Missing int64 `json:"missing,omitempty"`
	// Slots are the keys that open it, in the header's order.
	Slots []Slot `json:"slots"`
}

// Offline reports whether the file could not be reached the last time the list was
// read (its folder was gone).
func (e Entry) Offline() bool { return e.Missing != 0 }

// Opens reports whether the KMS key keyID (Tencent Cloud or local) opens the file.
func (e Entry) Opens(keyID string) bool {
	return slices.ContainsFunc(e.Slots, func(s Slot) bool { return s.Envelope().IsKMS() && s.KeyID == keyID })
}

// OnlyKey reports whether keyID opens the file and no other key does: no slot of
// another KMS key nor of a recovery key (slots of types this version cannot use do
// not count as a way in).
func (e Entry) OnlyKey(keyID string) bool {
	return e.Opens(keyID) && !slices.ContainsFunc(e.Slots, func(s Slot) bool { return s.known() && s.KeyID != keyID })
}

// document is the inventory file.
type document struct {
	Version int     `json:"version"`
	Entries []Entry `json:"entries"`
}

// Parse reads an inventory file. Entries that break the rules (a relative or unclean
// path, a key id that is not printable ASCII, no slot, …) are left out; a later entry
// for the same path replaces an earlier one. A file that is not JSON of this format
// gives CodeCorrupt, a version above Version CodeNewerVersion.
func Parse(data []byte) ([]Entry, error) {
	if len(data) > maxFileSize {
		return nil, errcode.New(CodeCorrupt, fmt.Sprintf("inventory: the file is larger than %d MiB", maxFileSize>>20))
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, errcode.Wrap(CodeCorrupt, "inventory: parse", err)
	}
	switch {
	case doc.Version > Version:
		return nil, errcode.New(CodeNewerVersion, fmt.Sprintf("inventory: version %d was written by a newer KMS Desk", doc.Version))
	case doc.Version < 1:
		return nil, errcode.New(CodeCorrupt, "inventory: no version")
	}
	byPath := make(map[string]int, len(doc.Entries))
	out := make([]Entry, 0, len(doc.Entries))
	for _, e := range doc.Entries {
		if e.validate() != nil {
			continue
		}
		if i, ok := byPath[e.Path]; ok {
			out[i] = e
			continue
		}
		byPath[e.Path] = len(out)
		out = append(out, e)
	}
	return out, nil
}

// Marshal encodes entries as an inventory file, sorted by path.
func Marshal(entries []Entry) []byte {
	doc := document{Version: Version, Entries: slices.Clone(entries)}
	if doc.Entries == nil {
		doc.Entries = []Entry{}
	}
	slices.SortFunc(doc.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	b, err := json.Marshal(doc)
	if err != nil {
		panic("inventory: marshal: " + err.Error()) // only strings and numbers: cannot fail
	}
	return append(b, '\n')
}

// validate checks one entry against the rules of the file.
func (e Entry) validate() error {
	if err := checkPath(e.Path); err != nil {
		return err
	}
	if e.Size < 0 || e.Recorded < 0 || e.Missing < 0 {
		return fmt.Errorf("negative size or time")
	}
	if len(e.Slots) == 0 || len(e.Slots) > envelope.MaxSlots {
		return fmt.Errorf("%d slots", len(e.Slots))
	}
	for _, s := range e.Slots {
		if s.Type == 0 || !printable(s.KeyID, 1) || !printable(s.Region, 0) {
			return fmt.Errorf("invalid slot")
		}
	}
	return nil
}

// checkPath accepts an absolute, clean path of valid UTF-8 without NUL, at most
// MaxPath bytes (JSON cannot carry other bytes faithfully).
func checkPath(p string) error {
	if p == "" || len(p) > MaxPath || !utf8.ValidString(p) || strings.ContainsRune(p, 0) ||
		!filepath.IsAbs(p) || filepath.Clean(p) != p {
		return fmt.Errorf("inventory: path not recordable")
	}
	return nil
}

// printable reports whether s is printable ASCII of min to maxField bytes.
func printable(s string, minLen int) bool {
	if len(s) < minLen || len(s) > maxField {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// ReadEntry reads the header of the .kmsenc file at path (absolute and clean; a link
// is not followed) and describes it. Recorded is left 0. No key is used: nothing in
// the header is authenticated, which is all a list of dependencies needs.
func ReadEntry(path string) (Entry, error) {
	if err := checkPath(path); err != nil {
		return Entry{}, errcode.Wrap(CodeIO, path, err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return Entry{}, errcode.Wrap(CodeIO, "inventory: read the file", err)
	}
	if !fi.Mode().IsRegular() {
		return Entry{}, errcode.New(envelope.CodeNotEnvelope, "inventory: not a regular file")
	}
	f, err := openRead(path)
	if err != nil {
		return Entry{}, errcode.Wrap(CodeIO, "inventory: open the file", err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return Entry{}, errcode.Wrap(CodeIO, "inventory: read the file", err)
	}
	if !fi.Mode().IsRegular() {
		return Entry{}, errcode.New(envelope.CodeNotEnvelope, "inventory: not a regular file")
	}
	h, err := envelope.Inspect(f)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Path: path, Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), Slots: make([]Slot, 0, len(h.Slots))}
	for _, s := range h.Slots {
		e.Slots = append(e.Slots, Slot{Type: s.Type, Region: s.Region, KeyID: s.KeyID})
	}
	if err := e.validate(); err != nil {
		return Entry{}, errcode.Wrap(envelope.CodeUnsupported, "inventory: header", err)
	}
	return e, nil
}
