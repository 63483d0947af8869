//go:build !unix

package localkms

import "log/slog"

// checkDataDir does nothing on systems without Unix permissions (Windows): the
// data dir is in the user's profile, whose ACL grants access to that user (and
// administrators) only.
func checkDataDir(string, *slog.Logger) error { return nil }
