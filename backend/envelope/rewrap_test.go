package envelope_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// unwrappers tries a KMS for KMS slots and recovery identities for recovery slots, as
// backend/jobs does.
type unwrappers struct {
	kms *fakeKMS
	ids []envelope.Identity
}

func (u unwrappers) UnwrapKey(ctx context.Context, s envelope.Slot, ec string) ([]byte, string, error) {
	if s.Type == envelope.SlotRecovery {
		return envelope.UnwrapRecovery(s, u.ids)
	}
	return u.kms.UnwrapKey(ctx, s, ec)
}

func newRecoveryKey(t testing.TB, pq bool) (envelope.Identity, envelope.Recipient) {
	t.Helper()
	id, err := envelope.GenerateIdentity(pq)
	if err != nil {
		t.Fatal(err)
	}
	return id, id.Recipient()
}

func decryptWith(t testing.TB, u envelope.Unwrapper, ct []byte, preferRecovery bool) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	_, err := envelope.Decrypt(context.Background(), &out, bytes.NewReader(ct), envelope.DecryptOptions{Unwrapper: u, PreferRecovery: preferRecovery})
	return out.Bytes(), err
}

func rewrap(t testing.TB, ct []byte, opts envelope.RewrapOptions) ([]byte, *envelope.RewrapResult, error) {
	t.Helper()
	var out bytes.Buffer
	res, err := envelope.Rewrap(context.Background(), &out, bytes.NewReader(ct), opts)
	return out.Bytes(), res, err
}

// payload is everything after the header body and MAC: salt, commitment and chunks.
func payload(t testing.TB, ct []byte) []byte {
	t.Helper()
	h, err := envelope.Inspect(bytes.NewReader(ct))
	if err != nil {
		t.Fatal(err)
	}
	return ct[h.Len()-envelope.SaltSize-envelope.CommitmentSize:]
}

func TestRecoverySlotsOpenWithoutKMS(t *testing.T) {
	for _, pq := range []bool{false, true} {
		t.Run(map[bool]string{false: "x25519", true: "hybrid"}[pq], func(t *testing.T) {
			kms := newTestKMS()
			id, rc := newRecoveryKey(t, pq)
			dk := newTestDataKey(t, kms, nil, `{"team":"legal"}`)
			if err := dk.AddRecovery(rc); err != nil {
				t.Fatal(err)
			}
			pt := detBytes("recovery", 70000)
			ct, h := encryptBytes(t, dk, pt, envelope.EncryptOptions{Metadata: &envelope.Metadata{Name: "a.txt", Size: int64(len(pt))}})
			if len(h.Slots) != 2 || h.Slots[1].Type != envelope.SlotRecovery || h.Slots[1].KeyID != rc.KeyID() || !strings.HasPrefix(rc.KeyID(), "age:") {
				t.Fatalf("slots %+v", h.Slots)
			}
			// The KMS is gone: every KMS call fails.
			kms.setDisabled(refGZ.KeyID, true)
			_, _, before := kms.calls()
			got, err := decryptWith(t, unwrappers{kms, []envelope.Identity{id}}, ct, true)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("recovery decrypt: %v", err)
			}
			if _, _, after := kms.calls(); after != before {
				t.Fatalf("%d KMS calls were made although the recovery key matched", after-before)
			}
			// In file order the KMS slot fails first and the recovery slot opens it.
			if got, err := decryptWith(t, unwrappers{kms, []envelope.Identity{id}}, ct, false); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("file order: %v", err)
			}
			// Without the identity the KMS error (the first slot's) is reported.
			if _, err := decryptWith(t, unwrappers{kms, nil}, ct, false); errorCode(err) != codeCmkDisabled {
				t.Fatalf("no identity: %v", err)
			}
			// Another recovery key does not open it.
			other, _ := newRecoveryKey(t, pq)
			if _, err := decryptWith(t, envelope.RecoveryUnwrapper([]envelope.Identity{other}), ct, true); !errors.Is(err, envelope.ErrRecoveryKeyNeeded) {
				t.Fatalf("wrong identity: %v", err)
			}
		})
	}
}

func TestParseRecoveryKeys(t *testing.T) {
	id, rc := newRecoveryKey(t, false)
	file := "# created: 2026-12-04\n# public key: " + rc.String() + "\n\n" + id.String() + "\n"
	ids, err := envelope.ParseIdentities(strings.NewReader(file))
	if err != nil || len(ids) != 1 || ids[0].Recipient().String() != rc.String() {
		t.Fatalf("parse %v %v", ids, err)
	}
	if r2, err := envelope.ParseRecipient("  " + rc.String() + "\n"); err != nil || r2.KeyID() != rc.KeyID() {
		t.Fatalf("recipient %v %v", r2, err)
	}
	secret := "AGE-SECRET-KEY-1QQQQ-not-a-key"
	for _, bad := range []string{"", "# only a comment\n", secret, "ssh-ed25519 AAAA", strings.Repeat("x", envelope.MaxIdentityFileSize+1)} {
		_, err := envelope.ParseIdentities(strings.NewReader(bad))
		if !errors.Is(err, envelope.ErrInvalidRecoveryKey) || strings.Contains(err.Error(), "QQQQ") {
			t.Errorf("%.20q: %v", bad, err)
		}
	}
	for _, bad := range []string{"", "age1xyz", "AGE-SECRET-KEY-1", "age1pq1broken"} {
		if _, err := envelope.ParseRecipient(bad); !errors.Is(err, envelope.ErrInvalidRecoveryKey) {
			t.Errorf("recipient %q: %v", bad, err)
		}
	}
}

func TestRewrap(t *testing.T) {
	for _, suite := range []uint16{envelope.SuiteCobblestone256, envelope.SuiteSM4GCMSM3} {
		t.Run(fmt.Sprintf("suite=%d", suite), func(t *testing.T) { testRewrap(t, suite) })
	}
}

// testRewrap re-wraps a file of suite; the suite, like the payload, stays.
func testRewrap(t *testing.T, suite uint16) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, []envelope.KeyRef{refSH}, `{"team":"legal"}`)
	pt := detBytes("rewrap", 3*envelope.ChunkSize+5)
	ct, h := encryptBytes(t, dk, pt, envelope.EncryptOptions{Creator: "kmsdesk-test/1", Suite: suite})
	id, rc := newRecoveryKey(t, false)

	// Move to key-bj: every KMS slot replaced by one under the new key, plus a
	// recovery key. One KMS Decrypt, one Encrypt.
	_, wrapBefore, unwrapBefore := kms.calls()
	moved, res, err := rewrap(t, ct, envelope.RewrapOptions{
		Unwrapper: kms, Wrapper: &router{fakeKMS: kms}, Keep: func(s envelope.Slot) bool { return !s.IsKMS() },
		Add: []envelope.KeyRef{refBJ}, AddRecovery: []envelope.Recipient{rc},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, wrap, unwrap := kms.calls(); wrap-wrapBefore != 1 || unwrap-unwrapBefore != 1 {
		t.Fatalf("%d wraps, %d unwraps", wrap-wrapBefore, unwrap-unwrapBefore)
	}
	if len(res.New.Slots) != 2 || res.New.Slots[0].KeyID != refBJ.KeyID || res.New.Slots[0].Region != refBJ.Region ||
		res.New.Slots[1].Type != envelope.SlotRecovery || res.PlaintextSize != int64(len(pt)) || res.Old.MAC != h.MAC {
		t.Fatalf("new header %+v", res.New.Slots)
	}
	if !bytes.Equal(payload(t, moved), payload(t, ct)) {
		t.Fatal("the payload bytes changed")
	}
	if res.New.Creator != h.Creator || res.New.EncryptionContext != h.EncryptionContext || res.New.Salt != h.Salt {
		t.Fatal("context, creator or salt changed")
	}
	if res.New.Suite != suite || !bytes.Equal(moved[9:11], ct[9:11]) {
		t.Fatalf("suite changed to 0x%04x", res.New.Suite)
	}
	// The old keys no longer open it; the new key and the recovery key do.
	kms.setDisabled(refBJ.KeyID, true)
	if _, err := decryptWith(t, kms, moved, false); errorCode(err) != codeCmkDisabled {
		t.Fatalf("old keys must not open the moved file: %v", err)
	}
	if got, err := decryptWith(t, envelope.RecoveryUnwrapper([]envelope.Identity{id}), moved, true); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("recovery after rewrap: %v", err)
	}
	kms.setDisabled(refBJ.KeyID, false)
	if got, err := decryptWith(t, kms, moved, false); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("new key after rewrap: %v", err)
	}

	// Adding a key that is there already changes nothing but the MAC inputs.
	again, res2, err := rewrap(t, moved, envelope.RewrapOptions{Unwrapper: kms, Wrapper: &router{fakeKMS: kms}, Add: []envelope.KeyRef{refBJ}, AddRecovery: []envelope.Recipient{rc}})
	if err != nil || len(res2.New.Slots) != 2 || !bytes.Equal(again, moved) {
		t.Fatalf("idempotent add: %v %+v", err, res2)
	}

	// Removing the last way to open it is refused before anything is written.
	var out bytes.Buffer
	_, err = envelope.Rewrap(context.Background(), &out, bytes.NewReader(moved), envelope.RewrapOptions{Unwrapper: kms, Keep: func(envelope.Slot) bool { return false }})
	if !errors.Is(err, envelope.ErrLastSlot) || out.Len() != 0 {
		t.Fatalf("last slot: %v, %d bytes written", err, out.Len())
	}

	// A header changed after the re-wrap is refused by Decrypt (the MAC covers it).
	tampered := append([]byte(nil), moved...)
	i := bytes.Index(tampered, []byte("kmsdesk-test/1"))
	tampered[i] = 'K'
	if got, err := decryptWith(t, kms, tampered, false); errorCode(err) != envelope.CodeAuthenticationFailed || len(got) != 0 {
		t.Fatalf("a tampered header: %v", err)
	}
}

func TestRewrapRefusesDamagedFiles(t *testing.T) {
	kms := newTestKMS()
	dk := newTestDataKey(t, kms, nil, "")
	ct, _ := encryptBytes(t, dk, detBytes("damaged", 2*envelope.ChunkSize), envelope.EncryptOptions{})
	for name, mutate := range map[string]func([]byte) []byte{
		"last chunk flipped": func(b []byte) []byte { b[len(b)-3] ^= 1; return b },
		"truncated":          func(b []byte) []byte { return b[:len(b)-envelope.SealedChunkSize] },
		"mac flipped": func(b []byte) []byte {
			h, _ := envelope.Inspect(bytes.NewReader(b))
			b[h.Len()-envelope.SaltSize-envelope.CommitmentSize-1] ^= 1
			return b
		},
	} {
		bad := mutate(append([]byte(nil), ct...))
		_, _, err := rewrap(t, bad, envelope.RewrapOptions{Unwrapper: kms, Wrapper: &router{fakeKMS: kms}, Add: []envelope.KeyRef{refSH}})
		if code := errorCode(err); code != envelope.CodeAuthenticationFailed && code != envelope.CodeTruncated {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLocalKMSSlots(t *testing.T) {
	kms := newFakeKMS(nil)
	local := envelope.KeyRef{Type: envelope.SlotLocalKMS, Region: envelope.LocalRegion("5f1c2d3e-0000-4000-8000-000000000001", "ap-guangzhou"), KeyID: "key-local"}
	kms.addKey(local.KeyID, local.Region)
	dk, err := envelope.NewDataKey(context.Background(), kms, local, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Destroy()
	ct, h := encryptBytes(t, dk, []byte("made here"), envelope.EncryptOptions{})
	s := h.Slots[0]
	inst, region, ok := envelope.SplitLocalRegion(s.Region)
	if s.Type != envelope.SlotLocalKMS || !s.IsKMS() || !ok || inst != "5f1c2d3e-0000-4000-8000-000000000001" || region != "ap-guangzhou" {
		t.Fatalf("slot %+v", s)
	}
	if got, err := decryptWith(t, kms, ct, false); err != nil || string(got) != "made here" {
		t.Fatalf("decrypt: %v", err)
	}
	if _, _, ok := envelope.SplitLocalRegion("ap-guangzhou"); ok {
		t.Fatal("a plain region has no instance id")
	}
}
