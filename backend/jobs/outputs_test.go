package jobs

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// Where outputs go and what they may replace: nothing on disk before the data key is
// unwrapped, mode and time set through the descriptor, what policy overwrite may
// replace, links inside the output tree, long names.

// sealAs writes a .kmsenc file at path holding data whose metadata record names
// name, made with envelope directly (as another tool, or someone sending a hostile
// file, could).
func sealAs(t *testing.T, e *env, path, name string, data []byte) string {
	t.Helper()
	w := newWrapper(e.source, make(chan struct{}, 4))
	defer w.Close()
	dk, err := envelope.NewDataKey(context.Background(), w, envelope.KeyRef{Region: "ap-guangzhou", KeyID: e.keyID}, nil, "")
	must(t, err)
	defer dk.Destroy()
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.Create(path)
	must(t, err)
	_, err = envelope.Encrypt(context.Background(), f, strings.NewReader(string(data)), dk,
		envelope.EncryptOptions{Metadata: &envelope.Metadata{Name: name, Size: int64(len(data)), ModTime: testTime, Mode: 0o644}})
	must(t, err)
	must(t, f.Close())
	return path
}

// entries lists the names in dir (folders and links included), sorted.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	must(t, err)
	var out []string
	for _, d := range des {
		out = append(out, d.Name())
	}
	sort.Strings(out)
	return out
}

// TestNothingOnDiskBeforeUnwrap: while KMS unwraps the data key nothing exists on
// disk (no output folder, no partial file), and a file whose key cannot be unwrapped
// leaves nothing at all.
func TestNothingOnDiskBeforeUnwrap(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	src := filepath.Join(in, "doc.txt")
	writeFile(t, src, content("doc", 70000), 0o644, time.Time{})
	ct := encryptOne(t, e, src)
	must(t, os.Remove(src))
	out := filepath.Join(dir, "out", "sub")

	var gate *kmsGate
	p := e.otherProcess(t, func(rt http.RoundTripper) http.RoundTripper {
		gate = newKMSGate(rt, "Decrypt")
		return gate
	})
	info, err := p.m.Decrypt(context.Background(), DecryptSpec{Paths: []string{ct}, OutputDir: out})
	must(t, err)
	gate.wait(t)
	if _, err := os.Lstat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Fatal("the output folder was created before the data key was unwrapped")
	}
	close(gate.release)
	_, res := p.wait(t, info, nil)
	if r := expect(t, res, ct, StatusDone, ""); r.Output != filepath.Join(out, "doc.txt") {
		t.Fatalf("restored to %s", r.Output)
	}

	must(t, e.admin.DisableKeys(t.Context(), e.keyID))
	before := entries(t, in)
	_, res = e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: filepath.Join(dir, "out2", "sub")})
	expect(t, res, ct, StatusFailed, "ResourceUnavailable.CmkDisabled")
	if _, err := os.Lstat(filepath.Join(dir, "out2")); !os.IsNotExist(err) {
		t.Fatal("a file whose key cannot be unwrapped created its output folder")
	}
	_, res = e.decrypt(DecryptSpec{Paths: []string{ct}})
	expect(t, res, ct, StatusFailed, "ResourceUnavailable.CmkDisabled")
	if after := entries(t, in); !equalStrings(before, after) {
		t.Fatalf("a file whose key cannot be unwrapped left %v", after)
	}
}

// TestModeAndTimeNotByPath: the mode and mtime of an output are set through its open
// descriptor. A link planted under the final name right after the rename (a shared
// output folder) does not carry them to the file it points to.
func TestModeAndTimeNotByPath(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "shared.txt")
	writeFile(t, src, content("shared", 5000), 0o644, testTime)
	ct := encryptOne(t, e, src)
	victimDir := t.TempDir()
	victim := filepath.Join(victimDir, "id_ed25519")
	writeFile(t, victim, []byte("private"), 0o600, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC))
	before := snapshot(t, victimDir)

	out := filepath.Join(dir, "out")
	var planted string
	e.m.hooks.afterRename = func(final string) {
		// Moved aside (not removed: on Windows the name of an open file stays
		// until it is closed), and a link put in its place.
		must(t, os.Rename(final, final+".moved"))
		must(t, os.Symlink(victim, final))
		planted = final
	}
	defer func() { e.m.hooks.afterRename = nil }()
	_, res := e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: out})
	expect(t, res, ct, StatusDone, "")
	if planted == "" {
		t.Fatal("the hook did not run")
	}
	if !equalSnapshots(before, snapshot(t, victimDir)) {
		t.Fatalf("the file a planted link points to changed: %+v", snapshot(t, victimDir))
	}
	// The output itself, moved aside, got them (to the nanosecond on Linux; to the
	// microsecond through the descriptor elsewhere, 100 ns on Windows).
	fi, err := os.Stat(planted + ".moved")
	must(t, err)
	off := fi.ModTime().Sub(testTime).Abs()
	if off > 0 && (runtime.GOOS == "linux" || off >= time.Microsecond) || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644&^umask() {
		t.Fatalf("the output has mtime %v, mode %v", fi.ModTime(), fi.Mode())
	}
}

// TestOverwriteNeedsForce: policy overwrite replaces the name a decrypted file's own
// name gives, and nothing else unless forced: not a dot-file, not a name that comes
// only from inside the encrypted file.
func TestOverwriteNeedsForce(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	for _, n := range []string{".bashrc", "report.pdf", ".env"} {
		writeFile(t, filepath.Join(home, n), []byte("mine: "+n), 0o644, time.Time{})
	}
	before := snapshot(t, home)
	cts := map[string]string{
		sealAs(t, e, filepath.Join(dir, "mail.kmsenc"), ".bashrc", []byte("evil")):        ".bashrc",
		sealAs(t, e, filepath.Join(dir, "sent.kmsenc"), "report.pdf", []byte("a report")): "report.pdf",
		sealAs(t, e, filepath.Join(dir, ".env.kmsenc"), ".env", []byte("KEY=new")):        ".env",
	}
	for ct, name := range cts {
		_, res := e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: home, Overwrite: PolicyOverwrite})
		r := expect(t, res, ct, StatusFailed, CodeWouldReplace)
		if !strings.Contains(r.Message, name) || r.Output != "" {
			t.Fatalf("%+v", r)
		}
	}
	if !equalSnapshots(before, snapshot(t, home)) {
		t.Fatalf("a file was replaced without force: %v", names(t, home))
	}

	// The name its own file name gives is replaced.
	own := sealAs(t, e, filepath.Join(dir, "report.pdf.kmsenc"), "report.pdf", []byte("own report"))
	_, res := e.decrypt(DecryptSpec{Paths: []string{own}, OutputDir: home, Overwrite: PolicyOverwrite})
	expect(t, res, own, StatusDone, "")
	if got := string(readFile(t, filepath.Join(home, "report.pdf"))); got != "own report" {
		t.Fatalf("report.pdf holds %q", got)
	}
	// Rename never replaces; Force replaces.
	hostile := filepath.Join(dir, "mail.kmsenc")
	_, res = e.decrypt(DecryptSpec{Paths: []string{hostile}, OutputDir: home, Overwrite: PolicyRename})
	if r := expect(t, res, hostile, StatusDone, ""); r.Output != filepath.Join(home, ".bashrc (1)") {
		t.Fatalf("renamed to %s", r.Output)
	}
	_, res = e.decrypt(DecryptSpec{Paths: []string{hostile}, OutputDir: home, Overwrite: PolicyOverwrite, Force: true})
	expect(t, res, hostile, StatusDone, "")
	if got := string(readFile(t, filepath.Join(home, ".bashrc"))); got != "evil" {
		t.Fatalf(".bashrc holds %q after a forced overwrite", got)
	}
	if ps := partials(t, dir); len(ps) != 0 {
		t.Fatalf("partial files left: %v", ps)
	}
}

// TestOverwriteAllAsksForNamesThatNeedForce: "overwrite, apply to all" answered for
// one file does not answer for a name that needs force: that one is asked about.
func TestOverwriteAllAsksForNamesThatNeedForce(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.FileWorkers = 1 })
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	writeFile(t, filepath.Join(home, "a.txt"), []byte("old a"), 0o644, time.Time{})
	writeFile(t, filepath.Join(home, ".bashrc"), []byte("mine"), 0o644, time.Time{})
	a := sealAs(t, e, filepath.Join(dir, "a.txt.kmsenc"), "a.txt", []byte("new a"))
	hostile := sealAs(t, e, filepath.Join(dir, "mail.kmsenc"), ".bashrc", []byte("evil"))

	info, err := e.m.Decrypt(context.Background(), DecryptSpec{Paths: []string{a, hostile}, OutputDir: home, Overwrite: PolicyAsk})
	must(t, err)
	if c := answer(t, e, DecisionOverwrite, true); c.Output != filepath.Join(home, "a.txt") {
		t.Fatalf("first question %+v", c)
	}
	if c := answer(t, e, DecisionSkip, false); c.Output != filepath.Join(home, ".bashrc") {
		t.Fatalf("second question %+v", c)
	}
	_, res := e.wait(info, nil)
	expect(t, res, a, StatusDone, "")
	expect(t, res, hostile, StatusSkipped, CodeExists)
	if string(readFile(t, filepath.Join(home, "a.txt"))) != "new a" || string(readFile(t, filepath.Join(home, ".bashrc"))) != "mine" {
		t.Fatal("wrong files replaced")
	}
}

// TestLinkInOutputTreeNotFollowed: a symbolic link planted inside the output tree
// (a mirrored folder's name) is not followed; the output folder itself may be a link.
func TestLinkInOutputTreeNotFollowed(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	tree := filepath.Join(dir, "photos")
	src := filepath.Join(tree, "2024", "a.jpg")
	writeFile(t, src, content("a.jpg", 3000), 0o644, time.Time{})
	elsewhere := filepath.Join(dir, "elsewhere")
	must(t, os.MkdirAll(elsewhere, 0o755))

	for _, planted := range []string{"photos", filepath.Join("photos", "2024")} {
		out := filepath.Join(dir, "shared-"+strings.ReplaceAll(planted, string(filepath.Separator), "-"))
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(out, planted)), 0o755))
		symlinkOrSkip(t, elsewhere, filepath.Join(out, planted))
		_, res := e.encrypt(EncryptSpec{Paths: []string{tree}, OutputDir: out, Recursive: true})
		expect(t, res, src, StatusFailed, CodeSymlink)
		if got := entries(t, elsewhere); len(got) != 0 {
			t.Fatalf("%s: written through the link: %v", planted, got)
		}
	}

	real := filepath.Join(dir, "real")
	alias := filepath.Join(dir, "alias")
	must(t, os.MkdirAll(real, 0o755))
	symlinkOrSkip(t, real, alias)
	_, res := e.encrypt(EncryptSpec{Paths: []string{tree}, OutputDir: alias, Recursive: true})
	if r := expect(t, res, src, StatusDone, ""); r.Output != filepath.Join(alias, "photos", "2024", "a.jpg"+ExtEnvelope) {
		t.Fatalf("output %s", r.Output)
	}
	if _, err := os.Stat(filepath.Join(real, "photos", "2024", "a.jpg"+ExtEnvelope)); err != nil {
		t.Fatal(err)
	}
}

// TestLongRestoredNameRenamed: a restored name too long for " (1)" is shortened, not
// failed.
func TestLongRestoredNameRenamed(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	long := strings.Repeat("文", 83) + ".txt" // 253 bytes
	out := filepath.Join(dir, "out")
	writeFile(t, filepath.Join(out, long), []byte("existing"), 0o644, time.Time{})
	ct := sealAs(t, e, filepath.Join(dir, "ct.kmsenc"), long, []byte("restored"))
	_, res := e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: out, Overwrite: PolicyRename})
	r := expect(t, res, ct, StatusDone, "")
	want := strings.Repeat("文", 82) + " (1).txt"
	if filepath.Base(r.Output) != want {
		t.Fatalf("restored as %q (%d bytes), want %q", filepath.Base(r.Output), len(filepath.Base(r.Output)), want)
	}
	if string(readFile(t, r.Output)) != "restored" || string(readFile(t, filepath.Join(out, long))) != "existing" {
		t.Fatal("wrong contents")
	}
}
