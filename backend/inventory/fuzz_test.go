package inventory

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzParse: whatever the inventory file holds, Parse does not panic, keeps only
// entries that follow the rules, and what it accepts survives Marshal and Parse
// unchanged (so a rewrite never alters or loses an entry).
func FuzzParse(f *testing.F) {
	slot := `"slots":[{"type":1,"region":"ap-guangzhou","keyId":"` + keyA + `"}]`
	f.Add([]byte(`{"version":1,"entries":[{"path":"/home/a/x.kmsenc","size":10,"mtime":5,"recorded":3,` + slot + `}]}`))
	f.Add([]byte(`{"version":1,"entries":[{"path":"/a","size":1,"mtime":1,"recorded":1,"missing":7,"slots":[{"type":3,"region":"i/r","keyId":"k"},{"type":2,"keyId":"age:00"}]},{"path":"/a","size":2,"mtime":1,"recorded":1,` + slot + `}]}`))
	f.Add([]byte(`{"version":1,"entries":[{"path":"C:\\Users\\a\\x.kmsenc","size":1,"mtime":1,"recorded":1,` + slot + `}]}`))
	f.Add([]byte(`{"version":2,"entries":[]}`))
	f.Add([]byte(`{"version":1,"entries":null}`))
	f.Add([]byte(`{"version":1,"entries":[{"path":"/x/../y","slots":[{"type":0,"keyId":""}]}]}`))
	f.Add([]byte(`{"version":1,"entries":[{"path":"/\u0000","size":-1}]}`))
	f.Add([]byte(`[`))
	f.Add(Marshal(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := Parse(data)
		if err != nil {
			if list != nil {
				t.Fatal("entries returned with an error")
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range list {
			if verr := e.validate(); verr != nil {
				t.Fatalf("accepted an invalid entry %+v: %v", e, verr)
			}
			if seen[e.Path] {
				t.Fatalf("path %q listed twice", e.Path)
			}
			seen[e.Path] = true
		}
		out := Marshal(list)
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		sorted := slices.Clone(list)
		slices.SortFunc(sorted, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
		if !slices.EqualFunc(sorted, again, equalEntry) {
			t.Fatalf("round trip changed the entries:\n%+v\n%+v", sorted, again)
		}
		if !bytes.Equal(Marshal(again), out) {
			t.Fatal("marshal is not stable")
		}
	})
}
