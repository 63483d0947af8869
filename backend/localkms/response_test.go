package localkms

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"testing"
	"testing/quick"
)

// marshalResponse is the answer for result built with encoding/json alone: the
// reference the response encoder must match byte for byte.
func marshalResponse(t *testing.T, result any, requestID string) string {
	t.Helper()
	payload, err := json.Marshal(result)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := json.Marshal(requestID)
	if string(payload) == "{}" {
		return `{"Response":{"RequestId":` + string(id) + `}}`
	}
	return `{"Response":` + string(payload[:len(payload)-1]) + `,"RequestId":` + string(id) + `}}`
}

// TestResponseMatchesEncodingJSON fills the result of every action (and the
// error answer) with random values and checks that the encoder writes exactly
// what encoding/json writes.
func TestResponseMatchesEncodingJSON(t *testing.T) {
	encoders := map[string]*responseEncoder{"Error": errorEncoder}
	for name, spec := range kmsActions {
		encoders[name] = spec.result
	}
	for name, spec := range stsActions {
		encoders[name] = spec.result
	}
	rnd := rand.New(rand.NewSource(1))
	for name, enc := range encoders {
		t.Run(name, func(t *testing.T) {
			for i := range 50 {
				v, ok := quick.Value(enc.typ, rnd)
				if !ok {
					t.Fatalf("cannot generate a %s", enc.typ)
				}
				if i == 0 {
					v = reflect.New(enc.typ).Elem() // the zero result (nil slices)
				}
				p := reflect.New(enc.typ)
				p.Elem().Set(v)
				got, err := enc.encode(p.Interface(), testKeyID)
				if err != nil {
					t.Fatal(err)
				}
				if want := marshalResponse(t, p.Interface(), testKeyID); string(got) != want {
					t.Fatalf("encoder %s\nencoding/json %s", got, want)
				}
			}
		})
	}
	t.Run("escaping", func(t *testing.T) {
		for _, s := range []string{"", "plain -k- base64+/=", `"quoted" \back`, "<html>&amp;", "line\nbreak\ttab\x00", "\u2028\u2029", "中文", "bad \xff utf-8"} {
			r := &getPublicKeyResult{KeyID: s, PublicKey: s, PublicKeyPem: s}
			got, err := kmsActions["GetPublicKey"].result.encode(r, s)
			if err != nil {
				t.Fatal(err)
			}
			if want := marshalResponse(t, r, s); string(got) != want {
				t.Fatalf("%q: encoder %s, encoding/json %s", s, got, want)
			}
		}
	})
}

// TestBadResultsPanic checks that a result struct the encoder cannot write
// faithfully is refused when its action is registered.
func TestBadResultsPanic(t *testing.T) {
	wantPanics(t, func(typ reflect.Type) { newResponseEncoder(typ) }, map[string]reflect.Type{
		"omitempty": reflect.TypeFor[struct {
			A string `json:"A,omitempty"`
		}](),
	})
}
