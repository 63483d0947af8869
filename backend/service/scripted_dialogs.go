package service

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// EnvScriptedDialogs names a folder whose answers replace the native file dialogs, in
// the browser end-to-end tests only: builds without the dev tag ignore it (see
// ScriptedDialogs).
const EnvScriptedDialogs = "KMSDESK_E2E_DIALOGS"

// scriptedDialogs answers the file dialogs from <dir>/next.json, written by the test
// before it clicks: {"paths": ["/a", "/b"]} (the first for the one-path dialogs). Each
// answer is used once (the file is removed); no file means the user cancelled.
type scriptedDialogs struct {
	dir string
	mu  sync.Mutex
}

func (d *scriptedDialogs) next() ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := filepath.Join(d.dir, "next.json")
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := os.Remove(p); err != nil {
		return nil, err
	}
	var a struct {
		Paths []string `json:"paths"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, err
	}
	return a.Paths, nil
}

func (d *scriptedDialogs) one() (string, error) {
	p, err := d.next()
	if err != nil || len(p) == 0 {
		return "", err
	}
	return p[0], nil
}

func (d *scriptedDialogs) OpenFiles(string) ([]string, error)      { return d.next() }
func (d *scriptedDialogs) OpenFile(string) (string, error)         { return d.one() }
func (d *scriptedDialogs) OpenDirectory(string) (string, error)    { return d.one() }
func (d *scriptedDialogs) SaveFile(string, string) (string, error) { return d.one() }
