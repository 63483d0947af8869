package webview2

import (
	"strings"
	"testing"
)

func TestWebView2Message(t *testing.T) {
	for id, want := range map[uint16]string{0x0804: "zh-CN", 0x0404: "zh-CN", 0x1004: "zh-CN", 0x0409: "en", 0x0407: "en", 0: "en"} {
		if got := languageFor(id); got != want {
			t.Errorf("languageFor(%#04x) = %s, want %s", id, got, want)
		}
	}
	title, text := Message("zh-CN", "")
	if title != "KMS Desk 无法启动" || !strings.Contains(text, "没有安装 Microsoft Edge WebView2 运行时") ||
		!strings.Contains(text, DownloadURL("zh-CN")) || !strings.Contains(DownloadURL("zh-CN"), "/zh-cn/") {
		t.Errorf("zh-CN: %q\n%s", title, text)
	}
	title, text = Message("en", "")
	if title != "KMS Desk cannot start" || !strings.Contains(text, "is not installed on this PC") ||
		!strings.Contains(text, "https://developer.microsoft.com/en-us/microsoft-edge/webview2/") || !strings.Contains(text, "Open the download page now?") {
		t.Errorf("en: %q\n%s", title, text)
	}
	_, text = Message("en", "90.0.1.2")
	if !strings.Contains(text, "version 90.0.1.2") || !strings.Contains(text, Minimum) {
		t.Errorf("too old: %s", text)
	}
	_, text = Message("zh-CN", "90.0.1.2")
	if !strings.Contains(text, "90.0.1.2 太旧") {
		t.Errorf("too old (zh-CN): %s", text)
	}
}

func TestUsable(t *testing.T) {
	for pv, want := range map[string]bool{"": false, "0.0.0.0": false, "90.0.1.2": false, Minimum: true,
		"94.0.1000.1": true, "120.0.2210.91": true, "94.0.992": false, " 131.0.2903.70 ": true} {
		if got := usable(pv); got != want {
			t.Errorf("usable(%q) = %v, want %v", pv, got, want)
		}
	}
}
