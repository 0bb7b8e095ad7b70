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


@contextlib.contextmanager
def children_without_secrets():
    """For a library that starts its own children (graphviz's ``dot``) without taking an environment: the
    secrets are out of ``os.environ`` while the block runs, and back after."""
    import os

    kept = {name: os.environ.pop(name) for name in [n for n in os.environ if _secret(n)]}
    try:
        yield
    finally:
        os.environ.update(kept)
