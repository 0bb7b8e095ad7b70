"""Put a secret on the system clipboard, and take it off again: never read back, never kept by the system.

- **Windows**: set in-process (user32, through ctypes), with the formats that keep it out of Clipboard History
  and Cloud Clipboard (``CanIncludeInClipboardHistory`` and ``CanUploadToCloudClipboard`` = 0) and from
  clipboard monitors (``ExcludeClipboardContentFromMonitorProcessing``); ``clip.exe`` would give it to all
  three. Whether it is still ours is the clipboard's sequence number, never the text read back (PowerShell's
  ``Get-Clipboard`` may be transcribed to a log).
- **macOS**: set in-process (AppKit's NSPasteboard, through the Objective-C runtime) for this host only
  (``NSPasteboardContentsCurrentHostOnly``: no Universal Clipboard to the user's other devices), marked with the
  concealed and transient types that clipboard managers honour; still ours while its change count is unchanged.
- **Linux** (X11: xclip, xsel; Wayland: wl-copy): the tool stays in the foreground as the selection's owner
  and ends when another program takes the clipboard, so "still ours" is "still running", and clearing is
  ending it; it is ended with rootkeeper too, even when rootkeeper is killed. A clipboard manager may keep its
  own copy: that is said, with --show as the way without one.

The secret goes to a tool's standard input, never to its arguments; the tool's environment holds no secret
(``hygiene.child_environment``). Ctrl-C, SIGTERM, SIGHUP, Ctrl-Break and a closed console window clear it too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from ..errors import NotFoundError
from ..hygiene import child_environment, program


class Held:
    """A secret this process put on the clipboard: ``ours()`` while nobody replaced it, ``clear()`` to take it
    off (only if still ours). ``caveat``: what this platform's clipboard may still do with it ("" for nothing)."""

    caveat = ""

    def ours(self) -> bool:
        raise NotImplementedError

    def clear(self) -> bool:
        """Take the secret off if nobody replaced it; True when cleared."""
        raise NotImplementedError


# ---------------------------------------------------------------- Linux: an owner process
def _owners() -> list[list[str]]:
    """The tools that own a selection in the foreground until replaced, for this session's display."""
    candidates = []
    if os.environ.get("WAYLAND_DISPLAY"):
        candidates.append(["wl-copy", "--foreground"])
    if os.environ.get("DISPLAY"):
        candidates += [["xclip", "-selection", "clipboard", "-quiet"], ["xsel", "--clipboard", "--input", "--nodetach"]]
    return candidates


def _owner_command() -> list[str] | None:
    for command in _owners():
        found = program(command[0])  # by absolute path, never one planted in the current directory
        if found:
            return [found, *command[1:]]
    return None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the owner gets SIGTERM when rootkeeper ends, however it ends (a SIGKILL too)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class _Owner(Held):
    caveat = ("a clipboard manager (Klipper, GPaste, CopyQ...) may keep its own copy after it is cleared: exclude "
              "rootkeeper there, or use --show")

    def __init__(self, command: list[str], text: str) -> None:
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, env=child_environment(),
                                        preexec_fn=preexec)  # noqa: PLW1509 - a single-threaded process
        try:
            self.process.stdin.write(text.encode())
            self.process.stdin.close()
            if self.process.wait(timeout=0.3) == 0:  # a tool that cannot reach the display ends at once, failing
                return  # it served the selection, and another program took the clipboard already
        except subprocess.TimeoutExpired:
            return  # it serves the selection
        except OSError:
            self.process.kill()
            self.process.wait()
        raise NotFoundError(f"{os.path.basename(command[0])} could not take the clipboard (no display it can "
                            "reach?): use --show")

    def ours(self) -> bool:
        return self.process.poll() is None

    def clear(self) -> bool:
        if not self.ours():
            return False
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return True


# ---------------------------------------------------------------- Windows: user32 in this process
_GMEM_MOVEABLE = 0x0002
_CF_UNICODETEXT = 13
_PRIVATE_FORMATS = {"ExcludeClipboardContentFromMonitorProcessing": b"\0\0\0\0", "CanIncludeInClipboardHistory":
                    b"\0\0\0\0", "CanUploadToCloudClipboard": b"\0\0\0\0"}  # each a DWORD 0


class _Windows(Held):
    def __init__(self, text: str, user32=None, kernel32=None) -> None:
        import ctypes

        self.user32 = user32 or ctypes.WinDLL("user32", use_last_error=True)
        self.kernel32 = kernel32 or ctypes.WinDLL("kernel32", use_last_error=True)
        for function, result, arguments in (
                ("GlobalAlloc", ctypes.c_void_p, [ctypes.c_uint, ctypes.c_size_t]),
                ("GlobalLock", ctypes.c_void_p, [ctypes.c_void_p]), ("GlobalUnlock", ctypes.c_int, [ctypes.c_void_p]),
                ("GlobalFree", ctypes.c_void_p, [ctypes.c_void_p])):
            with contextlib.suppress(AttributeError):
                getattr(self.kernel32, function).restype = result
                getattr(self.kernel32, function).argtypes = arguments
        with contextlib.suppress(AttributeError):
            self.user32.SetClipboardData.restype = ctypes.c_void_p
            self.user32.SetClipboardData.argtypes = [ctypes.c_uint, ctypes.c_void_p]
            self.user32.RegisterClipboardFormatW.restype = ctypes.c_uint
            self.user32.GetClipboardSequenceNumber.restype = ctypes.c_uint32
        self._open()
        try:
            self.user32.EmptyClipboard()
            self._put(_CF_UNICODETEXT, (text + "\0").encode("utf-16-le"))
            for name, value in _PRIVATE_FORMATS.items():
                self._put(self.user32.RegisterClipboardFormatW(name), value)
        finally:
            self.user32.CloseClipboard()
        self.sequence = self.user32.GetClipboardSequenceNumber()

    def _open(self) -> None:
        for _attempt in range(50):  # another program may have it open for a moment
            if self.user32.OpenClipboard(None):
                return
            time.sleep(0.02)
        raise NotFoundError("the Windows clipboard is held open by another program: try again, or use --show")

    def _put(self, kind: int, data: bytes) -> None:
        import ctypes

        handle = self.kernel32.GlobalAlloc(_GMEM_MOVEABLE, len(data))
        pointer = self.kernel32.GlobalLock(handle)
        ctypes.memmove(pointer, data, len(data))
        self.kernel32.GlobalUnlock(handle)
        if not self.user32.SetClipboardData(kind, handle):  # owned by the system once set
            self.kernel32.GlobalFree(handle)

    def ours(self) -> bool:
        return self.user32.GetClipboardSequenceNumber() == self.sequence

    def clear(self) -> bool:
        if not self.ours():
            return False
        self._open()
        try:
            self.user32.EmptyClipboard()
        finally:
            self.user32.CloseClipboard()
        return True


# ---------------------------------------------------------------- macOS: NSPasteboard in this process
_CURRENT_HOST_ONLY = 1  # NSPasteboardContentsCurrentHostOnly
_MARKERS = ("org.nspasteboard.ConcealedType", "org.nspasteboard.TransientType")  # nspasteboard.org's conventions


class _Mac(Held):
    def __init__(self, text: str) -> None:
        import ctypes
        import ctypes.util

        self.objc = ctypes.CDLL(ctypes.util.find_library("objc"))
        ctypes.CDLL(ctypes.util.find_library("AppKit"))  # loads NSPasteboard's class
        self.objc.objc_getClass.restype = ctypes.c_void_p
        self.objc.sel_registerName.restype = ctypes.c_void_p
        self.board = self._send(self._class("NSPasteboard"), "generalPasteboard")
        self._send(self.board, "prepareForNewContentsWithOptions:", _CURRENT_HOST_ONLY, argument=ctypes.c_ulong)
        string = self._string(text)
        ok = self._send(self.board, "setString:forType:", string, self._string("public.utf8-plain-text"),
                        argument=ctypes.c_void_p, result=ctypes.c_bool)
        for marker in _MARKERS:
            self._send(self.board, "setString:forType:", self._string(""), self._string(marker),
                       argument=ctypes.c_void_p, result=ctypes.c_bool)
        if not ok:
            raise NotFoundError("macOS refused the clipboard: use --show")
        self.count = self._send(self.board, "changeCount", result=ctypes.c_long)

    def _class(self, name: str):
        return self.objc.objc_getClass(name.encode())

    def _send(self, receiver, selector: str, *args, argument=None, result=None):
        import ctypes

        send = ctypes.CFUNCTYPE(result or ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                *([argument] * len(args)))(("objc_msgSend", self.objc))
        return send(receiver, self.objc.sel_registerName(selector.encode()), *args)

    def _string(self, text: str):
        import ctypes

        return self._send(self._class("NSString"), "stringWithUTF8String:", text.encode(), argument=ctypes.c_char_p)

    def ours(self) -> bool:
        import ctypes

        return self._send(self.board, "changeCount", result=ctypes.c_long) == self.count

    def clear(self) -> bool:
        import ctypes

        if not self.ours():
            return False
        self._send(self.board, "clearContents", result=ctypes.c_long)
        return True


# ---------------------------------------------------------------- one way in
def available() -> bool:
    if os.name == "nt" or sys.platform == "darwin":
        return True
    return _owner_command() is not None


def require() -> None:
    if not available():
        raise NotFoundError("no clipboard here (needs a display with wl-copy, xclip or xsel; Windows and macOS have "
                            "their own): use --show")


def copy(text: str) -> Held:
    """Put ``text`` on the clipboard, in the platform's private way (see the module)."""
    require()
    if os.name == "nt":
        return _Windows(text)
    if sys.platform == "darwin":
        return _Mac(text)
    return _Owner(_owner_command(), text)


class _Stopped(Exception):
    pass


def hold(text: str, seconds: float, copied: Callable[[Held], None] | None = None) -> tuple[bool, int | None]:
    """Put ``text`` on the clipboard (``copy``), tell ``copied``, wait ``seconds``, then clear it if it still holds
    what was put there.

    Ctrl-C, SIGTERM, SIGHUP (a closed terminal, a killed session) and Ctrl-Break end the wait early, and the
    clipboard is cleared all the same, also when they come while it is being set; a console window closed on
    Windows clears it in the moment Windows gives. Returns (cleared, the signal that ended the wait, or None for
    the timeout or Ctrl-C); the caller should exit with 128 + that signal.
    """
    stopped: list[int] = []
    state = {"waiting": False, "interrupted": False}

    def stop(signum, _frame):
        if signum == signal.SIGINT:
            state["interrupted"] = True
        else:
            stopped.append(signum)
        if state["waiting"]:  # while the clipboard is being set, only noted: it is set, then cleared
            raise _Stopped

    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"):
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, stop)
    held: Held | None = None
    try:
        held = copy(text)
        with _console_close(held):
            if copied is not None:
                copied(held)
            if not stopped and not state["interrupted"]:
                state["waiting"] = True
                time.sleep(seconds)
    except _Stopped:
        pass
    finally:
        state["waiting"] = False
        for number in previous:
            signal.signal(number, signal.SIG_IGN)  # a second signal must not stop the clearing
        try:
            cleared = held.clear() if held is not None else False
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
    return cleared, (stopped[0] if stopped else None)


@contextlib.contextmanager
def _console_close(held: Held):
    """Windows: the console window closed, the user logged off or the machine shut down: Windows calls this
    handler (on another thread) and gives it a few seconds; it clears the clipboard then."""
    if os.name != "nt":
        yield
        return
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)

    @ctypes.WINFUNCTYPE(ctypes.c_int, ctypes.c_uint)
    def handler(event: int) -> int:
        if event in (2, 5, 6):  # CTRL_CLOSE_EVENT, CTRL_LOGOFF_EVENT, CTRL_SHUTDOWN_EVENT
            with contextlib.suppress(Exception):
                held.clear()
        return 0  # the default handling follows (the process ends)

    kernel32.SetConsoleCtrlHandler(handler, True)
    try:
        yield
    finally:
        kernel32.SetConsoleCtrlHandler(handler, False)
