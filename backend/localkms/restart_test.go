package localkms

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// childEnv names the data dir of a child server process (see TestMain).
const childEnv = "LOCALKMS_TEST_CHILD_DATA_DIR"

// TestMain lets the test binary re-exec itself as a standalone server, so the
// crash tests can kill -9 a real process.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		runChild(dir)
		return
	}
	os.Exit(m.Run())
}

func runChild(dir string) {
	srv, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	fmt.Printf("LISTEN %s\n", ln.Addr())
	http.Serve(ln, srv)
}

// child is a server process on a data dir.
type child struct {
	cmd      *exec.Cmd
	endpoint string
}

func startChild(t *testing.T, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd}
	t.Cleanup(func() { c.kill9() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if !strings.HasPrefix(s, "LISTEN ") {
			t.Fatalf("child said %q", s)
		}
		c.endpoint = strings.TrimSpace(strings.TrimPrefix(s, "LISTEN "))
	case <-time.After(30 * time.Second):
		t.Fatal("child did not start")
	}
	return c
}

// kill9 kills the child with SIGKILL (no chance to flush or close anything).
func (c *child) kill9() {
	if c.cmd.ProcessState != nil {
		return
	}
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

func (c *child) client(t *testing.T, cred Credential) *kms.Client {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.Endpoint = c.endpoint
	cpf.HttpProfile.ReqTimeout = 10
	k, err := kms.NewClient(common.NewCredential(cred.SecretID, cred.SecretKey), "ap-guangzhou", cpf)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// prepareDir creates a data dir with one credential.
func prepareDir(t *testing.T) (string, Credential) {
	t.Helper()
	dir := t.TempDir()
	srv, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := srv.CreateCredential("crash")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, cred
}

// TestKill9Restart encrypts under several keys, kills the server with SIGKILL,
// restarts it on the same data dir and decrypts everything back.
func TestKill9Restart(t *testing.T) {
	t.Parallel()
	dir, cred := prepareDir(t)
	c1 := startChild(t, dir)
	k := c1.client(t, cred)

	type sealed struct {
		blob, ec string
		plain    []byte
	}
	var all []sealed
	var keys []string
	for i := range 3 {
		r := kms.NewCreateKeyRequest()
		r.Alias = sp(fmt.Sprintf("restart-%d", i))
		resp, err := k.CreateKey(r)
		must(t, err)
		keys = append(keys, *resp.Response.KeyId)
	}
	er := kms.NewCreateKeyRequest()
	er.Alias, er.KeyUsage = sp("restart-ecc"), sp(usageECCSign)
	eresp, err := k.CreateKey(er)
	must(t, err)
	eccID := *eresp.Response.KeyId
	pk := kms.NewGetPublicKeyRequest()
	pk.KeyId = sp(eccID)
	pub1, err := k.GetPublicKey(pk)
	must(t, err)

	for i := range 30 {
		plain := make([]byte, 1+i*97%4096)
		rand.Read(plain)
		ec := ""
		if i%2 == 0 {
			ec = fmt.Sprintf(`{"i":"%d"}`, i)
		}
		r := kms.NewEncryptRequest()
		r.KeyId, r.Plaintext = sp(keys[i%3]), sp(b64(plain))
		r.EncryptionContext = opt(ec)
		resp, err := k.Encrypt(r)
		must(t, err)
		all = append(all, sealed{*resp.Response.CiphertextBlob, ec, plain})
	}
	for range 5 {
		r := kms.NewGenerateDataKeyRequest()
		r.KeyId, r.KeySpec = sp(keys[0]), sp("AES_256")
		resp, err := k.GenerateDataKey(r)
		must(t, err)
		all = append(all, sealed{*resp.Response.CiphertextBlob, "", unb64(t, *resp.Response.Plaintext)})
	}
	c1.kill9()

	c2 := startChild(t, dir)
	k2 := c2.client(t, cred)
	for i, s := range all {
		r := kms.NewDecryptRequest()
		r.CiphertextBlob = sp(s.blob)
		r.EncryptionContext = opt(s.ec)
		resp, err := k2.Decrypt(r)
		if err != nil {
			t.Fatalf("blob %d after restart: %v", i, err)
		}
		if !bytes.Equal(unb64(t, *resp.Response.Plaintext), s.plain) {
			t.Fatalf("blob %d: plaintext differs after restart", i)
		}
	}
	pk2 := kms.NewGetPublicKeyRequest() // SDK requests remember their first endpoint
	pk2.KeyId = sp(eccID)
	pub2, err := k2.GetPublicKey(pk2)
	must(t, err)
	if *pub1.Response.PublicKey != *pub2.Response.PublicKey {
		t.Fatal("asymmetric key changed across restart")
	}
}

// TestKill9DuringCreateKey kills the server with SIGKILL while eight clients run
// through 1,000 CreateKey calls, then checks that every acknowledged key survived.
func TestKill9DuringCreateKey(t *testing.T) {
	t.Parallel()
	const (
		total   = 1000
		workers = 8
		killAt  = 300 // acknowledged keys before the kill
	)
	dir, cred := prepareDir(t)
	c := startChild(t, dir)
	var (
		next   atomic.Int64
		mu     sync.Mutex
		acked  = map[string]string{} // KeyId → alias
		killed = make(chan struct{})
		once   sync.Once
		wg     sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := c.client(t, cred)
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				alias := fmt.Sprintf("crash-%04d", i)
				r := kms.NewCreateKeyRequest()
				r.Alias = sp(alias)
				resp, err := k.CreateKey(r)
				if err != nil {
					select {
					case <-killed:
						return // expected: the server is gone
					default:
						t.Errorf("CreateKey before the kill: %v", err)
						return
					}
				}
				mu.Lock()
				acked[*resp.Response.KeyId] = alias
				n := len(acked)
				mu.Unlock()
				if n >= killAt {
					once.Do(func() {
						close(killed)
						c.kill9()
					})
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatal("the server was never killed")
	}

	srv, err := Open(Options{DataDir: dir, MasterKey: MasterKeyFile})
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer srv.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < killAt {
		t.Fatalf("only %d keys acknowledged", len(acked))
	}
	for id, alias := range acked {
		k := srv.snapshot(id)
		if k == nil {
			t.Fatalf("acknowledged key %s (%s) lost", id, alias)
		}
		if k.rec.Alias != alias || len(k.rec.Versions) != 1 {
			t.Fatalf("key %s restored wrongly: %+v", id, k.rec.Alias)
		}
	}
	t.Logf("%d keys acknowledged before kill -9, %d found after restart", len(acked), len(srv.keys))
}

// TestReopen checks that everything survives a clean Close and Open.
func TestReopen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "inproc")
	id := e.createKey("reopen", func(r *kms.CreateKeyRequest) {
		r.Description = sp("persisted")
		r.Tags = []*kms.Tag{{TagKey: sp("a"), TagValue: sp("b")}}
	})
	blob1 := e.mustEncrypt(id, []byte("one"), "")
	must(t, e.srv.RotateKeyNow(id))
	blob2 := e.mustEncrypt(id, []byte("two"), "")
	disabled := e.createKey("reopen-disabled")
	e.setState(disabled, "disable", "schedule")
	eid, ekey, err := e.srv.EmbeddedCredential()
	must(t, err)
	must(t, e.srv.Close())

	srv, err := Open(Options{DataDir: e.dir, MasterKey: MasterKeyFile, Now: e.clock.Now})
	must(t, err)
	defer srv.Close()
	e.srv = srv
	e.rt = srv.Transport()
	for blob, want := range map[string]string{blob1: "one", blob2: "two"} {
		pt, _, err := e.decrypt(blob, "")
		must(t, err)
		if string(pt) != want {
			t.Fatalf("plaintext %q", pt)
		}
	}
	md := e.describe(id)
	if *md.Description != "persisted" || *md.Alias != "reopen" {
		t.Fatalf("metadata %+v", md)
	}
	if s := *e.describe(disabled).KeyState; s != "PendingDelete" {
		t.Fatalf("state %s", s)
	}
	eid2, ekey2, err := srv.EmbeddedCredential()
	must(t, err)
	if eid != eid2 || ekey != ekey2 {
		t.Fatal("embedded credential changed across restart")
	}
	if b, _ := parseBlob(e.mustEncrypt(id, []byte("x"), "")); b.keyVersion != 2 {
		t.Fatalf("key version %d after reopen", b.keyVersion)
	}
}
