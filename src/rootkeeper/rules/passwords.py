"""Root passwords that satisfy AWS's rules, generated with ``secrets``.

AWS root password rules: 8-128 characters, at least three of upper case, lower
case, digits and the symbols ``! @ # $ % ^ & * ( ) < > [ ] { } | _ + - =``,
not equal to the account name or the e-mail address.
"""

from __future__ import annotations

import secrets
import string

from ..errors import InputError

SYMBOLS = "!@#$%^&*()<>[]{}|_+-="
CLASSES = (string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS)
ALPHABET = "".join(CLASSES)
DEFAULT_LENGTH = 32
MIN_LENGTH, MAX_LENGTH = 8, 128


def problems(password: str, name: str = "", email: str = "") -> list[str]:
    """What makes ``password`` unacceptable to AWS as a root password (empty: fine)."""
    found = []
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        found.append(f"it has {len(password)} characters; AWS wants {MIN_LENGTH}-{MAX_LENGTH}")
    classes = sum(any(c in cls for c in password) for cls in CLASSES)
    if classes < 3:
        found.append("it uses fewer than three of upper case, lower case, digits and symbols")
    odd = sorted({c for c in password if c not in ALPHABET})
    if odd:
        found.append(f"it contains characters AWS does not list: {''.join(odd)!r}")
    low = password.lower()
    if (name and low == name.lower()) or (email and low == email.lower()):
        found.append("it equals the account name or e-mail")
    return found


def generate(length: int = DEFAULT_LENGTH, name: str = "", email: str = "") -> str:
    """A uniformly random password drawing on all four classes, each at least once."""
    if not 12 <= length <= MAX_LENGTH:
        raise InputError(f"password length {length} is out of range: choose 12 to {MAX_LENGTH}")
    while True:  # rejection sampling keeps the choice uniform over acceptable passwords
        candidate = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if all(any(c in cls for c in candidate) for cls in CLASSES) and not problems(
            candidate, name, email
        ):
            return candidate
