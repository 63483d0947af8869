package localkms

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Request decoding is driven by struct tags. Every action's parameter struct tags
// each field with its wire name, followed by ",required" when the parameter must be
// present:
//
//	type encryptParams struct {
//		KeyID             string `param:"KeyId,required"`
//		EncryptionContext string `param:"EncryptionContext"`
//	}
//
// The field type gives the parameter's kind: string, *uint64 (a non-negative
// integer, nil when absent), []string, or a slice of tagged structs (a list of
// objects). A schema built once per struct from its tags drives one walker that
// fills the struct either from a JSON body or from a flattened query string
// ("KeyIds.0=a&Tags.0.TagKey=k"). Names are matched case-sensitively, unknown
// names are UnknownParameter, wrong types InvalidParameter and absent required
// fields MissingParameter. An empty string or list counts as absent, as the SDKs
// drop empty strings in GET mode.

type fieldKind uint8

const (
	kindString fieldKind = iota
	kindUint
	kindStringList
	kindObjectList
)

// maxListLen bounds every list parameter (elements). The documented batch limit
// is 100 KeyIds; larger lists are rejected by the actions themselves.
const maxListLen = 1000

// maxQueryDepth bounds the nesting of flattened query names ("A.0.B.1" is 4).
const maxQueryDepth = 6

// field is one parameter of a schema.
type field struct {
	name     string // wire name
	kind     fieldKind
	required bool
	index    int     // of the struct field
	elem     *schema // of the elements of a kindObjectList field
}

// schema is the decoding table of one parameter struct, in field order.
type schema struct {
	fields []field
}

var (
	typeString     = reflect.TypeFor[string]()
	typeUintPtr    = reflect.TypeFor[*uint64]()
	typeStringList = reflect.TypeFor[[]string]()

	schemas sync.Map // reflect.Type → *schema
)

// schemaOf returns the schema of the parameter struct type t, building it on
// first use. A struct whose tags or field types are not supported is a
// programming error and panics; every action's schema is built at package
// initialisation, so such a mistake never survives a test run.
func schemaOf(t reflect.Type) *schema {
	if sc, ok := schemas.Load(t); ok {
		return sc.(*schema)
	}
	if t.Kind() != reflect.Struct {
		panic("localkms: parameters must be a struct, not " + t.String())
	}
	sc := &schema{fields: make([]field, t.NumField())}
	for i := range sc.fields {
		sf := t.Field(i)
		name, opt, _ := strings.Cut(sf.Tag.Get("param"), ",")
		if name == "" || (opt != "" && opt != "required") {
			panic("localkms: " + t.String() + "." + sf.Name + ` needs a tag param:"Name" or param:"Name,required"`)
		}
		f := field{name: name, required: opt == "required", index: i}
		switch {
		case sf.Type == typeString:
			f.kind = kindString
		case sf.Type == typeUintPtr:
			f.kind = kindUint
		case sf.Type == typeStringList:
			f.kind = kindStringList
		case sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.Struct:
			f.kind = kindObjectList
			f.elem = schemaOf(sf.Type.Elem())
		default:
			panic("localkms: " + t.String() + "." + sf.Name + " has the unsupported parameter type " + sf.Type.String())
		}
		sc.fields[i] = f
	}
	got, _ := schemas.LoadOrStore(t, sc)
	return got.(*schema)
}

// target returns the schema and the struct value of dst, a pointer to a
// parameter struct.
func target(dst any) (*schema, reflect.Value) {
	v := reflect.ValueOf(dst).Elem()
	return schemaOf(v.Type()), v
}

func (sc *schema) find(name string) *field {
	for i := range sc.fields {
		if sc.fields[i].name == name {
			return &sc.fields[i]
		}
	}
	return nil
}

// checkRequired reports the first required field of v left absent.
func (sc *schema) checkRequired(v reflect.Value, prefix string) *apiError {
	for i := range sc.fields {
		f := &sc.fields[i]
		if !f.required {
			continue
		}
		fv := v.Field(f.index)
		if fv.IsZero() || (fv.Kind() == reflect.Slice && fv.Len() == 0) {
			return errMissingParam(prefix + f.name)
		}
	}
	return nil
}

// setObjects gives field f of v n zero elements and returns the list.
func setObjects(v reflect.Value, f *field, n int) reflect.Value {
	fv := v.Field(f.index)
	list := reflect.MakeSlice(fv.Type(), n, n)
	fv.Set(list)
	return list
}

// decodeJSONParams fills dst, a pointer to a parameter struct, from a JSON
// object body. An empty body is {}. The body is validated once; members are then
// split without maps.
func decodeJSONParams(body []byte, dst any) *apiError {
	sc, v := target(dst)
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return sc.checkRequired(v, "")
	}
	if trimmed[0] != '{' || !json.Valid(trimmed) {
		return errInvalidParam("body", "the request body must be a JSON object", "请求体必须是 JSON 对象")
	}
	return decodeJSONObject(trimmed, sc, v, "")
}

// decodeJSONObject fills v from raw, a valid JSON value that must be an object.
func decodeJSONObject(raw []byte, sc *schema, v reflect.Value, prefix string) *apiError {
	e := forEachMember(raw, func(name string, val []byte) *apiError {
		f := sc.find(name)
		if f == nil {
			return errUnknownParam(prefix + name)
		}
		return setJSON(f, v, val, prefix)
	})
	if e == errStructure {
		return errNotObject(prefix)
	}
	if e != nil {
		return e
	}
	return sc.checkRequired(v, prefix)
}

// errStructure marks malformed JSON structure found while splitting a value; it
// is replaced by a named error before it reaches the wire.
var errStructure = &apiError{code: codeInvalidParameter, en: "malformed JSON", zh: "JSON 格式错误"}

func errNotObject(prefix string) *apiError {
	name := strings.TrimSuffix(prefix, ".")
	if name == "" {
		name = "body"
	}
	return errInvalidParam(name, "must be a JSON object", "必须是 JSON 对象")
}

// forEachMember calls fn with each member of the JSON object raw (valid JSON)
// in document order.
func forEachMember(raw []byte, fn func(name string, val []byte) *apiError) *apiError {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return errStructure
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil
	}
	for i < len(raw) {
		kEnd := endOfValue(raw, i)
		if kEnd < 0 || raw[i] != '"' {
			return errStructure
		}
		name, ok := jsonString(raw[i:kEnd])
		if !ok {
			return errStructure
		}
		i = skipSpace(raw, kEnd)
		if i >= len(raw) || raw[i] != ':' {
			return errStructure
		}
		i = skipSpace(raw, i+1)
		vEnd := endOfValue(raw, i)
		if vEnd < 0 {
			return errStructure
		}
		if e := fn(name, raw[i:vEnd]); e != nil {
			return e
		}
		i = skipSpace(raw, vEnd)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
			continue
		}
		return nil
	}
	return errStructure
}

// forEachElement calls fn with each element of the JSON array raw (valid JSON).
func forEachElement(raw []byte, fn func(i int, val []byte) *apiError) (int, *apiError) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return 0, errStructure
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return 0, nil
	}
	n := 0
	for i < len(raw) {
		vEnd := endOfValue(raw, i)
		if vEnd < 0 {
			return n, errStructure
		}
		if e := fn(n, raw[i:vEnd]); e != nil {
			return n, e
		}
		n++
		i = skipSpace(raw, vEnd)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
			continue
		}
		return n, nil
	}
	return n, errStructure
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// endOfValue returns the index just past the JSON value starting at b[i], or -1.
func endOfValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := endOfValue(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[j])) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

func isJSONNull(raw []byte) bool { return string(raw) == "null" }

// setJSON sets field f of v from the JSON value raw.
func setJSON(f *field, v reflect.Value, raw []byte, prefix string) *apiError {
	name := prefix + f.name
	if isJSONNull(raw) {
		return nil
	}
	switch f.kind {
	case kindString:
		s, ok := jsonString(raw)
		if !ok {
			return errInvalidParam(name, "must be a string", "必须是字符串")
		}
		v.Field(f.index).SetString(s)
	case kindUint:
		n, ok := jsonUint(raw)
		if !ok {
			return errInvalidParam(name, "must be a non-negative integer", "必须是非负整数")
		}
		v.Field(f.index).Set(reflect.ValueOf(&n))
	case kindStringList:
		if raw[0] != '[' {
			return errInvalidParam(name, "must be an array of strings", "必须是字符串数组")
		}
		var out []string
		_, e := forEachElement(raw, func(i int, v []byte) *apiError {
			if i >= maxListLen {
				return errInvalidParam(name, "has too many elements", "元素过多")
			}
			s, ok := jsonString(v)
			if !ok {
				return errInvalidParam(name, "must be an array of strings", "必须是字符串数组")
			}
			out = append(out, s)
			return nil
		})
		if e != nil {
			return fixListErr(e, name, "must be an array of strings", "必须是字符串数组")
		}
		v.Field(f.index).Set(reflect.ValueOf(out))
	case kindObjectList:
		if raw[0] != '[' {
			return errInvalidParam(name, "must be an array of objects", "必须是对象数组")
		}
		var elems [][]byte
		_, e := forEachElement(raw, func(i int, v []byte) *apiError {
			if i >= maxListLen {
				return errInvalidParam(name, "has too many elements", "元素过多")
			}
			elems = append(elems, v)
			return nil
		})
		if e != nil {
			return fixListErr(e, name, "must be an array of objects", "必须是对象数组")
		}
		list := setObjects(v, f, len(elems))
		for i, el := range elems {
			p := name + "." + strconv.Itoa(i) + "."
			if el[0] != '{' {
				return errInvalidParam(name+"."+strconv.Itoa(i), "must be a JSON object", "必须是 JSON 对象")
			}
			if ae := decodeJSONObject(el, f.elem, list.Index(i), p); ae != nil {
				return ae
			}
		}
	}
	return nil
}

// fixListErr gives structural list errors (reported without a name) one.
func fixListErr(e *apiError, name, en, zh string) *apiError {
	if e == errStructure {
		return errInvalidParam(name, en, zh)
	}
	return e
}

// jsonString decodes a JSON string value; raw has been validated as JSON.
func jsonString(raw []byte) (string, bool) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		inner := raw[1 : len(raw)-1]
		if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			return string(inner), true
		}
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonUint accepts only plain decimal integers: no sign, fraction or exponent.
func jsonUint(raw []byte) (uint64, bool) {
	if len(raw) == 0 || len(raw) > 20 {
		return 0, false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	if len(raw) > 1 && raw[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw), 10, 64)
	return n, err == nil
}

// qnode is one level of a flattened query name tree.
type qnode struct {
	val  string
	leaf bool
	kids map[string]*qnode
}

// commonQueryParams are API-3.0 common parameters that some clients also leave in
// the query string; under TC3 they travel in headers, so they are ignored here.
var commonQueryParams = map[string]bool{
	"Action": true, "Version": true, "Region": true, "Timestamp": true, "Nonce": true,
	"Language": true, "Token": true, "RequestClient": true,
}

// decodeQueryParams fills dst, a pointer to a parameter struct, from a flattened
// query string (GET mode).
func decodeQueryParams(rawQuery string, dst any) *apiError {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return errInvalidParam("query", "the query string is malformed", "查询字符串格式错误")
	}
	return decodeQueryValues(vals, commonQueryParams, dst)
}

// decodeQueryValues fills dst, a pointer to a parameter struct, from flattened
// parameters, skipping the names in ignore (common parameters).
func decodeQueryValues(vals url.Values, ignore map[string]bool, dst any) *apiError {
	root := &qnode{}
	for k, vs := range vals {
		if ignore[k] {
			continue
		}
		parts := strings.Split(k, ".")
		if len(parts) > maxQueryDepth {
			return errInvalidParam(k, "is nested too deeply", "嵌套层级过深")
		}
		n := root
		for _, p := range parts {
			if p == "" {
				return errInvalidParam(k, "is not a valid parameter name", "不是合法的参数名")
			}
			if n.kids == nil {
				n.kids = make(map[string]*qnode)
			}
			child := n.kids[p]
			if child == nil {
				child = &qnode{}
				n.kids[p] = child
			}
			n = child
		}
		n.leaf = true
		n.val = vs[0]
	}
	sc, v := target(dst)
	return decodeQueryObject(root, sc, v, "")
}

// decodeQueryObject fills v from the children of n.
func decodeQueryObject(n *qnode, sc *schema, v reflect.Value, prefix string) *apiError {
	names := make([]string, 0, len(n.kids))
	for k := range n.kids {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		child := n.kids[name]
		f := sc.find(name)
		if f == nil {
			return errUnknownParam(prefix + name)
		}
		full := prefix + name
		switch f.kind {
		case kindString:
			if !child.leaf || len(child.kids) > 0 {
				return errInvalidParam(full, "must be a string", "必须是字符串")
			}
			v.Field(f.index).SetString(child.val)
		case kindUint:
			if !child.leaf || len(child.kids) > 0 {
				return errInvalidParam(full, "must be a non-negative integer", "必须是非负整数")
			}
			num, ok := jsonUint([]byte(child.val))
			if !ok {
				return errInvalidParam(full, "must be a non-negative integer", "必须是非负整数")
			}
			v.Field(f.index).Set(reflect.ValueOf(&num))
		case kindStringList:
			elems, e := queryList(child, full)
			if e != nil {
				return e
			}
			out := make([]string, len(elems))
			for i, el := range elems {
				if !el.leaf || len(el.kids) > 0 {
					return errInvalidParam(full, "must be a list of strings", "必须是字符串数组")
				}
				out[i] = el.val
			}
			v.Field(f.index).Set(reflect.ValueOf(out))
		case kindObjectList:
			elems, e := queryList(child, full)
			if e != nil {
				return e
			}
			list := setObjects(v, f, len(elems))
			for i, el := range elems {
				if el.leaf {
					return errInvalidParam(full, "must be a list of objects", "必须是对象数组")
				}
				if ae := decodeQueryObject(el, f.elem, list.Index(i), full+"."+strconv.Itoa(i)+"."); ae != nil {
					return ae
				}
			}
		}
	}
	return sc.checkRequired(v, prefix)
}

// queryList returns the children of a list node in index order; the indices must
// be exactly 0..n-1 written without leading zeros.
func queryList(n *qnode, name string) ([]*qnode, *apiError) {
	if n.leaf || len(n.kids) == 0 {
		return nil, errInvalidParam(name, "must be a list (Name.0, Name.1, ...)", "必须是数组（Name.0、Name.1……）")
	}
	if len(n.kids) > maxListLen {
		return nil, errInvalidParam(name, "has too many elements", "元素过多")
	}
	out := make([]*qnode, len(n.kids))
	for k, v := range n.kids {
		i, ok := jsonUint([]byte(k))
		if !ok || i >= uint64(len(out)) {
			return nil, errInvalidParam(name, "has non-contiguous list indices", "数组下标不连续")
		}
		out[i] = v
	}
	return out, nil
}
