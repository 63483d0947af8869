package credentials

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// errNoSessionBus is the cause of every Keychain.NoSessionBus error found
// before touching D-Bus.
var errNoSessionBus = errors.New("no D-Bus session bus")

// busEntry is one address from a D-Bus address list
// ("transport:key=value,key=value;…").
type busEntry struct {
	transport string
	params    map[string]string
}

// parseBusAddress parses a D-Bus server address list as in the D-Bus
// specification, "Server Addresses": entries separated by ';', each
// "transport:key=value,…" with values percent-escaped.
func parseBusAddress(addr string) ([]busEntry, error) {
	var out []busEntry
	for _, part := range strings.Split(addr, ";") {
		if part == "" {
			continue
		}
		transport, rest, ok := strings.Cut(part, ":")
		if !ok || transport == "" {
			return nil, fmt.Errorf("bus address entry %q has no transport", part)
		}
		e := busEntry{transport: transport, params: map[string]string{}}
		if rest != "" {
			for _, kv := range strings.Split(rest, ",") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return nil, fmt.Errorf("bus address entry %q has a malformed key=value pair", part)
				}
				uv, err := unescapeBusValue(v)
				if err != nil {
					return nil, fmt.Errorf("bus address entry %q: %w", part, err)
				}
				e.params[k] = uv
			}
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, errors.New("bus address is empty")
	}
	return out, nil
}

func unescapeBusValue(v string) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+2 >= len(v) {
			return "", errors.New("truncated %-escape")
		}
		hi, ok1 := unhex(v[i+1])
		lo, ok2 := unhex(v[i+2])
		if !ok1 || !ok2 {
			return "", errors.New("invalid %-escape")
		}
		b.WriteByte(hi<<4 | lo)
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// busProbe is what checkSessionBus needs from the environment.
type busProbe struct {
	getenv func(string) string
	// runtimeBus is the per-user bus socket godbus looks for when the
	// variable is unset ("/run/user/<uid>/bus").
	runtimeBus string
	// isSocket reports whether path exists and is a socket.
	isSocket func(path string) bool
}

// checkSessionBus decides, without connecting, whether godbus would find a
// session bus without autolaunching one. It accepts DBUS_SESSION_BUS_ADDRESS
// when at least one entry is usable (unix:path= whose socket exists, or an
// abstract, tcp or other non-file transport), and otherwise the per-user
// runtime socket. "autolaunch:" and an unset variable with no runtime socket
// are refused: those are the cases where godbus would spawn dbus-launch.
func checkSessionBus(p busProbe) error {
	addr := p.getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		if p.runtimeBus != "" && p.isSocket(p.runtimeBus) {
			return nil
		}
		return fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS is not set", errNoSessionBus)
	}
	entries, err := parseBusAddress(addr)
	if err != nil {
		return fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS: %v", errNoSessionBus, err)
	}
	var missing []string
	for _, e := range entries {
		switch e.transport {
		case "autolaunch":
			continue
		case "unix":
			if path, ok := e.params["path"]; ok {
				if p.isSocket(path) {
					return nil
				}
				missing = append(missing, path)
				continue
			}
			if _, ok := e.params["abstract"]; ok {
				return nil
			}
			// unix:dir= / unix:tmpdir= are listen-only addresses.
			continue
		default:
			return nil
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: bus socket %s does not exist", errNoSessionBus, strings.Join(missing, ", "))
	}
	return fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS %q names no usable bus", errNoSessionBus, addr)
}

func isSocketFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}
