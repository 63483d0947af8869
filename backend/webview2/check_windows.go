//go:build windows

package webview2

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// clientKey is the EdgeUpdate client of the WebView2 Runtime, whose "pv" value holds
// the installed version (per machine under HKLM, 32-bit view on 64-bit Windows, or per
// user under HKCU).
const clientKey = `SOFTWARE\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}`

// Check runs before Wails: without a usable WebView2 Runtime it explains, in the
// system's UI language, what is missing and where to get it (and offers to open the
// download page), logs it, and answers ExitCode and stop.
func Check(log *slog.Logger, stderr io.Writer) (code int, stop bool) {
	installed, found := "", false
	for _, k := range []struct {
		root   registry.Key
		access uint32
	}{
		{registry.LOCAL_MACHINE, registry.WOW64_32KEY}, {registry.LOCAL_MACHINE, 0}, {registry.CURRENT_USER, 0},
	} {
		pv, err := readPV(k.root, k.access)
		switch {
		case err == nil && usable(pv):
			return 0, false
		case err == nil:
			installed, found = pv, true
		case !errors.Is(err, registry.ErrNotExist):
			log.Warn("webview2 runtime check", "err", err)
		}
	}
	if !found || installed == "0.0.0.0" {
		installed = ""
	}
	lang := uiLanguage()
	title, text := Message(lang, installed)
	log.Error("webview2 runtime missing", "installed", installed, "minimum", Minimum, "lang", lang, "url", DownloadURL(lang))
	fmt.Fprintln(stderr, "kmsdesk: "+text)
	if messageBox(title, text, windows.MB_YESNO|windows.MB_ICONERROR|windows.MB_SETFOREGROUND) == idYes {
		if err := openURL(DownloadURL(lang)); err != nil {
			log.Error("open the WebView2 download page", "err", err)
		} else {
			log.Info("opened the WebView2 download page", "url", DownloadURL(lang))
		}
	}
	return ExitCode, true
}

func readPV(root registry.Key, access uint32) (string, error) {
	k, err := registry.OpenKey(root, clientKey, registry.QUERY_VALUE|access)
	if err != nil {
		return "", err
	}
	defer k.Close()
	pv, _, err := k.GetStringValue("pv")
	return pv, err
}

const idYes = 6 // IDYES

// uiLanguage is "zh-CN" when the user's Windows UI language is Chinese, else "en".
func uiLanguage() string {
	langID, _, _ := windows.NewLazySystemDLL("kernel32.dll").NewProc("GetUserDefaultUILanguage").Call()
	return languageFor(uint16(langID))
}

func messageBox(title, text string, flags uint32) int32 {
	t, _ := windows.UTF16PtrFromString(title)
	m, _ := windows.UTF16PtrFromString(text)
	r, _ := windows.MessageBox(0, m, t, flags)
	return r
}

func openURL(url string) error {
	verb, _ := windows.UTF16PtrFromString("open")
	u, _ := windows.UTF16PtrFromString(url)
	return windows.ShellExecute(0, verb, u, nil, nil, windows.SW_SHOWNORMAL)
}
