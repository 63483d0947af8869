package envelope_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// TestAllocsConstant proves that nothing is allocated per chunk: encrypting or
// decrypting 16 MiB (1024 chunks) allocates no more than 1 MiB (64 chunks) does.
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
	for _, workers := range []int{1, 2, 4} {
		allocs := func(size int) (enc, dec float64) {
			pt := detBytes("allocs", size)
			file, _ := encryptBytes(t, dk, pt, envelope.EncryptOptions{})
			r := bytes.NewReader(pt)
			enc = testing.AllocsPerRun(5, func() {
				r.Reset(pt)
				if _, err := envelope.Encrypt(ctx, io.Discard, r, dk, envelope.EncryptOptions{Workers: workers}); err != nil {
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
		t.Logf("workers=%d: encrypt %.0f / %.0f allocs, decrypt %.0f / %.0f allocs (1 MiB / 16 MiB)", workers, e1, e16, d1, d16)
		if e16 > e1+3 || d16 > d1+3 {
			t.Errorf("workers=%d: allocations grow with size: encrypt %.0f → %.0f, decrypt %.0f → %.0f", workers, e1, e16, d1, d16)
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

func BenchmarkEncrypt(b *testing.B) {
	kms := newTestKMS()
	dk := newTestDataKey(b, kms, nil, "")
	ctx := context.Background()
	for _, size := range benchSizes() {
		pt := detBytes("bench", size)
		for _, workers := range []int{1, 0} {
			b.Run(fmt.Sprintf("size=%s/workers=%s", sizeName(size), workersName(workers)), func(b *testing.B) {
				r := bytes.NewReader(pt)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					r.Reset(pt)
					if _, err := envelope.Encrypt(ctx, io.Discard, r, dk, envelope.EncryptOptions{Workers: workers}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDecrypt(b *testing.B) {
	kms := newTestKMS()
	dk := newTestDataKey(b, kms, nil, "")
	ctx := context.Background()
	for _, size := range benchSizes() {
		file, _ := encryptBytes(b, dk, detBytes("bench", size), envelope.EncryptOptions{})
		for _, workers := range []int{1, 0} {
			b.Run(fmt.Sprintf("size=%s/workers=%s", sizeName(size), workersName(workers)), func(b *testing.B) {
				r := bytes.NewReader(file)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					r.Reset(file)
					if _, err := envelope.Decrypt(ctx, io.Discard, r, envelope.DecryptOptions{Unwrapper: kms, Workers: workers}); err != nil {
						b.Fatal(err)
					}
				}
			})
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
