//go:build !dev

package service

// ScriptedDialogs is never on in a release build: the native dialogs always answer.
func ScriptedDialogs(string) (Dialogs, bool) { return nil, false }
