"""AWS accounts: ids, names, root e-mail addresses, and the e-mail template."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ..errors import InputError
from .redaction import shown, shown_as

T = TypeVar("T")

DEFAULT_EMAIL_TEMPLATE = "security+{name}@example.com"
SIGNIN_URL = "https://signin.aws.amazon.com/console"

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def validate_account_id(value: str, where: str = "") -> str:
    """Return a 12-digit account id, or raise InputError that says what is wrong."""
    raw = str(value).strip()
    at = f"{where}: " if where else ""
    if re.fullmatch(r"[0-9]{12}", raw):
        return raw
    if re.fullmatch(r"[0-9]{1,11}", raw):
        padded = raw.zfill(12)
        raise InputError(
            f"{at}account id {raw!r} has {len(raw)} digits, not 12: spreadsheets drop leading "
            f"zeros, so write it as text with all 12 digits (perhaps {padded})"
        )
    if re.fullmatch(r"[0-9](\.[0-9]+)?[eE]\+?[0-9]+", raw):
        raise InputError(
            f"{at}account id {raw!r} was turned into a number by a spreadsheet: "
            "format the column as text and write all 12 digits"
        )
    if re.fullmatch(r"[0-9]{13,}", raw):
        raise InputError(f"{at}account id {raw!r} has {len(raw)} digits: an AWS account id has exactly 12")
    raise InputError(f"{at}account id {shown(raw)} is not 12 digits: give the AWS account id, e.g. 123456789012")


def validate_name(value: str, where: str = "") -> str:
    """Account names: 1-50 printable ASCII characters (AWS's rule), plus safety rules.

    Refused: a leading ``= + - @`` (spreadsheet formula injection when the seed
    CSV is opened), ``|`` (the write-up's table format), and names that are
    12 digits (they would be mistaken for an account id).
    """
    at = f"{where}: " if where else ""
    name = str(value)
    if name != name.strip() or not name:
        raise InputError(f"{at}account name {shown(name)} is empty or has leading/trailing spaces: give the exact name")
    if len(name) > 50:
        raise InputError(f"{at}account name of {len(name)} characters is too long: AWS allows 50 at most")
    for ch in name:
        if not (0x20 <= ord(ch) <= 0x7E):
            raise InputError(f"{at}account name {shown(name)} contains {ch!r}: use printable ASCII only")
    if name[0] in "=+-@":
        raise InputError(
            f"{at}account name {shown(name)} starts with {name[0]!r}, which spreadsheets run as a "
            "formula: rename it or drop that character"
        )
    if "|" in name:
        raise InputError(f"{at}account name {shown(name)} contains '|': use another character")
    if re.fullmatch(r"[0-9]{12}", name):
        raise InputError(f"{at}account name {name!r} looks like an account id: names must not be 12 digits")
    return name


def validate_email(value: str, where: str = "") -> str:
    at = f"{where}: " if where else ""
    email = str(value).strip()
    if len(email) > 64 or not _EMAIL.fullmatch(email):
        raise InputError(
            f"{at}root e-mail {shown_as(email, r'[^@]*@[^@]*')} is not a valid address (at most 64 characters, "
            "like security+prod@example.com): correct it"
        )
    if email[0] in "=+-@":
        raise InputError(f"{at}root e-mail {shown(email)} starts with {email[0]!r}: spreadsheets run that as a formula")
    return email


def render_email(template: str, account_id: str, name: str) -> str:
    """Fill ``{name}`` and ``{id}`` in the configured e-mail template."""
    try:
        email = template.format(name=name, id=account_id)
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(
            f"e-mail template {template!r} is invalid ({exc}): use only the placeholders {{name}} and {{id}}"
        ) from None
    return validate_email(email, "e-mail from template")


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    email: str

    @classmethod
    def make(cls, account_id: str, name: str, email: str, where: str = "") -> Account:
        return cls(
            validate_account_id(account_id, where),
            validate_name(name, where),
            validate_email(email, where),
        )


_ACCOUNT_ID = re.compile(r"[0-9]{12}")


def is_account_id(ref: str) -> bool:
    return _ACCOUNT_ID.fullmatch(ref.strip()) is not None


def lookup(ref: str, by_id: Mapping[str, T], name_of: Callable[[T], str], what: str) -> T | None:
    """The one item an ACCOUNT argument names: a 12-digit id (a key of ``by_id``), else an exact
    name among its items. None when nothing matches; InputError when a name matches several.

    The vault, the seed store and the organization all resolve ACCOUNT this way; each says
    in its own words what to do when nothing matches.
    """
    ref = ref.strip()
    if is_account_id(ref):
        return by_id.get(ref)
    matches = [item for item in by_id.values() if name_of(item) == ref]
    if len(matches) > 1:
        raise InputError(f"more than one {what} is named {ref!r}: give the 12-digit account id instead")
    return matches[0] if matches else None
