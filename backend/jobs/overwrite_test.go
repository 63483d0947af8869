package jobs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// conflictSetup writes a.txt, b.txt, c.txt to encrypt and an output folder where
// a.txt.kmsenc, b.txt.kmsenc and c.txt.kmsenc already exist (holding "old").
func conflictSetup(t *testing.T) (in []string, out string) {
	dir := t.TempDir()
	out = filepath.Join(dir, "out")
	for _, n := range []string{"a.txt", "b.txt", "c.txt"} {
		p := filepath.Join(dir, "in", n)
		writeFile(t, p, content(n, 20000), 0o644, time.Time{})
		in = append(in, p)
		writeFile(t, filepath.Join(out, n+ExtEnvelope), []byte("old"), 0o644, time.Time{})
	}
	return in, out
}

func isOld(t *testing.T, path string) bool {
	return bytes.Equal(readFile(t, path), []byte("old"))
}

func TestOverwritePolicies(t *testing.T) {
	e := newEnv(t)

	t.Run("skip", func(t *testing.T) {
		in, out := conflictSetup(t)
		writeFile(t, filepath.Join(filepath.Dir(in[0]), "new.txt"), []byte("new"), 0o644, time.Time{})
		in = append(in, filepath.Join(filepath.Dir(in[0]), "new.txt"))
		sum, res := e.encrypt(EncryptSpec{Paths: in, OutputDir: out, Overwrite: PolicySkip})
		if sum.Skipped != 3 || sum.Done != 1 || sum.State != StateDone {
			t.Fatalf("%+v", sum)
		}
		for _, p := range in[:3] {
			expect(t, res, p, StatusSkipped, CodeExists)
			if !isOld(t, filepath.Join(out, filepath.Base(p)+ExtEnvelope)) {
				t.Fatal("skip replaced an existing file")
			}
		}
		expect(t, res, in[3], StatusDone, "")
	})

	t.Run("rename", func(t *testing.T) {
		in, out := conflictSetup(t)
		writeFile(t, filepath.Join(out, "a.txt (1).kmsenc"), []byte("old"), 0o644, time.Time{})
		sum, res := e.encrypt(EncryptSpec{Paths: in, OutputDir: out, Overwrite: PolicyRename})
		if sum.Done != 3 {
			t.Fatalf("%+v", sum)
		}
		if r := res[in[0]]; r.Output != filepath.Join(out, "a.txt (2).kmsenc") {
			t.Fatalf("a.txt went to %s", r.Output)
		}
		if r := res[in[1]]; r.Output != filepath.Join(out, "b.txt (1).kmsenc") {
			t.Fatalf("b.txt went to %s", r.Output)
		}
		for _, n := range []string{"a.txt.kmsenc", "a.txt (1).kmsenc", "b.txt.kmsenc", "c.txt.kmsenc"} {
			if !isOld(t, filepath.Join(out, n)) {
				t.Fatalf("rename touched %s", n)
			}
		}
		// The renamed ciphertext restores the original name.
		dec := filepath.Join(t.TempDir(), "dec")
		_, dres := e.decrypt(DecryptSpec{Paths: []string{res[in[0]].Output}, OutputDir: dec})
		if r := dres[res[in[0]].Output]; r.Output != filepath.Join(dec, "a.txt") {
			t.Fatalf("restored as %s (%s)", r.Output, r.Message)
		}
		sameBytes(t, in[0], filepath.Join(dec, "a.txt"))
	})

	t.Run("overwrite", func(t *testing.T) {
		in, out := conflictSetup(t)
		sum, _ := e.encrypt(EncryptSpec{Paths: in, OutputDir: out, Overwrite: PolicyOverwrite})
		if sum.Done != 3 {
			t.Fatalf("%+v", sum)
		}
		dec := filepath.Join(t.TempDir(), "dec")
		e.decrypt(DecryptSpec{Paths: []string{out}, OutputDir: dec})
		for _, p := range in {
			sameBytes(t, p, filepath.Join(dec, "out", filepath.Base(p)))
		}
		if ps := partials(t, filepath.Dir(out)); len(ps) != 0 {
			t.Fatalf("partials left: %v", ps)
		}
	})
}

// answer replies to the next conflict of job id with d.
func answer(t *testing.T, e *env, d Decision, all bool) Conflict {
	t.Helper()
	select {
	case c := <-e.rec.conflicts:
		if st, _ := e.m.Status(c.ID); st.State != StateWaiting {
			t.Errorf("state while asking: %s", st.State)
		}
		must(t, e.m.ResolveConflict(c.ID, d, all))
		return c
	case <-time.After(30 * time.Second):
		t.Fatal("no conflict was reported")
	}
	return Conflict{}
}

// askJob starts encrypting conflictSetup's files with policy ask; it returns them, the
// output folder and the job.
func askJob(t *testing.T, e *env) (in []string, out string, info Info) {
	in, out = conflictSetup(t)
	info, err := e.m.Encrypt(t.Context(), EncryptSpec{KeyID: e.keyID, Paths: in, OutputDir: out, Overwrite: PolicyAsk})
	must(t, err)
	return in, out, info
}

func TestAskPolicy(t *testing.T) {
	e := newEnv(t)

	t.Run("skip then overwrite for all", func(t *testing.T) {
		in, out, info := askJob(t, e)
		first := answer(t, e, DecisionSkip, false)
		if first.Output != filepath.Join(out, filepath.Base(first.Path)+ExtEnvelope) {
			t.Fatalf("conflict %+v", first)
		}
		answer(t, e, DecisionOverwrite, true)
		sum, res := e.wait(info, nil)
		if sum.Skipped != 1 || sum.Done != 2 {
			t.Fatalf("%+v", sum)
		}
		select {
		case c := <-e.rec.conflicts:
			t.Fatalf("apply-to-all must answer the third conflict, but it was asked: %+v", c)
		default:
		}
		for _, p := range in {
			old := isOld(t, filepath.Join(out, filepath.Base(p)+ExtEnvelope))
			if (p == first.Path) != old {
				t.Fatalf("%s: old=%v, skipped=%v", p, old, p == first.Path)
			}
			if p == first.Path {
				expect(t, res, p, StatusSkipped, CodeExists)
			}
		}
		if err := e.m.ResolveConflict(info.ID, DecisionSkip, false); codeOf(err) != CodeNoConflict {
			t.Fatalf("resolving with no conflict pending: %v", err)
		}
		if err := e.m.ResolveConflict(info.ID, "later", false); codeOf(err) != CodeInvalidRequest {
			t.Fatalf("unknown decision: %v", err)
		}
	})

	t.Run("rename for all", func(t *testing.T) {
		in, out, info := askJob(t, e)
		answer(t, e, DecisionRename, true)
		sum, res := e.wait(info, nil)
		if sum.Done != 3 {
			t.Fatalf("%+v", sum)
		}
		for _, p := range in {
			if want := filepath.Join(out, filepath.Base(p)+" (1)"+ExtEnvelope); res[p].Output != want {
				t.Fatalf("%s → %s, want %s", p, res[p].Output, want)
			}
		}
	})

	t.Run("cancel", func(t *testing.T) {
		in, out, info := askJob(t, e)
		answer(t, e, DecisionCancel, false)
		sum, res := e.wait(info, nil)
		if sum.State != StateCancelled || sum.Cancelled == 0 || sum.Done != 0 {
			t.Fatalf("%+v", sum)
		}
		for _, p := range in {
			if r := res[p]; r.Status != StatusCancelled && r.Status != StatusSkipped {
				t.Fatalf("%s: %+v", p, r)
			}
			if !isOld(t, filepath.Join(out, filepath.Base(p)+ExtEnvelope)) {
				t.Fatal("cancel replaced a file")
			}
		}
		if ps := partials(t, filepath.Dir(out)); len(ps) != 0 {
			t.Fatalf("partials left: %v", ps)
		}
	})
}

func TestDecryptConflictOnRestoredName(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	orig := filepath.Join(dir, "report.pdf")
	writeFile(t, orig, content("report", 40000), 0o640, time.Time{})
	_, res := e.encrypt(EncryptSpec{Paths: []string{orig}})
	renamedCT := filepath.Join(dir, "sent-by-mail.kmsenc")
	must(t, os.Rename(res[orig].Output, renamedCT))
	// Decrypting next to itself restores report.pdf, which exists: skip, then rename.
	_, dres := e.decrypt(DecryptSpec{Paths: []string{renamedCT}, Overwrite: PolicySkip})
	expect(t, dres, renamedCT, StatusSkipped, CodeExists)
	if _, err := os.Stat(filepath.Join(dir, "sent-by-mail")); !os.IsNotExist(err) {
		t.Fatal("the provisional output was left behind")
	}
	_, dres = e.decrypt(DecryptSpec{Paths: []string{renamedCT}, Overwrite: PolicyRename})
	if r := dres[renamedCT]; r.Output != filepath.Join(dir, "report (1).pdf") {
		t.Fatalf("restored to %s", r.Output)
	}
	sameBytes(t, orig, filepath.Join(dir, "report (1).pdf"))
	if ps := partials(t, dir); len(ps) != 0 {
		t.Fatalf("partials left: %v", ps)
	}
}
