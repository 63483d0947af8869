//go:build dev

package service

// ScriptedDialogs returns the test dialogs of folder dir (EnvScriptedDialogs) in a
// dev build; ok is false when dir is "".
func ScriptedDialogs(dir string) (d Dialogs, ok bool) {
	if dir == "" {
		return nil, false
	}
	return &scriptedDialogs{dir: dir}, true
}
