package jobs

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/kms"
	"github.com/kmsdesk/kmsdesk/backend/localkms"
	"github.com/kmsdesk/kmsdesk/backend/localkms/localkmstest"
)

// algorithmsDouble answers ListAlgorithms itself (as a national-standard region, or
// with an error) and passes every other action to the local KMS: the local KMS always
// answers AES_256.
type algorithmsDouble struct {
	next http.RoundTripper
	mu   sync.Mutex
	body string // the JSON "Response" object ListAlgorithms answers
}

// Answers of a Tencent Cloud KMS to ListAlgorithms.
const (
	nationalAlgorithms = `{"SymmetricAlgorithms":[{"KeyUsage":"ENCRYPT_DECRYPT","Algorithm":"SM4"}],` +
		`"AsymmetricAlgorithms":[{"KeyUsage":"ASYMMETRIC_DECRYPT_SM2","Algorithm":"SM2"}],` +
		`"AsymmetricSignVerifyAlgorithms":[{"KeyUsage":"ASYMMETRIC_SIGN_VERIFY_SM2","Algorithm":"SM2"}],"RequestId":"double-1"}`
	unauthorizedAlgorithms  = `{"Error":{"Code":"UnauthorizedOperation","Message":"CAM policy denies kms:ListAlgorithms"},"RequestId":"double-2"}`
	internalErrorAlgorithms = `{"Error":{"Code":"InternalError","Message":"try again"},"RequestId":"double-3"}`
)

func (d *algorithmsDouble) set(body string) {
	d.mu.Lock()
	d.body = body
	d.mu.Unlock()
}

func (d *algorithmsDouble) RoundTrip(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	body := d.body
	d.mu.Unlock()
	if r.Header.Get("X-TC-Action") != "ListAlgorithms" || body == "" {
		return d.next.RoundTrip(r)
	}
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader(`{"Response":` + body + `}`)),
		Request: r,
	}, nil
}

// withDouble puts an algorithmsDouble between the env's counter and its local KMS.
func withDouble(e *env) *algorithmsDouble {
	d := &algorithmsDouble{next: e.count.next}
	e.count.next = d
	return d
}

// encryptSuite encrypts one fresh file with suite and returns the suite id written and
// the job's summary; the file is decrypted again and compared.
func encryptSuite(t *testing.T, e *env, suite Suite) uint16 {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "in.txt")
	want := content("suite/"+string(suite), 40000)
	writeFile(t, src, want, 0o600, testTime)
	s, files := e.encrypt(EncryptSpec{Paths: []string{src}, Suite: suite, OutputDir: filepath.Join(dir, "enc")})
	if s.Done != 1 {
		t.Fatalf("encrypt with suite %q: %+v %+v", suite, s, files)
	}
	out := files[src].Output
	f, err := os.Open(out)
	must(t, err)
	h, err := envelope.Inspect(f)
	f.Close()
	must(t, err)
	if s, files := e.decrypt(DecryptSpec{Paths: []string{out}, OutputDir: filepath.Join(dir, "dec")}); s.Done != 1 {
		t.Fatalf("decrypt suite 0x%04x: %+v %+v", h.Suite, s, files)
	}
	got, err := os.ReadFile(filepath.Join(dir, "dec", "in.txt"))
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("suite 0x%04x: round trip differs", h.Suite)
	}
	return h.Suite
}

// TestSuiteChoice: an explicit choice is written as asked and asks the KMS nothing
// about its algorithms; an unknown one is refused before anything starts.
func TestSuiteChoice(t *testing.T) {
	e := newEnv(t)
	for suite, want := range map[Suite]uint16{SuiteAES: envelope.SuiteCobblestone256, SuiteSM4: envelope.SuiteSM4GCMSM3} {
		if got := encryptSuite(t, e, suite); got != want {
			t.Errorf("suite %q wrote 0x%04x, want 0x%04x", suite, got, want)
		}
	}
	if n := e.count.calls("ListAlgorithms"); n != 0 {
		t.Errorf("%d ListAlgorithms calls for explicit suites", n)
	}
	_, err := e.m.Encrypt(t.Context(), EncryptSpec{Paths: []string{"x"}, KeyID: e.keyID, Suite: "sm2"})
	if codeOf(err) != CodeInvalidRequest {
		t.Fatalf("unknown suite: %v", err)
	}
}

// TestSuiteAuto: "auto" (and "") follow the region's standard, asked once per KMS:
// the local KMS (AES_256) gives AES, a national-standard KMS (SM4 only) gives SM4. A
// KMS that refuses to say gives AES and is asked again next time; a transient error
// fails the file. Each case is a fresh Manager (the standard is remembered per
// Manager) on a local KMS whose ListAlgorithms answer the double replaces.
func TestSuiteAuto(t *testing.T) {
	for _, c := range []struct {
		name   string
		answer string  // ListAlgorithms' answer; "" = the local KMS's (AES_256)
		jobs   []Suite // the choices of successive jobs
		want   []uint16
		asked  int // ListAlgorithms calls
	}{
		{"local KMS", "", []Suite{SuiteAuto, ""}, []uint16{1, 1}, 1},
		{"national standard", nationalAlgorithms, []Suite{SuiteAuto, "", SuiteAES}, []uint16{2, 2, 1}, 1},
		{"refused", unauthorizedAlgorithms, []Suite{SuiteAuto, SuiteAuto}, []uint16{1, 1}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			withDouble(e).set(c.answer)
			for i, choice := range c.jobs {
				if got := encryptSuite(t, e, choice); got != c.want[i] {
					t.Fatalf("job %d (%q) wrote suite 0x%04x, want 0x%04x", i+1, choice, got, c.want[i])
				}
			}
			if n := e.count.calls("ListAlgorithms"); n != c.asked {
				t.Fatalf("%d ListAlgorithms calls, want %d", n, c.asked)
			}
		})
	}

	t.Run("transient error", func(t *testing.T) {
		e := newEnv(t)
		withDouble(e).set(internalErrorAlgorithms)
		dir := t.TempDir()
		src := filepath.Join(dir, "in.txt")
		writeFile(t, src, []byte("x"), 0o600, testTime)
		s, files := e.encrypt(EncryptSpec{Paths: []string{src}, OutputDir: filepath.Join(dir, "enc")})
		if s.Failed != 1 || files[src].ErrorCode != "InternalError" {
			t.Fatalf("transient ListAlgorithms error: %+v %+v", s, files[src])
		}
		if got := names(t, filepath.Join(dir, "enc")); len(got) != 0 {
			t.Fatalf("left %v", got)
		}
	})
}

func TestNationalStandard(t *testing.T) {
	sym := func(algs ...string) kms.Algorithms {
		var a kms.Algorithms
		for _, s := range algs {
			a.Symmetric = append(a.Symmetric, kms.Algorithm{KeyUsage: "ENCRYPT_DECRYPT", Algorithm: s})
		}
		return a
	}
	for _, c := range []struct {
		algs kms.Algorithms
		want bool
	}{
		{sym("SM4"), true},
		{sym("sm4"), true},
		{sym("AES_256"), false},
		{sym("AES_256", "SM4"), false},
		{sym(), false},
	} {
		if got := NationalStandard(c.algs); got != c.want {
			t.Errorf("NationalStandard(%+v) = %v, want %v", c.algs.Symmetric, got, c.want)
		}
	}
}

// TestSuiteAutoLocalKMSNationalStandard: against the local KMS in national-standard mode
// (no double), "auto" writes suite 0x0002 after one ListAlgorithms, and the file opens.
func TestSuiteAutoLocalKMSNationalStandard(t *testing.T) {
	e := newEnvOn(t, []localkmstest.Option{localkmstest.Configure(func(o *localkms.Options) {
		o.NationalStandardRegions = []string{"ap-guangzhou"}
	})})
	if got := encryptSuite(t, e, SuiteAuto); got != envelope.SuiteSM4GCMSM3 {
		t.Fatalf("auto in a national-standard region wrote suite 0x%04x", got)
	}
	if got := encryptSuite(t, e, ""); got != envelope.SuiteSM4GCMSM3 {
		t.Fatalf("the default in a national-standard region wrote suite 0x%04x", got)
	}
	if n := e.count.calls("ListAlgorithms"); n != 1 {
		t.Fatalf("%d ListAlgorithms calls, want 1 (the answer is kept)", n)
	}
}
