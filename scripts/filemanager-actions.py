#!/usr/bin/env python3
"""filemanager-actions.py: checks and runs KMS Desk's file-manager integrations the way
the file managers do (a helper of scripts/test-package.sh).

  filemanager-actions.py validate ROOT
      ROOT is an unpacked package (or /): every integration file exists, parses as its
      file manager reads it, and runs `kmsdesk --encrypt|--decrypt -- <the selection>`
      for the right files (KDE Dolphin service menus, FileManager-Actions for Caja and
      PCManFM-Qt, Nemo actions, the nautilus-python extension).
  filemanager-actions.py run ROOT NAME PATH...
      Runs integration NAME (kde-encrypt, kde-decrypt, fma-encrypt, fma-decrypt,
      nemo-encrypt, nemo-decrypt, nautilus-encrypt, nautilus-decrypt) on the selection
      PATH... as its file manager would and waits (60 s at most) for the command it
      started, whose exit code it prints. The
      nautilus ones load the extension with the real Nautilus GObject introspection
      data, ask it for its menu items and activate one.
"""
import configparser
import importlib.util
import os
import shlex
import subprocess
import sys
import time

FILES = {
    "kde-encrypt": "usr/share/kio/servicemenus/kmsdesk-encrypt.desktop",
    "kde-decrypt": "usr/share/kio/servicemenus/kmsdesk-decrypt.desktop",
    "fma-encrypt": "usr/share/file-manager/actions/kmsdesk-encrypt.desktop",
    "fma-decrypt": "usr/share/file-manager/actions/kmsdesk-decrypt.desktop",
    "nemo-encrypt": "usr/share/nemo/actions/kmsdesk-encrypt.nemo_action",
    "nemo-decrypt": "usr/share/nemo/actions/kmsdesk-decrypt.nemo_action",
    "nautilus": "usr/share/nautilus-python/extensions/kmsdesk.py",
}
LABEL = {"encrypt": "Encrypt with KMS Desk", "decrypt": "Decrypt with KMS Desk"}
LABEL_ZH = {"encrypt": "用 KMS Desk 加密", "decrypt": "用 KMS Desk 解密"}
MIMES = {"encrypt": {"all/allfiles", "inode/directory"}, "decrypt": {"application/x-kmsenc"}}


def fail(msg):
    sys.exit(f"filemanager-actions: {msg}")


def read(path):
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str  # keys are case-sensitive
    if not cp.read(path, encoding="utf-8"):
        fail(f"cannot read {path}")
    return cp


def entry(root, name):
    """(group holding Exec, the Exec line, the MIME types, the label group) of a .desktop-style integration."""
    intent = name.split("-")[1]
    cp = read(os.path.join(root, FILES[name]))
    if name.startswith("kde-"):
        de = cp["Desktop Entry"]
        assert de["Type"] == "Service", "Type"
        assert de["X-KDE-ServiceTypes"] == "KonqPopupMenu/Plugin", "X-KDE-ServiceTypes"
        actions = [a for a in de["Actions"].split(";") if a]
        assert actions == [intent], f"Actions {actions}"
        act = cp[f"Desktop Action {intent}"]
        return act, act["Exec"], set(filter(None, de["MimeType"].split(";"))), act
    if name.startswith("fma-"):
        de = cp["Desktop Entry"]
        assert de["Type"] == "Action", "Type"
        profiles = [p for p in de["Profiles"].split(";") if p]
        assert len(profiles) == 1, f"Profiles {profiles}"
        prof = cp[f"X-Action-Profile {profiles[0]}"]
        assert prof["SelectionCount"] == ">0", "SelectionCount"
        return prof, prof["Exec"], set(filter(None, prof["MimeTypes"].split(";"))), de
    if name.startswith("nemo-"):
        na = cp["Nemo Action"]
        assert na["Selection"] == "notnone", "Selection"
        assert na["Quote"] == "double", "Quote"
        if intent == "encrypt":
            assert na["Extensions"] == "any;", "Extensions"
            mimes = MIMES["encrypt"]
        else:
            mimes = set(filter(None, na["Mimetypes"].split(";")))
        return na, na["Exec"], mimes, na
    raise KeyError(name)


def argv_for(exec_line, paths):
    """Expands %F the way the file managers do: one argument per selected path."""
    out = []
    for tok in shlex.split(exec_line):
        if tok == "%F":
            out.extend(paths)
        else:
            out.append(tok)
    return out


def load_nautilus(root):
    spec = importlib.util.spec_from_file_location("kmsdesk_nautilus", os.path.join(root, FILES["nautilus"]))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class FileInfo:
    """What Nautilus hands an extension for a selected file (NautilusFileInfo's methods the
    extension uses), for a real path."""

    def __init__(self, path):
        from gi.repository import Gio
        self.path = path
        self.gfile = Gio.File.new_for_path(path)

    def get_uri_scheme(self):
        return self.gfile.get_uri_scheme()

    def get_location(self):
        return self.gfile


def validate(root):
    for name in [n for n in FILES if n != "nautilus"]:
        intent = name.split("-")[1]
        try:
            _, exec_line, mimes, labels = entry(root, name)
            assert exec_line == f"kmsdesk --{intent} -- %F", f"Exec {exec_line!r}"
            assert mimes == MIMES[intent], f"MIME types {mimes}"
            assert labels["Name"] == LABEL[intent], f"Name {labels['Name']!r}"
            assert labels["Name[zh_CN]"] == LABEL_ZH[intent], "Name[zh_CN]"
            icon = labels.get("Icon", labels.get("Icon-Name"))
            assert icon == "kmsdesk", f"Icon {icon!r}"
        except (AssertionError, KeyError) as e:
            fail(f"{FILES[name]}: {e}")
        print(f"ok {FILES[name]}: {labels['Name']} -> {exec_line}")
    # The Nautilus extension: loads with the real Nautilus introspection data and offers
    # the right items for a selection, in English and Chinese.
    mod = load_nautilus(root)
    provider = mod.KMSDeskMenuProvider()
    tmp = os.environ.get("TMPDIR", "/tmp")
    plain, sealed = os.path.join(tmp, "a plain file.txt"), os.path.join(tmp, "sealed.kmsenc")
    for p in (plain, sealed):
        open(p, "w").close()
    try:
        for lang, labels in (("C.UTF-8", LABEL), ("zh_CN.UTF-8", LABEL_ZH)):
            for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
                os.environ.pop(var, None)
            os.environ["LANG"] = lang
            for sel, want in (([plain], ["encrypt"]), ([sealed], ["encrypt", "decrypt"]), ([plain, sealed], ["encrypt"]), ([tmp], ["encrypt"])):
                for args in ((list(map(FileInfo, sel)),), (None, list(map(FileInfo, sel)))):  # API 4.0, 3.0
                    items = provider.get_file_items(*args)
                    got = [(i.props.name, i.props.label) for i in items]
                    expect = [("KMSDesk::" + w, labels[w]) for w in want]
                    if got != expect:
                        fail(f"nautilus extension, {lang}, selection {sel}: items {got}, want {expect}")
        class Remote(FileInfo):
            def get_uri_scheme(self):
                return "sftp"
        if provider.get_file_items([Remote(plain)]):
            fail("nautilus extension: offered items for a remote file")
    finally:
        os.remove(plain)
        os.remove(sealed)
    print(f"ok {FILES['nautilus']}: Nautilus.MenuProvider, items per selection in en and zh_CN, none for remote files")


def run(root, name, paths):
    if name.startswith("nautilus-"):
        intent = name.split("-")[1]
        mod = load_nautilus(root)
        started = []
        real_popen = mod.subprocess.Popen

        def popen(*a, **kw):
            p = real_popen(*a, **kw)
            started.append(p)
            return p
        mod.subprocess.Popen = popen
        items = [i for i in mod.KMSDeskMenuProvider().get_file_items(list(map(FileInfo, paths))) if i.props.name == "KMSDesk::" + intent]
        if not items:
            fail(f"the nautilus extension offers no {intent} item for {paths}")
        items[0].activate()
        if len(started) != 1:
            fail(f"activating the item started {len(started)} processes")
        rc = started[0].wait(timeout=60)
    else:
        _, exec_line, _, _ = entry(root, name)
        rc = subprocess.run(argv_for(exec_line, paths), timeout=60).returncode
    # A kmsdesk that hands its files to the running one exits at once (with 1: Wails'
    # second instance); the test reads the running app's log for what arrived.
    print(f"{name}: the command exited with {rc}")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "validate":
        validate(sys.argv[2])
    elif len(sys.argv) >= 5 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
