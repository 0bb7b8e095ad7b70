"""``paper seeds``: the seed sheet, a printed copy of the seed store that a phone or a scanner restores.

Per account: a QR code of its ``otpauth://`` URI (an authenticator app shows "Amazon Web Services"
and "NAME (ACCOUNT_ID)"), and the typed lines of ``lines`` (id, name, e-mail, device, the seed in
groups of four), each with its check. Every page has a classification banner, page x of y, the
record count and checksum (the typed ``sheet`` line), and a small marker QR code naming the page
and its accounts, so that a restore can tell a missing page. It never holds a password.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .. import __version__
from ..rules.totp import provisioning_uri
from ..stores.seeds.formats import AWS_ISSUER, SeedRow
from . import lines as L  # noqa: N812

if TYPE_CHECKING:
    from ..workspace import Workspace

DEFAULT_CLASSIFICATION = "Secret"


def sheet_uri(row: SeedRow) -> str:
    """The QR code's URI: issuer Amazon Web Services and label ``NAME (ACCOUNT_ID)``, which an app
    shows and ``seeds import`` / ``paper restore`` read the account from; parameters carry only what
    the label does not (the e-mail, the device, a name the label cannot hold). Short, so that the
    code is version 11 or so: larger modules read better (zbar missed about 3 in 1,000 codes of
    version 13 at 150-200 dpi; none of version 11)."""
    uri = provisioning_uri(row.seed, f"{row.account_name} ({row.account_id})", AWS_ISSUER, digits=int(row.digits),
                           period=int(row.period), algorithm=row.algorithm)
    params = {"email": row.email}
    if ":" in row.account_name or "@" in row.account_name:  # the label's name is read after its last ':' or '@'
        params["account_name"] = row.account_name
    if row.device_arn:
        device = L.device_value(row.account_id, row.device_arn)
        params["device_arn" if device.startswith("arn:") else "device"] = device
    return f"{uri}&{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"


@dataclass
class SeedSheet:
    pdf: bytes
    pages: int
    count: int
    checksum: str
    event: dict | None = None  # the journal record of this printing, written by whoever writes the PDF


MM = 72 / 25.4
QR_SIZE = 37 * MM
QUIET = 3 * MM  # between a code and the rule above or below it: more than the 4 modules QR codes need
LEADING = 11.5
VALUE_COLUMN = 34  # characters: the checks line up across blocks unless a value is longer
FOOTER = 30 * MM  # the marker QR code and the sheet line, above the bottom banner
HOW_TO = [
    "The virtual-MFA seeds of AWS root users, one record per account. With the account's root password (kept "
    "apart, in the password vault) a seed signs in as root: store this sheet where no one who can reach the "
    "vault can reach it, and never copy it beside the vault.",
    "One account now: scan its QR code with an authenticator app (it shows Amazon Web Services and the "
    "account's name and id), sign in, then delete the entry from the app. No app can scan it? Type the seed "
    "lines' groups without spaces: TOTP, SHA1, 6 digits, 30 seconds, unless a totp line says otherwise.",
    "Restore the seed store: rootkeeper paper restore SCAN.pdf (PDF pages or PNG/JPEG scans). Where a code "
    "cannot be read, type its record's lines into a file exactly as printed (ACCOUNT_ID TAG VALUE CHECK, "
    "without the word check) and add --typed FILE; a mistyped line is named by its check. The README's "
    "'Paper' section describes the lines.",
]


@dataclass
class _Block:
    row: SeedRow
    lines: list[L.Line]

    @property
    def height(self) -> float:
        return max(QR_SIZE + 2 * QUIET, 26 + LEADING * len(self.lines) + 3 * MM)


def _layout(blocks: list[_Block], body: float, first_body: float) -> list[list[_Block]]:
    """Blocks to pages: as many as fit, in order (a long seed makes a taller block)."""
    pages: list[list[_Block]] = [[]]
    room = first_body
    for block in blocks:
        if block.height > room and pages[-1]:
            pages.append([])
            room = body
        pages[-1].append(block)
        room -= block.height
    return pages


def render(rows: list[SeedRow], *, paper: str, classification: str, store_name: str, store_fingerprint: str,
           printed_at: datetime, devices: list[str] | None = None) -> SeedSheet:
    """The sheet of ``rows`` (checked rows), as PDF bytes; ``devices``: the FIDO keys and hardware tokens that also
    pass root's MFA (and where they live), named in the how-to box (no sheet restores them)."""
    from . import pdf

    rows = sorted(rows, key=lambda r: (r.account_name.lower(), r.account_id))
    total = L.checksum(rows)
    doc = pdf.Document(paper, "rootkeeper seed sheet", f"{classification}: AWS root MFA seeds, {len(rows)} accounts")
    probe = doc.page()
    body = probe.height - 2 * probe.margin - 58 - FOOTER
    paragraphs = HOW_TO + ([f"Also root's MFA, and not on this sheet (no paper restores them): {'; '.join(devices)}."]
                           if devices else [])
    how_to = _how_to_height(probe, pdf, paragraphs)
    pages = _layout([_Block(r, L.record_lines(r, n)) for r, n in zip(rows, L.numbered(rows), strict=True)], body,
                    body - how_to)
    for number, group in enumerate(pages, 1):
        page = doc.page()
        marker = L.Marker(number, len(pages), len(rows), total, tuple(b.row.account_id for b in group))
        y = _frame(page, pdf, classification=classification, number=number, pages=len(pages), count=len(rows),
                   total=total, store_name=store_name, store_fingerprint=store_fingerprint, printed_at=printed_at,
                   marker=marker)
        if number == 1:
            _how_to(page, pdf, y, how_to, paragraphs)
            y -= how_to
        for block in group:
            _record(page, pdf, y, block)
            y -= block.height
        doc.next_page()
    return SeedSheet(doc.finish(), len(pages), len(rows), total)


def _frame(page, pdf, *, classification, number, pages, count, total, store_name, store_fingerprint, printed_at,
           marker) -> float:
    """Banners, title, the sheet line and the page marker; returns the y where records start."""
    m, w, h = page.margin, page.width, page.height
    label = f"{classification}  -  AWS root MFA seeds  -  keep apart from the password vault"
    pdf.banner(page, label, h - m - 16)
    pdf.banner(page, label, m)
    top = h - m - 34
    pdf.text(page, m, top, "rootkeeper seed sheet", font=pdf.SANS_BOLD, size=14)
    page.canvas.setFont(pdf.SANS_BOLD, 11)
    page.canvas.drawRightString(w - m, top, f"page {number} of {pages}")
    plural = "s" if pages > 1 else ""
    pdf.text(page, m, top - 13, f"Seed store {store_name}, SHA-256 {store_fingerprint[:16]}...  Printed "
             f"{printed_at:%Y-%m-%d %H:%M} UTC by rootkeeper {__version__}.  {count} seeds on {pages} page{plural}.",
             size=8)
    # the footer: the marker QR code, the sheet line, the reminders
    size = 22 * MM
    bottom = m + 16 + 4 * MM
    pdf.qr(page, m, bottom, size, marker.text())
    x = m + size + 5 * MM
    pdf.text(page, x, bottom + size - 9, f"Sheet of {count} records.  Checksum over all records:", size=8.5)
    pdf.mono(page, x, bottom + size - 22, L.sheet_line(count, total), 10)
    pdf.text(page, x, bottom + size - 34, "(type it as the last line of a --typed file when no page marker can be read)",
             size=7)
    pdf.text(page, x, bottom + size - 46, "Base32 seeds use only A-Z and 2-7: a seed has no 0, 1, 8 or 9. A zero "
             "prints slashed.", size=7)
    pdf.text(page, x, bottom + 4, "Left: this page's marker (page, accounts, checksum), read by 'rootkeeper paper "
             "restore'.", size=7)
    return top - 24


def _how_to_height(page, pdf, paragraphs: list[str]) -> float:
    width = page.width - 2 * page.margin - 6 * MM
    lines = sum(pdf.line_count(p, width, size=7.8) for p in paragraphs)
    return 24 + lines * 9.6 + 3 * len(paragraphs) + 5 * MM


def _how_to(page, pdf, y: float, height: float, paragraphs: list[str]) -> None:
    m, w = page.margin, page.width
    c = page.canvas
    c.setLineWidth(0.6)
    box = height - 5 * MM
    c.rect(m, y - box, w - 2 * m, box, stroke=1, fill=0)
    x, width = m + 3 * MM, w - 2 * m - 6 * MM
    y2 = y - 12
    pdf.text(page, x, y2, "What this is and how to use it", font=pdf.SANS_BOLD, size=9.5)
    y2 -= 13
    for paragraph in paragraphs:
        y2 = pdf.wrapped(page, x, y2, paragraph, width, size=7.8, leading=9.6) - 3


def _record(page, pdf, y: float, block: _Block) -> None:
    """One account's block (QR code left, typed lines right)."""
    m, w = page.margin, page.width
    row, lines = block.row, block.lines
    c = page.canvas
    c.setLineWidth(0.4)
    c.setStrokeGray(0.6)
    c.line(m, y, w - m, y)
    c.setStrokeGray(0)
    pdf.qr(page, m + 2 * MM, y - QUIET - QR_SIZE, QR_SIZE, sheet_uri(row))
    x = m + QR_SIZE + 8 * MM
    width = w - m - x
    pdf.text(page, x, y - 14, row.account_name, font=pdf.SANS_BOLD, size=12)
    name_width = c.stringWidth(row.account_name, pdf.SANS_BOLD, 12)
    device = f", MFA device {L.device_value(row.account_id, row.device_arn)}" if row.device_arn else ""
    pdf.text(page, x + name_width + 8, y - 14, f"account {row.account_id}{device}", size=9)
    value_width = max([VALUE_COLUMN] + [len(line.value) for line in lines])
    tag_width = max(len(line.tag) for line in lines)
    columns = [0, 13, 13 + tag_width + 2, 13 + tag_width + 2 + value_width + 3]  # id, tag, value, check
    chars = columns[-1] + 3
    size = min(9.0, width / (pdf.MONO_ADVANCE * chars))
    for label, column in zip(("account id", "tag", "value (type each line as printed)", "check"), columns, strict=True):
        pdf.text(page, x + pdf.mono_width(column, size), y - 26, label, size=6.5)
    line_y = y - 26 - LEADING
    for line in lines:
        text = f"{line.account_id} {line.tag.ljust(tag_width)}  {line.value.ljust(value_width)}   {line.check}"
        pdf.mono(page, x, line_y, text, size)
        line_y -= LEADING


def select(ws: Workspace, accounts: list[str]) -> list[SeedRow]:
    """The rows to print: the named accounts (id or name), else every active seed; each checked. An account
    whose root has several virtual MFA devices gives a record for each."""
    from ..errors import InputError

    store = ws.seeds()
    if accounts:
        chosen = [store.find_all(ref) for ref in accounts]
        seen = set()
        for rows in chosen:
            if rows[0].account_id in seen:
                raise InputError(f"account {rows[0].account_id} is named twice: name each account once")
            seen.add(rows[0].account_id)
        return [row for rows in chosen for row in rows]
    rows = [row for account in store.by_account() for row in store.find_all(account)]
    if not rows:
        raise InputError("the seed store holds no active seed: nothing to print")
    return rows


def print_seed_sheet(ws: Workspace, accounts: list[str], *, paper: str, classification: str,
                     now: datetime | None = None, devices: list[str] | None = None) -> SeedSheet:
    """Render the sheet, with the record of its printing (which sheet, count, checksum; never a seed) in
    ``.event``: the caller records it with the PDF's write (``Workspace.write_files``), after it is written."""
    from . import validate_classification

    classification = validate_classification(classification)
    rows = select(ws, accounts)
    store = ws.seeds()
    sheet = render(rows, paper=paper, classification=classification, store_name=store.path.name,
                   store_fingerprint=store.fingerprint or "", printed_at=now or datetime.now(UTC), devices=devices)
    sheet.event = {"event": "paper.seeds", "count": sheet.count, "pages": sheet.pages, "checksum": sheet.checksum,
                   "store_sha256": store.fingerprint, "selected": bool(accounts)}
    return sheet
