// Command tsgen finishes the generated TypeScript contract after `wails generate
// module` (run by `go generate ./backend/service`, which `make bindings` does): it puts
// the enums of frontend/wailsjs/go/models.ts in a stable order and writes
// frontend/src/api/events.gen.ts from backend/service's event table. Usage: tsgen
// OUTPUT.ts (models.ts is OUTPUT's ../../wailsjs/go/models.ts).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tsgen OUTPUT.ts")
		os.Exit(2)
	}
	out := os.Args[1]
	modelsPath := filepath.Join(filepath.Dir(out), "..", "..", "wailsjs", "go", "models.ts")
	raw, err := os.ReadFile(modelsPath)
	if err == nil {
		models := service.SortModelEnums(string(raw))
		err = os.WriteFile(modelsPath, []byte(models), 0o644)
		var ts string
		if err == nil {
			ts, err = service.EventsTypeScript(models)
		}
		if err == nil {
			err = os.WriteFile(out, []byte(ts), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tsgen:", err)
		os.Exit(1)
	}
}
