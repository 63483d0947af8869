package localkms

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Request decoding without reflection: every action's parameter struct lists its
// fields (name, kind, required, destination) and one walker fills it either from a
// JSON body or from a flattened query string ("KeyIds.0=a&Tags.0.TagKey=k").
// Names are matched case-sensitively, unknown names are UnknownParameter, wrong
// types InvalidParameter and absent required fields MissingParameter. An empty
// string counts as absent, as the SDKs drop empty strings in GET mode.

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

type field struct {
	name     string
	kind     fieldKind
	required bool
	str      *string
	num      **uint64
	list     *[]string
	objects  func(n int) [][]field // allocates n elements, returns their fields
}

func fStr(name string, dst *string, required bool) field {
	return field{name: name, kind: kindString, required: required, str: dst}
}

func fUint(name string, dst **uint64, required bool) field {
	return field{name: name, kind: kindUint, required: required, num: dst}
}

func fList(name string, dst *[]string, required bool) field {
	return field{name: name, kind: kindStringList, required: required, list: dst}
}

func fObjects(name string, required bool, alloc func(n int) [][]field) field {
	return field{name: name, kind: kindObjectList, required: required, objects: alloc}
}

// params is implemented by every action's parameter struct.
type params interface {
	fields() []field
}

func findField(fs []field, name string) *field {
	for i := range fs {
		if fs[i].name == name {
			return &fs[i]
		}
	}
	return nil
}

// decodeJSONParams fills fs from a JSON object body. An empty body is {}. The body
// is validated once; members are then split without reflection or maps.
func decodeJSONParams(body []byte, fs []field) *apiError {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return checkRequired(fs, "")
	}
	if trimmed[0] != '{' || !json.Valid(trimmed) {
		return errInvalidParam("body", "the request body must be a JSON object", "请求体必须是 JSON 对象")
	}
	return decodeJSONObject(trimmed, fs, "")
}

// decodeJSONObject fills fs from raw, a valid JSON value that must be an object.
func decodeJSONObject(raw []byte, fs []field, prefix string) *apiError {
	e := forEachMember(raw, func(name string, val []byte) *apiError {
		f := findField(fs, name)
		if f == nil {
			return errUnknownParam(prefix + name)
		}
		return setJSON(f, val, prefix)
	})
	if e == errStructure {
		return errNotObject(prefix)
	}
	if e != nil {
		return e
	}
	return checkRequired(fs, prefix)
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

func setJSON(f *field, raw []byte, prefix string) *apiError {
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
		*f.str = s
	case kindUint:
		n, ok := jsonUint(raw)
		if !ok {
			return errInvalidParam(name, "must be a non-negative integer", "必须是非负整数")
		}
		*f.num = &n
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
		*f.list = out
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
		subs := f.objects(len(elems))
		for i, el := range elems {
			p := name + "." + strconv.Itoa(i) + "."
			if el[0] != '{' {
				return errInvalidParam(name+"."+strconv.Itoa(i), "must be a JSON object", "必须是 JSON 对象")
			}
			if ae := decodeJSONObject(el, subs[i], p); ae != nil {
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

func checkRequired(fs []field, prefix string) *apiError {
	for i := range fs {
		f := &fs[i]
		if !f.required {
			continue
		}
		missing := false
		switch f.kind {
		case kindString:
			missing = *f.str == ""
		case kindUint:
			missing = *f.num == nil
		case kindStringList:
			missing = len(*f.list) == 0
		case kindObjectList:
			// Object lists are never required by the supported actions; presence of
			// their elements' own required fields is checked per element.
		}
		if missing {
			return errMissingParam(prefix + f.name)
		}
	}
	return nil
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

// decodeQueryParams fills fs from a flattened query string (GET mode).
func decodeQueryParams(rawQuery string, fs []field) *apiError {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return errInvalidParam("query", "the query string is malformed", "查询字符串格式错误")
	}
	return decodeQueryValues(vals, commonQueryParams, fs)
}

// decodeQueryValues fills fs from flattened parameters, skipping the names in
// ignore (common parameters).
func decodeQueryValues(vals url.Values, ignore map[string]bool, fs []field) *apiError {
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
	return decodeQueryObject(root, fs, "")
}

func decodeQueryObject(n *qnode, fs []field, prefix string) *apiError {
	names := make([]string, 0, len(n.kids))
	for k := range n.kids {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		child := n.kids[name]
		f := findField(fs, name)
		if f == nil {
			return errUnknownParam(prefix + name)
		}
		full := prefix + name
		switch f.kind {
		case kindString:
			if !child.leaf || len(child.kids) > 0 {
				return errInvalidParam(full, "must be a string", "必须是字符串")
			}
			*f.str = child.val
		case kindUint:
			if !child.leaf || len(child.kids) > 0 {
				return errInvalidParam(full, "must be a non-negative integer", "必须是非负整数")
			}
			v, ok := jsonUint([]byte(child.val))
			if !ok {
				return errInvalidParam(full, "must be a non-negative integer", "必须是非负整数")
			}
			*f.num = &v
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
			*f.list = out
		case kindObjectList:
			elems, e := queryList(child, full)
			if e != nil {
				return e
			}
			subs := f.objects(len(elems))
			for i, el := range elems {
				if el.leaf {
					return errInvalidParam(full, "must be a list of objects", "必须是对象数组")
				}
				if ae := decodeQueryObject(el, subs[i], full+"."+strconv.Itoa(i)+"."); ae != nil {
					return ae
				}
			}
		}
	}
	return checkRequired(fs, prefix)
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
