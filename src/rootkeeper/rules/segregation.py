"""The segregation rule: the vault never holds a second factor, the seed store never holds a password.

Every form of the rule lives here; whoever enforces it calls it:
- what a seed looks like inside the vault (a field named like a TOTP field, ``otpauth:`` in a value):
  ``vault.py`` applies it to the KeePass XML (fields, history, custom data, attachments);
- a seed of the seed store written anywhere in the vault, a vault password anywhere in the seed store
  (``across``): ``list`` checks both stores against each other;
- a column of an imported file that names a password (seed imports) or any secret (the account lists
  ``adopt`` reads).
"""

from __future__ import annotations

import re

from ..errors import SegregationError

# Field names under which KeePass, KeePassXC and their plug-ins keep a second factor (compared trimmed and in
# lower case): a TOTP seed (KeePassXC's otp, KeeTrayTOTP's, KeePass 2's TimeOtp-/HmacOtp- fields), or a passkey
# (KeePassXC 2.7+ and the apps that share its format: KPEX_PASSKEY_CREDENTIAL_ID, _PRIVATE_KEY_PEM, _RELYING_PARTY,
# _USERNAME, _USER_HANDLE); and the mark of a seed URI in any value (compared in lower case).
OTP_FIELDS = frozenset({"otp", "totp seed", "totp settings"})
PASSKEY_PREFIX = "kpex_passkey_"
OTP_FIELD_PREFIXES = ("timeotp-", "hmacotp-", PASSKEY_PREFIX)
URI_MARK = "otpauth:"


def is_otp_field(name: str) -> bool:
    """Is ``name`` a field under which a TOTP seed is kept?"""
    name = name.strip().lower()
    return name in OTP_FIELDS or name.startswith(OTP_FIELD_PREFIXES)


def mentions_uri(values: list[str]) -> bool:
    """Does any of ``values`` hold ``otpauth:`` (in any case)? Callers look at a few thousand at a time:
    never a second copy of every value."""
    return URI_MARK in "\x00".join(values).lower()


def is_passkey_field(name: str) -> bool:
    return name.strip().lower().startswith(PASSKEY_PREFIX)


def seed_in_vault(owner: str, what: str, remove: str = "delete it") -> str:
    """The finding for a seed found in the vault (``owner`` holds it as ``what``; a passkey's fields are one)."""
    if PASSKEY_PREFIX in what.lower():
        return (f"{owner} holds a passkey (fields KPEX_PASSKEY_*): a second factor beside the password, which the "
                "vault must never hold; delete the passkey in KeePassXC (the entry's Passkeys), including the entry's "
                "history, and keep root's FIDO key as a security key of the custody plan instead")
    return (f"{owner} holds an MFA seed ({what}): the vault must never hold seeds; move it to the seed store "
            f"(rootkeeper seeds import) and {remove} in KeePassXC, including the entry's history")


_TOKEN = re.compile(r"(?:[A-Z2-7]{4}[ -]){3,}[A-Z2-7]{2,}|[A-Z2-7]{16,}")
# Every token lies in a run of base32 characters, spaces and hyphens: the runs long enough are found
# first (one simple pattern, twice as fast over a large vault), then the tokens within them.
_RUN = re.compile(r"[A-Z2-7][A-Z2-7 -]{14,}[A-Z2-7]")


def holds_seed(value: str, seeds: set[str]) -> bool:
    """Does ``value`` contain one of ``seeds``, written whole or in spaced groups of four?"""
    if len(value) < 16:
        return False
    lengths = {len(seed) for seed in seeds}
    for token in (token for run in _RUN.findall(value.upper()) for token in _TOKEN.findall(run)):
        token = token.replace(" ", "").replace("-", "").rstrip("=")
        for length in lengths:
            if any(token[i:i + length] in seeds for i in range(len(token) - length + 1)):
                return True
    return False


def across(vault, entries, rows) -> list[str]:
    """The rule checked across both stores: a seed of the seed store anywhere in the vault (every value
    joined: tokens cannot cross the separator), the password of one of ``entries`` anywhere in the seed
    store's ``rows``."""
    problems = []
    if holds_seed(vault.seed_check_text(), {r.seed for r in rows}):
        problems.append("an MFA seed from the seed store is also in the vault: delete it from the vault "
                        "(and from the entry's history) in KeePassXC")
    cells = {cell for row in rows for cell in row.cells()}
    for entry in entries if vault.password_values() & cells else []:
        password = vault.password(entry)
        if len(password) >= 8 and password in cells:
            problems.append(f"the password of account {entry.account_id} is in the seed store: remove it")
    return problems


_PASSWORD_COLUMN = re.compile(r"pass(word)?|pwd|secret\s*key\s*password", re.I)
_SECRET_WORDS = ("seed", "secret", "totp", "otp", "password", "pass")


def refuse_password_columns(header: list[str], source: str) -> None:
    """A seed import never carries passwords: refuse a column that names one."""
    for column in header:
        if _PASSWORD_COLUMN.search(column or ""):
            raise SegregationError(
                f"{source} has a column {column.strip()!r}: the seed store never holds passwords; "
                "remove that column (passwords belong in the vault) and import again"
            )


def seed_columns(header: list[str], source: str) -> set[int]:
    """An account list (``adopt --accounts``) carries ids, names and e-mails: the positions of the columns
    that name a seed (the write-up's table has an MFA Seed column), which are never read; a column that
    names a password is refused (``header`` in lower case)."""
    skipped = set()
    for position, column in enumerate(header):
        words = column.split()
        if any(word in words or column.replace(" ", "") == word for word in ("password", "pass", "pwd")):
            raise SegregationError(
                f"{source} has a column {column!r}: adopt reads account ids, names and e-mails, never a password "
                "(it takes passwords from the KeePass entries); give the file without that column")
        if any(word in words or column.replace(" ", "") == word for word in _SECRET_WORDS):
            skipped.add(position)
    return skipped
