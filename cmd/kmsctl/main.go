// Command kmsctl is the command-line companion of KMS Desk: it manages Tencent Cloud KMS keys,
// encrypts and decrypts text and files, manages connection profiles and runs the local KMS.
// It uses the same backend services as the desktop app and builds with CGO_ENABLED=0.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set with -ldflags "-X main.version=...".
var version = "dev"

// globals holds the flags every command accepts.
type globals struct {
	endpoint string
	region   string
	profile  string
	json     bool
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "kmsctl",
		Short:         "Tencent Cloud KMS from the command line (KMS Desk)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.endpoint, "endpoint", "", "KMS endpoint, e.g. http://127.0.0.1:9000 for a local KMS (default: the profile's)")
	pf.StringVar(&g.region, "region", "", "region, e.g. ap-guangzhou (default: the profile's)")
	pf.StringVar(&g.profile, "profile", "", "connection profile name (see 'kmsctl profile list')")
	pf.BoolVar(&g.json, "json", false, "print machine-readable JSON")
	root.AddCommand(
		newVersionCmd(),
		newLocalCmd(g),
		newKeysCmd(g),
		newTextCmd(g),
		newProfileCmd(g),
		newEncryptCmd(g), newDecryptCmd(g), newVerifyCmd(g), newInspectCmd(g),
	)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "kmsctl", version)
		},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "kmsctl:", ee.msg)
			}
			os.Exit(ee.code)
		}
		printErr(os.Stderr, "", err)
		os.Exit(1)
	}
}
