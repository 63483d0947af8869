package envelope_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
)

// Encrypt a batch of files under one data key: one KMS GenerateDataKey for the
// primary key plus one KMS Encrypt per backup key, however many files follow.
func ExampleEncrypt() {
	ctx := context.Background()
	// kms is a KeyWrapper backed by Tencent Cloud KMS in the app (backend/jobs);
	// here it is the in-memory stand-in the tests use.
	kms := newTestKMS()
	dk, err := envelope.NewDataKey(ctx, kms,
		envelope.KeyRef{Region: "ap-guangzhou", KeyID: "key-gz"},
		[]envelope.KeyRef{{Region: "ap-shanghai", KeyID: "key-sh"}},
		`{"purpose":"example"}`)
	if err != nil {
		log.Fatal(err)
	}
	defer dk.Destroy()

	for _, text := range []string{"first file", "second file"} {
		var out bytes.Buffer
		h, err := envelope.Encrypt(ctx, &out, strings.NewReader(text), dk, envelope.EncryptOptions{
			Creator:  "kmsdesk/example",
			Metadata: &envelope.Metadata{Name: "note.txt", Size: int64(len(text))},
		})
		if err != nil {
			log.Fatal(err)
		}
		size, _ := envelope.PlaintextSize(int64(out.Len()), h)
		fmt.Printf("%d slots (%s, %s), %d bytes of plaintext\n", len(h.Slots), h.Slots[0].Region, h.Slots[1].Region, size)
	}
	gen, wrap, _ := kms.calls()
	fmt.Printf("KMS calls: %d GenerateDataKey, %d Encrypt\n", gen, wrap)
	// Output:
	// 2 slots (ap-guangzhou, ap-shanghai), 10 bytes of plaintext
	// 2 slots (ap-guangzhou, ap-shanghai), 11 bytes of plaintext
	// KMS calls: 1 GenerateDataKey, 1 Encrypt
}

// Decrypt a file, requiring a value in its encryption context, and restore its
// metadata.
func ExampleDecrypt() {
	ctx := context.Background()
	kms := newTestKMS()
	dk, err := envelope.NewDataKey(ctx, kms, envelope.KeyRef{Region: "ap-guangzhou", KeyID: "key-gz"}, nil, `{"project":"apollo"}`)
	if err != nil {
		log.Fatal(err)
	}
	defer dk.Destroy()
	var file bytes.Buffer
	meta := &envelope.Metadata{Name: "plan.md", Size: 12, ModTime: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Mode: 0o600}
	if _, err := envelope.Encrypt(ctx, &file, strings.NewReader("launch at 9\n"), dk, envelope.EncryptOptions{Metadata: meta}); err != nil {
		log.Fatal(err)
	}

	var plain bytes.Buffer
	res, err := envelope.Decrypt(ctx, &plain, &file, envelope.DecryptOptions{
		Unwrapper:      kms,
		RequireContext: map[string]string{"project": "apollo"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q from %s, %s %v\n", plain.String(), res.Slot.KeyID, res.Metadata.Name, res.Metadata.Mode)
	// Output:
	// "launch at 9\n" from key-gz, plan.md -rw-------
}

// Inspect a file's header without a key or a KMS call.
func ExampleInspect() {
	f, err := os.Open("../../testdata/envelope/three-slots.kmsenc")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	h, err := envelope.Inspect(f)
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range h.Slots {
		fmt.Println(s.Region, s.KeyID)
	}
	// Output:
	// ap-guangzhou 5c1f7a3e-9d2b-4e8f-a1c3-000000000001
	// ap-shanghai 5c1f7a3e-9d2b-4e8f-a1c3-000000000002
	// ap-beijing 5c1f7a3e-9d2b-4e8f-a1c3-000000000003
}
