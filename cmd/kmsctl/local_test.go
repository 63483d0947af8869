package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"

	"github.com/kmsdesk/kmsdesk/backend/localkms"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a concurrent reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runKmsctl runs the root command with args and returns stdout, stderr and error.
func runKmsctl(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut lockedBuffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

type createdCredential struct {
	Name      string `json:"name"`
	SecretID  string `json:"secretId"`
	SecretKey string `json:"secretKey"`
	CreatedAt string `json:"createdAt"`
}

func TestLocalCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, _, err := runKmsctl(t, context.Background(), "local", "credentials", "create", "--data", dir, "--master-key", "file", "--name", "ci")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`SecretId:\s+(AKID\w{32})\nSecretKey:\s+(\w{32})\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("unexpected output:\n%s", out)
	}
	secretKey := m[2]

	out, _, err = runKmsctl(t, context.Background(), "local", "credentials", "create", "--data", dir, "--master-key", "file", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var c createdCredential
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Name != "default" || c.SecretKey == "" || !strings.HasPrefix(c.SecretID, "AKID") {
		t.Fatalf("JSON output %q: %v", out, err)
	}

	out, _, err = runKmsctl(t, context.Background(), "local", "credentials", "list", "--data", dir, "--master-key", "file")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, m[1]) || !strings.Contains(out, c.SecretID) || !strings.Contains(out, "NAME") {
		t.Fatalf("list output:\n%s", out)
	}
	out2, _, err := runKmsctl(t, context.Background(), "local", "credentials", "list", "--data", dir, "--master-key", "file", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := json.Unmarshal([]byte(out2), &items); err != nil || len(items) != 2 {
		t.Fatalf("list JSON %q: %v", out2, err)
	}
	for _, listing := range []string{out, out2} {
		if strings.Contains(listing, secretKey) || strings.Contains(listing, c.SecretKey) || strings.Contains(strings.ToLower(listing), "secretkey") {
			t.Fatalf("list prints a SecretKey:\n%s", listing)
		}
	}
	if _, _, err := runKmsctl(t, context.Background(), "local", "credentials", "list", "--data", dir, "--master-key", "bogus"); err == nil {
		t.Fatal("bad --master-key accepted")
	}
}

func TestLocalServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, _, err := runKmsctl(t, context.Background(), "local", "credentials", "create", "--data", dir, "--master-key", "file", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var cred createdCredential
	if err := json.Unmarshal([]byte(out), &cred); err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(seed, []byte("keys:\n  - alias: demo-key\n    description: Demo\n  - alias: gz-key\n    region: ap-guangzhou\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		root := newRootCmd()
		root.SetArgs([]string{"local", "serve", "--listen", "127.0.0.1:0", "--data", dir, "--master-key", "file", "--seed", seed, "--region", "ap-shanghai", "--uin", "200000000002", "--national-regions", "ap-shanghai"})
		root.SetOut(&stdout)
		root.SetErr(&stderr)
		done <- root.ExecuteContext(ctx)
	}()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:(\d+)`)
	var endpoint string
	deadline := time.Now().Add(20 * time.Second)
	for endpoint == "" {
		if m := urlRE.FindStringSubmatch(stdout.String()); m != nil {
			endpoint = "127.0.0.1:" + m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\nstderr:\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed; stdout %q stderr %q", stdout.String(), stderr.String())
		}
	}
	if endpoint == "127.0.0.1:0" {
		t.Fatal("printed port 0 instead of the actual port")
	}

	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.Endpoint = endpoint
	client := func(region string) *kms.Client {
		c, err := kms.NewClient(common.NewCredential(cred.SecretID, cred.SecretKey), region, cpf)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// --region sets the default region: demo-key (no region in the seed) lands
	// in ap-shanghai, gz-key in the region its seed entry names.
	resp, err := client("ap-shanghai").ListKeyDetail(kms.NewListKeyDetailRequest())
	if err != nil {
		t.Fatal(err)
	}
	if *resp.Response.TotalCount != 1 || *resp.Response.KeyMetadatas[0].Alias != "demo-key" || *resp.Response.KeyMetadatas[0].CreatorUin != 200000000002 {
		t.Fatalf("ListKeyDetail %s", resp.ToJsonString())
	}
	gz, err := client("ap-guangzhou").ListKeyDetail(kms.NewListKeyDetailRequest())
	if err != nil || *gz.Response.TotalCount != 1 || *gz.Response.KeyMetadatas[0].Alias != "gz-key" {
		t.Fatalf("ap-guangzhou: %v", err)
	}
	// --national-regions: ap-shanghai is a national-standard (国密) region, ap-guangzhou is not.
	if md := resp.Response.KeyMetadatas[0]; *md.Type != 4 {
		t.Fatalf("a key of a national-standard region has Type %d", *md.Type)
	}
	for region, want := range map[string]string{"ap-shanghai": "SM4", "ap-guangzhou": "AES_256"} {
		al, err := client(region).ListAlgorithms(kms.NewListAlgorithmsRequest())
		if err != nil || *al.Response.SymmetricAlgorithms[0].Algorithm != want {
			t.Fatalf("ListAlgorithms in %s: %v %v, want %s", region, al, err, want)
		}
	}
	enc := kms.NewEncryptRequest()
	enc.KeyId, enc.Plaintext = resp.Response.KeyMetadatas[0].KeyId, common.StringPtr("aGVsbG8=")
	if _, err := client("ap-shanghai").Encrypt(enc); err != nil {
		t.Fatal(err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if lines := strings.Split(strings.TrimSpace(stdout.String()), "\n"); len(lines) != 1 {
		t.Fatalf("stdout has %d lines:\n%s", len(lines), stdout.String())
	}
	logs := stderr.String()
	for _, want := range []string{"action=ListKeyDetail", "action=Encrypt", "code=OK", "request_id=", "master key in a 0600 file"} {
		if !strings.Contains(logs, want) {
			t.Fatalf("stderr lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, cred.SecretKey) || strings.Contains(logs, "aGVsbG8=") {
		t.Fatal("stderr contains a secret or plaintext")
	}
}

func TestNationalStandardRegionsFlags(t *testing.T) {
	served := []string{"ap-beijing", "ap-shanghai"}
	if got, err := nationalStandardRegions(true, nil, served); err != nil || strings.Join(got, ",") != "ap-beijing,ap-shanghai" {
		t.Fatalf("--national-standard with --regions: %v %v", got, err)
	}
	if got, err := nationalStandardRegions(true, nil, nil); err != nil || len(got) != len(localkms.DefaultRegions) {
		t.Fatalf("--national-standard alone: %v %v", got, err)
	}
	if got, err := nationalStandardRegions(false, []string{"ap-shanghai"}, served); err != nil || strings.Join(got, ",") != "ap-shanghai" {
		t.Fatalf("--national-regions: %v %v", got, err)
	}
	if got, err := nationalStandardRegions(false, nil, served); err != nil || got != nil {
		t.Fatalf("no flag: %v %v", got, err)
	}
	if _, err := nationalStandardRegions(true, []string{"ap-shanghai"}, nil); err == nil {
		t.Fatal("both flags accepted")
	}
}

func TestLocalServeRefusesRemote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		listen string
		allow  bool
		ok     bool
	}{
		{"0.0.0.0:0", false, false},
		{"[::]:0", false, false},
		{":0", false, false},
		{"192.0.2.1:9000", false, false},
		{"example.com:9000", false, false},
		{"127.0.0.1:0", false, true},
		{"[::1]:0", false, true},
		{"localhost:0", false, true},
		{"0.0.0.0:0", true, true},
		{"nonsense", false, false},
	}
	for _, tc := range tests {
		err := checkLocalListen(tc.listen, tc.allow)
		if (err == nil) != tc.ok {
			t.Errorf("checkLocalListen(%q, %v) = %v", tc.listen, tc.allow, err)
		}
	}
	_, _, err := runKmsctl(t, context.Background(), "local", "serve", "--listen", "0.0.0.0:0", "--data", t.TempDir(), "--master-key", "file")
	var ec interface{ ErrorCode() string }
	if err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Fatalf("serve on 0.0.0.0 without --allow-remote: %v", err)
	}
	if !errors.As(err, &ec) || ec.ErrorCode() != "LocalKMS.RemoteListenRefused" {
		t.Fatalf("error code: %v", err)
	}
}

func TestDefaultLocalDataDir(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/tmp/xdg-test")
	t.Setenv("HOME", "/tmp/home-test")
	got := defaultLocalDataDir()
	cfg, err := os.UserConfigDir()
	if err != nil {
		t.Skip(err)
	}
	if got != filepath.Join(cfg, "kmsdesk", "localkms") {
		t.Fatalf("default data dir %q", got)
	}
}

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and returns the
// file names and a pool trusting it.
func writeSelfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localkms test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestLocalServeTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, _, err := runKmsctl(t, context.Background(), "local", "credentials", "create", "--data", dir, "--master-key", "file", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var cred createdCredential
	if err := json.Unmarshal([]byte(out), &cred); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, pool := writeSelfSigned(t)
	if _, _, err := runKmsctl(t, context.Background(), "local", "serve", "--listen", "127.0.0.1:0", "--data", dir, "--master-key", "file", "--tls-cert", certFile); err == nil {
		t.Fatal("--tls-cert without --tls-key accepted")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		root := newRootCmd()
		root.SetArgs([]string{"local", "serve", "--listen", "127.0.0.1:0", "--data", dir, "--master-key", "file", "--tls-cert", certFile, "--tls-key", keyFile})
		root.SetOut(&stdout)
		root.SetErr(&stderr)
		done <- root.ExecuteContext(ctx)
	}()
	re := regexp.MustCompile(`https://(127\.0\.0\.1:\d+)`)
	var endpoint string
	for deadline := time.Now().Add(20 * time.Second); endpoint == ""; {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			endpoint = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no https URL: %q %q", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = endpoint // default scheme: HTTPS
	c, err := kms.NewClient(common.NewCredential(cred.SecretID, cred.SecretKey), "ap-guangzhou", cpf)
	if err != nil {
		t.Fatal(err)
	}
	c.WithHttpTransport(&http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}})
	if _, err := c.GetRegions(kms.NewGetRegionsRequest()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestLocalTemporaryCredential: `credentials create --temporary` issues a key pair with a
// session token that the server accepts until it expires, then refuses with the real
// service's AuthFailure.TokenFailure; it is never listed.
func TestLocalTemporaryCredential(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, _, err := runKmsctl(t, context.Background(), "local", "credentials", "create", "--data", dir, "--master-key", "file", "--temporary", "1h", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var tc struct{ SecretID, SecretKey, Token, Expiry string }
	if err := json.Unmarshal([]byte(out), &tc); err != nil || tc.Token == "" || !strings.HasPrefix(tc.SecretID, "AKID") {
		t.Fatalf("JSON output %q: %v", out, err)
	}
	expiry, err := time.Parse(time.RFC3339, tc.Expiry)
	if err != nil || expiry.Before(time.Now().Add(59*time.Minute)) || expiry.After(time.Now().Add(61*time.Minute)) {
		t.Fatalf("expiry %q: %v", tc.Expiry, err)
	}
	list, _, err := runKmsctl(t, context.Background(), "local", "credentials", "list", "--data", dir, "--master-key", "file")
	if err != nil || strings.Contains(list, tc.SecretID) {
		t.Fatalf("a temporary credential is listed: %v\n%s", err, list)
	}
	if _, _, err := runKmsctl(t, context.Background(), "local", "credentials", "create", "--data", dir, "--master-key", "file", "--temporary", "0s"); exitCode(err) != 2 {
		t.Fatalf("--temporary 0s: %v", err)
	}

	now := time.Now()
	srv, err := localkms.Open(localkms.Options{DataDir: dir, MasterKey: localkms.MasterKeyFile, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = "kms.localkms.internal"
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.Language = "en-US"
	c, err := kms.NewClient(common.NewTokenCredential(tc.SecretID, tc.SecretKey, tc.Token), "ap-guangzhou", cpf)
	if err != nil {
		t.Fatal(err)
	}
	c.WithHttpTransport(srv.Transport())
	if _, err := c.GetRegions(kms.NewGetRegionsRequest()); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	now = now.Add(time.Hour)
	if _, err := c.GetRegions(kms.NewGetRegionsRequest()); err == nil || !strings.Contains(err.Error(), "Code=AuthFailure.TokenFailure, Message=Token verification failed. Please check your Token is correct.") {
		t.Fatalf("after expiry: %v", err)
	}
}
