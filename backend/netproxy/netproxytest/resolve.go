package netproxytest

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// TestDomain is the domain whose names [ResolveTestDomain] makes resolve to 127.0.0.1.
const TestDomain = "proxy.test"

// ResolveTestDomain makes every name under [TestDomain] ("kms.proxy.test") resolve to
// 127.0.0.1 for the rest of the test, and every other name fail, without any DNS
// traffic leaving the machine: it replaces net.DefaultResolver with Go's resolver
// talking to a DNS responder on a loopback port, and restores it at cleanup. A
// connection to "kms.proxy.test:PORT" then reaches a loopback server directly, while
// proxy rules see a host that is not loopback (net/http never proxies loopback
// addresses, whatever HTTPS_PROXY says). Tests that use it must not run in parallel.
func ResolveTestDomain(t testing.TB) {
	t.Helper()
	// DNS over TCP (RFC 1035 §4.2.2: each message after its 2-byte length): Go's
	// resolver speaks it to a Dial that returns a stream, and every platform the tests
	// run on has loopback TCP (Wine has no UDP socket ioctls Go's resolver needs).
	addr := listen(t, func(c net.Conn, _ <-chan struct{}) { serveDNS(c) })
	saved := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}}
	t.Cleanup(func() { net.DefaultResolver = saved })
}

// serveDNS answers the length-prefixed DNS queries of one TCP connection until the
// client closes it.
func serveDNS(c net.Conn) {
	var size [2]byte
	for {
		if _, err := io.ReadFull(c, size[:]); err != nil {
			return
		}
		query := make([]byte, binary.BigEndian.Uint16(size[:]))
		if _, err := io.ReadFull(c, query); err != nil {
			return
		}
		out, ok := answer(query)
		if !ok {
			return
		}
		if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(out))), out...)); err != nil {
			return
		}
	}
}

// answer builds the reply to one DNS query: A 127.0.0.1 for names under TestDomain,
// an empty answer for their other record types, NXDOMAIN for every other name.
func answer(query []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	name := strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))
	ours := name == TestDomain || strings.HasSuffix(name, "."+TestDomain)
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	if !ours {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil, false
	}
	if ours && q.Type == dnsmessage.TypeA {
		rr := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 1}
		if b.AResource(rr, dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}}) != nil {
			return nil, false
		}
	}
	out, err := b.Finish()
	return out, err == nil
}
