//go:build tools

// Package tools pins the developer tools `make` builds into .bin: staticcheck (make lint)
// and nfpm (make package). Kept out of the app's go.mod so their dependencies never mix
// with the app's.
package tools

import (
	_ "github.com/goreleaser/nfpm/v2/cmd/nfpm"
	_ "honnef.co/go/tools/cmd/staticcheck"
)
