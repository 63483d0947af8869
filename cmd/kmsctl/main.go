// Command kmsctl is the command-line companion of KMS Desk: it manages Tencent Cloud KMS keys,
// encrypts and decrypts text and files, manages connection profiles and runs the local KMS.
// It uses the same backend services as the desktop app and builds with CGO_ENABLED=0.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

// version is set with -ldflags "-X main.version=...".
var version = "dev"

// globals holds the flags every command accepts.
type globals struct {
	endpoint string
	region   string
	profile  string
	json     bool
	// proxy is --proxy: "none", "system" or a proxy URL ("" keeps the profile's).
	proxy string
	// insecureHTTP is --insecure-http: plain http:// to another computer is accepted.
	insecureHTTP bool
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
	pf.StringVar(&g.proxy, "proxy", "", "how to reach the KMS: none, system (the computer's proxy settings) or a proxy URL such as http://proxy.corp:3128 (default: the profile's)")
	pf.BoolVar(&g.insecureHTTP, "insecure-http", false, "accept a plain http:// endpoint on another computer (requests and data keys cross the network unencrypted)")
	root.AddCommand(
		newVersionCmd(),
		newLocalCmd(g),
		newKeysCmd(g),
		newTextCmd(g),
		newProfileCmd(g),
		newEncryptCmd(g), newDecryptCmd(g), newVerifyCmd(g), newInspectCmd(g), newRewrapCmd(g),
		newInventoryCmd(g),
		newRecoveryCmd(g),
	)
	root.AddCommand(newManCmd(root))
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
		reportError(os.Stderr, err)
		os.Exit(exitCode(err))
	}
}

// reportError prints the error that ends kmsctl.
func reportError(w io.Writer, err error) {
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(w, "kmsctl:", safe(ee.msg))
		}
		return
	}
	printErr(w, "", err)
}

// exitCode is the process status for err: 0 for none, the code of an exitError, 2 for
// input the services refused as invalid (a mistake in the command line), else 1.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case service.ErrorCode(err) == service.CodeInvalidInput:
		return 2
	}
	return 1
}
