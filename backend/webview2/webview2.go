// Package webview2 checks, on Windows, that the Microsoft Edge WebView2 Runtime the
// desktop window needs is installed, before the window is created, and tells the user
// in their language what is missing and where to get it. Wails' own check shows an
// English-only dialog whose "OK" downloads the bootstrapper and, offline, crashes
// (v2.9.2). Elsewhere the window uses WebKit and there is nothing to check.
package webview2

import (
	"fmt"
	"strconv"
	"strings"
)

// Minimum is the oldest WebView2 Runtime Wails v2.9.2 accepts
// (wv2installer.MinimumRuntimeVersion).
const Minimum = "94.0.992.31"

// DownloadURL is Microsoft's WebView2 Runtime download page (Evergreen Bootstrapper,
// and the Standalone Installer for PCs without internet access).
func DownloadURL(lang string) string {
	if lang == "zh-CN" {
		return "https://developer.microsoft.com/zh-cn/microsoft-edge/webview2/#download"
	}
	return "https://developer.microsoft.com/en-us/microsoft-edge/webview2/#download"
}

// languageFor maps a Windows LANGID to the language of KMS Desk's messages: Chinese
// (any variant; primary language 0x04) gets zh-CN, everything else English.
func languageFor(langID uint16) string {
	if langID&0x3ff == 0x04 {
		return "zh-CN"
	}
	return "en"
}

// Message is the title and text shown when the WebView2 Runtime is missing
// (installed == "") or older than Minimum, in lang ("zh-CN" or English).
func Message(lang, installed string) (title, text string) {
	m := messages["en"]
	if lang == "zh-CN" {
		m = messages[lang]
	}
	what := m.missing
	if installed != "" {
		what = fmt.Sprintf(m.tooOld, installed, Minimum)
	}
	return m.title, strings.Join([]string{fmt.Sprintf(m.needs, what), "", m.install, DownloadURL(lang), "", m.restart, "", m.open}, "\n")
}

// messages are the texts of Message by language.
var messages = map[string]struct{ title, needs, missing, tooOld, install, restart, open string }{
	"zh-CN": {
		title:   "KMS Desk 无法启动",
		needs:   "KMS Desk 需要 Microsoft Edge WebView2 运行时来显示窗口，但%s。",
		missing: "此电脑上没有安装 Microsoft Edge WebView2 运行时",
		tooOld:  "此电脑上的 Microsoft Edge WebView2 运行时版本 %s 太旧（至少需要 %s）",
		install: "请从微软下载页面安装“常青版引导程序”（Evergreen Bootstrapper）；如果此电脑无法联网，请在其他电脑上下载“常青版独立安装程序”（Evergreen Standalone Installer）再拷贝过来：",
		restart: "安装完成后重新启动 KMS Desk。",
		open:    "现在打开下载页面吗？",
	},
	"en": {
		title:   "KMS Desk cannot start",
		needs:   "KMS Desk draws its window with the Microsoft Edge WebView2 Runtime, but %s.",
		missing: "it is not installed on this PC",
		tooOld:  "this PC has version %s, older than the %s it needs",
		install: "Install the \"Evergreen Bootstrapper\" from Microsoft's download page; on a PC without internet access, download the \"Evergreen Standalone Installer\" on another PC and copy it over:",
		restart: "Then start KMS Desk again.",
		open:    "Open the download page now?",
	},
}

// ExitCode is kmsdesk's exit code when the WebView2 Runtime is missing or too old
// (docs/INSTALL.md).
const ExitCode = 4

// usable reports whether pv, the "pv" value Microsoft documents for detecting the
// runtime ("Detect if a WebView2 Runtime is already installed"), names a runtime
// Wails accepts: "" and "0.0.0.0" mean none is installed.
func usable(pv string) bool {
	pv = strings.TrimSpace(pv)
	return pv != "" && pv != "0.0.0.0" && compareVersions(pv, Minimum) >= 0
}

// compareVersions compares dotted numeric versions ("120.0.2210.91") part by part; a
// part that is not a number counts as 0.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
