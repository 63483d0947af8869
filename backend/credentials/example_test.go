package credentials_test

import (
	"context"
	"fmt"
	"os"

	"github.com/kmsdesk/kmsdesk/backend/credentials"
	"github.com/kmsdesk/kmsdesk/backend/errcode"
)

func ExampleStore() {
	dir, err := os.MkdirTemp("", "kmsdesk-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// Production code passes Options{} (system keychain, user config dir).
	s, err := credentials.Open(credentials.Options{ConfigDir: dir, Keychain: credentials.NewMemoryKeychain()})
	if err != nil {
		panic(err)
	}
	p, err := s.Save(credentials.Profile{Name: "work", Settings: credentials.Settings{Kind: credentials.KindTencent, Region: "ap-shanghai"}},
		&credentials.Secret{SecretID: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", SecretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Name, p.Endpoint, p.SecretIDMasked, p.SecretStorage)

	c, err := s.Credentials(context.Background(), "work")
	if err != nil {
		panic(err)
	}
	fmt.Println(c) // secrets never print

	_, err = s.Credentials(context.Background(), "local")
	fmt.Println(errcode.Code(err))
	// Output:
	// work kms.tencentcloudapi.com AKID****MPLE keychain
	// Credentials{SecretID: AKID****MPLE, SecretKey: [REDACTED]}
	// Credentials.NotNeeded
}
