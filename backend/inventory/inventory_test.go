package inventory

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
)

const (
	keyA = "aaaaaaaa-0000-4000-8000-000000000001"
	keyB = "bbbbbbbb-0000-4000-8000-000000000002"
)

// writeEnvelope writes a file whose header names slots (only the header: enough for
// Inspect, which is all the inventory reads), plus some payload bytes.
func writeEnvelope(t *testing.T, path string, slots ...envelope.Slot) {
	t.Helper()
	for i := range slots {
		slots[i].WrappedKey = "wrapped"
	}
	h := envelope.Header{Version: 1, Suite: envelope.SuiteCobblestone256, Slots: slots, Creator: "test"}
	if err := os.WriteFile(path, append(h.Marshal(), make([]byte, 64)...), 0o600); err != nil {
		t.Fatal(err)
	}
}

func kmsSlot(id string) envelope.Slot {
	return envelope.Slot{Type: envelope.SlotTencentKMS, Region: "ap-guangzhou", KeyID: id}
}

// record reads the files' headers and adds them, as the app does after a job.
func record(t *testing.T, s *Store, paths ...string) {
	t.Helper()
	var es []Entry
	for _, p := range paths {
		e, err := ReadEntry(p)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		es = append(es, e)
	}
	if err := s.Add(es...); err != nil {
		t.Fatal(err)
	}
}

func paths(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = filepath.Base(e.Path)
	}
	return out
}

func TestAddListAndKeys(t *testing.T) {
	dir := t.TempDir()
	s := Open(filepath.Join(dir, "data", "inventory.json"), Options{})
	a, b, c := filepath.Join(dir, "a.kmsenc"), filepath.Join(dir, "b.kmsenc"), filepath.Join(dir, "c.kmsenc")
	writeEnvelope(t, a, kmsSlot(keyA))
	writeEnvelope(t, b, kmsSlot(keyA), kmsSlot(keyB))
	writeEnvelope(t, c, envelope.Slot{Type: envelope.SlotLocalKMS, Region: envelope.LocalRegion("inst1", "ap-guangzhou"), KeyID: keyA},
		envelope.Slot{Type: envelope.SlotRecovery, KeyID: "age:0123456789abcdef"})
	record(t, s, a, b, c)

	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(list); strings.Join(got, ",") != "a.kmsenc,b.kmsenc,c.kmsenc" {
		t.Fatalf("listed %v", got)
	}
	only := map[string]bool{}
	for _, e := range list {
		if !e.Opens(keyA) {
			t.Errorf("%s: key A opens it", e.Path)
		}
		only[filepath.Base(e.Path)] = e.OnlyKey(keyA)
		if fi, err := os.Stat(e.Path); err != nil || fi.Size() != e.Size {
			t.Errorf("%s: size %d", e.Path, e.Size)
		}
		if e.Recorded == 0 || e.ModTime == 0 {
			t.Errorf("%s: no times: %+v", e.Path, e)
		}
	}
	// Only a.kmsenc has no other way in: b has key B, c a recovery key.
	if !only["a.kmsenc"] || only["b.kmsenc"] || only["c.kmsenc"] {
		t.Fatalf("only key A: %v", only)
	}
	if list[2].Slots[0].Region != "inst1/ap-guangzhou" || list[2].Slots[1].KeyID != "age:0123456789abcdef" {
		t.Fatalf("slots of c: %+v", list[2].Slots)
	}
	// Nothing secret is stored: no wrapped key, no creator, no plaintext name.
	data, _ := os.ReadFile(s.Path())
	if strings.Contains(string(data), "wrapped") || strings.Contains(string(data), "test") {
		t.Fatalf("the inventory holds more than paths and key ids: %s", data)
	}
	// Windows keeps no POSIX modes: the user's profile folder protects the file there.
	if fi, err := os.Stat(s.Path()); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("inventory mode: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Dir(s.Path())); err != nil || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Fatalf("folder mode: %v %v", fi.Mode(), err)
	}
}

func TestListPrunesAndRereads(t *testing.T) {
	dir := t.TempDir()
	s := Open(filepath.Join(dir, "inventory.json"), Options{})
	gone, changed, plain, kept := filepath.Join(dir, "gone.kmsenc"), filepath.Join(dir, "changed.kmsenc"), filepath.Join(dir, "plain.kmsenc"), filepath.Join(dir, "kept.kmsenc")
	for _, p := range []string{gone, changed, plain, kept} {
		writeEnvelope(t, p, kmsSlot(keyA))
	}
	record(t, s, gone, changed, plain, kept)

	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	// Re-wrapped elsewhere (by another program): now key B opens it.
	writeEnvelope(t, changed, kmsSlot(keyB), kmsSlot(keyB))
	// Replaced by a file that is not encrypted.
	if err := os.WriteFile(plain, []byte("plain text now"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(paths(list), ","); got != "changed.kmsenc,kept.kmsenc" {
		t.Fatalf("listed %s", got)
	}
	if list[0].Opens(keyA) || !list[0].OnlyKey(keyB) {
		t.Fatalf("the re-wrapped file's keys were not read again: %+v", list[0].Slots)
	}
	// The pruning was written back: a fresh Store reads the same.
	again, err := Open(s.Path(), Options{}).List()
	if err != nil || len(again) != 2 {
		t.Fatalf("after pruning: %v %v", paths(again), err)
	}
}

func TestOfflineFolderKeptThenDropped(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	s := Open(filepath.Join(dir, "inventory.json"), Options{Now: clock})
	drive := filepath.Join(dir, "usb")
	if err := os.Mkdir(drive, 0o700); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(drive, "backup.kmsenc")
	writeEnvelope(t, f, kmsSlot(keyA))
	record(t, s, f)
	// The drive is unplugged: its folder is gone with the file.
	if err := os.RemoveAll(drive); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || !list[0].Offline() {
		t.Fatalf("an unreachable drive's file must stay, offline: %+v %v", list, err)
	}
	now = now.Add(OfflineKeep - time.Hour)
	if list, _ = s.List(); len(list) != 1 {
		t.Fatal("dropped before OfflineKeep")
	}
	now = now.Add(2 * time.Hour)
	if list, _ = s.List(); len(list) != 0 {
		t.Fatalf("kept after OfflineKeep: %+v", list)
	}
}

func TestBoundedOldestFirst(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1_800_000_000, 0)
	s := Open(filepath.Join(dir, "inventory.json"), Options{MaxEntries: 3, Now: func() time.Time { return now }})
	for i := range 5 {
		p := filepath.Join(dir, fmt.Sprintf("f%d.kmsenc", i))
		writeEnvelope(t, p, kmsSlot(keyA))
		record(t, s, p)
		now = now.Add(time.Second)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(paths(list), ","); got != "f2.kmsenc,f3.kmsenc,f4.kmsenc" {
		t.Fatalf("kept %s, want the 3 newest", got)
	}
	// Recording an old file again makes it new.
	record(t, s, filepath.Join(dir, "f2.kmsenc"))
	now = now.Add(time.Second)
	p := filepath.Join(dir, "f5.kmsenc")
	writeEnvelope(t, p, kmsSlot(keyA))
	record(t, s, p)
	if list, _ = s.List(); strings.Join(paths(list), ",") != "f2.kmsenc,f4.kmsenc,f5.kmsenc" {
		t.Fatalf("kept %v", paths(list))
	}
}

// Two Stores on one file (as the desktop app and kmsctl are) adding at the same time
// lose no update: each read-modify-write holds the file's lock.
func TestTwoWritersLoseNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inventory.json")
	const perWriter = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*perWriter)
	for w := range 2 {
		s := Open(path, Options{})
		var es []Entry
		for i := range perWriter {
			p := filepath.Join(dir, fmt.Sprintf("w%d-%02d.kmsenc", w, i))
			writeEnvelope(t, p, kmsSlot(keyA))
			e, err := ReadEntry(p)
			if err != nil {
				t.Fatal(err)
			}
			es = append(es, e)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, e := range es {
				errs <- s.Add(e)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := Open(path, Options{}).List()
	if err != nil || len(list) != 2*perWriter {
		t.Fatalf("%d entries of %d (%v): an update was lost", len(list), 2*perWriter, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".inventory.json.*.tmp")); len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

// While one holder keeps the lock, another Store waits and then gives up with
// Inventory.Busy, changing nothing.
func TestLockHeldGivesBusy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inventory.json")
	unlock, err := lockFile(path+".lock", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	p := filepath.Join(dir, "a.kmsenc")
	writeEnvelope(t, p, kmsSlot(keyA))
	e, _ := ReadEntry(p)
	err = Open(path, Options{LockWait: 30 * time.Millisecond}).Add(e)
	if errcode.Code(err) != CodeBusy {
		t.Fatalf("got %v, want %s", err, CodeBusy)
	}
	if _, serr := os.Stat(path); !os.IsNotExist(serr) {
		t.Fatal("the inventory was written without the lock")
	}
}

func TestDamagedAndNewerFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "inventory.json")
	p := filepath.Join(dir, "a.kmsenc")
	writeEnvelope(t, p, kmsSlot(keyA))
	e, _ := ReadEntry(p)

	// A newer version's file is neither read nor replaced.
	newer := []byte(`{"version":2,"entries":[]}`)
	os.WriteFile(path, newer, 0o600)
	s := Open(path, Options{})
	if _, err := s.List(); errcode.Code(err) != CodeNewerVersion {
		t.Fatalf("list: %v", err)
	}
	if err := s.Add(e); errcode.Code(err) != CodeNewerVersion {
		t.Fatalf("add: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != string(newer) {
		t.Fatal("a newer inventory was changed")
	}

	// A damaged file is reported by List, and moved aside by the next Add.
	os.WriteFile(path, []byte(`{"version":1,"entries":[`), 0o600)
	if _, err := s.List(); errcode.Code(err) != CodeCorrupt {
		t.Fatalf("list: %v", err)
	}
	if err := s.Add(e); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path + ".corrupt"); string(b) != `{"version":1,"entries":[` {
		t.Fatal("the damaged file was not kept aside")
	}
	if list, err := s.List(); err != nil || len(list) != 1 {
		t.Fatalf("after healing: %v %v", list, err)
	}
}

func TestParseDropsInvalidEntries(t *testing.T) {
	root := t.TempDir()
	ok := filepath.Join(root, "a.kmsenc")
	q := func(p string) string { b, _ := json.Marshal(p); return string(b) }
	slot := `"slots":[{"type":1,"region":"ap-guangzhou","keyId":"` + keyA + `"}]`
	entry := func(path, rest string) string {
		return `{"path":` + q(path) + `,"mtime":1,` + rest + `}`
	}
	doc := `{"version":1,"future":true,"entries":[` + strings.Join([]string{
		entry(ok, `"size":1,"recorded":1,`+slot),
		entry("relative.kmsenc", `"size":1,"recorded":1,`+slot),
		entry(root+string(filepath.Separator)+".."+string(filepath.Separator)+"x", `"size":1,"recorded":1,`+slot),
		entry(filepath.Join(root, "noslots"), `"size":1,"recorded":1,"slots":[]`),
		entry(filepath.Join(root, "badkey"), `"size":1,"recorded":1,"slots":[{"type":1,"keyId":"\u001b[2J"}]`),
		entry(filepath.Join(root, "neg"), `"size":-1,"recorded":1,`+slot),
		entry(ok, `"size":2,"recorded":2,`+slot),
	}, ",") + `]}`
	list, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Path != ok || list[0].Size != 2 {
		t.Fatalf("parsed %+v", list)
	}
	for _, bad := range []string{``, `[]`, `{"entries":[]}`, `{"version":"1"}`, `nul`} {
		if _, err := Parse([]byte(bad)); errcode.Code(err) != CodeCorrupt {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestReadEntryRefusesLinksAndPlainFiles(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "a.kmsenc")
	writeEnvelope(t, real, kmsSlot(keyA))
	link := filepath.Join(dir, "link.kmsenc")
	// (Windows without developer mode cannot make links: the rest still runs.)
	if err := os.Symlink(real, link); err == nil {
		if _, err := ReadEntry(link); err == nil {
			t.Fatal("a link was followed")
		}
	}
	plain := filepath.Join(dir, "plain.txt")
	os.WriteFile(plain, []byte("hello"), 0o600)
	if _, err := ReadEntry(plain); errcode.Code(err) != envelope.CodeNotEnvelope {
		t.Fatalf("plain file: %v", err)
	}
	if _, err := ReadEntry("relative.kmsenc"); err == nil {
		t.Fatal("a relative path was read")
	}
}
