package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manCommand is the hidden `kmsctl __man DIR`: it writes kmsctl's man pages (section 1,
// one per command: kmsctl.1, kmsctl-keys.1, kmsctl-keys-create.1, …) into DIR with
// cobra's generator, from the same text `--help` shows. The packages are built with them
// (scripts/package.sh); it is no command for users, so --help does not list it.
func newManCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:    "__man DIR",
		Short:  "Write kmsctl's man pages into DIR (for packaging)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return err
			}
			// A fixed date keeps the pages of one version identical from build to build.
			date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
				var sec int64
				if _, err := fmt.Sscan(s, &sec); err == nil {
					date = time.Unix(sec, 0).UTC()
				}
			}
			root.DisableAutoGenTag = true
			header := &doc.GenManHeader{Title: "KMSCTL", Section: "1", Source: "kmsctl " + version, Manual: "KMS Desk", Date: &date}
			return doc.GenManTree(root, header, args[0])
		},
	}
}
