//go:build !(linux || netbsd || openbsd || freebsd || dragonfly || darwin || windows)

package credentials

const platformBackend = "none"

func platformPrecheck() error { return nil }

func platformClassify(error) (code, msg string, ok bool) { return "", "", false }
