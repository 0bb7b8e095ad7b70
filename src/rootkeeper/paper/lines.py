"""What a seed sheet says, as text: the typed lines with their checks, the page markers, the checksum.

Pure rules, no PDF and no image: the sheet (``seedsheet``) prints these lines, and a restore
(``restore``) reads them back, from a QR code or from what a person typed.

A typed line is ``ACCOUNT_ID TAG VALUE CHECK``, one field of one account:

- ``name``: the account's name; ``email``: its root e-mail;
- ``device``: the MFA device's name (its ARN is ``arn:aws:iam::ACCOUNT_ID:mfa/NAME``), or the whole
  ARN when it is not of that form; absent when no device was recorded;
- ``totp``: ``ALGORITHM DIGITS PERIOD``, only when not AWS's ``SHA1 6 30``;
- ``seed1/4`` .. ``seed4/4``: the seed, 16 base32 characters a line, in groups of four (spaces and
  case do not matter).

An account whose root has several virtual MFA devices has a record per device: the second's tags end
with ``@2`` (``name@2``, ``device@2``, ``seed1/4@2``), the third's with ``@3``, and so on.

``CHECK`` is three base32 characters: the first 15 bits of SHA-256 over
``rootkeeper-line/1 ACCOUNT_ID TAG VALUE`` (a seed line's VALUE without spaces, upper case), so a
line copied under another account or tag fails too. A wrong line passes with a chance of 1 in
32,768; the sheet's checksum catches what slips through.

The sheet's checksum is 16 base32 characters (80 bits) of SHA-256 over every record, sorted by
account id, one ``id|name|email|seed|device ARN|algorithm|digits|period`` line each. It is printed,
with the record count, as the typed line ``sheet COUNT CHECKSUM`` on the last page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field

from ..errors import InputError

LINE_PREFIX = "rootkeeper-line/1"
CHECK_CHARS = 3
GROUP = 4
PER_LINE = 16  # seed characters on one line: four groups of four
CHECKSUM_CHARS = 16
MARKER_PREFIX = "ROOTKEEPER SHEET/1"
DEFAULT_TOTP = ("SHA1", 6, 30)
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SEED_TAG = re.compile(r"seed([1-9][0-9]?)/([1-9][0-9]?)")
_TAG = re.compile(r"(name|email|device|totp|seed[1-9][0-9]?/[1-9][0-9]?)(?:@([2-8]))?")  # @N: the account's Nth seed
_LINE = re.compile(r"^\s*([0-9]{12})\s+(\S+)\s+(.*?)\s+([A-Za-z2-7]{3})\s*$", re.ASCII)
_DEVICE_ARN = re.compile(r"^arn:aws:iam::([0-9]{12}):mfa/([A-Za-z0-9_+=,.@-]{1,128})$")


def _b32(digest: bytes, chars: int) -> str:
    return base64.b32encode(digest).decode("ascii")[:chars]


def canonical(tag: str, value: str) -> str:
    """The value a check covers: a seed line without spaces and in upper case; others exactly."""
    if tag.startswith("seed"):
        return re.sub(r"\s+", "", value).upper()
    return value


def line_check(account_id: str, tag: str, value: str) -> str:
    text = f"{LINE_PREFIX} {account_id} {tag} {canonical(tag, value)}"
    return _b32(hashlib.sha256(text.encode("utf-8")).digest(), CHECK_CHARS)


def grouped(seed: str) -> str:
    return " ".join(seed[i:i + GROUP] for i in range(0, len(seed), GROUP))


@dataclass(frozen=True)
class Line:
    account_id: str
    tag: str
    value: str  # as printed (a seed line grouped)
    check: str

    def typed(self) -> str:
        return f"{self.account_id} {self.tag} {self.value} {self.check}"


def _line(account_id: str, tag: str, value: str) -> Line:
    return Line(account_id, tag, value, line_check(account_id, tag, value))


def device_value(account_id: str, device_arn: str) -> str:
    """What the ``device`` line shows: the device's name when its ARN is the usual one."""
    match = _DEVICE_ARN.match(device_arn)
    return match.group(2) if match and match.group(1) == account_id else device_arn


def record_lines(row, number: int = 1) -> list[Line]:
    """The typed lines of one seed row (a checked ``SeedRow``), the account's ``number``-th seed on the sheet."""
    at = f"@{number}" if number > 1 else ""
    lines = [_line(row.account_id, f"name{at}", row.account_name), _line(row.account_id, f"email{at}", row.email)]
    if row.device_arn:
        lines.append(_line(row.account_id, f"device{at}", device_value(row.account_id, row.device_arn)))
    if (row.algorithm, int(row.digits), int(row.period)) != DEFAULT_TOTP:
        lines.append(_line(row.account_id, f"totp{at}", f"{row.algorithm} {row.digits} {row.period}"))
    parts = [row.seed[i:i + PER_LINE] for i in range(0, len(row.seed), PER_LINE)]
    for index, part in enumerate(parts, 1):
        lines.append(_line(row.account_id, f"seed{index}/{len(parts)}{at}", grouped(part)))
    return lines


def numbered(rows) -> list[int]:
    """Each row's number among the rows of its account (1 for the first seed of an account, 2 for its second)."""
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        seen[row.account_id] = seen.get(row.account_id, 0) + 1
        out.append(seen[row.account_id])
    return out


def _record_text(row) -> str:
    return "|".join([row.account_id, row.account_name, row.email, row.seed, row.device_arn, row.algorithm,
                     str(row.digits), str(row.period)])


def checksum(rows) -> str:
    """The sheet's checksum over ``rows`` (order does not matter)."""
    digest = hashlib.sha256()
    for text in sorted(_record_text(r) for r in rows):
        digest.update(text.encode("utf-8") + b"\n")
    return _b32(digest.digest(), CHECKSUM_CHARS)


def sheet_line(count: int, total: str) -> str:
    return f"sheet {count} {grouped(total)}"


# ------------------------------------------------------------------ page markers
@dataclass(frozen=True)
class Marker:
    """The small QR code on every page: which sheet, which page, which accounts are on it."""

    page: int
    pages: int
    count: int
    checksum: str
    accounts: tuple[str, ...]

    def text(self) -> str:
        """Upper case, digits, space, ':' and '/' only: QR alphanumeric mode, a smaller code."""
        return (f"{MARKER_PREFIX} PAGE:{self.page}/{self.pages} COUNT:{self.count} CHECKSUM:{self.checksum} "
                f"ACCOUNTS:{' '.join(self.accounts)}").rstrip()


_MARKER = re.compile(
    rf"^{re.escape(MARKER_PREFIX)} PAGE:([0-9]{{1,6}})/([0-9]{{1,6}}) COUNT:([0-9]{{1,7}}) "
    rf"CHECKSUM:([A-Z2-7]{{{CHECKSUM_CHARS}}}) ACCOUNTS:((?:[0-9]{{12}}(?: [0-9]{{12}})*)?)$", re.ASCII)


def is_marker(text: str) -> bool:
    return text.startswith(MARKER_PREFIX + " ")


def parse_marker(text: str, where: str) -> Marker:
    match = _MARKER.match(text.strip())
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise InputError(f"{where}: a page marker of a rootkeeper sheet that is damaged or of another version: "
                         "scan that page again")
    accounts = tuple(match.group(5).split())
    return Marker(int(match.group(1)), int(match.group(2)), int(match.group(3)), match.group(4), accounts)


# ------------------------------------------------------------------ typed lines
@dataclass
class Typed:
    """What a --typed file gave: fields per account, and the sheet line if it was typed."""

    # record ("ID", or "ID@N" for an account's Nth seed) -> tag (without its @N) -> (value, where)
    fields: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    count: int | None = None
    checksum: str | None = None


def parse_typed(text: str, source: str) -> Typed:
    """Typed lines (see the module's doc), all checked; a failing check names the line. Blank lines
    and lines starting with ``#`` are skipped."""
    typed = Typed()
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source} line {number}"
        if line.split()[0].lower() == "sheet":
            parts = line.split()
            total = "".join(parts[2:]).upper()
            count_ok = len(parts) >= 3 and parts[1].isascii() and parts[1].isdigit()  # "³".isdigit() is True
            if not count_ok or not re.fullmatch(rf"[A-Z2-7]{{{CHECKSUM_CHARS}}}", total, re.ASCII):
                raise InputError(f"{where}: a sheet line is 'sheet COUNT CHECKSUM' as printed on the sheet's last page "
                                 f"(the checksum is {CHECKSUM_CHARS} characters A-Z, 2-7)")
            typed.count, typed.checksum = int(parts[1]), total
            continue
        match = _LINE.match(line)
        if not match:
            raise InputError(f"{where} is not a typed line 'ACCOUNT_ID TAG VALUE CHECK' "
                             "(12-digit id, a tag such as name or seed1/4, the value, the 3-character check)")
        account_id, tag, value, check = match.groups()
        tag = tag.lower()
        tagged = _TAG.fullmatch(tag)
        if not tagged:
            raise InputError(f"{where}: its second word is not one of the tags name, email, device, totp, seedN/M "
                             "(with @2.. for an account's second seed; the line is not shown: it may hold a seed)")
        if line_check(account_id, tag, value) != check.upper():
            raise InputError(f"{where}: the check {check.upper()} does not match the line ({account_id} {tag}): "
                             "a character is mistyped; compare the line with the sheet, the check included")
        record = account_id + (f"@{tagged.group(2)}" if tagged.group(2) else "")
        tag = tagged.group(1)
        fields = typed.fields.setdefault(record, {})
        if tag in fields and canonical(tag, fields[tag][0]) != canonical(tag, value):
            raise InputError(f"{where}: account {account_id} {tag} was already typed differently "
                             f"({fields[tag][1]}): keep one")
        fields[tag] = (value, where)
    return typed


def typed_row_fields(record: str, fields: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The seed-row fields of one typed record (an account id, ``ID@N`` for its Nth seed; the caller checks them
    as a row): the seed lines joined, in order; a missing field names what to type."""
    account_id = record.split("@")[0]
    seeds = {}
    total = None
    for tag, (value, where) in fields.items():
        match = _SEED_TAG.fullmatch(tag)
        if match:
            number, of = int(match.group(1)), int(match.group(2))
            if total is not None and of != total:
                raise InputError(f"{where}: account {account_id} has seed lines of {total} and of {of}: "
                                 "type the lines of one sheet")
            total = of
            seeds[number] = canonical(tag, value)
    missing = [t for t in ("name", "email") if t not in fields]
    if total is None:
        missing.append("seed1/N..")
    else:
        missing += [f"seed{n}/{total}" for n in range(1, total + 1) if n not in seeds]
    if missing:
        at = f"@{record.split('@')[1]}" if "@" in record else ""
        raise InputError(f"typed lines of account {account_id}{' (its seed ' + at + ')' if at else ''} lack "
                         f"{', '.join(m + at for m in missing)}: type every line of its record from the sheet")
    algorithm, digits, period = DEFAULT_TOTP
    if "totp" in fields:
        parts = fields["totp"][0].split()
        if len(parts) != 3:
            raise InputError(f"{fields['totp'][1]}: a totp line is 'ALGORITHM DIGITS PERIOD', e.g. SHA1 6 30")
        algorithm, digits, period = parts[0], parts[1], parts[2]
    device = fields.get("device", ("", ""))[0]
    if device and not device.startswith("arn:"):
        device = f"arn:aws:iam::{account_id}:mfa/{device}"
    return {"account_id": account_id, "account_name": fields["name"][0], "email": fields["email"][0],
            "seed": "".join(seeds[n] for n in sorted(seeds)), "device_arn": device, "algorithm": str(algorithm),
            "digits": str(digits), "period": str(period)}
