package localkms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"testing"
)

// fuzzParams exercises every field kind, nested lists and required fields.
type fuzzParams struct {
	Name    string           `param:"Name,required"`
	Count   *uint64          `param:"Count"`
	IDs     []string         `param:"IDs"`
	Filters []tagFilterParam `param:"Filters"`
	Tags    []tagParam       `param:"Tags"`
}

// decodeCase is an input of a decoder and what it must give: the decoded
// parameters, or the error code.
type decodeCase struct {
	name string
	in   string
	want fuzzParams
	code string
}

// runDecodeCases checks decode, a decoder of fuzzParams, against every case.
func runDecodeCases(t *testing.T, decode func(in string, p *fuzzParams) *apiError, tests []decodeCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p fuzzParams
			e := decode(tc.in, &p)
			gotCode := ""
			if e != nil {
				gotCode = e.code
			}
			if gotCode != tc.code {
				t.Fatalf("code %q (%v), want %q", gotCode, e, tc.code)
			}
			if e == nil && !reflect.DeepEqual(p, tc.want) {
				t.Fatalf("decoded %+v, want %+v", p, tc.want)
			}
		})
	}
}

func TestDecodeJSONParams(t *testing.T) {
	decode := func(in string, p *fuzzParams) *apiError { return decodeJSONParams([]byte(in), p) }
	runDecodeCases(t, decode, []decodeCase{
		{"all kinds", `{"Name":"n","Count":7,"IDs":["a","b"],"Filters":[{"TagKey":"k","TagValue":["v1","v2"]}],"Tags":[{"TagKey":"x","TagValue":"y"}]}`,
			fuzzParams{Name: "n", Count: up(7), IDs: []string{"a", "b"}, Filters: []tagFilterParam{{"k", []string{"v1", "v2"}}}, Tags: []tagParam{{"x", "y"}}}, ""},
		{"escapes", `{"Name":"a\"b\u00fc\n"}`, fuzzParams{Name: "a\"bü\n"}, ""},
		{"whitespace", " \n{ \"Name\" : \"n\" } \n", fuzzParams{Name: "n"}, ""},
		{"nulls are absent", `{"Name":"n","Count":null,"IDs":null}`, fuzzParams{Name: "n"}, ""},
		{"empty body", ``, fuzzParams{}, codeMissingParameter},
		{"empty string is absent", `{"Name":""}`, fuzzParams{}, codeMissingParameter},
		{"unknown", `{"Name":"n","Other":1}`, fuzzParams{}, codeUnknownParameter},
		{"case matters", `{"name":"n"}`, fuzzParams{}, codeUnknownParameter},
		{"nested unknown", `{"Name":"n","Tags":[{"TagKey":"k","TagValue":"v","X":1}]}`, fuzzParams{}, codeUnknownParameter},
		{"nested missing", `{"Name":"n","Tags":[{"TagKey":"k"}]}`, fuzzParams{}, codeMissingParameter},
		{"string as number", `{"Name":1}`, fuzzParams{}, codeInvalidParameter},
		{"number as string", `{"Name":"n","Count":"1"}`, fuzzParams{}, codeInvalidParameter},
		{"negative", `{"Name":"n","Count":-1}`, fuzzParams{}, codeInvalidParameter},
		{"exponent", `{"Name":"n","Count":1e3}`, fuzzParams{}, codeInvalidParameter},
		{"overflow", `{"Name":"n","Count":18446744073709551616}`, fuzzParams{}, codeInvalidParameter},
		{"max uint64", `{"Name":"n","Count":18446744073709551615}`, fuzzParams{Name: "n", Count: up(18446744073709551615)}, ""},
		{"list of numbers", `{"Name":"n","IDs":[1]}`, fuzzParams{}, codeInvalidParameter},
		{"object list of strings", `{"Name":"n","Tags":["a"]}`, fuzzParams{}, codeInvalidParameter},
		{"object list element null", `{"Name":"n","Tags":[null]}`, fuzzParams{}, codeInvalidParameter},
		{"array body", `[]`, fuzzParams{}, codeInvalidParameter},
		{"trailing garbage", `{"Name":"n"} x`, fuzzParams{}, codeInvalidParameter},
		{"truncated", `{"Name":"n"`, fuzzParams{}, codeInvalidParameter},
	})
}

func TestDecodeQueryParams(t *testing.T) {
	decode := func(in string, p *fuzzParams) *apiError { return decodeQueryParams(in, p) }
	runDecodeCases(t, decode, []decodeCase{
		{"all kinds", "Name=n&Count=7&IDs.0=a&IDs.1=b&Filters.0.TagKey=k&Filters.0.TagValue.0=v1&Filters.0.TagValue.1=v2&Tags.0.TagKey=x&Tags.0.TagValue=y",
			fuzzParams{Name: "n", Count: up(7), IDs: []string{"a", "b"}, Filters: []tagFilterParam{{"k", []string{"v1", "v2"}}}, Tags: []tagParam{{"x", "y"}}}, ""},
		{"escaping", "Name=a+b%2Bc%26%3D%E5%80%BC", fuzzParams{Name: "a b+c&=值"}, ""},
		{"order of indices", "Name=n&IDs.1=b&IDs.0=a", fuzzParams{Name: "n", IDs: []string{"a", "b"}}, ""},
		{"common parameters ignored", "Name=n&Action=X&Version=Y&Region=Z&Timestamp=1&Nonce=2", fuzzParams{Name: "n"}, ""},
		{"missing", "Count=1", fuzzParams{}, codeMissingParameter},
		{"unknown", "Name=n&Nope=1", fuzzParams{}, codeUnknownParameter},
		{"nested unknown", "Name=n&Tags.0.TagKey=k&Tags.0.TagValue=v&Tags.0.X=1", fuzzParams{}, codeUnknownParameter},
		{"gap", "Name=n&IDs.0=a&IDs.2=c", fuzzParams{}, codeInvalidParameter},
		{"leading zero", "Name=n&IDs.01=a", fuzzParams{}, codeInvalidParameter},
		{"list as scalar", "Name=n&IDs=a", fuzzParams{}, codeInvalidParameter},
		{"scalar as list", "Name.0=n", fuzzParams{}, codeInvalidParameter},
		{"scalar and list", "Name=n&IDs=a&IDs.0=b", fuzzParams{}, codeInvalidParameter},
		{"bad number", "Name=n&Count=x", fuzzParams{}, codeInvalidParameter},
		{"empty segment", "Name=n&IDs..0=a", fuzzParams{}, codeInvalidParameter},
		{"too deep", "Name=n&a.b.c.d.e.f.g=1", fuzzParams{}, codeInvalidParameter},
		{"bad escape", "Name=%zz", fuzzParams{}, codeInvalidParameter},
		{"huge index", "Name=n&IDs.99999999999=a", fuzzParams{}, codeInvalidParameter},
	})
}

// FuzzDecodeJSON: the JSON decoder never panics, only returns the documented
// codes, and a successful decode satisfies the schema's required fields.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"Name":"n","Count":7,"IDs":["a"],"Filters":[{"TagKey":"k","TagValue":["v"]}],"Tags":[{"TagKey":"x","TagValue":"y"}]}`))
	f.Add([]byte(`{"Name":"\u00fc","Count":0}`))
	f.Add([]byte(`{"Name":null,"Tags":[{}]}`))
	f.Add([]byte(`[{"Name":"n"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var p fuzzParams
		e := decodeJSONParams(body, &p)
		checkDecodeResult(t, &p, e)
		// The member splitter agrees with encoding/json on every valid object.
		trimmed := bytes.TrimSpace(body)
		if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
			var want map[string]json.RawMessage
			if err := json.Unmarshal(trimmed, &want); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			if e := forEachMember(trimmed, func(name string, val []byte) *apiError {
				got[name] = string(val)
				return nil
			}); e != nil {
				t.Fatalf("splitter failed on valid JSON %q: %v", trimmed, e)
			}
			if len(got) != len(want) {
				t.Fatalf("splitter found %d members, encoding/json %d", len(got), len(want))
			}
			for k, v := range want {
				if got[k] != string(v) {
					t.Fatalf("member %q: splitter %q, encoding/json %q", k, got[k], v)
				}
			}
		}
		// The real action schemas must not panic either.
		var ld listKeyDetailParams
		_ = decodeJSONParams(body, &ld)
		var ck createKeyParams
		_ = decodeJSONParams(body, &ck)
	})
}

// FuzzDecodeQuery: the GET decoder never panics and behaves like the JSON one.
func FuzzDecodeQuery(f *testing.F) {
	f.Add("Name=n&Count=7&IDs.0=a&Filters.0.TagKey=k&Filters.0.TagValue.0=v&Tags.0.TagKey=x&Tags.0.TagValue=y")
	f.Add("Name=%E5%80%BC&IDs.1=b&IDs.0=a")
	f.Add("Name.0.1=x&Tags.0=1")
	f.Fuzz(func(t *testing.T, q string) {
		var p fuzzParams
		e := decodeQueryParams(q, &p)
		checkDecodeResult(t, &p, e)
		var ld listKeyDetailParams
		_ = decodeQueryParams(q, &ld)
		var ar assumeRoleParams
		_ = decodeQueryParams(q, &ar)
	})
}

func checkDecodeResult(t *testing.T, p *fuzzParams, e *apiError) {
	t.Helper()
	if e != nil {
		switch e.code {
		case codeInvalidParameter, codeMissingParameter, codeUnknownParameter:
		default:
			t.Fatalf("unexpected code %s", e.code)
		}
		if e.en == "" || e.zh == "" {
			t.Fatal("error without both messages")
		}
		return
	}
	if p.Name == "" {
		t.Fatal("decoded without the required Name")
	}
	for i, tag := range p.Tags {
		if tag.TagKey == "" || tag.TagValue == "" {
			t.Fatalf("tag %d decoded without required fields: %+v", i, tag)
		}
	}
	for i, f := range p.Filters {
		if f.TagKey == "" {
			t.Fatalf("filter %d decoded without TagKey", i)
		}
	}
}

// TestQueryMatchesSDKFlattening checks the GET decoder against the exact query
// the SDK builds (url.Values.Encode of the flattened parameters).
func TestQueryMatchesSDKFlattening(t *testing.T) {
	v := url.Values{}
	v.Set("Name", "a b&c")
	for i, id := range []string{"x", "y", "z"} {
		v.Set(fmt.Sprintf("IDs.%d", i), id)
	}
	v.Set("Filters.0.TagKey", "k")
	v.Set("Filters.0.TagValue.0", "v")
	var p fuzzParams
	if e := decodeQueryParams(v.Encode(), &p); e != nil {
		t.Fatal(e)
	}
	want := fuzzParams{Name: "a b&c", IDs: []string{"x", "y", "z"}, Filters: []tagFilterParam{{"k", []string{"v"}}}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("decoded %+v", p)
	}
}

// wantPanics checks that build panics on each type, and on the types every
// builder refuses: a non-struct and a struct with an untagged field.
func wantPanics(t *testing.T, build func(reflect.Type), types map[string]reflect.Type) {
	t.Helper()
	types["not a struct"] = reflect.TypeFor[string]()
	types["no tag"] = reflect.TypeFor[struct{ A string }]()
	for name, typ := range types {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			build(typ)
		})
	}
}

// TestBadParamsPanic checks that a parameter struct the decoder cannot fill
// faithfully is refused when its action is registered.
func TestBadParamsPanic(t *testing.T) {
	wantPanics(t, func(typ reflect.Type) { schemaOf(typ) }, map[string]reflect.Type{
		"unknown option": reflect.TypeFor[struct {
			A string `param:"A,optional"`
		}](),
		"unsupported type": reflect.TypeFor[struct {
			A int `param:"A"`
		}](),
		"bad element": reflect.TypeFor[struct {
			A []struct{ B string } `param:"A"`
		}](),
	})
}
