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


def test_a_commit_waits_out_another_process_holding_the_vault_open(tmp_path):
    """Python, an antivirus or a sync client opens without FILE_SHARE_DELETE: the replace is refused while it
    holds the file (a sharing violation) and goes through once it lets go."""
    import sys
    import time

    vault = tmp_path / "vault.kdbx"
    vault.write_bytes(b"v1")
    reader = subprocess.Popen([sys.executable, "-c", "import sys, time\nf = open(sys.argv[1], 'rb')\n"
                               "print('open', flush=True)\ntime.sleep(0.8)\n", str(vault)], stdout=subprocess.PIPE)
    assert reader.stdout.readline().strip() == b"open"
    started = time.monotonic()
    fsutil.atomic_write(vault, b"v2")
    assert vault.read_bytes() == b"v2" and time.monotonic() - started < fsutil.SHARING_WAIT + 1
    reader.wait(timeout=10)


def test_ctrl_break_clears_the_clipboard(home):
    import signal
    import sys
    import time

    from conftest import base_env, random_seed

    home.rk("enroll", "000000000001", "--name", "clip", "--seed-file", "-", input=random_seed(), check=True)
    proc = subprocess.Popen([sys.executable, "-m", "rootkeeper", "password", "clip", "--reason", "break test",
                             "--clip", *map(str, home.creds())], cwd=home.root, env=base_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            creationflags=subprocess.CREATE_NEW_PROCESS_GROUP)
    time.sleep(8)  # the vault opened, the password copied
    proc.send_signal(signal.CTRL_BREAK_EVENT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGBREAK, err
    assert b"clipboard cleared" in err


def test_a_reader_of_rootkeepers_never_stops_a_commit(tmp_path, monkeypatch):
    """rootkeeper's own readers open with FILE_SHARE_DELETE: a commit replaces the file under them at once."""
    vault = tmp_path / "vault.kdbx"
    vault.write_bytes(b"v1")
    monkeypatch.setattr(fsutil, "SHARING_WAIT", 0)  # no retry: the replace must go through the first time
    with winacl.open_shared(vault) as reader:
        fsutil.atomic_write(vault, b"v2")
        assert reader.read() == b"v1"  # the reader keeps what it opened
    assert vault.read_bytes() == b"v2"
