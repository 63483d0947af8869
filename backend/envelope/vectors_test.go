package envelope_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

var update = flag.Bool("update", false, "regenerate the golden vectors in testdata/envelope and the fuzz seed corpora")

// vectorDir holds the golden vectors, shared with other packages and tools.
const vectorDir = "../../testdata/envelope"

type vectorKeySpec struct {
	id, region string
	typ        envelope.SlotType // 0 = SlotTencentKMS
}

// vectorSpec defines one golden vector. The generator is deterministic: the fake KMS
// and the salt draw from detReader streams named by the vector, so regenerating
// gives identical bytes.
type vectorSpec struct {
	name        string
	description string
	plaintext   func() []byte
	inline      bool // commit the plaintext as <name>.bin (else: generator seed only)
	keys        []vectorKeySpec
	ec          string
	creator     string
	metadata    *envelope.Metadata
	// recovery adds recoverySlot (the data key encrypted to recoveryIdentity).
	recovery bool
	// suite is the crypto suite (0 = SuiteCobblestone256).
	suite uint16
	// kmsSeed names the fake KMS's random stream ("" = the vector's own). Vectors
	// with the same keys and seed share the data key: the SM4 recovery vector uses
	// the recovery vector's, so recoveryBlob opens both.
	kmsSeed string
}

// kms returns the seed of the vector's fake KMS.
func (s vectorSpec) kms() string {
	if s.kmsSeed != "" {
		return s.kmsSeed
	}
	return "kmsenc-golden/" + s.name + "/kms"
}

const vectorCreator = "kmsdesk-golden/1"

var (
	keyGZ = vectorKeySpec{id: "5c1f7a3e-9d2b-4e8f-a1c3-000000000001", region: "ap-guangzhou"}
	keySH = vectorKeySpec{id: "5c1f7a3e-9d2b-4e8f-a1c3-000000000002", region: "ap-shanghai"}
	keyBJ = vectorKeySpec{id: "5c1f7a3e-9d2b-4e8f-a1c3-000000000003", region: "ap-beijing"}
	// keyLocal lives in the local KMS instance 7d0e5c2a-… (slot type 3).
	keyLocal = vectorKeySpec{id: "5c1f7a3e-9d2b-4e8f-a1c3-000000000004", region: envelope.LocalRegion("7d0e5c2a-1b3c-4d5e-8f60-718293a4b5c6", "ap-guangzhou"), typ: envelope.SlotLocalKMS}
)

// The offline recovery key of the "recovery" vector (a test value that protects
// nothing) and the age file holding that vector's data key, made once with it: age
// encryption is randomised, so the slot's bytes are fixed here.
const (
	recoveryIdentity = "AGE-SECRET-KEY-18CZJ8KK78CZVMDLA5LFEWY2GLSGW9DM8MDH4FGSD7T72ED9VDA6SVNFQ73"
	recoveryBlob     = "YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBrREJwVVFSSkxuNUxIYUJySjZmeTI4NzYySVdiWUhZV2N4UmM0VmszZXdJCmorbWhkbUNnR21CanBtdGFPdGp3SDdqWENrWnFPMUhncVNwbEtnS0dyT0EKLS0tIFZZYk0xTS8ySXFTNk1MSFN5TnBhMCtiQlRjZkhrZTNER0lSUE01TjYyL0UKqu3tiAZISnJ2YND3KaOnVv4pFafYNaLFOqleZWNtY7BzDPavY/rnW2LEj8tfpzioVZidD7VKNCPLHvStc/pDaQ=="
)

func plaintextSeed(name string) string { return "kmsenc-golden/" + name + "/plaintext" }

func generated(name string, n int) func() []byte {
	return func() []byte { return detBytes(plaintextSeed(name), n) }
}

var vectorSpecs = []vectorSpec{
	{name: "empty", description: "empty plaintext: one empty final chunk", plaintext: func() []byte { return nil }, inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator},
	{name: "one-byte", description: "a single byte 0x41", plaintext: func() []byte { return []byte("A") }, inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator},
	{name: "chunk-exact", description: "exactly 16 KiB: one full chunk and an empty final chunk", plaintext: generated("chunk-exact", envelope.ChunkSize), inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator},
	{name: "chunk-plus-one", description: "16 KiB + 1: one full chunk and a 1-byte final chunk", plaintext: generated("chunk-plus-one", envelope.ChunkSize+1), inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator},
	{name: "mib-plus-seven", description: "1 MiB + 7 bytes: 64 full chunks and a 7-byte final chunk (plaintext not committed: regenerate from plaintext_seed)", plaintext: generated("mib-plus-seven", 1<<20+7), keys: []vectorKeySpec{keyGZ}, creator: vectorCreator},
	{name: "three-slots", description: "primary key in ap-guangzhou, backup keys in ap-shanghai and ap-beijing", plaintext: generated("three-slots", 20000), inline: true, keys: []vectorKeySpec{keyGZ, keySH, keyBJ}, creator: vectorCreator},
	{name: "context", description: "with an EncryptionContext stored verbatim", plaintext: func() []byte { return []byte("hello, encryption context\n") }, inline: true, keys: []vectorKeySpec{keyGZ}, ec: `{"project":"kmsdesk","purpose":"golden-vector"}`, creator: vectorCreator},
	{name: "recovery", description: "a KMS slot and an offline recovery slot (type 2, age X25519); recovery_identity opens it without KMS", plaintext: generated("recovery", 5000), inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator, recovery: true},
	{name: "local", description: "a local-KMS slot (type 3): region field \"<instance id>/<region>\"", plaintext: func() []byte { return []byte("made with the local KMS\n") }, inline: true, keys: []vectorKeySpec{keyLocal}, creator: vectorCreator},
	{name: "metadata", description: "with an encrypted metadata record (flag bit 0)", plaintext: generated("metadata", 3000), inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator, metadata: &envelope.Metadata{
		Name: "季度报告 Q1.pdf", Size: 3000, ModTime: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), Mode: 0o640 | fs.ModeSetgid,
	}},
	{name: "metadata-multi-chunk", description: "300 000 bytes with an encrypted metadata record: 18 full chunks and a 6 112-byte final chunk (two 256 KiB engine units); a cut after chunk 0 is Truncated, told by the record's size (plaintext not committed: regenerate from plaintext_seed)", plaintext: generated("metadata-multi-chunk", 300000), keys: []vectorKeySpec{keyGZ}, creator: vectorCreator, metadata: &envelope.Metadata{
		Name: "合同 2026.pdf", Size: 300000, ModTime: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC), Mode: 0o644,
	}},

	// Suite 0x0002 (SM4-GCM, HKDF-SM3, HMAC-SM3).
	{name: "sm4-empty", description: "suite 0x0002: empty plaintext, one empty final chunk", plaintext: func() []byte { return nil }, inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator, suite: envelope.SuiteSM4GCMSM3},
	{name: "sm4-one-byte", description: "suite 0x0002: a single byte 0x41", plaintext: func() []byte { return []byte("A") }, inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator, suite: envelope.SuiteSM4GCMSM3},
	{name: "sm4-chunk-exact", description: "suite 0x0002: exactly 16 KiB, a full chunk and an empty final chunk", plaintext: generated("sm4-chunk-exact", envelope.ChunkSize), inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator, suite: envelope.SuiteSM4GCMSM3},
	{name: "sm4-multi-chunk", description: "suite 0x0002: 300 000 bytes (18 full chunks and a 5 088-byte final chunk, two 256 KiB engine units), two KMS slots and an EncryptionContext (plaintext not committed: regenerate from plaintext_seed)", plaintext: generated("sm4-multi-chunk", 300000), keys: []vectorKeySpec{keyGZ, keySH}, ec: `{"project":"kmsdesk","suite":"sm4"}`, creator: vectorCreator, suite: envelope.SuiteSM4GCMSM3},
	{name: "sm4-metadata", description: "suite 0x0002: with an encrypted metadata record (flag bit 0)", plaintext: generated("sm4-metadata", 3000), inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator, suite: envelope.SuiteSM4GCMSM3, metadata: &envelope.Metadata{
		Name: "国密 报告.docx", Size: 3000, ModTime: time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC), Mode: 0o600,
	}},
	{name: "sm4-recovery", description: "suite 0x0002: a KMS slot and an offline recovery slot (type 2, age X25519; the recovery vector's data key and age file); recovery_identity opens it without KMS", plaintext: generated("sm4-recovery", 5000), inline: true, keys: []vectorKeySpec{keyGZ}, creator: vectorCreator, recovery: true, suite: envelope.SuiteSM4GCMSM3, kmsSeed: "kmsenc-golden/recovery/kms"},
}

// vectorFile is the JSON companion of a golden vector.
type vectorFile struct {
	Name              string       `json:"name"`
	Description       string       `json:"description"`
	Suite             int          `json:"suite,omitempty"`
	Ciphertext        string       `json:"ciphertext"`
	CiphertextSize    int64        `json:"ciphertext_size"`
	CiphertextSHA256  string       `json:"ciphertext_sha256"`
	HeaderSize        int          `json:"header_size"`
	PlaintextFile     string       `json:"plaintext_file,omitempty"`
	PlaintextSeed     string       `json:"plaintext_seed,omitempty"`
	PlaintextSize     int64        `json:"plaintext_size"`
	PlaintextSHA256   string       `json:"plaintext_sha256"`
	DataKey           string       `json:"data_key"`
	EncryptionContext string       `json:"encryption_context"`
	Creator           string       `json:"creator"`
	Keys              []vectorKey  `json:"keys"`
	RecoveryIdentity  string       `json:"recovery_identity,omitempty"`
	Metadata          *vectorMeta  `json:"metadata,omitempty"`
	KMSSeed           string       `json:"kms_seed"`
	SaltSeed          string       `json:"salt_seed"`
	Derived           refDerivedJS `json:"derived"`
}

type vectorKey struct {
	Type      int    `json:"type,omitempty"`
	KeyID     string `json:"key_id"`
	Region    string `json:"region"`
	MasterKey string `json:"master_key"`
}

type vectorMeta struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	ModTime string `json:"mtime"`
	Mode    string `json:"mode"`
}

// refDerivedJS records the key schedule outputs (hex) for the worked example.
type refDerivedJS struct {
	Salt       string `json:"salt"`
	PayloadKey string `json:"payload_key"`
	BaseNonce  string `json:"base_nonce"`
	Commitment string `json:"commitment"`
	MACKey     string `json:"mac_key"`
	MAC        string `json:"header_mac"`
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// batchKey builds the vector's DataKey (and the fake KMS holding its keys)
// deterministically.
func batchKey(t testing.TB, spec vectorSpec) (*envelope.DataKey, *fakeKMS, []vectorKey) {
	t.Helper()
	kms := newFakeKMS(newDetReader(spec.kms()))
	var keys []vectorKey
	var refs []envelope.KeyRef
	for _, k := range spec.keys {
		m := kms.addKey(k.id, k.region)
		keys = append(keys, vectorKey{Type: int(k.typ), KeyID: k.id, Region: k.region, MasterKey: hex.EncodeToString(m)})
		refs = append(refs, envelope.KeyRef{Type: k.typ, Region: k.region, KeyID: k.id})
	}
	dk, err := envelope.NewDataKey(context.Background(), kms, refs[0], refs[1:], spec.ec)
	if err != nil {
		t.Fatalf("NewDataKey: %v", err)
	}
	if spec.recovery {
		ids, err := envelope.ParseIdentities(strings.NewReader(recoveryIdentity))
		must(t, err)
		dk.AppendSlotForTest(envelope.Slot{Type: envelope.SlotRecovery, KeyID: ids[0].Recipient().KeyID(), WrappedKey: recoveryBlob})
	}
	return dk, kms, keys
}

// buildVector regenerates a golden vector from its spec.
func buildVector(t testing.TB, spec vectorSpec, workers int) ([]byte, []byte, vectorFile) {
	t.Helper()
	dk, kms, keys := batchKey(t, spec)
	defer dk.Destroy()
	pt := spec.plaintext()
	var out bytes.Buffer
	h, err := envelope.Encrypt(context.Background(), &out, bytes.NewReader(pt), dk, envelope.EncryptOptions{
		Suite:    spec.suite,
		Metadata: spec.metadata,
		Creator:  spec.creator,
		Workers:  workers,
		Rand:     newDetReader("kmsenc-golden/" + spec.name + "/salt"),
	})
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	dek, _, err := kms.UnwrapKey(context.Background(), h.Slots[0], h.EncryptionContext)
	if err != nil {
		t.Fatalf("unwrap slot 0: %v", err)
	}
	file := out.Bytes()
	_, d, err := refDecrypt(file, dek)
	if err != nil {
		t.Fatalf("reference decrypt of the new vector: %v", err)
	}
	vf := vectorFile{
		Name:              spec.name,
		Description:       spec.description,
		Suite:             int(spec.suite),
		Ciphertext:        spec.name + ".kmsenc",
		CiphertextSize:    int64(len(file)),
		CiphertextSHA256:  sha256hex(file),
		HeaderSize:        h.Len(),
		PlaintextSize:     int64(len(pt)),
		PlaintextSHA256:   sha256hex(pt),
		DataKey:           hex.EncodeToString(dek),
		EncryptionContext: spec.ec,
		Creator:           spec.creator,
		Keys:              keys,
		KMSSeed:           spec.kms(),
		SaltSeed:          "kmsenc-golden/" + spec.name + "/salt",
		Derived:           d.js(),
	}
	if spec.recovery {
		vf.RecoveryIdentity = recoveryIdentity
	}
	if spec.inline {
		vf.PlaintextFile = spec.name + ".bin"
	} else {
		vf.PlaintextSeed = plaintextSeed(spec.name)
	}
	if m := spec.metadata; m != nil {
		vf.Metadata = &vectorMeta{Name: m.Name, Size: m.Size, ModTime: m.ModTime.Format(time.RFC3339Nano), Mode: fmt.Sprintf("%#o", envelope.PosixMode(m.Mode))}
	}
	return file, pt, vf
}

func writeVectors(t *testing.T) {
	t.Helper()
	if err := os.MkdirAll(vectorDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, spec := range vectorSpecs {
		file, pt, vf := buildVector(t, spec, 1)
		js, err := json.MarshalIndent(vf, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		must(t, os.WriteFile(filepath.Join(vectorDir, vf.Ciphertext), file, 0o644))
		must(t, os.WriteFile(filepath.Join(vectorDir, spec.name+".json"), append(js, '\n'), 0o644))
		if spec.inline {
			must(t, os.WriteFile(filepath.Join(vectorDir, vf.PlaintextFile), pt, 0o644))
		}
	}
	writeFuzzCorpus(t)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// loadVector reads a committed vector: its JSON, ciphertext and plaintext.
func loadVector(t testing.TB, name string) (vectorFile, []byte, []byte) {
	t.Helper()
	js, err := os.ReadFile(filepath.Join(vectorDir, name+".json"))
	must(t, err)
	var vf vectorFile
	must(t, json.Unmarshal(js, &vf))
	file, err := os.ReadFile(filepath.Join(vectorDir, vf.Ciphertext))
	must(t, err)
	var pt []byte
	if vf.PlaintextFile != "" {
		pt, err = os.ReadFile(filepath.Join(vectorDir, vf.PlaintextFile))
		must(t, err)
	} else {
		pt = detBytes(vf.PlaintextSeed, int(vf.PlaintextSize))
	}
	if got := sha256hex(pt); got != vf.PlaintextSHA256 {
		t.Fatalf("plaintext of %s: sha256 %s, json says %s", name, got, vf.PlaintextSHA256)
	}
	if got := sha256hex(file); got != vf.CiphertextSHA256 {
		t.Fatalf("ciphertext of %s: sha256 %s, json says %s", name, got, vf.CiphertextSHA256)
	}
	return vf, file, pt
}

// kmsFromVector builds a fake KMS holding exactly the vector's master keys.
func kmsFromVector(t testing.TB, vf vectorFile) *fakeKMS {
	t.Helper()
	kms := newFakeKMS(nil)
	for _, k := range vf.Keys {
		m, err := hex.DecodeString(k.MasterKey)
		must(t, err)
		kms.addKeyMaterial(k.KeyID, k.Region, m)
	}
	return kms
}

// vectorUnwrapper opens the vector's KMS slots with kms and its recovery slot, if it has
// one, with the vector's recovery identity.
func vectorUnwrapper(t testing.TB, vf vectorFile, kms *fakeKMS) envelope.Unwrapper {
	t.Helper()
	u := unwrappers{kms: kms}
	if vf.RecoveryIdentity != "" {
		ids, err := envelope.ParseIdentities(strings.NewReader(vf.RecoveryIdentity))
		must(t, err)
		u.ids = ids
	}
	return u
}

func TestVectors(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	for _, spec := range vectorSpecs {
		t.Run(spec.name, func(t *testing.T) {
			t.Parallel()
			vf, file, pt := loadVector(t, spec.name)

			t.Run("decrypt", func(t *testing.T) {
				for _, workers := range []int{1, 3} {
					kms := kmsFromVector(t, vf)
					var out bytes.Buffer
					res, err := envelope.Decrypt(context.Background(), &out, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: kms, Workers: workers})
					if err != nil {
						t.Fatalf("workers=%d: Decrypt: %v", workers, err)
					}
					if !bytes.Equal(out.Bytes(), pt) {
						t.Fatalf("workers=%d: plaintext differs (got %d bytes, want %d)", workers, out.Len(), len(pt))
					}
					if res.PlaintextSize != vf.PlaintextSize {
						t.Errorf("PlaintextSize = %d, want %d", res.PlaintextSize, vf.PlaintextSize)
					}
					if res.Slot.KeyID != vf.Keys[0].KeyID || res.Slot.Region != vf.Keys[0].Region {
						t.Errorf("unwrapped with slot %+v, want the primary %s", res.Slot, vf.Keys[0].KeyID)
					}
					checkVectorMetadata(t, vf, res.Metadata)
					if _, _, unwraps := kms.calls(); unwraps != 1 {
						t.Errorf("%d KMS unwrap calls, want 1", unwraps)
					}
				}
			})

			t.Run("recovery", func(t *testing.T) {
				if vf.RecoveryIdentity == "" {
					return
				}
				ids, err := envelope.ParseIdentities(strings.NewReader(vf.RecoveryIdentity))
				must(t, err)
				var out bytes.Buffer
				res, err := envelope.Decrypt(context.Background(), &out, bytes.NewReader(file), envelope.DecryptOptions{Unwrapper: envelope.RecoveryUnwrapper(ids), PreferRecovery: true})
				if err != nil || !bytes.Equal(out.Bytes(), pt) || res.Slot.Type != envelope.SlotRecovery {
					t.Fatalf("decrypt with the recovery key alone: %v", err)
				}
			})

			t.Run("reference", func(t *testing.T) {
				dek, err := hex.DecodeString(vf.DataKey)
				must(t, err)
				stream, d, err := refDecrypt(file, dek)
				if err != nil {
					t.Fatalf("reference decrypt: %v", err)
				}
				if d.js() != vf.Derived {
					t.Errorf("derived values %+v, json says %+v", d.js(), vf.Derived)
				}
				if vf.Metadata != nil {
					if len(stream) < envelope.MetadataSize {
						t.Fatalf("stream of %d bytes has no metadata record", len(stream))
					}
					rec := stream[:envelope.MetadataSize]
					n := int(rec[26])<<8 | int(rec[27])
					if rec[0] != 1 || string(rec[28:28+n]) != vf.Metadata.Name {
						t.Errorf("metadata record does not hold the name %q", vf.Metadata.Name)
					}
					stream = stream[envelope.MetadataSize:]
				}
				if !bytes.Equal(stream, pt) {
					t.Errorf("reference plaintext differs")
				}
			})

			t.Run("reencrypt", func(t *testing.T) {
				for _, workers := range []int{1, 4} {
					again, _, vf2 := buildVector(t, spec, workers)
					if !bytes.Equal(again, file) {
						t.Fatalf("workers=%d: re-encryption differs from the golden vector (%d vs %d bytes): the format drifted", workers, len(again), len(file))
					}
					if vf2.DataKey != vf.DataKey {
						t.Fatalf("regenerated data key differs")
					}
				}
			})

			t.Run("header", func(t *testing.T) {
				h, n, err := envelope.ParseHeader(file)
				if err != nil {
					t.Fatalf("ParseHeader: %v", err)
				}
				if n != vf.HeaderSize || h.Len() != n {
					t.Errorf("header size %d (Len %d), want %d", n, h.Len(), vf.HeaderSize)
				}
				if !bytes.Equal(h.Marshal(), file[:n]) {
					t.Errorf("Marshal(ParseHeader(file)) differs from the file's header")
				}
				ih, err := envelope.Inspect(bytes.NewReader(file))
				if err != nil {
					t.Fatalf("Inspect: %v", err)
				}
				if !bytes.Equal(ih.Marshal(), file[:n]) {
					t.Errorf("Inspect header differs")
				}
				wantSlots := len(vf.Keys)
				if vf.RecoveryIdentity != "" {
					wantSlots++
				}
				if want := uint16(max(vf.Suite, 1)); ih.Suite != want {
					t.Errorf("Inspect: suite 0x%04x, want 0x%04x", ih.Suite, want)
				}
				if ih.EncryptionContext != vf.EncryptionContext || ih.Creator != vf.Creator || len(ih.Slots) != wantSlots {
					t.Fatalf("Inspect = ec %q creator %q %d slots; want %q %q %d", ih.EncryptionContext, ih.Creator, len(ih.Slots), vf.EncryptionContext, vf.Creator, wantSlots)
				}
				for i, k := range vf.Keys {
					s, typ := ih.Slots[i], envelope.SlotType(max(k.Type, 1))
					if s.Type != typ || s.KeyID != k.KeyID || s.Region != k.Region {
						t.Errorf("slot %d = %+v, want type %d key %s in %s", i, s, typ, k.KeyID, k.Region)
					}
				}
				if hex.EncodeToString(ih.Salt[:]) != vf.Derived.Salt || hex.EncodeToString(ih.MAC[:]) != vf.Derived.MAC || hex.EncodeToString(ih.Commitment[:]) != vf.Derived.Commitment {
					t.Errorf("salt/MAC/commitment in the header differ from the derived values")
				}
				size, err := envelope.PlaintextSize(int64(len(file)), h)
				if err != nil || size != vf.PlaintextSize {
					t.Errorf("PlaintextSize = %d, %v; want %d", size, err, vf.PlaintextSize)
				}
				if !envelope.IsEnvelope(file) {
					t.Errorf("IsEnvelope = false")
				}
			})
		})
	}
}

func checkVectorMetadata(t *testing.T, vf vectorFile, m *envelope.Metadata) {
	t.Helper()
	if vf.Metadata == nil {
		if m != nil {
			t.Errorf("Metadata = %+v, want nil", m)
		}
		return
	}
	if m == nil {
		t.Fatalf("Metadata = nil, want %+v", vf.Metadata)
	}
	mt, err := time.Parse(time.RFC3339Nano, vf.Metadata.ModTime)
	must(t, err)
	if m.Name != vf.Metadata.Name || m.Size != vf.Metadata.Size || !m.ModTime.Equal(mt) || fmt.Sprintf("%#o", envelope.PosixMode(m.Mode)) != vf.Metadata.Mode {
		t.Errorf("Metadata = %+v, want %+v", m, vf.Metadata)
	}
}
