"""Typed errors. Each one explains itself in one line: the cause and the fix.

The command-line layer prints ``error: <message>`` and exits with ``exit_code``.
Messages never contain a secret.
"""

from __future__ import annotations


class RootkeeperError(Exception):
    """Something stopped the command (exit status 2)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(RootkeeperError):
    """Bad input: an account id, a seed, a file to import, an option value."""


class NotFoundError(RootkeeperError):
    """A file, an account or an entry that should exist does not."""


class ExistsError(RootkeeperError):
    """Refusing to overwrite or duplicate something that exists."""


class AuthError(RootkeeperError):
    """Wrong password, passphrase, key file or identity."""


class CorruptError(RootkeeperError):
    """A file is truncated, damaged or not what it claims to be."""


class SegregationError(RootkeeperError):
    """A store holds what it must never hold (a seed in the vault, a password in the seed store)."""


class LockError(RootkeeperError):
    """Another process is writing the same file."""


class ConfigError(RootkeeperError):
    """The configuration file is missing, unreadable or wrong."""


class CheckFailed(RootkeeperError):
    """A check ran and found problems (exit status 1)."""

    exit_code = 1


class AwsError(RootkeeperError):
    """AWS refused or could not be reached (exit status 2).

    ``code`` is AWS's error code (``AccessDenied``, ``Throttling``...) or botocore's
    exception name, ``detail`` AWS's own message, ``doing`` the call refused; the message
    says what to do.
    """

    def __init__(self, message: str, code: str = "", detail: str = "", doing: str = "") -> None:
        super().__init__(message)
        self.code, self.detail, self.doing = code, detail, doing
