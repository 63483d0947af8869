package service

import (
	"os"
	"path/filepath"
	"testing"
)

func TestScriptedDialogsAnswerOnce(t *testing.T) {
	dir := t.TempDir()
	d := &scriptedDialogs{dir: dir}
	if p, err := d.SaveFile("", ""); p != "" || err != nil {
		t.Fatalf("no answer must read as cancelled: %q %v", p, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "next.json"), []byte(`{"paths":["/a","/b"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := d.OpenFiles(""); len(p) != 2 || err != nil {
		t.Fatalf("%v %v", p, err)
	}
	if p, _ := d.OpenFile(""); p != "" {
		t.Fatalf("an answer was used twice: %q", p)
	}
	if _, ok := ScriptedDialogs(""); ok {
		t.Fatal("no folder, no scripted dialogs")
	}
}
