package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kmsdesk/kmsdesk/backend/service"
)

func newTextCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "text", Short: "Encrypt or decrypt up to 4 KB with the Encrypt/Decrypt API"}
	cmd.AddCommand(textEncryptCmd(g), textDecryptCmd(g))
	return cmd
}

// contextPairs parses repeated --context k=v flags.
func contextPairs(flags []string) ([]service.ContextPair, error) {
	var out []service.ContextPair
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, usageError(fmt.Sprintf("--context takes key=value, not %q", f))
		}
		out = append(out, service.ContextPair{Key: k, Value: v})
	}
	return out, nil
}

// textInput is the argument, or stdin for "-" or no argument (at most limit
// bytes). secret warns that an argument is visible to other processes.
func textInput(cmd *cobra.Command, args []string, limit int64, secret bool) ([]byte, error) {
	if len(args) == 1 && args[0] != "-" {
		if secret {
			fmt.Fprintln(cmd.ErrOrStderr(), "kmsctl: warning: a text given as an argument can be read by other processes and may stay in the shell history; pipe it on stdin instead (kmsctl text encrypt --key KEY < FILE)")
		}
		return []byte(args[0]), nil
	}
	b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), limit+1))
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, service.NewError(service.CodeTextTooLarge, fmt.Sprintf("the input is over %d bytes; use 'kmsctl encrypt FILE' for files", limit))
	}
	return b, nil
}

func textEncryptCmd(g *globals) *cobra.Command {
	var key string
	var ctxFlags []string
	cmd := &cobra.Command{
		Use:   "encrypt --key KEYID|ALIAS [TEXT|-]",
		Short: "Encrypt stdin (or a text argument, visible to other processes) and print the CiphertextBlob",
		Long:  "Encrypt stdin (or a text argument, visible to other processes) and print the CiphertextBlob.\n\n" + localNoticeHelp,
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if key == "" {
				return usageError("--key is required")
			}
			pairs, err := contextPairs(ctxFlags)
			if err != nil {
				return err
			}
			pt, err := textInput(cmd, args, service.MaxText, true)
			if err != nil {
				return err
			}
			s, err := g.open(cmd, nil)
			if err != nil {
				return err
			}
			defer s.close()
			k, err := s.Keys.Resolve(key)
			if err != nil {
				return err
			}
			s.noteLocalKMS()
			res, err := s.Text.Encrypt(service.TextEncryptInput{KeyID: k.KeyID, Text: base64.StdEncoding.EncodeToString(pt), IsBase64: true, Context: pairs})
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintln(cmd.OutOrStdout(), safe(res.Blob))
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "KeyId or alias")
	cmd.Flags().StringArrayVar(&ctxFlags, "context", nil, "encryption context key=value (repeatable)")
	return cmd
}

func textDecryptCmd(g *globals) *cobra.Command {
	var ctxFlags []string
	var raw bool
	cmd := &cobra.Command{
		Use:   "decrypt [BLOB|-]",
		Short: "Decrypt a CiphertextBlob (argument or stdin) and print the plaintext",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pairs, err := contextPairs(ctxFlags)
			if err != nil {
				return err
			}
			blob, err := textInput(cmd, args, service.MaxBlob, false)
			if err != nil {
				return err
			}
			s, err := g.open(cmd, nil)
			if err != nil {
				return err
			}
			defer s.close()
			res, err := s.Text.Decrypt(service.TextDecryptInput{Blob: string(blob), Context: pairs})
			if err != nil {
				return err
			}
			if g.json {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			pt, err := base64.StdEncoding.DecodeString(res.Base64)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if shown := escapeControls(string(pt), true); !raw && shown != string(pt) && isTerminal(out) {
				fmt.Fprintln(cmd.ErrOrStderr(), "kmsctl: warning: the plaintext holds control characters or invalid UTF-8, shown escaped (\\x1b); use --raw to print its bytes as they are, or redirect the output to a file")
				_, err = io.WriteString(out, shown)
				return err
			}
			_, err = out.Write(pt)
			return err
		},
	}
	cmd.Flags().StringArrayVar(&ctxFlags, "context", nil, "encryption context key=value (repeatable)")
	cmd.Flags().BoolVar(&raw, "raw", false, "print the plaintext's bytes as they are even to a terminal (by default control characters are shown escaped there)")
	return cmd
}
