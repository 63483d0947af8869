package service

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestEventsTypeScriptIsCurrent fails when a Go event (its name or its payload type)
// changes and frontend/src/api/events.gen.ts was not regenerated (`make bindings`).
func TestEventsTypeScriptIsCurrent(t *testing.T) {
	models, err := os.ReadFile("../../frontend/wailsjs/go/models.ts")
	if err != nil {
		t.Fatal(err)
	}
	want, err := EventsTypeScript(string(models))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../frontend/src/api/events.gen.ts")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("frontend/src/api/events.gen.ts is stale: run `make bindings`\nwant:\n%s", want)
	}
}

func TestEventsTypeScriptRefusesUnreachablePayloads(t *testing.T) {
	if _, err := tsType(reflect.TypeOf(JobProgress{}), "export interface Other {"); err == nil || !strings.Contains(err.Error(), "no bound method reaches it") {
		t.Fatalf("a payload missing from models.ts: %v", err)
	}
	if _, err := tsType(reflect.TypeOf(struct{ X int }{}), ""); err == nil {
		t.Fatal("an anonymous payload type has no TypeScript name")
	}
	if ts, err := tsType(reflect.TypeOf([]JobProgress{}), "export interface JobProgress {"); err != nil || ts != "service.JobProgress[]" {
		t.Fatalf("a list: %q %v", ts, err)
	}
}

// TestEmitterSendsEveryEventOfTheTable checks that each Events method emits the name
// the table gives its payload type.
func TestEmitterSendsEveryEventOfTheTable(t *testing.T) {
	got := map[string]string{}
	e := Emitter(func(name string, payload any) { got[name] = reflect.TypeOf(payload).String() })
	var ev Events = e
	ev.JobProgress(JobProgress{})
	ev.JobFile(JobFile{})
	ev.JobConflict(JobConflict{})
	ev.JobDone(JobSummary{})
	ev.OpenFiles(OpenFiles{})
	ev.ConfirmClose([]JobProgress{})
	ev.ProfileChanged(Profile{})
	if len(got) != len(EventTable) {
		t.Fatalf("emitted %v, the table has %d events", got, len(EventTable))
	}
	for _, spec := range EventTable {
		if got[spec.Name] != reflect.TypeOf(spec.Payload).String() {
			t.Errorf("%s: emitted %s, the table says %T", spec.Name, got[spec.Name], spec.Payload)
		}
	}
}

func TestSortModelEnums(t *testing.T) {
	in := "export namespace service {\n\t\n\texport enum B {\n\t    X = \"x\",\n\t}\n\texport enum A {\n\t    Y = \"y\",\n\t}\n\texport interface C {\n\t}\n}\n"
	want := "export namespace service {\n\t\n\texport enum A {\n\t    Y = \"y\",\n\t}\n\texport enum B {\n\t    X = \"x\",\n\t}\n\texport interface C {\n\t}\n}\n"
	if got := SortModelEnums(in); got != want {
		t.Fatalf("got\n%s", got)
	}
	if got := SortModelEnums(want); got != want {
		t.Fatal("sorting is not stable")
	}
}
