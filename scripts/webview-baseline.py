#!/usr/bin/python3
"""webview-baseline.py: the floor under KMS Desk's startup on this machine. It opens a
bare WebKitGTK window the way the app does (GTK 3, WebKit2GTK 4.1, 1280x800, drawing on
the CPU), loads a one-line page and prints how many milliseconds passed, from the
moment the libraries were loaded, until that page was painted (a requestAnimationFrame
callback and a task after it, as the app's own measurement). scripts/smoke.sh runs it
beside the app's starts, so the app is judged by what it adds to the floor, which
depends on the machine, not on the code.
"""
import time

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

T0 = time.monotonic()
PAINTED = """
return await new Promise((resolve) => requestAnimationFrame(() => {
  const ch = new MessageChannel()
  ch.port1.onmessage = () => resolve(1)
  ch.port2.postMessage(null)
}))
"""


def main():
    win = Gtk.Window(title="webview baseline")
    win.set_default_size(1280, 800)
    view = WebKit2.WebView()
    view.get_settings().set_hardware_acceleration_policy(WebKit2.HardwareAccelerationPolicy.NEVER)
    win.add(view)

    def painted(v, res):
        v.call_async_javascript_function_finish(res)
        print(round((time.monotonic() - T0) * 1000))
        Gtk.main_quit()

    def changed(v, event):
        if event == WebKit2.LoadEvent.FINISHED:
            v.call_async_javascript_function(PAINTED, -1, None, None, None, None, painted)

    view.connect("load-changed", changed)
    view.load_html("<!doctype html><p>KMS Desk</p>", "about:blank")
    win.show_all()
    GLib.timeout_add_seconds(30, Gtk.main_quit)
    Gtk.main()


main()
