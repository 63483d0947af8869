package localkms

import (
	"fmt"
	"io"
	"net/http"
	"sync"
)

// Request bodies read by ServeHTTP (docs/LOCAL-KMS.md, "Security model"). A
// body is read only after the headers have been authenticated as far as they
// can be without it. Every real KMS request fits in smallBodyLimit; a larger
// body (up to maxRequestBody) holds part of largeBodyBudget while it is being
// read and handled, so that slow clients cannot make the server hold more than
// connections × smallBodyLimit + largeBodyBudget bytes of bodies.
const (
	smallBodyLimit  = 16 << 10 // bytes read without a reservation
	largeBodyBudget = 16 << 20 // bytes of larger bodies held at once, all connections together
)

// byteBudget is a count of bytes that may be taken without waiting.
type byteBudget struct {
	mu   sync.Mutex
	free int64
}

// take takes n bytes if that many are free.
func (b *byteBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.free {
		return false
	}
	b.free -= n
	return true
}

// give returns n bytes taken before.
func (b *byteBudget) give(n int64) {
	b.mu.Lock()
	b.free += n
	b.mu.Unlock()
}

// httpBody reads the body of a request served by ServeHTTP.
type httpBody struct {
	r        *http.Request
	budget   *byteBudget
	done     bool  // read was called
	reserved int64 // bytes taken from budget
	body     []byte
	err      *apiError
}

// read reads the whole body (once; later calls return the same result).
func (b *httpBody) read() ([]byte, *apiError) {
	if b.done {
		return b.body, b.err
	}
	b.done = true
	b.body, b.err = b.load()
	return b.body, b.err
}

func (b *httpBody) load() ([]byte, *apiError) {
	n := b.r.ContentLength
	if n > maxRequestBody {
		return nil, errRequestTooLarge()
	}
	var head []byte
	if n < 0 {
		// Length unknown (chunked): read what fits without a reservation.
		var err error
		head, err = io.ReadAll(io.LimitReader(b.r.Body, smallBodyLimit+1))
		if err != nil {
			return nil, errBodyUnreadable()
		}
		if len(head) <= smallBodyLimit {
			return head, nil
		}
	} else if n <= smallBodyLimit {
		buf := make([]byte, n)
		if _, err := io.ReadFull(b.r.Body, buf); err != nil {
			return nil, errBodyUnreadable()
		}
		return buf, nil
	}
	size := n
	if n < 0 {
		size = maxRequestBody + 1 // to tell a body over the limit
	}
	if !b.budget.take(size) {
		return nil, apiErr(codeRequestLimitExceeded,
			fmt.Sprintf("Too many large requests are being received at once (bodies over %d bytes); retry later.", smallBodyLimit),
			fmt.Sprintf("同时接收的大请求（请求体超过 %d 字节）过多，请稍后重试。", smallBodyLimit))
	}
	b.reserved = size
	buf := make([]byte, size)
	got := copy(buf, head)
	m, err := io.ReadFull(b.r.Body, buf[got:])
	got += m
	switch {
	case n < 0 && (err == io.EOF || err == io.ErrUnexpectedEOF):
		// The chunked body ended before the limit.
	case n < 0 && err == nil:
		return nil, errRequestTooLarge()
	case err != nil:
		return nil, errBodyUnreadable()
	}
	return buf[:got], nil
}

// release gives back the reservation of a large body, once it is no longer used.
func (b *httpBody) release() {
	if b.reserved > 0 {
		b.budget.give(b.reserved)
		b.reserved = 0
	}
}

func errRequestTooLarge() *apiError {
	return apiErr(codeRequestSizeLimitExceeded,
		fmt.Sprintf("The request exceeds the size limit (%d bytes for POST bodies, %d bytes for GET queries).", maxRequestBody, maxRequestQuery),
		fmt.Sprintf("请求包超过大小限制（POST 请求体 %d 字节，GET 查询串 %d 字节）。", maxRequestBody, maxRequestQuery))
}

func errBodyUnreadable() *apiError {
	return apiErr(codeInvalidParameter,
		"The request body could not be read completely.",
		"未能完整读取请求体。")
}
