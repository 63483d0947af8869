"""KMS Desk for GNOME Files (Nautilus): "Encrypt with KMS Desk" on files and folders and
"Decrypt with KMS Desk" on .kmsenc files, in the right-click menu.

Installed by the kmsdesk .deb/.rpm into /usr/share/nautilus-python/extensions/; Nautilus
loads it when nautilus-python (Debian/Ubuntu: python3-nautilus) is installed. Works with
the extension API 4.0 (Nautilus 43 and later) and 3.0. The selection goes to KMS Desk as
one command line, `kmsdesk --encrypt -- PATH...`, which a running KMS Desk takes over.
"""

import os
import subprocess

import gi

try:
    gi.require_version("Nautilus", "4.0")
except ValueError:
    gi.require_version("Nautilus", "3.0")
from gi.repository import GObject, Nautilus  # noqa: E402

LABELS = {
    "en": {"encrypt": "Encrypt with KMS Desk", "decrypt": "Decrypt with KMS Desk"},
    "zh_CN": {"encrypt": "用 KMS Desk 加密", "decrypt": "用 KMS Desk 解密"},
}
TIPS = {
    "en": {"encrypt": "Encrypt the selected files and folders with KMS Desk",
           "decrypt": "Decrypt the selected .kmsenc files with KMS Desk"},
    "zh_CN": {"encrypt": "用 KMS Desk 加密选中的文件和文件夹",
              "decrypt": "用 KMS Desk 解密选中的 .kmsenc 文件"},
}
COMMAND = "kmsdesk"


def language():
    """zh_CN for a Chinese desktop session, else en (the gettext variables, in order)."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh_CN" if value.split(":")[0].startswith("zh") else "en"
    return "en"


def local_paths(files):
    """The local paths of the selected files, or None when one of them is not local."""
    paths = []
    for f in files:
        if f.get_uri_scheme() != "file":
            return None
        location = f.get_location()
        path = location.get_path() if location is not None else None
        if not path:
            return None
        paths.append(path)
    return paths


def intents(paths):
    """The actions the menu offers for a selection: encrypt always, decrypt when every
    selected item is a .kmsenc file."""
    if not paths:
        return []
    out = ["encrypt"]
    if all(p.endswith(".kmsenc") and not os.path.isdir(p) for p in paths):
        out.append("decrypt")
    return out


def launch(intent, paths):
    """Starts `kmsdesk --INTENT -- PATH...` detached from Nautilus."""
    subprocess.Popen(
        [COMMAND, "--" + intent, "--", *paths],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, close_fds=True,
    )


class KMSDeskMenuProvider(GObject.GObject, Nautilus.MenuProvider):
    def get_file_items(self, *args):
        # API 4.0: (files); API 3.0: (window, files).
        files = args[-1]
        paths = local_paths(files)
        if not paths:
            return []
        lang = language()
        items = []
        for intent in intents(paths):
            item = Nautilus.MenuItem(
                name="KMSDesk::" + intent,
                label=LABELS[lang][intent],
                tip=TIPS[lang][intent],
                icon="kmsdesk",
            )
            item.connect("activate", self._activate, intent, paths)
            items.append(item)
        return items

    def get_background_items(self, *args):
        return []

    def _activate(self, _item, intent, paths):
        launch(intent, paths)
