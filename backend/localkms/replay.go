package localkms

import (
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Replay refusal (docs/LOCAL-KMS.md, "Security model").
//
// The official SDKs sign only content-type and host with TC3-HMAC-SHA256, and
// the timestamp has a resolution of one second: two requests with the same body
// in the same second carry the same signature even when their actions differ
// (kmsctl's "keys disable" sends DisableKey and then DescribeKey of one key).
// A signature can therefore not be refused merely for having been seen. What
// the server refuses instead:
//
//   - a TC3 signature used again from another client address, at any time
//     inside its ±300 s window;
//   - a TC3 signature used again more than replayGrace after its first use,
//     from any address;
//   - a signature-v1 signature used again at all: it covers a random Nonce, so
//     legitimate requests never repeat one.
//
// Requests served in process (Server.Transport) have no wire to be captured
// from and are not checked.

const (
	// replayGrace is how long after its first use a TC3 signature may be used
	// again from the same client address.
	replayGrace = 5 * time.Second
	// maxReplayEntries bounds the signatures remembered at once (18 MiB of heap
	// when full, measured). When it is reached, new signatures are refused with
	// RequestLimitExceeded until old ones leave their window: about 218 distinct
	// signed requests per second, sustained, at worst (437 with clocks in sync).
	maxReplayEntries = 1 << 17
)

// replayCache remembers the signatures used inside their timestamp window.
type replayCache struct {
	now func() time.Time // wall clock; replaced in tests

	mu        sync.Mutex
	max       int
	entries   map[[32]byte]replayEntry
	lastPrune int64 // Unix second of the last pruning pass
}

// replayEntry is what is remembered of one signature.
type replayEntry struct {
	peer    [16]byte // client address (IPv4 in IPv6 form)
	first   int64    // Unix nanoseconds of the first use
	expires int64    // Unix second after which the timestamp is outside the window
}

func newReplayCache() *replayCache {
	return &replayCache{now: time.Now, max: maxReplayEntries, entries: make(map[[32]byte]replayEntry)}
}

// check records the use of signature sig, of a request with timestamp ts, by
// the client at peer, and refuses it if it is a replay. strict refuses every
// second use (signature v1). An invalid peer (in process) is never refused.
func (c *replayCache) check(sig []byte, peer netip.Addr, ts int64, strict bool) *apiError {
	if !peer.IsValid() {
		return nil
	}
	var k [32]byte
	copy(k[:], sig)
	now := c.now()
	e := replayEntry{peer: peer.As16(), first: now.UnixNano(), expires: ts + int64(maxClockSkew/time.Second)}

	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[k]; ok && old.expires >= now.Unix() {
		if !strict && old.peer == e.peer && e.first-old.first <= int64(replayGrace) {
			return nil
		}
		return errReplayed(strict)
	}
	if len(c.entries) >= c.max {
		c.prune(now.Unix())
		if len(c.entries) >= c.max {
			return apiErr(codeRequestLimitExceeded,
				fmt.Sprintf("Too many signed requests in the last %d seconds (at most %d are remembered to refuse replays); retry later.", int64(2*maxClockSkew/time.Second), c.max),
				fmt.Sprintf("最近 %d 秒内的签名请求过多（为拒绝重放最多记录 %d 个），请稍后重试。", int64(2*maxClockSkew/time.Second), c.max))
		}
	}
	c.entries[k] = e
	return nil
}

// prune drops the signatures whose timestamps have left the window, at most
// once per second (a pass visits every entry).
func (c *replayCache) prune(now int64) {
	if now == c.lastPrune {
		return
	}
	c.lastPrune = now
	for k, e := range c.entries {
		if e.expires < now {
			delete(c.entries, k)
		}
	}
}

func errReplayed(strict bool) *apiError {
	if strict {
		return apiErr(codeSignatureExpire,
			"This signature (Nonce and Timestamp) has already been used; sign every request anew.",
			"该签名（Nonce 与 Timestamp）已被使用过，请为每个请求重新签名。")
	}
	return apiErr(codeSignatureExpire,
		fmt.Sprintf("This signature has already been used, from another client address or more than %d seconds ago; sign every request anew.", int(replayGrace/time.Second)),
		fmt.Sprintf("该签名已被使用过（来自其他客户端地址，或在 %d 秒之前），请为每个请求重新签名。", int(replayGrace/time.Second)))
}
