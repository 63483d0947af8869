package kms_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// TestCredentialsAreRedactedInFormatting: the one Credentials type (the credential
// store hands it to the client) never shows its key or token through fmt or slog, and
// shows the SecretId only masked (the first and last four characters of a long one).
func TestCredentialsAreRedactedInFormatting(t *testing.T) {
	const key, token = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "the-session-token"
	cases := []struct{ id, masked string }{{"AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "AKID****MPLE"}, {"AKID123456789", "AKID****6789"}, {"AKID12345678", "****"}, {"", ""}}
	for _, c := range cases {
		if got := kms.MaskSecretID(c.id); got != c.masked {
			t.Errorf("MaskSecretID(%q) = %q, want %q", c.id, got, c.masked)
		}
		cred := kms.Credentials{SecretID: c.id, SecretKey: key, Token: token, Expiry: time.Now()}
		var logBuf bytes.Buffer
		slog.New(slog.NewTextHandler(&logBuf, nil)).Info("creds", "credentials", cred)
		shown := map[string]string{"%v": fmt.Sprintf("%v", cred), "%s": cred.String(), "%+v": fmt.Sprintf("%+v", cred), "%#v": fmt.Sprintf("%#v", cred),
			"slog": logBuf.String(), "%v slice": fmt.Sprintf("%v", []kms.Credentials{cred}), "%+v pointer": fmt.Sprintf("%+v", &cred)}
		for how, out := range shown {
			secrets := []string{key, token}
			if len(c.id) > 12 {
				secrets = append(secrets, c.id[4:len(c.id)-4])
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%s of %q shows a secret: %q", how, c.id, out)
				}
			}
			if !strings.Contains(out, "SecretID: "+c.masked+",") {
				t.Errorf("%s of %q lacks the masked SecretId %q: %q", how, c.id, c.masked, out)
			}
		}
	}
}

func ExampleMaskSecretID() {
	fmt.Println(kms.MaskSecretID("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"))
	// Output: AKID****MPLE
}
