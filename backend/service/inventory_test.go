package service

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func dependentNames(d Dependents) []string {
	out := []string{}
	for _, f := range d.Files {
		name := filepath.Base(f.Path)
		if f.Only {
			name += " (only)"
		}
		out = append(out, name)
	}
	return out
}

// TestDependentsAfterEncryptAndRewrap: files encrypted here are recorded with their
// keys; Dependents says which a key opens and which only it opens; a re-wrap moves
// them to another key; a decryption adds nothing; deleted files drop out.
func TestDependentsAfterEncryptAndRewrap(t *testing.T) {
	fs, ev, _, docs, b := newFiles(t)
	other, err := b.Keys.Create(CreateKeyInput{Alias: "archive"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	solo, shared := filepath.Join(dir, "solo.txt"), filepath.Join(dir, "shared.txt")
	writeTestFile(t, solo, []byte("only docs opens me"))
	writeTestFile(t, shared, []byte("docs or archive"))
	info, err := fs.Encrypt(EncryptRequest{Paths: []string{solo}, KeyID: docs.KeyID, Overwrite: OverwriteSkip})
	startJob(t, ev, info, err)
	info, err = fs.Encrypt(EncryptRequest{Paths: []string{shared}, KeyID: "docs", BackupKeyIDs: []string{"archive"}, Overwrite: OverwriteSkip})
	startJob(t, ev, info, err)

	// By alias or KeyId; the files only this key opens come first.
	d, err := b.Keys.Dependents("docs")
	if err != nil {
		t.Fatal(err)
	}
	if d.KeyID != docs.KeyID || d.Count != 2 || d.Only != 1 ||
		!slices.Equal(dependentNames(d), []string{"solo.txt.kmsenc (only)", "shared.txt.kmsenc"}) {
		t.Fatalf("dependents of docs: %+v %v", d, dependentNames(d))
	}
	if fi, _ := os.Stat(solo + ".kmsenc"); d.Files[0].Size != fi.Size() || d.Files[0].Time != fi.ModTime().Unix() {
		t.Fatalf("size/time: %+v", d.Files[0])
	}
	if d, _ := b.Keys.Dependents(other.KeyID); d.Count != 1 || d.Only != 0 {
		t.Fatalf("dependents of archive: %+v", d)
	}
	all, err := fs.Inventory("")
	if err != nil || len(all) != 2 || len(all[0].Keys) != 2 || all[0].Keys[0].Kind != SlotLocal || !all[0].Keys[0].ThisComputer {
		t.Fatalf("inventory: %+v %v", all, err)
	}

	// A decryption records nothing (its output is plaintext).
	info, err = fs.Decrypt(DecryptRequest{Paths: []string{solo + ".kmsenc"}, OutputDir: filepath.Join(dir, "out"), Overwrite: OverwriteSkip})
	startJob(t, ev, info, err)
	if all, _ := fs.Inventory(""); len(all) != 2 {
		t.Fatalf("after decrypt: %+v", all)
	}

	// Move both files off docs (the "Move files to another key…" of a key's drawer).
	info, err = fs.Rewrap(RewrapRequest{Paths: []string{solo + ".kmsenc", shared + ".kmsenc"}, Add: []string{"archive"}, Remove: []string{"docs"}})
	if done := startJob(t, ev, info, err); done["done"] != 2.0 {
		t.Fatalf("rewrap: %v %v", done, jobFileCodes(ev, info.ID))
	}
	if d, _ := b.Keys.Dependents(docs.KeyID); d.Count != 0 || d.Only != 0 || len(d.Files) != 0 {
		t.Fatalf("docs after the move: %+v", d)
	}
	if d, _ := b.Keys.Dependents("archive"); d.Count != 2 || d.Only != 2 {
		t.Fatalf("archive after the move: %+v", d)
	}
	if mine, _ := fs.Inventory("archive"); len(mine) != 2 {
		t.Fatalf("inventory of archive: %+v", mine)
	}

	// A file deleted by the user drops out.
	if err := os.Remove(shared + ".kmsenc"); err != nil {
		t.Fatal(err)
	}
	if d, _ := b.Keys.Dependents("archive"); !slices.Equal(dependentNames(d), []string{"solo.txt.kmsenc (only)"}) {
		t.Fatalf("after a deletion: %v", dependentNames(d))
	}
	if _, err := b.Keys.Dependents(""); ErrorCode(err) != CodeInvalidInput {
		t.Fatalf("no key: %v", err)
	}
	if _, err := b.Keys.Dependents("no-such-alias"); ErrorCode(err) != "ResourceUnavailable.CmkNotFound" {
		t.Fatalf("unknown alias: %v", err)
	}
}

// TestInventoryInTheConfigFolder: the inventory lives next to settings.json, private,
// and holds the outputs' paths and key ids, never the encrypted data.
func TestInventoryInTheConfigFolder(t *testing.T) {
	fs, ev, _, k, b := newFiles(t)
	dir := t.TempDir()
	var paths []string
	for _, n := range []string{"a", "b", "c", "d"} {
		p := filepath.Join(dir, n+".txt")
		writeTestFile(t, p, []byte("secret content "+n))
		paths = append(paths, p)
	}
	info, err := fs.Encrypt(EncryptRequest{Paths: paths, KeyID: k.KeyID, Overwrite: OverwriteSkip})
	startJob(t, ev, info, err)
	all, err := fs.Inventory(k.KeyID)
	if err != nil || len(all) != 4 || all[0].Recorded == 0 {
		t.Fatalf("%+v %v", all, err)
	}
	file := filepath.Join(b.App.info.ConfigDir, inventoryFile)
	fi, err := os.Stat(file)
	if err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 { // Windows keeps no POSIX modes
		t.Fatalf("inventory file: %v %v", fi, err)
	}
	data, _ := os.ReadFile(file)
	for _, p := range paths {
		quoted, _ := json.Marshal(p + ".kmsenc") // as the file holds it (Windows paths' \ escaped)
		if !strings.Contains(string(data), string(quoted)) || !strings.Contains(string(data), k.KeyID) {
			t.Fatalf("%s.kmsenc is not recorded: %s", p, data)
		}
	}
	if strings.Contains(string(data), "secret content") {
		t.Fatal("plaintext in the inventory")
	}
}

// A process without a data folder keeps no inventory and says so.
func TestNoInventoryWithoutDataFolder(t *testing.T) {
	b := New(Deps{Gate: OpenGate()})
	if _, err := b.Files.Inventory(""); ErrorCode(err) != CodeNoInventory {
		t.Fatalf("got %v", err)
	}
}
