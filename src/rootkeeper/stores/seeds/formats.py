"""The seed store's plaintext and the files teams import: rows, validation, parsers, output.

The plaintext is the CSV such teams already keep. The first four columns are exactly
``Account #,Account Name,Account Email,MFA Seed``; the rest record the device ARN,
the TOTP parameters, when the seed was enrolled, its state (``active``,
``replaced`` or ``retired``), and when and by whom it was proven (a recorded sign-in). Imports also read the write-up's pipe-separated table
and ``otpauth://`` URIs. Every parser is all or nothing and names the bad line.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from ...errors import CorruptError, InputError
from ...rules.accounts import is_account_id, render_email, validate_account_id, validate_email, validate_name
from ...rules.devices import several_problem
from ...rules.redaction import shown_as
from ...rules.segregation import refuse_password_columns
from ...rules.totp import ALGORITHMS, provisioning_uri
from ...storage.journal import Mark

BASE_HEADER = ["Account #", "Account Name", "Account Email", "MFA Seed"]
EXTRA_HEADER = ["Device ARN", "Algorithm", "Digits", "Period", "Enrolled At", "State", "Proven At", "Proven By"]
HEADER = BASE_HEADER + EXTRA_HEADER
STATES = ("active", "replaced", "retired")
# The store's own header may end with a column named after the fingerprint of the recipients the
# store is encrypted to: inside the authenticated plaintext, so editing rootkeeper.toml cannot
# silently add a reader (see ``SeedStore.encrypt``). Rows have no cell under it.
PIN_PREFIX = "Recipients sha256:"
_BASE32 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
_ARN = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):mfa/[A-Za-z0-9_+=,.@/-]{1,512}$")
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", re.ASCII)
@dataclass
class SeedRow:
    account_id: str
    account_name: str
    email: str
    seed: str
    device_arn: str = ""
    algorithm: str = "SHA1"
    digits: int = 6
    period: int = 30
    enrolled_at: str = ""
    state: str = "active"
    proven_at: str = ""  # when a sign-in with this seed was recorded ('seeds prove', the ceremony's activation)
    proven_by: str = ""  # who recorded it

    def cells(self) -> list[str]:
        return [self.account_id, self.account_name, self.email, self.seed, self.device_arn,
                self.algorithm, str(self.digits), str(self.period), self.enrolled_at, self.state,
                self.proven_at, self.proven_by]

    def public(self) -> dict:
        """Everything but the seed."""
        data = asdict(self)
        del data["seed"]
        return data


@dataclass
class ParseResult:
    rows: list[SeedRow]
    warnings: list[str] = field(default_factory=list)


def normalize_seed(raw: str) -> str:
    return re.sub(r"\s+", "", str(raw)).rstrip("=").upper()


def validate_seed(raw: str, where: str = "") -> tuple[str, list[str]]:
    """Normalise and check a base32 seed. Returns (seed, warnings)."""
    at = f"{where}: " if where else ""
    lines = [ln for ln in str(raw).strip().splitlines() if ln.strip()]
    if len(lines) > 1:
        raise InputError(f"{at}the MFA seed spans {len(lines)} lines: give one seed, on one line "
                         "(two seeds in one file would be joined into a wrong one)")
    seed = normalize_seed(raw)
    if not seed:
        raise InputError(f"{at}the MFA seed is empty: paste the console's 'Show secret key' value")
    for pos, ch in enumerate(seed, 1):
        if ch not in _BASE32:
            hint = " (0, 1, 8 and 9 are not base32; the console shows only A-Z and 2-7)" if ch in "0189" else ""
            raise InputError(
                f"{at}the MFA seed has {ch!r} at position {pos}, which is not in the base32 "
                f"alphabet A-Z 2-7{hint}: copy the secret key again"
            )
    if len(seed) % 8 in (1, 3, 6):
        raise InputError(
            f"{at}the MFA seed has {len(seed)} characters, which no base32 value has: "
            "it is truncated or has extra characters; copy it again"
        )
    bits = len(seed) * 5 // 8 * 8
    if bits < 80:
        raise InputError(f"{at}the MFA seed holds {bits} bits: at least 80 are required (AWS gives 320)")
    warnings = []
    if bits < 128:
        warnings.append(f"{at}the MFA seed holds only {bits} bits (fewer than 128); AWS seeds hold 320")
    return seed, warnings


def check_row(row: SeedRow, where: str) -> tuple[SeedRow, list[str]]:
    """Validate and normalise every field of a row. A row this returned, unchanged since, is not
    checked again (an import checks each row once, not once more per step)."""
    if getattr(row, "_checked", None) == row.cells():
        return row, []
    account_id = validate_account_id(row.account_id, where)
    name = validate_name(row.account_name, where)
    email = validate_email(row.email, where)
    seed, warnings = validate_seed(row.seed, where)
    algorithm = (row.algorithm or "SHA1").upper().replace("-", "")
    if algorithm not in ALGORITHMS:
        raise InputError(f"{where}: algorithm {shown_as(row.algorithm, r'[A-Za-z]{2,4}-?[0-9]{0,3}')} is not SHA1, SHA256 or SHA512")
    try:
        if not (str(row.digits or "6").isascii() and str(row.period or "30").isascii()):
            raise ValueError
        digits = int(row.digits or 6)
        period = int(row.period or 30)
    except (TypeError, ValueError):
        raise InputError(f"{where}: digits and period must be whole numbers (e.g. 6 and 30)") from None
    if digits not in (6, 7, 8):
        raise InputError(f"{where}: digits {digits} is not 6, 7 or 8")
    if not 1 <= period <= 300:
        raise InputError(f"{where}: period {period} is not 1-300 seconds (AWS uses 30)")
    arn = (row.device_arn or "").strip()
    if arn:
        match = _ARN.match(arn)
        if not match:
            raise InputError(
                f"{where}: device ARN {shown_as(arn, r'arn:.*')} is not an IAM MFA ARN like "
                "arn:aws:iam::123456789012:mfa/root-account-mfa-device"
            )
        if match.group(1) != account_id:
            raise InputError(f"{where}: device ARN {arn!r} belongs to account {match.group(1)}, not {account_id}")
    enrolled = (row.enrolled_at or "").strip()
    if enrolled and not _ISO.match(enrolled):
        raise InputError(f"{where}: enrolled-at {shown_as(enrolled, r'[0-9TZ:.+ -]+')} is not ISO 8601 like 2026-11-28T12:00:00Z")
    state = (row.state or "active").strip().lower()
    if state not in STATES:
        raise InputError(f"{where}: state {shown_as(row.state, r'[A-Za-z]{1,12}')} is not one of {', '.join(STATES)}")
    proven_at, proven_by = (row.proven_at or "").strip(), (row.proven_by or "").strip()
    if proven_at and not _ISO.match(proven_at):
        raise InputError(f"{where}: proven-at {shown_as(proven_at, r'[0-9TZ:.+ -]+')} is not ISO 8601 like 2026-11-28T12:00:00Z")
    if len(proven_by) > 128 or not proven_by.isprintable():
        raise InputError(f"{where}: proven-by is not a name of at most 128 printable characters")
    checked = SeedRow(account_id, name, email, seed, arn, algorithm, digits, period, enrolled, state,
                      proven_at if proven_at else "", proven_by if proven_at else "")
    checked._checked = checked.cells()  # what was checked: any later change to the row is checked again
    return checked, warnings


# ---------------------------------------------------------------- parsing

def _row_from_mapping(cells: dict[str, str], where: str, email_template: str | None) -> SeedRow:
    """A row to import. A 'Proven' cell is not taken: only a sign-in recorded here proves a seed."""
    get = lambda key: (cells.get(key) or "").strip()  # noqa: E731
    email = get("account email")
    if not email and email_template:
        email = render_email(email_template, get("account #"), get("account name"))
    return SeedRow(
        account_id=get("account #"), account_name=get("account name"), email=email,
        seed=get("mfa seed"), device_arn=get("device arn"), algorithm=get("algorithm") or "SHA1",
        digits=get("digits") or 6, period=get("period") or 30, enrolled_at=get("enrolled at"),
        state=get("state") or "active",
    )


def recipients_fingerprint(recipients: list[str]) -> str:
    """128 bits of SHA-256 over the sorted set of age recipients."""
    import hashlib

    text = "\n".join(sorted({r.strip() for r in recipients}))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _store_header(text: str, source: str) -> tuple[list[str], list[int | None], str | None, str | None, int]:
    """The store's header: (header, where each column of HEADER is, the recipients' pin, the journal's mark,
    where rows start). The mark and the pin are the header's last cells (in that order), with no row cell."""
    end = text.find("\n")
    line = text if end < 0 else text[:end]
    try:
        header = next(csv.reader([line]))
    except (StopIteration, csv.Error):
        raise CorruptError(f"{source} is empty or not CSV: restore it from a copy") from None
    if header[:4] != BASE_HEADER:
        raise CorruptError(f"{source} does not start with the header {','.join(BASE_HEADER)}: restore it from a copy")
    pins = [h[len(PIN_PREFIX):] for h in header[4:] if h.startswith(PIN_PREFIX)]
    marks = [h for h in header[4:] if h.startswith(Mark.PREFIX)]
    refuse_password_columns([h for h in header if not h.startswith((PIN_PREFIX, Mark.PREFIX))], source)
    if len(pins) > 1 or (pins and not (re.fullmatch(r"[0-9a-f]{32}", pins[0]) and header[-1].startswith(PIN_PREFIX))):
        raise CorruptError(f"{source} has a damaged recipients pin in its header: restore it from a copy")
    extra = len(pins) + len(marks)
    if len(marks) > 1 or (marks and header[len(header) - extra] != marks[0]):
        raise CorruptError(f"{source} has a damaged journal mark in its header: restore it from a copy")
    positions = [header.index(h) if h in header else None for h in HEADER]
    return (header[:len(header) - extra], positions, (pins[0] if pins else None), (marks[0] if marks else None),
            (len(text) if end < 0 else end + 1))


def _store_row(values: list[str]) -> SeedRow:
    return SeedRow(values[0], values[1], values[2], values[3], values[4], values[5] or "SHA1",
                   values[6] or 6, values[7] or 30, values[8], values[9] or "active", values[10], values[11])


def parse_store(text: str, source: str) -> tuple[list[SeedRow], str | None]:
    """The store's own plaintext: exact header, rows taken as written; and the recipients' pin.

    Rows are fully validated when used (``find``) and before any write (``save``), so
    that reading one code from 10,000 rows does not validate 10,000 rows.
    """
    header, positions, pin, _mark, start = _store_header(text, source)
    reader = csv.reader(io.StringIO(text[start:], newline=""))
    rows = []
    try:
        for cells in reader:
            if not cells:
                continue
            if len(cells) != len(header):
                raise CorruptError(f"{source} line {reader.line_num + 1} has {len(cells)} columns, not "
                                   f"{len(header)}: restore it from a copy")
            rows.append(_store_row([cells[i] if i is not None else "" for i in positions]))
    except csv.Error:
        raise CorruptError(f"{source} line {reader.line_num + 1} is not valid CSV: restore it from a copy") from None
    return rows, pin


def store_marks(text: str, source: str) -> tuple[str | None, Mark | None]:
    """The recipients' pin and the journal's mark of the store's plaintext (its header is checked, its rows
    are not read)."""
    _header, _positions, pin, mark, _start = _store_header(text, source)
    try:
        return pin, Mark.parse(mark)
    except CorruptError as exc:
        raise CorruptError(f"{source}: {exc.message}") from None


def find_in_store(text: str, source: str, ref: str) -> list[SeedRow] | None:
    """The active rows of the account ``ref`` (12-digit id or exact name) in the store's plaintext,
    found without reading every row: only the lines that hold ``ref`` as their first (id) or second
    (name) cell are parsed. None when a line found is not a plain row (the caller reads them all)."""
    _header, positions, _pin, _mark, _start = _store_header(text, source)
    if positions[:2] != [0, 1] or positions[9] is None:
        return None
    if is_account_id(ref):
        needle, column = f"\n{ref},", 0
    else:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow([ref])  # the name as the store writes it
        needle, column = f",{buffer.getvalue()},", 1
    found, at = [], text.find(needle)
    while at >= 0:
        begin = text.rfind("\n", 0, at + 1 if column == 0 else at) + 1
        end = text.find("\n", at + 1)
        line = (text[begin:] if end < 0 else text[begin:end]).rstrip("\r")
        try:
            cells = next(csv.reader([line]))
        except (StopIteration, csv.Error):
            return None
        if len(cells) != len(_header):
            return None  # a quoted line break, or a damaged line: the full reading says which
        if cells[column] == ref:
            row = _store_row([cells[i] if i is not None else "" for i in positions])
            if (row.state or "active") == "active":
                found.append(row)
        at = text.find(needle, at + 1)
    return found


def parse_csv(text: str, source: str, *, email_template: str | None = None) -> ParseResult:
    """Rows of a seed CSV to import: the first four columns named as in the store, any case."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{source} is empty: it needs the header {','.join(BASE_HEADER)}") from None
    except csv.Error as exc:
        raise InputError(f"{source} line 1 is not valid CSV ({exc}): fix the quoting") from None
    names = [h.strip().lower() for h in header]
    if names[:4] != [h.lower() for h in BASE_HEADER]:
        raise InputError(
            f"{source} line 1 is not the expected header (a file without one?): the first four columns must be "
            f"exactly {','.join(BASE_HEADER)}"
        )
    refuse_password_columns(header, source)
    for position, name in enumerate(names):
        if name and names.index(name) != position:
            raise InputError(
                f"{source} line 1 has two {header[position].strip()!r} columns (columns {names.index(name) + 1} and "
                f"{position + 1}): keep one and import again"
            )
    result = ParseResult([])
    try:
        for line_no, cells in enumerate(reader, 2):
            if not any(c.strip() for c in cells):
                continue
            where = f"{source} line {line_no}"
            if len(cells) < 4:
                raise InputError(f"{where} has {len(cells)} columns: it needs at least 4 ({','.join(BASE_HEADER)})")
            if any(c.strip() for c in cells[len(names):]):
                raise InputError(f"{where} has {len(cells)} columns, the header {len(names)}: a value would be "
                                 "lost; fix the row (a comma inside a value needs quotes)")
            row = _row_from_mapping(dict(zip(names, cells, strict=False)), where, email_template)
            row, warnings = check_row(row, where)
            result.rows.append(row)
            result.warnings += warnings
    except csv.Error as exc:
        raise InputError(f"{source} line {reader.line_num} is not valid CSV ({exc}): fix the quoting") from None
    return result


def table_cells(line: str) -> list[str]:
    """The cells of one row of a pipe-separated table (``| a | b |``, outer pipes optional)."""
    cells = [c.strip() for c in line.strip().split("|")]
    if cells and cells[0] == "":
        cells = cells[1:]
    if cells and cells[-1] == "":
        cells = cells[:-1]
    return cells


def parse_pipe_table(text: str, source: str, email_template: str | None = None) -> ParseResult:
    """The write-up's table: ``| Account # | Account Name | Account Email | MFA Seed |``."""
    result = ParseResult([])
    header_seen = False
    for line_no, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        stripped = line.strip()
        if not stripped or set(stripped) <= set("-|+: "):
            continue
        cells = table_cells(stripped)
        where = f"{source} line {line_no}"
        if not header_seen and cells and cells[0].lower().startswith("account"):
            names = [c.lower() for c in cells]
            names = [n for n in names if n and not set(n) <= set("-")]
            if names[:4] != [h.lower() for h in BASE_HEADER]:
                raise InputError(f"{where}: the table header must start with {' | '.join(BASE_HEADER)}")
            refuse_password_columns(names, source)
            header_seen = True
            continue
        if len(cells) < 4:
            raise InputError(f"{where} has {len(cells)} cells: it needs Account # | Account Name | Account Email | MFA Seed")
        mapping = dict(zip([h.lower() for h in HEADER], cells, strict=False))
        row, warnings = check_row(_row_from_mapping(mapping, where, email_template), where)
        result.rows.append(row)
        result.warnings += warnings
    return result


NameOf = Callable[[str], "str | None"]  # account id -> account name (None: not known)


def parse_otpauth_lines(text: str, source: str, email_template: str | None = None,
                        names: NameOf | None = None) -> ParseResult:
    """``otpauth://totp/...`` URIs, one a line (AWS's, authenticator exports, or ours)."""
    result = ParseResult([])
    for line_no, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source} line {line_no}"
        row, warnings = parse_otpauth(line, where, email_template, names)
        result.rows.append(row)
        result.warnings += warnings
    return result


AWS_ISSUER = "Amazon Web Services"
_DEVICE = re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}")


def parse_otpauth(uri: str, where: str, email_template: str | None = None,
                  names: NameOf | None = None) -> tuple[SeedRow, list[str]]:
    """One URI. Besides ours (``account_id`` and ``account_name`` parameters), AWS's own form, as
    authenticator apps export it: label ``[Amazon Web Services:]DEVICE@ACCOUNT_ID``. It names no
    account: ``names`` gives the name of an account id (the vault, a --names file), and the device
    ARN follows from the device name."""
    parsed = urllib.parse.urlsplit(uri)
    if parsed.scheme.lower() != "otpauth":
        raise InputError(f"{where} is not an otpauth:// URI")
    if parsed.netloc.lower() != "totp":
        raise InputError(f"{where} is otpauth://{parsed.netloc}: only totp is supported (AWS uses TOTP)")
    query = {k.lower(): v for k, v in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)}
    label = urllib.parse.unquote(parsed.path.lstrip("/"))
    if "secret" not in query:
        raise InputError(f"{where} has no secret= parameter")
    account_id, name, device_arn = query.get("account_id", ""), query.get("account_name", ""), query.get("device_arn", "")
    device, _, who = label.split(":", 1)[-1].strip().rpartition("@")
    aws_form = bool(re.fullmatch(r"[0-9]{12}", who)) and bool(_DEVICE.fullmatch(device))
    if aws_form:
        account_id = account_id or who
        device_arn = device_arn or f"arn:aws:iam::{who}:mfa/{device}"
    if not account_id:
        ids = re.findall(r"(?<![0-9])[0-9]{12}(?![0-9])", label + " " + query.get("issuer", ""))
        if not ids:
            raise InputError(f"{where} names no 12-digit account id: add &account_id=123456789012 to the URI")
        account_id = ids[-1]
    if query.get("device") and not device_arn:  # the seed sheet's short form: the device's name
        device_arn = f"arn:aws:iam::{account_id}:mfa/{query['device']}"
    if not name and not aws_form:
        tail = re.split(r"[@:]", label)[-1].strip()
        tail = re.sub(r"\s*\([0-9]{12}\)$", "", tail).strip()
        if tail and not is_account_id(tail):
            name = tail
    if not name and names is not None and is_account_id(account_id):
        name = names(account_id) or ""
    if not name:
        raise InputError(
            f"{where} names account {account_id} but not its name, and the vault has no entry for it: "
            "give --names FILE (lines 'account id,name'), enroll its password first, or add &account_name=NAME"
        )
    mapping = {
        "account #": account_id, "account name": name, "account email": query.get("email", ""),
        "mfa seed": query["secret"], "device arn": device_arn,
        "algorithm": query.get("algorithm", "SHA1"), "digits": query.get("digits", "6"),
        "period": query.get("period", "30"),
    }
    return check_row(_row_from_mapping(mapping, where, email_template), where)


def parse_import(text: str, source: str, email_template: str | None = None,
                 names: NameOf | None = None) -> ParseResult:
    """Detect the format (CSV, pipe table, otpauth lines) and parse it, all or nothing. ``names``:
    where an otpauth URI that names no account (AWS's own form) gets the account's name."""
    first = next((ln.strip() for ln in text.lstrip("\ufeff").splitlines() if ln.strip()), "")
    if not first:
        raise InputError(f"{source} is empty: nothing to import")
    if first.lower().startswith("otpauth://"):
        result = parse_otpauth_lines(text, source, email_template, names)
    elif "|" in first:
        result = parse_pipe_table(text, source, email_template)
    else:
        result = parse_csv(text, source, email_template=email_template)
    if not result.rows:
        raise InputError(f"{source} holds no rows: nothing to import")
    seen_id: dict[str, list[int]] = {}
    seen_seed: dict[str, int] = {}
    for index, row in enumerate(result.rows):
        if row.state != "active":
            continue
        if row.seed in seen_seed:
            raise InputError(
                f"{source}: rows {seen_seed[row.seed] + 1} and {index + 1} have the same seed: "
                "a copy-paste mistake? each account has its own"
            )
        seen_seed[row.seed] = index
        earlier = seen_id.setdefault(row.account_id, [])
        earlier.append(index)
        if len(earlier) > 1 and several_problem([result.rows[i].device_arn for i in earlier]):
            raise InputError(
                f"{source}: account {row.account_id} appears twice (rows {earlier[0] + 1} and {index + 1}): keep "
                "one row per account, or, for several virtual MFA devices of its root, give each row its own "
                "Device ARN"
            )
    return result


# ---------------------------------------------------------------- output

def to_csv(rows: list[SeedRow], pin: str | None = None, mark: Mark | None = None) -> str:
    """The CSV of ``rows``; the store's own plaintext names in its last header cells the journal's ``mark``
    and the recipients' ``pin``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER + ([mark.text()] if mark else []) + ([PIN_PREFIX + pin] if pin else []))
    for row in rows:
        writer.writerow(row.cells())  # rows stay exactly as exported: the pin is the header's alone
    return buffer.getvalue()


def to_otpauth(row: SeedRow) -> str:
    """The row as an otpauth URI (built by pyotp): issuer "Amazon Web Services" and label
    ``DEVICE@ACCOUNT_ID`` as AWS and authenticator apps write them, so an app lists it beside
    AWS's own; our parameters carry the account's name, e-mail and device ARN."""
    # Without a recorded device, no device name is invented: the label is the account's name and id.
    label = (f"{row.device_arn.rsplit('/', 1)[-1]}@{row.account_id}" if row.device_arn
             else f"{row.account_name} ({row.account_id})")
    uri = provisioning_uri(row.seed, label, AWS_ISSUER, digits=int(row.digits), period=int(row.period),
                           algorithm=row.algorithm)
    params = {"account_id": row.account_id, "account_name": row.account_name, "email": row.email}
    if row.device_arn:
        params["device_arn"] = row.device_arn
    return f"{uri}&{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"


def to_json(rows: list[SeedRow]) -> str:
    """The rows as JSON: digits and period as numbers (the store keeps every cell as text)."""
    return json.dumps([{**asdict(r), "digits": int(r.digits), "period": int(r.period)} for r in rows], indent=2) + "\n"
