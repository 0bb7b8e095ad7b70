"""RFC 6238 time-based one-time passwords, with AWS's defaults.

Codes are computed here (RFC 4226 truncation of an HMAC over the time step: a few lines, and it
keeps pyotp's import off the break-glass path); the otpauth URIs come from pyotp.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime

from ..errors import InputError

ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
DEFAULT_ALGORITHM, DEFAULT_DIGITS, DEFAULT_PERIOD = "SHA1", 6, 30


def code(seed: str, at: float, *, digits: int = DEFAULT_DIGITS, period: int = DEFAULT_PERIOD,
         algorithm: str = DEFAULT_ALGORITHM) -> str:
    """The TOTP code of ``seed`` (normalised base32) at Unix time ``at`` (RFC 6238)."""
    import base64
    import hmac

    key = base64.b32decode(seed + "=" * (-len(seed) % 8), casefold=True)
    if len(key) * 8 < 80:
        raise InputError("the MFA seed holds fewer than 80 bits: it cannot give codes")
    step = int(at) // period
    digest = hmac.digest(key, step.to_bytes(8, "big"), ALGORITHMS[algorithm])
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


_TOTP = None


def _totp_class():
    """pyotp's TOTP, accepting 80-bit seeds (pyotp 2.10+ refuses fewer than 112 bits), as ``code`` does.

    16-character (80-bit) seeds are common in older authenticator exports; rootkeeper
    accepts them with a warning rather than leave such an account without a code.
    """
    global _TOTP
    if _TOTP is None:
        import pyotp

        class TOTP(pyotp.TOTP):
            min_secret_length_bits = 80

        _TOTP = TOTP
    return _TOTP


def seconds_left(at: float, period: int = DEFAULT_PERIOD) -> int:
    return period - int(at) % period


def consecutive_codes(seed: str, at: float, *, digits: int = DEFAULT_DIGITS,
                      period: int = DEFAULT_PERIOD, algorithm: str = DEFAULT_ALGORITHM,
                      ) -> tuple[str, str]:
    """The codes of the time step containing ``at`` and of the next one (what AWS asks for)."""
    first = code(seed, at, digits=digits, period=period, algorithm=algorithm)
    second = code(seed, at + period, digits=digits, period=period, algorithm=algorithm)
    return first, second


LATEST = 253402300799  # 9999-12-31T23:59:59Z


def parse_time(text: str | None) -> float:
    """``None`` (now), Unix seconds, or ISO 8601 (a time without zone is UTC)."""
    if text is None:
        return time.time()
    raw = text.strip()
    if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", raw):
        value = float(raw)
    else:
        try:
            when = datetime.fromisoformat(raw.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"time {text!r} is neither Unix seconds nor ISO 8601: use e.g. 1700000000 "
                "or 2026-11-28T12:00:00Z"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        value = when.timestamp()
    if value < 0:
        raise InputError(f"time {text!r} is before 1970: give a time after the Unix epoch")
    if value > LATEST:
        raise InputError(f"time {raw[:40]!r} is after the year 9999: give a real time")
    return value


def provisioning_uri(seed: str, label: str, issuer: str, *, digits: int = 6, period: int = 30,
                     algorithm: str = "SHA1") -> str:
    """The otpauth:// URI of a seed (pyotp's builder): what an authenticator app or a QR code takes."""
    return _totp_class()(seed, digits=digits, interval=period, digest=getattr(hashlib, algorithm.lower())).provisioning_uri(
        name=label, issuer_name=issuer)  # the 80-bit floor of code(): an accepted seed always exports

