//go:build tools

// Package tools pins the Wails CLI v2.9.2 with a golang.org/x/tools that builds on
// Go 1.26 (`go install .../wails@v2.9.2` fails there; see docs/DEVELOPING.md).
package tools

import _ "github.com/wailsapp/wails/v2/cmd/wails"
