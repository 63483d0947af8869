package jobs

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/kmsdesk/kmsdesk/backend/envelope"
	"github.com/kmsdesk/kmsdesk/backend/kms"
)

// Suite chooses the crypto suite of the .kmsenc files an encrypt job writes
// (docs/FORMAT.md §3).
type Suite string

// Suites.
const (
	// SuiteAuto (or "") is the standard of the primary key's region: SM4 where the
	// KMS offers SM4 as its only symmetric algorithm (a national-standard region), AES
	// elsewhere. It is asked once per KMS (ListAlgorithms) and remembered by the
	// Manager.
	SuiteAuto Suite = "auto"
	// SuiteAES is suite 0x0001: AES-256-GCM with HKDF-SHA-512 and HMAC-SHA-256.
	SuiteAES Suite = "aes"
	// SuiteSM4 is suite 0x0002 (国密): SM4-GCM with HKDF-SM3 and HMAC-SM3.
	SuiteSM4 Suite = "sm4"
)

// checkSuite validates s ("" becomes SuiteAuto).
func checkSuite(s Suite) (Suite, error) {
	switch s {
	case "":
		return SuiteAuto, nil
	case SuiteAuto, SuiteAES, SuiteSM4:
		return s, nil
	}
	return "", invalidReq(fmt.Sprintf("unknown suite %q (auto, aes or sm4)", s))
}

// suiteIDs maps the explicit choices to envelope suite ids.
var suiteIDs = map[Suite]uint16{SuiteAES: envelope.SuiteCobblestone256, SuiteSM4: envelope.SuiteSM4GCMSM3}

// regionSuites remembers, per KMS (endpoint and region), the suite of its standard.
type regionSuites struct {
	mu sync.Mutex
	m  map[string]uint16
}

// NationalStandard reports whether a KMS that offers algs is a national-standard
// (国密) one: it lists SM4, and only SM4, as its symmetric algorithm.
func NationalStandard(algs kms.Algorithms) bool {
	if len(algs.Symmetric) == 0 {
		return false
	}
	for _, a := range algs.Symmetric {
		if !strings.EqualFold(a.Algorithm, "SM4") {
			return false
		}
	}
	return true
}

// suiteFor resolves choice for a job whose primary key lives at route. For SuiteAuto
// it asks the KMS of route for its algorithms once per endpoint and region; a KMS that
// will not say (a CAM policy without kms:ListAlgorithms, say) gets the AES suite, which
// is not remembered, so the next job asks again. Transient errors fail the file.
func (m *Manager) suiteFor(ctx context.Context, w *Wrapper, route string, choice Suite) (uint16, error) {
	if id, ok := suiteIDs[choice]; ok {
		return id, nil
	}
	k, err := w.kms(ctx, route)
	if err != nil {
		return 0, err
	}
	key := k.Client.Endpoint() + "\x00" + k.Client.Region()
	m.suites.mu.Lock()
	id, ok := m.suites.m[key]
	m.suites.mu.Unlock()
	if ok {
		return id, nil
	}
	var algs kms.Algorithms
	err = w.do(ctx, route, func(c *kms.Client) (err error) {
		algs, err = c.ListAlgorithms(ctx)
		return err
	})
	switch {
	case err != nil && (ctx.Err() != nil || transient(err)):
		return 0, err
	case err != nil:
		return envelope.SuiteCobblestone256, nil
	}
	id = envelope.SuiteCobblestone256
	if NationalStandard(algs) {
		id = envelope.SuiteSM4GCMSM3
	}
	m.suites.mu.Lock()
	if m.suites.m == nil {
		m.suites.m = map[string]uint16{}
	}
	m.suites.m[key] = id
	m.suites.mu.Unlock()
	return id, nil
}
