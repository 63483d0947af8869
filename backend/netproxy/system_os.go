//go:build windows || darwin

package netproxy

import (
	"net/http"
	"net/url"

	"github.com/mattn/go-ieproxy"
)

// systemFunc is the operating system's proxy function, read by go-ieproxy: on Windows
// the Internet Options (WinHTTP's view of the user's WinINET settings, PAC scripts and
// WPAD, with the registry as fallback), on macOS the network settings (`scutil
// --proxy`, PAC scripts when built with cgo). The settings are read afresh, so a change
// made while the app runs reaches the next connection made with a new client.
func systemFunc() ProxyFunc {
	ieproxy.ReloadConf()
	f := ieproxy.GetProxyFunc()
	return func(r *http.Request) (*url.URL, error) {
		u, err := f(r)
		if u != nil && u.Scheme == "" {
			// A PAC script answers "PROXY host:port": an HTTP proxy.
			u.Scheme = "http"
		}
		return u, err
	}
}
