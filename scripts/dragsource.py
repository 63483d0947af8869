#!/usr/bin/python3
"""dragsource.py FILE...: a small GTK window that offers FILE... as a text/uri-list drag.

Used by scripts/smoke.sh to drop files onto the real KMS Desk window under Xvfb: xdotool
presses the mouse on this window's button, moves onto the app and releases — the same
X drag-and-drop (XDND) a file manager performs. It prints "drag-begin" when the drag
starts and "accepted" once the window under the pointer said it takes the drop (the
drag's action became copy), so the test releases the button only then.
"""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

uris = [GLib.filename_to_uri(p, None) for p in sys.argv[1:]]
win = Gtk.Window(title="kmsdesk-drag-source")
win.move(0, 0)
btn = Gtk.Button(label="drag me")
btn.set_size_request(160, 80)
btn.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
btn.drag_source_add_uri_targets()
btn.connect("drag-data-get", lambda w, ctx, data, info, t: data.set_uris(uris))


def action_changed(ctx, action):
    if action & Gdk.DragAction.COPY:
        print("accepted", flush=True)


def drag_begin(w, ctx):
    print("drag-begin", flush=True)
    ctx.connect("action-changed", action_changed)


btn.connect("drag-begin", drag_begin)
btn.connect("drag-end", lambda *a: GLib.timeout_add(500, Gtk.main_quit))
win.add(btn)
win.connect("destroy", Gtk.main_quit)
win.show_all()
GLib.timeout_add_seconds(60, Gtk.main_quit)
Gtk.main()
