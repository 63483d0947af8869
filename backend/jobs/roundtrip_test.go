package jobs

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// treeFile is one file of the test tree.
type treeFile struct {
	rel  string
	size int
	mode fs.FileMode
}

var testTree = []treeFile{
	{"empty.txt", 0, 0o644},
	{"one.bin", 1, 0o600},
	{"exact 16 KiB.dat", 16 << 10, 0o640},
	{"plus one.dat", 16<<10 + 1, 0o644},
	{"big/video 3MiB.mp4", 3<<20 + 123, 0o755},
	{"nested/deeper/文档 ünïcødé.txt", 5000, 0o644},
	{"nested/a b  c.txt", 300, 0o604},
	{"nested/deeper/.hidden", 10, 0o600},
}

// makeTree writes testTree under dir/tree and returns the tree's root.
func makeTree(t *testing.T, dir string) string {
	root := filepath.Join(dir, "tree")
	for i, f := range testTree {
		mtime := time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.UTC).Add(time.Duration(i) * time.Hour)
		writeFile(t, filepath.Join(root, f.rel), content(f.rel, f.size), f.mode, mtime)
	}
	return root
}

func TestTreeRoundTrip(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	root := makeTree(t, dir)
	before := snapshot(t, root)

	encOut := filepath.Join(dir, "encrypted")
	sum, res := e.encrypt(EncryptSpec{Paths: []string{root}, OutputDir: encOut, Recursive: true, Overwrite: PolicySkip})
	if sum.State != StateDone || sum.Done != len(testTree) || sum.Skipped != 0 || sum.Failed != 0 {
		t.Fatalf("encrypt summary %+v", sum)
	}
	if n := e.count.calls("GenerateDataKey"); n != 1 || e.count.batchCalls() != 1 || e.count.calls("ListAlgorithms") > 1 {
		t.Fatalf("encrypting a batch made %d GenerateDataKey calls, %d in all; want exactly 1 (and at most one ListAlgorithms)", n, e.count.total())
	}
	var want []string
	for _, f := range testTree {
		r := expect(t, res, filepath.Join(root, f.rel), StatusDone, "")
		out := filepath.Join(encOut, "tree", f.rel+ExtEnvelope)
		if r.Output != out {
			t.Fatalf("%s: output %s, want the mirrored %s", f.rel, r.Output, out)
		}
		want = append(want, "tree/"+f.rel+ExtEnvelope)
	}
	sort.Strings(want)
	if got := names(t, encOut); !equalStrings(got, want) {
		t.Fatalf("encrypted tree:\n%v\nwant\n%v", got, want)
	}
	if after := snapshot(t, root); !equalSnapshots(before, after) {
		t.Fatal("encrypting changed the originals")
	}

	// Decrypt the encrypted tree into another folder: one KMS Decrypt for the batch.
	e.count.reset()
	decOut := filepath.Join(dir, "decrypted")
	sum, res = e.decrypt(DecryptSpec{Paths: []string{filepath.Join(encOut, "tree")}, OutputDir: decOut})
	if sum.State != StateDone || sum.Done != len(testTree) {
		t.Fatalf("decrypt summary %+v %v", sum, res)
	}
	if n := e.count.calls("Decrypt"); n != 1 || e.count.total() != 1 {
		t.Fatalf("decrypting a batch made %d Decrypt calls, %d in all; want exactly 1", n, e.count.total())
	}
	got := snapshot(t, filepath.Join(decOut, "tree"))
	for _, f := range testTree {
		b, g := before[filepath.ToSlash(f.rel)], got[filepath.ToSlash(f.rel)]
		if g.hash != b.hash || g.size != b.size {
			t.Errorf("%s: content differs after the round trip", f.rel)
		}
		if g.mode != platformMode(f.mode) {
			t.Errorf("%s: mode %v, want %v", f.rel, g.mode, platformMode(f.mode))
		}
		if !g.mtime.Equal(b.mtime) {
			t.Errorf("%s: mtime %v, want %v", f.rel, g.mtime, b.mtime)
		}
	}
	if len(got) != len(testTree) {
		t.Fatalf("decrypted tree has %d files, want %d", len(got), len(testTree))
	}

	// Verify reads everything, writes nothing, and costs one Decrypt too.
	e.count.reset()
	sum, _ = e.verify(VerifySpec{Paths: []string{encOut}})
	if sum.State != StateDone || sum.Done != len(testTree) || e.count.calls("Decrypt") != 1 {
		t.Fatalf("verify %+v, %d Decrypt calls", sum, e.count.calls("Decrypt"))
	}
	if len(partials(t, dir)) != 0 {
		t.Fatalf("partial files left: %v", partials(t, dir))
	}
}

// TestTreeSkipsSpecialFiles: a symbolic link or a named pipe inside a folder is skipped
// (not followed, not read) and the rest of the folder is encrypted.
func TestTreeSkipsSpecialFiles(t *testing.T) {
	for _, tc := range []struct {
		name, rel, code string
		make            func(t *testing.T, root, path string)
	}{
		{"symlink", "link-to-one", CodeSymlink, func(t *testing.T, root, path string) { symlinkOrSkip(t, "one.bin", path) }},
		{"fifo", "nested/pipe", CodeNotRegular, func(t *testing.T, root, path string) { mkfifo(t, path) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			dir := t.TempDir()
			root := makeTree(t, dir)
			special := filepath.Join(root, filepath.FromSlash(tc.rel))
			tc.make(t, root, special)
			encOut := filepath.Join(dir, "encrypted")
			sum, res := e.encrypt(EncryptSpec{Paths: []string{root}, OutputDir: encOut, Recursive: true, Overwrite: PolicySkip})
			if sum.State != StateDone || sum.Done != len(testTree) || sum.Skipped != 1 || sum.Failed != 0 {
				t.Fatalf("encrypt summary %+v", sum)
			}
			expect(t, res, special, StatusSkipped, tc.code)
			if _, err := os.Lstat(filepath.Join(encOut, "tree", filepath.FromSlash(tc.rel)+ExtEnvelope)); !os.IsNotExist(err) {
				t.Fatalf("the %s was encrypted: %v", tc.name, err)
			}
		})
	}
}

func TestEncryptNextToOriginalsTwice(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	root := makeTree(t, dir)
	sum, _ := e.encrypt(EncryptSpec{Paths: []string{root}, Recursive: true})
	if sum.Done != len(testTree) {
		t.Fatalf("first run %+v", sum)
	}
	for _, f := range testTree {
		if _, err := os.Stat(filepath.Join(root, f.rel+ExtEnvelope)); err != nil {
			t.Fatalf("%s: no output next to the original: %v", f.rel, err)
		}
	}
	// Encrypting the folder again must not wrap the first run's outputs.
	sum, res := e.encrypt(EncryptSpec{Paths: []string{root}, Recursive: true, Overwrite: PolicySkip})
	if sum.Done != 0 || sum.Skipped != 2*len(testTree) {
		t.Fatalf("second run %+v", sum)
	}
	expect(t, res, filepath.Join(root, "one.bin"+ExtEnvelope), StatusSkipped, CodeAlreadyEncrypted)
	expect(t, res, filepath.Join(root, "one.bin"), StatusSkipped, CodeExists)
}

func TestInputErrors(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.txt")
	writeFile(t, plain, []byte("not encrypted at all, just text"), 0o644, time.Time{})
	folder := filepath.Join(dir, "folder")
	must(t, os.Mkdir(folder, 0o755))
	missing := filepath.Join(dir, "missing")

	_, res := e.encrypt(EncryptSpec{Paths: []string{missing, folder}})
	expect(t, res, missing, StatusFailed, CodeNotFound)
	expect(t, res, folder, StatusFailed, CodeIsFolder)
	t.Run("symlink", func(t *testing.T) {
		link := filepath.Join(dir, "link")
		symlinkOrSkip(t, plain, link)
		_, res := e.encrypt(EncryptSpec{Paths: []string{link}})
		expect(t, res, link, StatusFailed, CodeSymlink)
	})

	_, res = e.decrypt(DecryptSpec{Paths: []string{plain, missing}})
	expect(t, res, plain, StatusFailed, CodeNotEncrypted)
	expect(t, res, missing, StatusFailed, CodeNotFound)
	if e.count.total() != 0 {
		t.Fatalf("failed inputs made %d KMS calls", e.count.total())
	}

	for _, bad := range []EncryptSpec{
		{},
		{Paths: []string{plain}},
		{Paths: []string{plain}, KeyID: e.keyID, Overwrite: "maybe"},
		{Paths: []string{plain}, KeyID: e.keyID, EncryptionContext: "[1]"},
		{Paths: []string{plain}, KeyID: e.keyID, OutputDir: plain},
	} {
		if _, err := e.m.Encrypt(t.Context(), bad); codeOf(err) != CodeInvalidRequest {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := e.m.Status("job-nope"); codeOf(err) != CodeJobNotFound {
		t.Fatalf("unknown job: %v", err)
	}
	if err := e.m.Cancel("job-nope"); codeOf(err) != CodeJobNotFound {
		t.Fatalf("cancel unknown job: %v", err)
	}
}

// TestLargeFileRoundTrip encrypts and decrypts a file above the O_DIRECT threshold
// (Linux) with an unaligned size.
func TestLargeFileRoundTrip(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "big.bin")
	writeFile(t, src, content("large", 32<<20+4097), 0o644, testTime)
	out := filepath.Join(dir, "enc")
	_, res := e.encrypt(EncryptSpec{Paths: []string{src}, OutputDir: out})
	ct := expect(t, res, src, StatusDone, "").Output
	_, res = e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: filepath.Join(dir, "dec")})
	back := expect(t, res, ct, StatusDone, "").Output
	sameBytes(t, src, back)
	fi, err := os.Stat(back)
	must(t, err)
	if !fi.ModTime().Equal(platformTime(testTime)) || fi.Mode().Perm() != platformMode(0o644) {
		t.Fatalf("mtime %v mode %v", fi.ModTime(), fi.Mode())
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalSnapshots(a, b map[string]fileState) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.hash != w.hash || v.mode != w.mode || !v.mtime.Equal(w.mtime) {
			return false
		}
	}
	return true
}
