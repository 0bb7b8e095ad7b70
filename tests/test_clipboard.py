"""--clip on a real X display (Xvfb) read back with xclip: copied, then cleared after the timeout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import base_env, oracle, random_seed


@pytest.fixture
def display(tmp_path):
    xvfb = oracle("Xvfb")
    oracle("xclip")
    number = 90 + os.getpid() % 500
    server = subprocess.Popen([xvfb, f":{number}", "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        if time.monotonic() > deadline:
            server.kill()
            pytest.fail("Xvfb did not start")
        time.sleep(0.1)
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def clipboard(display: str) -> str:
    out = subprocess.run(["xclip", "-selection", "clipboard", "-o"], capture_output=True, env={**base_env(), "DISPLAY": display},
                         timeout=10)
    return out.stdout.decode()


def clip_started(home, display, path: str | None = None):
    """``password --clip`` running with the password on the clipboard: (its process, the password)."""
    home.rk("enroll", "000000000001", "--name", "clip", "--seed-file", "-", input=random_seed(), check=True)
    expected = home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/clip").strip()
    env = {**base_env(), "DISPLAY": display, **({"PATH": path} if path else {})}
    proc = subprocess.Popen([sys.executable, "-m", "rootkeeper", "password", "clip", "--reason", "clip test", "--clip",
                             *map(str, home.creds())], cwd=home.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and clipboard(display) != expected:
        time.sleep(0.2)
    assert clipboard(display) == expected
    return proc, expected


def test_clip_copies_then_clears(home, display):
    home.rk("enroll", "000000000001", "--name", "clip", "--seed-file", "-", input=random_seed(), check=True)
    config = home.config.read_text().replace("clipboard_seconds = 30", "clipboard_seconds = 5")
    home.config.write_text(config)
    expected = home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/clip").strip()
    env = {**base_env(), "DISPLAY": display}
    proc = subprocess.Popen([sys.executable, "-m", "rootkeeper", "password", "clip", "--reason", "clip test", "--clip",
                             *map(str, home.creds())], cwd=home.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    seen = ""
    while time.monotonic() < deadline and seen != expected:
        seen = clipboard(display)
        time.sleep(0.2)
    assert seen == expected
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out == b""  # the password never goes to stdout with --clip
    assert b"clipboard cleared" in err
    assert clipboard(display) == ""
    assert '"event":"password.clip"' in home.journal.read_text()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_clip_is_cleared_when_the_command_is_terminated(home, display, signum):
    """Trust issue item 8: a --clip ended by SIGTERM or SIGHUP clears the clipboard too."""
    proc, _expected = clip_started(home, display)
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signum, err
    assert b"clipboard cleared" in err
    assert clipboard(display) == ""


def secrets_in(pid: int) -> list[str]:
    try:
        environ = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
    except OSError:
        return []
    return [item.decode(errors="replace").split("=", 1)[0] for item in environ
            if item.startswith(b"ROOTKEEPER_") or item.startswith(b"AWS_SECRET")]


def test_the_clipboard_tool_never_inherits_a_secret(home, display):
    """xclip serves the selection after rootkeeper's copy returns: its environment is readable for as long."""
    home.rk("enroll", "000000000001", "--name", "clip", "--seed-file", "-", input=random_seed(), check=True)
    env = {**base_env(), "DISPLAY": display, "ROOTKEEPER_VAULT_PASSWORD": home.password_file.read_text().strip(),
           "ROOTKEEPER_SEEDS_PASSPHRASE": "a passphrase", "AWS_SECRET_ACCESS_KEY": "not-a-real-key"}
    proc = subprocess.Popen([sys.executable, "-m", "rootkeeper", "password", "clip", "--reason", "env test", "--clip",
                             "--seeds-identity", str(home.identity)], cwd=home.root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        deadline, found = time.monotonic() + 20, []
        while time.monotonic() < deadline and not found:
            found = [int(p.name) for p in __import__("pathlib").Path("/proc").iterdir() if p.name.isdigit()
                     and (p / "comm").exists() and (p / "comm").read_text().strip() == "xclip"]
            time.sleep(0.1)
        assert found, "no xclip process seen"
        assert all(secrets_in(pid) == [] for pid in found), {pid: secrets_in(pid) for pid in found}
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_graphviz_s_dot_never_inherits_a_secret(home, tmp_path_factory):
    home.rk("custody", "init", "plan.toml", check=True)
    bin_dir = tmp_path_factory.mktemp("bin")
    dump = bin_dir / "environment"
    (bin_dir / "dot").write_text(f"#!/bin/sh\nenv > {dump}\ncat > /dev/null\necho '<svg/>'\n")
    (bin_dir / "dot").chmod(0o755)
    env = {**base_env(), "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "ROOTKEEPER_VAULT_PASSWORD": "a vault password", "ROOTKEEPER_SEEDS_PASSPHRASE": "a passphrase"}
    done = home.rk("custody", "diagram", "plan.toml", "-o", "plan.svg", env=env)
    assert done.returncode == 0, done.err
    assert dump.exists() and "PATH=" in dump.read_text()
    assert "ROOTKEEPER_" not in dump.read_text()


def test_a_program_planted_in_the_working_directory_is_never_run(home, tmp_path_factory):
    """A 'dot' and an 'xclip' in the team share holding rootkeeper.toml, with a PATH whose first entries are the
    current directory (empty, '.'): rootkeeper runs neither; it takes the ones of PATH's absolute folders."""
    home.rk("custody", "init", "plan.toml", check=True)
    home.rk("enroll", "000000000042", "--name", "prod", "--seed-file", "-", input=random_seed(), check=True)
    marker = tmp_path_factory.mktemp("planted") / "ran"
    for name in ("dot", "xclip", "xsel", "wl-copy", "wl-paste"):
        (home.root / name).write_text(f"#!/bin/sh\necho {name} >> {marker}\ncat > /dev/null\necho '<svg/>'\n")
        (home.root / name).chmod(0o755)
    bin_dir = tmp_path_factory.mktemp("bin")
    real = {**base_env(), "PATH": f"::.:{bin_dir}:{os.environ['PATH']}", "DISPLAY": ":99", "WAYLAND_DISPLAY": "w"}
    done = home.rk("custody", "diagram", "plan.toml", "-o", "plan.png", env=real)
    assert done.returncode == 0, done.err
    assert (home.root / "plan.png").read_bytes().startswith(b"\x89PNG")  # drawn by the real dot
    home.rk("password", "prod", "--reason", "t", "--clip", env=real)  # no real clipboard here: refused, or copied
    assert not marker.exists(), marker.read_text()


def logging_tools(bin_dir, log):
    """xclip and xsel that log how they are called, then run the real ones (by exec: the same process)."""
    for name in ("xclip", "xsel"):
        real = __import__("shutil").which(name)
        if real:
            (bin_dir / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\nexec {real} "$@"\n')
            (bin_dir / name).chmod(0o755)


def test_clearing_never_reads_the_secret_back_and_leaves_a_replacement_alone(home, display, tmp_path_factory):
    """Whether the clipboard still holds the secret is known without pasting it (Windows' Get-Clipboard may be
    transcribed to a log): the selection's owner ends when another program takes the clipboard."""
    bin_dir = tmp_path_factory.mktemp("bin")
    log = bin_dir / "calls"
    logging_tools(bin_dir, log)
    home.config.write_text(home.config.read_text().replace("clipboard_seconds = 30", "clipboard_seconds = 5"))
    proc, _expected = clip_started(home, display, f"{bin_dir}:{os.environ['PATH']}")
    subprocess.run(["xclip", "-selection", "clipboard"], input=b"the user's own text", check=True, timeout=10,
                   env={**base_env(), "DISPLAY": display})
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert b"already holds something else; left alone" in err
    assert clipboard(display) == "the user's own text"
    calls = log.read_text().splitlines()
    assert calls and not any(" -o" in call or "--output" in call for call in calls), calls
    assert b"clipboard manager" in err  # what the clipboard may still do with it is said


def test_a_clip_killed_outright_leaves_nothing_on_the_clipboard(home, display):
    """SIGKILL gives no chance to clear: the selection's owner is ended with rootkeeper (PR_SET_PDEATHSIG)."""
    proc, expected = clip_started(home, display)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and clipboard(display) == expected:
        time.sleep(0.2)
    assert clipboard(display) == ""


class FakeUser32:
    """user32 as the Windows clipboard keeps it: a sequence number that every change of the clipboard moves."""

    def __init__(self, kernel32):
        self.kernel32, self.data, self.sequence, self.calls = kernel32, {}, 7, []
        self.formats = {}

    def OpenClipboard(self, _window):  # noqa: N802 - Windows' names
        self.calls.append("OpenClipboard")
        return 1

    def CloseClipboard(self):  # noqa: N802
        return 1

    def EmptyClipboard(self):  # noqa: N802
        self.data.clear()
        self.sequence += 1
        return 1

    def RegisterClipboardFormatW(self, name):  # noqa: N802
        return self.formats.setdefault(name, 0xC000 + len(self.formats))

    def SetClipboardData(self, kind, handle):  # noqa: N802
        self.data[kind] = self.kernel32.bytes_of(handle)
        self.sequence += 1
        return handle

    def GetClipboardSequenceNumber(self):  # noqa: N802
        return self.sequence

    def GetClipboardData(self, kind):  # noqa: N802 - reading back is what must never happen
        raise AssertionError("the clipboard was read back")


class FakeKernel32:
    def __init__(self):
        self.blocks = {}

    def GlobalAlloc(self, _flags, size):  # noqa: N802
        import ctypes

        block = ctypes.create_string_buffer(size)
        self.blocks[ctypes.addressof(block)] = block
        return ctypes.addressof(block)

    def GlobalLock(self, handle):  # noqa: N802
        return handle

    def GlobalUnlock(self, _handle):  # noqa: N802
        return 1

    def GlobalFree(self, _handle):  # noqa: N802
        return None

    def bytes_of(self, handle):
        return self.blocks[handle].raw


def test_on_windows_the_secret_is_kept_out_of_clipboard_history_and_the_cloud_and_known_by_sequence_number():
    """The formats Windows documents (Clipboard Formats, "Cloud Clipboard and Clipboard History Formats"):
    ExcludeClipboardContentFromMonitorProcessing, CanIncludeInClipboardHistory = 0, CanUploadToCloudClipboard = 0."""
    from rootkeeper.workflows.clipboard import _Windows

    kernel32 = FakeKernel32()
    user32 = FakeUser32(kernel32)
    held = _Windows("root password", user32=user32, kernel32=kernel32)
    assert user32.data[13] == "root password\0".encode("utf-16-le")  # CF_UNICODETEXT
    for name in ("ExcludeClipboardContentFromMonitorProcessing", "CanIncludeInClipboardHistory",
                 "CanUploadToCloudClipboard"):
        assert user32.data[user32.formats[name]] == b"\0\0\0\0", name
    assert held.ours() and held.clear() and user32.data == {}
    again = _Windows("root password", user32=user32, kernel32=kernel32)
    user32.EmptyClipboard()
    user32.SetClipboardData(13, kernel32.GlobalAlloc(0, 4))  # the user copied something else
    assert not again.ours() and not again.clear() and 13 in user32.data
