package localkms

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Response encoding is driven by the json tags of an action's result struct. An
// encoder built once per result type writes the whole answer,
//
//	{"Response":{<the result's members>,"RequestId":"<id>"}}
//
// byte for byte as encoding/json would, but appends string, bool, int64 and
// uint64 members directly; a member of any other type is marshalled by
// encoding/json.

// memberKind says how a result member is written.
type memberKind uint8

const (
	memberJSON memberKind = iota // encoding/json
	memberString
	memberBool
	memberInt
	memberUint
)

// member is one top-level member of a result.
type member struct {
	key   []byte // `"Name":`
	index int    // of the struct field
	kind  memberKind
}

// responseEncoder writes the answers of one result struct type.
type responseEncoder struct {
	typ     reflect.Type
	members []member
}

var memberKinds = map[reflect.Type]memberKind{
	reflect.TypeFor[string](): memberString,
	reflect.TypeFor[bool]():   memberBool,
	reflect.TypeFor[int64]():  memberInt,
	reflect.TypeFor[uint64](): memberUint,
}

// newResponseEncoder builds the encoder of the result struct type t. Every field
// must carry a plain json:"Name" tag; anything else is a programming error and
// panics (at package initialisation, see act).
func newResponseEncoder(t reflect.Type) *responseEncoder {
	if t.Kind() != reflect.Struct {
		panic("localkms: a result must be a struct, not " + t.String())
	}
	enc := &responseEncoder{typ: t, members: make([]member, t.NumField())}
	for i := range enc.members {
		sf := t.Field(i)
		name := sf.Tag.Get("json")
		if !sf.IsExported() || name == "" || name == "-" || strings.Contains(name, ",") {
			panic("localkms: " + t.String() + "." + sf.Name + ` needs a plain tag json:"Name"`)
		}
		key, _ := json.Marshal(name)
		enc.members[i] = member{key: append(key, ':'), index: i, kind: memberKinds[sf.Type]}
	}
	return enc
}

// encode returns the answer carrying result, a pointer to the encoder's type.
func (enc *responseEncoder) encode(result any, requestID string) ([]byte, error) {
	v := reflect.ValueOf(result).Elem()
	b := make([]byte, 0, 256)
	b = append(b, `{"Response":{`...)
	for _, m := range enc.members {
		b = append(b, m.key...)
		f := v.Field(m.index)
		switch m.kind {
		case memberString:
			b = appendJSONString(b, f.String())
		case memberBool:
			b = strconv.AppendBool(b, f.Bool())
		case memberInt:
			b = strconv.AppendInt(b, f.Int(), 10)
		case memberUint:
			b = strconv.AppendUint(b, f.Uint(), 10)
		default:
			raw, err := json.Marshal(f.Interface())
			if err != nil {
				return nil, fmt.Errorf("encode %s.%s: %w", enc.typ, enc.typ.Field(m.index).Name, err)
			}
			b = append(b, raw...)
		}
		b = append(b, ',')
	}
	b = append(b, `"RequestId":`...)
	b = appendJSONString(b, requestID)
	return append(b, "}}"...), nil
}

// appendJSONString appends s as a JSON string exactly as encoding/json writes it.
// Printable ASCII other than the characters encoding/json escapes (" \ < > &) is
// copied as it is; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			raw, _ := json.Marshal(s) // a string always marshals
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// errorResult is the answer to a failed request.
type errorResult struct {
	Error errorBody `json:"Error"`
}

type errorBody struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

var errorEncoder = newResponseEncoder(reflect.TypeFor[errorResult]())

// errorResponse returns the answer carrying ae, in English or Chinese.
func errorResponse(ae *apiError, english bool, requestID string) []byte {
	// Cannot fail: the only member marshalled by encoding/json holds two strings.
	out, _ := errorEncoder.encode(&errorResult{errorBody{Code: ae.code, Message: ae.message(english)}}, requestID)
	return out
}
