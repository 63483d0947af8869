package localkms

import (
	"testing"
	"time"

	"github.com/google/uuid"
	kms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/kms/v20190118"
)

// Conformance suite: RotateKey and the rotation fields of KeyMetadata (SDK
// v1.3.152).

func (e *env) rotateKey(id string) (*kms.RotateKeyResponseParams, error) {
	r := kms.NewRotateKeyRequest()
	r.KeyId = sp(id)
	resp, err := e.kms().RotateKey(r)
	if err != nil {
		return nil, err
	}
	return resp.Response, nil
}

func (e *env) enableRotation(id string, days uint64) {
	e.t.Helper()
	r := kms.NewEnableKeyRotationRequest()
	r.KeyId, r.RotateDays = sp(id), up(days)
	if _, err := e.kms().EnableKeyRotation(r); err != nil {
		e.t.Fatalf("EnableKeyRotation: %v", err)
	}
}

func TestRotateKey(t *testing.T) {
	forEachTransport(t, func(t *testing.T, e *env) {
		id := e.createKey("rotate-now")
		md := e.describe(id)
		if *md.RotateDays != 365 || *md.LastRotateTime != 0 || *md.KeyRotationEnabled {
			t.Fatalf("new key: RotateDays %d, LastRotateTime %d", *md.RotateDays, *md.LastRotateTime)
		}

		// Without automatic rotation the service refuses ("rotation not enabled").
		_, err := e.rotateKey(id)
		wantCode(t, err, codeRotateNotSupported)

		e.enableRotation(id, 90)
		if md := e.describe(id); *md.RotateDays != 90 {
			t.Fatalf("RotateDays after EnableKeyRotation(90) = %d", *md.RotateDays)
		}
		before := e.mustEncrypt(id, []byte("old version"), `{"k":"v"}`)
		e.clock.Advance(time.Hour)
		resp, err := e.rotateKey(id)
		must(t, err)
		if _, err := uuid.Parse(*resp.TaskId); err != nil {
			t.Fatalf("TaskId %q is not a UUID", *resp.TaskId)
		}
		now := e.clock.Now().Unix()
		md = e.describe(id)
		if int64(*md.LastRotateTime) != now || int64(*md.NextRotateTime) != now+90*86400 || *md.RotateDays != 90 {
			t.Fatalf("after RotateKey: LastRotateTime %d NextRotateTime %d (now %d)", *md.LastRotateTime, *md.NextRotateTime, now)
		}
		after := e.mustEncrypt(id, []byte("new version"), "")
		if b, _ := parseBlob(after); b.keyVersion != 2 {
			t.Fatalf("new encryptions use version %d, want 2", b.keyVersion)
		}
		if pt, _, err := e.decrypt(before, `{"k":"v"}`); err != nil || string(pt) != "old version" {
			t.Fatalf("the old version no longer decrypts: %q %v", pt, err)
		}

		// At most one rotation in 24 hours.
		e.clock.Advance(23 * time.Hour)
		_, err = e.rotateKey(id)
		wantCode(t, err, codeRotateRateLimited)
		e.clock.Advance(time.Hour)
		_, err = e.rotateKey(id)
		must(t, err)
		if b, _ := parseBlob(e.mustEncrypt(id, []byte("x"), "")); b.keyVersion != 3 {
			t.Fatalf("version after the second rotation %d, want 3", b.keyVersion)
		}

		// Keys that do not rotate, and states that do not allow it.
		ecc := e.createKey("rotate-ecc", func(r *kms.CreateKeyRequest) { r.KeyUsage = sp(usageECCSign) })
		ext := e.createKey("rotate-ext", func(r *kms.CreateKeyRequest) { r.Type = up(2) })
		disabled := e.createKey("rotate-disabled")
		e.enableRotation(disabled, 30)
		e.setState(disabled, "disable")
		tests := []struct{ name, keyID, code string }{
			{"asymmetric", ecc, codeRotateNotSupported},
			{"external", ext, codeRotateNotSupported},
			{"disabled", disabled, codeCmkStateNotSupport},
			{"unknown", "00000000-0000-4000-8000-000000000000", codeCmkNotFound},
			{"malformed", "rotate-now", codeInvalidKeyID},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.rotateKey(tc.keyID)
				wantCode(t, err, tc.code)
			})
		}
		if md := e.describe(ecc); *md.RotateDays != 0 {
			t.Fatalf("an asymmetric key reports RotateDays %d", *md.RotateDays)
		}
		if md := e.describe(ext); *md.RotateDays != 0 {
			t.Fatalf("an external key reports RotateDays %d", *md.RotateDays)
		}
	})
}

// TestRotateKeySurvivesRestart: a rotation is persisted before the answer, and
// both versions decrypt after a restart.
func TestRotateKeySurvivesRestart(t *testing.T) {
	e := newEnv(t, "inproc")
	id := e.createKey("rotate-restart")
	e.enableRotation(id, 7)
	before := e.mustEncrypt(id, []byte("v1"), "")
	_, err := e.rotateKey(id)
	must(t, err)
	after := e.mustEncrypt(id, []byte("v2"), "")
	last := e.describe(id).LastRotateTime
	e.srv.Close()

	srv, err := Open(Options{DataDir: e.dir, MasterKey: MasterKeyFile, Now: e.clock.Now})
	must(t, err)
	t.Cleanup(func() { srv.Close() })
	e.srv, e.rt = srv, srv.Transport()
	for blob, want := range map[string]string{before: "v1", after: "v2"} {
		if pt, _, err := e.decrypt(blob, ""); err != nil || string(pt) != want {
			t.Fatalf("after restart: %q %v, want %q", pt, err, want)
		}
	}
	if got := e.describe(id).LastRotateTime; *got != *last {
		t.Fatalf("LastRotateTime %d after restart, want %d", *got, *last)
	}
}
