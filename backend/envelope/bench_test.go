package envelope_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// TestAllocsConstant proves that nothing is allocated per chunk, in either suite:
// encrypting or decrypting 16 MiB (1024 chunks) allocates no more than 1 MiB (64
// chunks) does.
func TestAllocsConstant(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	if testing.Short() {
		t.Skip("short mode")
	}
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, nil, "")
	ctx := context.Background()
	for _, c := range []struct {
		workers int
		suite   uint16
	}{{1, 1}, {2, 1}, {4, 1}, {1, 2}, {4, 2}} {
		workers, suite := c.workers, c.suite
		allocs := func(size int) (enc, dec float64) {
			pt := detBytes("allocs", size)
			file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{Suite: suite})
			r := bytes.NewReader(pt)
			enc = testing.AllocsPerRun(5, func() {
				r.Reset(pt)
				if _, err := envelope.Encrypt(ctx, io.Discard, r, dk, envelope.EncryptOptions{Workers: workers, Suite: suite}); err != nil {
					t.Fatal(err)
				}
			})
			fr := bytes.NewReader(file)
			dec = testing.AllocsPerRun(5, func() {
				fr.Reset(file)
				if _, err := envelope.Decrypt(ctx, io.Discard, fr, envelope.DecryptOptions{Unwrapper: kms, Workers: workers}); err != nil {
					t.Fatal(err)
				}
			})
			return enc, dec
		}
		e1, d1 := allocs(1 << 20)
		e16, d16 := allocs(16 << 20)
		t.Logf("suite=%d workers=%d: encrypt %.0f / %.0f allocs, decrypt %.0f / %.0f allocs (1 MiB / 16 MiB)", suite, workers, e1, e16, d1, d16)
		if e16 > e1+3 || d16 > d1+3 {
			t.Errorf("suite=%d workers=%d: allocations grow with size: encrypt %.0f → %.0f, decrypt %.0f → %.0f", suite, workers, e1, e16, d1, d16)
		}
	}
}

func benchSizes() []int { return []int{1 << 20, 64 << 20} }

func sizeName(n int) string { return fmt.Sprintf("%dMiB", n>>20) }

func workersName(w int) string {
	if w == 0 {
		return "auto"
	}
	return fmt.Sprint(w)
}

// benchSuites are the suites the benchmarks compare, by the names the UI uses.
var benchSuites = []struct {
	name string
	id   uint16
}{{"aes", envelope.SuiteCobblestone256}, {"sm4", envelope.SuiteSM4GCMSM3}}

func BenchmarkEncrypt(b *testing.B) {
	dk := newTestDataKey(b, newTestKMS(), nil, "")
	benchStream(b, func(size int, _ uint16) []byte { return detBytes("bench", size) }, func(r io.Reader, workers int, suite uint16) error {
		_, err := envelope.Encrypt(context.Background(), io.Discard, r, dk, envelope.EncryptOptions{Workers: workers, Suite: suite})
		return err
	})
}

func BenchmarkDecrypt(b *testing.B) {
	kms := newTestKMS()
	dk := newTestDataKey(b, kms, nil, "")
	benchStream(b, func(size int, suite uint16) []byte {
		file, _ := encryptBytes(b, dk, detBytes("bench", size), envelope.EncryptOptions{Suite: suite})
		return file
	}, func(r io.Reader, workers int, _ uint16) error {
		_, err := envelope.Decrypt(context.Background(), io.Discard, r, envelope.DecryptOptions{Unwrapper: kms, Workers: workers})
		return err
	})
}

// benchStream runs one sub-benchmark per suite, size and worker count: run streams the
// input made for that size and suite once. Bytes per second count plaintext bytes.
func benchStream(b *testing.B, input func(size int, suite uint16) []byte, run func(r io.Reader, workers int, suite uint16) error) {
	for _, s := range benchSuites {
		for _, size := range benchSizes() {
			in := input(size, s.id)
			for _, workers := range []int{1, 0} {
				b.Run(fmt.Sprintf("suite=%s/size=%s/workers=%s", s.name, sizeName(size), workersName(workers)), func(b *testing.B) {
					r := bytes.NewReader(in)
					b.SetBytes(int64(size))
					b.ReportAllocs()
					for b.Loop() {
						r.Reset(in)
						if err := run(r, workers, s.id); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

// BenchmarkParseHeader measures the header parser on the three-slot vector.
func BenchmarkParseHeader(b *testing.B) {
	_, file, _ := loadVector(b, "three-slots")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := envelope.ParseHeader(file); err != nil {
			b.Fatal(err)
		}
	}
}
