package jobs

import (
	"path/filepath"
	"testing"
	"time"
)

// The benchmarks run whole jobs through a Manager on the in-process local KMS, with
// outputs on disk (fsync included): what kmsctl and the app do, minus process start.
//
//	go test -run '^$' -bench . -benchtime 5x ./backend/jobs/

func benchFile(b *testing.B, size int) (e *env, src, dir string) {
	e = newEnv(b)
	dir = b.TempDir()
	src = filepath.Join(dir, "in.bin")
	writeFile(b, src, content("bench", size), 0o644, time.Time{})
	return e, src, dir
}

// loopOneFile runs a job of one file of size bytes per iteration.
func loopOneFile(b *testing.B, size int64, run func() Summary) {
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if sum := run(); sum.Done != 1 {
			b.Fatalf("%+v", sum)
		}
	}
}

func BenchmarkEncryptFile64MiB(b *testing.B) {
	e, src, dir := benchFile(b, 64<<20)
	out := filepath.Join(dir, "out")
	loopOneFile(b, 64<<20, func() Summary {
		sum, _ := e.encrypt(EncryptSpec{Paths: []string{src}, OutputDir: out, Overwrite: PolicyOverwrite})
		return sum
	})
}

func BenchmarkDecryptFile64MiB(b *testing.B) {
	e, src, dir := benchFile(b, 64<<20)
	_, res := e.encrypt(EncryptSpec{Paths: []string{src}, OutputDir: filepath.Join(dir, "enc")})
	ct := res[src].Output
	out := filepath.Join(dir, "out")
	loopOneFile(b, 64<<20, func() Summary {
		sum, _ := e.decrypt(DecryptSpec{Paths: []string{ct}, OutputDir: out, Overwrite: PolicyOverwrite})
		return sum
	})
}

// BenchmarkEncrypt1000Files encrypts a folder of 1 000 small files per iteration and
// reports the KMS calls per batch (1: one data key for the whole batch).
func BenchmarkEncrypt1000Files(b *testing.B) {
	e := newEnv(b)
	dir := b.TempDir()
	root := filepath.Join(dir, "many")
	for i := range 1000 {
		writeFile(b, filepath.Join(root, fmtSize(i)+".txt"), content(fmtSize(i), 512), 0o644, time.Time{})
	}
	out := filepath.Join(dir, "out")
	e.count.reset()
	n := 0
	for b.Loop() {
		sum, _ := e.encrypt(EncryptSpec{Paths: []string{root}, OutputDir: out, Recursive: true, Overwrite: PolicyOverwrite})
		if sum.Done != 1000 {
			b.Fatalf("%+v", sum)
		}
		n++
	}
	b.ReportMetric(float64(e.count.batchCalls())/float64(n), "kms-calls/batch")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n*1000), "µs/file")
}
