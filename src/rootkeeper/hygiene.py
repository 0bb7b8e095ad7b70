"""Process hygiene: no core dump may hold a secret, no child inherits one, no program comes from the wrong place.

A crash (or a SIGSEGV sent on purpose) while a password or seed is in memory would
otherwise write it to a core file, whatever ``ulimit -c`` the shell allowed. The soft
and hard core limits are set to 0 and, on Linux, the process is made non-dumpable
(which also keeps other processes of the same user from ptrace-attaching to it). On Windows, where neither
exists, Windows Error Reporting is told to leave the heap out of its reports and local dumps (WerSetFlags
NOHEAP) and no crash dialog waits with the process's memory. A LocalDumps policy with full dumps, set by an
administrator, still takes everything: keep it off on machines that break glass.
A program rootkeeper runs (a clipboard tool, Graphviz's dot) is found by ``program``: an
absolute path, never the current directory (often the team share holding rootkeeper.toml),
where Windows and a PATH with an empty or relative entry would look first.
"""

from __future__ import annotations

import contextlib
import os
import sys

PR_SET_DUMPABLE = 4
SEM_FAILCRITICALERRORS, SEM_NOGPFAULTERRORBOX, WER_FAULT_REPORTING_FLAG_NOHEAP = 0x0001, 0x0002, 0x1


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
    if os.name == "nt":  # Windows Error Reporting: no heap (where the secrets are) in its reports and dumps
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            kernel32 = ctypes.WinDLL("kernel32")
            kernel32.SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX)  # no crash dialog holding it
            kernel32.WerSetFlags(WER_FAULT_REPORTING_FLAG_NOHEAP)


# What a child process (a clipboard tool, Graphviz's dot) never inherits: every rootkeeper variable (the
# vault's password, the seed store's passphrase and identity, key shares) and AWS's credentials. xclip
# keeps running after rootkeeper exits, to serve the selection: its environment is readable for as long.
_SECRET_PREFIXES = ("ROOTKEEPER_",)
_SECRET_NAMES = {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ACCESS_KEY_ID"}


def _secret(name: str) -> bool:
    return name.startswith(_SECRET_PREFIXES) or name in _SECRET_NAMES


def child_environment() -> dict[str, str]:
    """This process's environment without any secret: for every child rootkeeper starts itself."""
    import os

    return {name: value for name, value in os.environ.items() if not _secret(name)}


def program(name: str) -> str | None:
    """The absolute path of the program ``name``, from PATH's absolute entries other than the current directory
    (Windows: also the system folder for its own tools, with PATHEXT); None when there is none."""
    import os

    cwd = os.path.realpath(os.getcwd())
    folders = []
    if os.name == "nt":
        system = os.environ.get("SystemRoot") or r"C:\Windows"
        folders += [os.path.join(system, "System32"), os.path.join(system, "System32", "WindowsPowerShell", "v1.0")]
    folders += [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if os.path.isabs(entry)]
    suffixes = [""] if os.name != "nt" else [""] + os.environ.get("PATHEXT", ".EXE;.COM").lower().split(";")
    for folder in folders:
        if os.path.realpath(folder) == cwd:
            continue
        for suffix in suffixes:
            candidate = os.path.join(folder, name + (suffix if not name.lower().endswith(suffix) else ""))
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None
