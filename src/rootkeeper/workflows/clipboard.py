"""Copy a secret to the system clipboard through the platform's own tool, and clear it later.

The secret goes to the tool's standard input, never to its arguments; the tool's environment holds no
secret (``hygiene.child_environment``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from ..errors import NotFoundError
from ..hygiene import child_environment, program


def _commands() -> tuple[list[str], list[str]] | None:
    """(copy command, paste command) for this platform, each program by its absolute path (``program``:
    never one planted in the current directory), or None."""
    if sys.platform == "darwin":
        candidates = [(["pbcopy"], ["pbpaste"])]
    elif os.name == "nt":
        candidates = [(["clip.exe"], ["powershell.exe", "-NoProfile", "-Command", "Get-Clipboard"])]
    else:
        candidates = []
        if os.environ.get("WAYLAND_DISPLAY"):
            candidates.append((["wl-copy"], ["wl-paste", "--no-newline"]))
        if os.environ.get("DISPLAY"):
            candidates += [(["xclip", "-selection", "clipboard"], ["xclip", "-selection", "clipboard", "-o"]),
                           (["xsel", "--clipboard", "--input"], ["xsel", "--clipboard", "--output"])]
    for copying, pasting in candidates:
        first, second = program(copying[0]), program(pasting[0])
        if first and second:
            return [first, *copying[1:]], [second, *pasting[1:]]
    return None


def require() -> None:
    if _commands() is None:
        raise NotFoundError(
            "no clipboard here (needs pbcopy, clip.exe, wl-copy, xclip or xsel with a display): use --show"
        )


def copy(text: str) -> None:
    commands = _commands()
    if commands is None:
        require()
    subprocess.run(commands[0], input=text.encode(), check=True, timeout=10, env=child_environment(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def clear_if_unchanged(text: str) -> bool:
    """Clear the clipboard if it still holds ``text`` (the user may have copied something else)."""
    commands = _commands()
    if commands is None:
        return False
    try:
        current = subprocess.run(commands[1], capture_output=True, check=True, timeout=10,
                                 env=child_environment()).stdout
    except (OSError, subprocess.SubprocessError):
        current = text.encode()
    if current.rstrip(b"\r\n") != text.encode():
        return False
    subprocess.run(commands[0], input=b"", check=True, timeout=10, env=child_environment(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return True


class _Stopped(Exception):
    pass


def hold(text: str, seconds: float) -> tuple[bool, int | None]:
    """Wait ``seconds``, then clear the clipboard if it still holds ``text``.

    Ctrl-C, SIGTERM and SIGHUP (a closed terminal, a killed session) end the wait early,
    and the clipboard is cleared all the same. Returns (cleared, the signal that ended
    the wait or None); the caller should exit with 128 + that signal.
    """
    stopped: list[int] = []

    def stop(signum, _frame):
        stopped.append(signum)
        raise _Stopped

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, stop)
    try:
        time.sleep(seconds)
    except (_Stopped, KeyboardInterrupt):
        pass
    finally:
        for number in previous:
            signal.signal(number, signal.SIG_IGN)  # a second signal must not stop the clearing
        try:
            cleared = clear_if_unchanged(text)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
    return cleared, (stopped[0] if stopped else None)

