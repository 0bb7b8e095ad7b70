"""Process hygiene before any secret is read: no core dump may hold one.

A crash (or a SIGSEGV sent on purpose) while a password or seed is in memory would
otherwise write it to a core file, whatever ``ulimit -c`` the shell allowed. The soft
and hard core limits are set to 0 and, on Linux, the process is made non-dumpable
(which also keeps other processes of the same user from ptrace-attaching to it).
"""

from __future__ import annotations

import contextlib
import sys

PR_SET_DUMPABLE = 4


def no_core_dumps() -> None:
    """Best effort on every platform; never fails the command."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
