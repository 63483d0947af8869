//go:build !windows

package webview2

import (
	"io"
	"log/slog"
)

// Check is Windows-only: elsewhere the window uses WebKit.
func Check(*slog.Logger, io.Writer) (code int, stop bool) { return 0, false }
