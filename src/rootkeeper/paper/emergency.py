"""``paper emergency-sheet``: the vault's emergency sheet, for the day the people who set it up are gone.

One page: which database this is (file name, creation date, fingerprints), what it is for and
what must never be stored in it, where its copies live, blanks for the master password and the
key file to be written by hand, and how to recover. It never holds a seed, and never says where
the seeds are kept: only that they are held apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import InputError
from ..storage import fsutil

if TYPE_CHECKING:
    from ..workspace import Workspace

MM = 72 / 25.4
DEFAULT_CLASSIFICATION = "Confidential"
MAX_LOCATIONS = 8


@dataclass
class VaultFacts:
    file_name: str
    database_name: str
    database_id: str
    created: datetime | None
    entries: int
    sha256: str
    kdf: dict
    key_file: str | None  # its file name, when the vault needs one
    key_file_size: int | None  # never a hash of it: KeePass takes SHA-256 of a non-XML key file as the key itself


@dataclass
class EmergencySheet:
    pdf: bytes
    facts: VaultFacts
    event: dict | None = None  # the journal record of this printing, written by whoever writes the PDF


def validate_locations(locations: list[str]) -> list[str]:
    out = []
    for raw in locations:
        value = raw.strip()
        # the sheet's fonts are the PDF standard ones: Latin-1 text only
        if not value or len(value) > 100 or not all(c.isprintable() and ord(c) < 256 for c in value):
            raise InputError("a --location is 1-100 printable Latin-1 characters, e.g. 'USB drive 1, office safe'")
        out.append(value)
    if len(out) > MAX_LOCATIONS:
        raise InputError(f"at most {MAX_LOCATIONS} --location options fit on the sheet")
    return out


def facts(ws: Workspace) -> VaultFacts:
    vault = ws.vault()
    identity = vault.identity()
    key_name = key_size = None
    if ws.key_file is not None:
        key_name = ws.key_file.name
        key_size = len(fsutil.read_bytes(ws.key_file, "key file", secret=True))
    return VaultFacts(vault.path.name, identity["name"], identity["database_id"], identity["created"],
                      len(vault.entries()), vault.fingerprint or "", vault.kdf(), key_name, key_size)


def render(f: VaultFacts, *, paper: str, classification: str, locations: list[str], printed_at: datetime,
           devices: list[str] | None = None) -> bytes:
    from . import pdf

    doc = pdf.Document(paper, "rootkeeper emergency sheet", f"{classification}: the AWS root password vault")
    page = doc.page()
    m, w, h = page.margin, page.width, page.height
    width = w - 2 * m
    label = f"{classification}  -  emergency sheet  -  AWS root password vault"
    pdf.banner(page, label, h - m - 16)
    pdf.banner(page, label, m)
    y = h - m - 36
    pdf.text(page, m, y, "Emergency sheet: the AWS root password vault", font=pdf.SANS_BOLD, size=15)
    y -= 14
    pdf.text(page, m, y, f"Printed {printed_at:%Y-%m-%d %H:%M} UTC by rootkeeper {__version__}. Keep it with the "
             "vault's copies or in the safe; never with the MFA seeds.", size=8)

    y = _heading(page, pdf, y - 20, "This database")
    created = f"{f.created:%Y-%m-%d}" if f.created else "unknown"
    kdf = f.kdf
    rows = [
        ("File name", f.file_name),
        ("Database name", f.database_name or "(none)"),
        ("Created", created),
        ("Database id", f"{f.database_id}  (the root group's UUID: the same in every copy, whatever changes)"),
        ("Entries", f"{f.entries} at printing (one per AWS account; the count changes as accounts join)"),
        ("Encryption", f"KeePass KDBX 4, {str(kdf.get('kdf', '?')).capitalize()} {kdf.get('memory_mib')} MiB x "
                       f"{kdf.get('iterations')}"
                       f" iterations, {kdf.get('parallelism')} lanes"),
    ]
    for key, value in rows:
        y = _field(page, pdf, y, key, value, width)
    y = _field(page, pdf, y, "File SHA-256", f.sha256, width, mono=True)
    y = _field(page, pdf, y, "", "what sha256sum prints for the file as it was at printing; every save changes it", width)
    if f.key_file:
        y = _field(page, pdf, y, "Key file", f"required: {f.key_file} ({f.key_file_size:,} bytes), kept apart from the "
                   "vault's copies", width)
    else:
        y = _field(page, pdf, y, "Key file", "none: the master password alone opens it", width)

    y = _heading(page, pdf, y - 6, "What it is for, and what must never be stored in it")
    for paragraph in (
        "It holds the root-user passwords of the AWS accounts of one organization, one entry per account "
        "(title = account name, user name root, fields AccountId and Email), and nothing else.",
        "Never store in it: an MFA seed, a TOTP secret or otpauth:// link, a QR code, an access key, or any other "
        "system's password. The MFA seeds are held apart, by other custodians, so that whoever takes this vault "
        "still cannot sign in as root. rootkeeper refuses to open a vault holding a seed.",
    ):
        y = pdf.wrapped(page, m, y, paragraph, width, size=8.5, leading=11) - 3

    y = _heading(page, pdf, y - 6, "Master password and key file (write by hand, in ink)")
    y = pdf.blank(page, m, y - 8, width, "Master password:")
    y = pdf.blank(page, m, y, width, "")
    y = pdf.blank(page, m, y, width, "")
    if f.key_file:
        y = pdf.blank(page, m, y, width, f"Key file {f.key_file} (its location, never its contents) is kept at:")
    else:
        y = pdf.blank(page, m, y, width, "Key file, if one is added later (its location, never its contents):")
    y = pdf.blank(page, m, y, width, "Written by, on (date):")

    y = _heading(page, pdf, y - 2, "Where its copies live")
    for location in locations:
        pdf.text(page, m + 8, y, f"- {location}", size=9)
        y -= 13
    for _ in range(max(1, 3 - len(locations))):
        y = pdf.blank(page, m, y - 8, width, "-") + 8
    y -= 8

    y = _heading(page, pdf, y - 2, "How to recover a root password")
    steps = [
        "Take a copy of the vault file from a place above. Check it is this database: sha256sum shows the SHA-256 "
        "above if it was not changed since; otherwise KeePassXC's Database > Database settings shows its name.",
        "Open it with the master password (and the key file, if one is set) in KeePassXC (any platform, "
        "keepassxc.org), keepassxc-cli (keepassxc-cli show -s FILE 'AWS root users/ACCOUNT_NAME'), or rootkeeper (rootkeeper "
        "password ACCOUNT --reason TEXT --show). The key derivation needs the memory stated above.",
        "Find the account's entry: its title is the account name, its AccountId field the 12-digit id.",
        "Sign in at https://signin.aws.amazon.com/console as the root user with the entry's e-mail and password. "
        "AWS then asks for an MFA code: ask the custodians of the MFA seeds, who hold them apart from this vault."
        + (" Root's MFA is also passed by these keys and tokens, held apart like the seeds: " + "; ".join(devices)
           + "." if devices else ""),
        "Record why and when the vault was opened (rootkeeper journal, or your incident log), and rotate the "
        "password afterwards if it was shown to anyone.",
    ]
    for number, step in enumerate(steps, 1):
        pdf.text(page, m, y, f"{number}.", font=pdf.SANS_BOLD, size=8.5)
        y = pdf.wrapped(page, m + 14, y, step, width - 14, size=8.5, leading=11) - 3

    # The checks of the copies: on this page when at least three fit, else on a page of their own (never
    # left out: with two locations, or on Letter, the first page is full).
    if y - 8 - 16 - 8 - 3 * 24 <= m + 40:
        doc.next_page()
        page = doc.page()
        pdf.banner(page, label, h - m - 16)
        pdf.banner(page, label, m)
        y = h - m - 36 + 8
    y = _heading(page, pdf, y - 8, "Checks of the copies (test that each copy opens, at least once a year)")
    y -= 8
    while y > m + 40:
        y = pdf.blank(page, m, y, width, "Date, who, which copy, opened (yes/no):")
    doc.next_page()
    return doc.finish()


def _heading(page, pdf, y: float, title: str) -> float:
    pdf.text(page, page.margin, y, title, font=pdf.SANS_BOLD, size=11)
    page.canvas.setLineWidth(0.5)
    page.canvas.line(page.margin, y - 3, page.width - page.margin, y - 3)
    return y - 16


def _field(page, pdf, y: float, key: str, value: str, width: float, *, mono: bool = False) -> float:
    pdf.text(page, page.margin, y, key, font=pdf.SANS_BOLD, size=8.5)
    if mono:
        pdf.mono(page, page.margin + 90, y, value, 8.5)
        return y - 12
    return pdf.wrapped(page, page.margin + 90, y, value, width - 90, size=8.5, leading=11) - 1


def print_emergency_sheet(ws: Workspace, *, paper: str, classification: str, locations: list[str],
                          now: datetime | None = None, devices: list[str] | None = None) -> EmergencySheet:
    """Render the sheet, with the record of its printing (which vault, its fingerprint; never a secret) in
    ``.event``: the caller records it with the PDF's write (``Workspace.write_files``)."""
    from . import validate_classification

    classification = validate_classification(classification)
    locations = validate_locations(locations)
    f = facts(ws)
    data = render(f, paper=paper, classification=classification, locations=locations,
                  printed_at=now or datetime.now(UTC), devices=devices)
    return EmergencySheet(data, f, {"event": "paper.emergency-sheet", "vault": f.file_name,
                                    "database_id": f.database_id, "vault_sha256": f.sha256, "entries": f.entries,
                                    "locations": len(locations), "mfa_devices": len(devices or [])})
