"""On Windows itself (.github/workflows/platforms.yml; never collected elsewhere, see conftest.py): secret files
for the user alone (icacls), a read-only vault replaced, a path past 260 characters, the clipboard kept out of
Clipboard History and never read back."""

from __future__ import annotations

import getpass
import os
import stat
import subprocess

from rootkeeper.storage import fsutil, winacl


def icacls(path) -> str:
    system = os.environ.get("SystemRoot", r"C:\Windows")
    return subprocess.run([os.path.join(system, "System32", "icacls.exe"), str(path)], capture_output=True,
                          text=True, check=True).stdout


def test_a_secret_file_is_for_the_user_alone_whatever_its_folder_grants(tmp_path):
    folder = tmp_path / "team share"
    folder.mkdir()
    system = os.environ.get("SystemRoot", r"C:\Windows")
    subprocess.run([os.path.join(system, "System32", "icacls.exe"), str(folder), "/grant", "*S-1-1-0:(OI)(CI)R"],
                   check=True, capture_output=True)  # everyone may read what the folder holds
    secret = folder / "share-1.txt"
    fsutil.write_new(secret, b"mnemonic: ...")
    shown = icacls(secret)
    assert "Everyone" not in shown and getpass.getuser().lower() in shown.lower(), shown
    assert winacl.owner_only(winacl.descriptor(secret), winacl.user_sid())
    assert fsutil.privacy(secret) == ""
    plain = folder / "plan.toml"
    fsutil.write_new(plain, b"[plan]", mode=0o644)  # not a secret: the folder's access list
    assert "Everyone" in icacls(plain)
    assert fsutil.privacy(plain) != ""


def test_a_read_only_vault_is_replaced_and_stays_read_only(tmp_path):
    vault = tmp_path / "vault.kdbx"
    vault.write_bytes(b"v1")
    os.chmod(vault, stat.S_IREAD)
    fsutil.atomic_write(vault, b"v2")
    assert vault.read_bytes() == b"v2"
    assert os.stat(vault).st_file_attributes & stat.FILE_ATTRIBUTE_READONLY


def test_a_store_past_260_characters_is_written_and_read(tmp_path):
    deep = tmp_path
    while len(str(deep)) < 300:
        deep = deep / "a-long-folder-name-of-a-team"
    os.makedirs(fsutil.long_path(str(deep)))
    store = deep / "vault.kdbx"
    fsutil.write_new(store, b"x")
    assert fsutil.real(store).read_bytes() == b"x"


def test_the_clipboard_is_kept_out_of_history_and_cleared_by_sequence_number():
    import ctypes

    from rootkeeper.workflows import clipboard

    held = clipboard.copy("not a real password")
    user32 = ctypes.WinDLL("user32")
    for name in ("ExcludeClipboardContentFromMonitorProcessing", "CanIncludeInClipboardHistory",
                 "CanUploadToCloudClipboard"):
        assert user32.IsClipboardFormatAvailable(user32.RegisterClipboardFormatW(name)), name
    assert held.ours() and held.clear()
    assert not user32.IsClipboardFormatAvailable(13)  # CF_UNICODETEXT gone
