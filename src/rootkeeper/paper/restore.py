"""``paper restore``: a seed store from scans of a seed sheet, with typed lines where a code is unreadable.

The records come from the accounts' QR codes, and from typed lines (each with its check) for
the codes that could not be read. They are compared with the sheet's record count and checksum
(from any page's marker, or a typed ``sheet`` line) before anything is written; then they are
written to a new seed store or merged into an existing one, all or nothing, and journaled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..stores.seeds.formats import SeedRow, check_row, parse_otpauth
from . import lines as L  # noqa: N812

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .scan import Decoded


@dataclass
class Reading:
    """What the scans and the typed lines gave, before it is checked against the sheet."""

    # (account id, device ARN) -> (row, where): an account with several virtual MFA devices has a record for each
    rows: dict[tuple[str, str], tuple[SeedRow, str]] = field(default_factory=dict)
    markers: dict[int, tuple[L.Marker, str]] = field(default_factory=dict)  # page -> (marker, where)
    count: int | None = None
    checksum: str | None = None
    typed: list[str] = field(default_factory=list)  # accounts that came from typed lines
    warnings: list[str] = field(default_factory=list)

    def add_row(self, row: SeedRow, where: str) -> None:
        key = (row.account_id, row.device_arn)
        known = self.rows.get(key)
        if known is not None and L.checksum([known[0]]) != L.checksum([row]):
            device = f" (device {row.device_arn})" if row.device_arn else ""
            raise InputError(f"{where} and {known[1]} give account {row.account_id}{device} two different records: "
                             "the scans mix two printings; restore from one sheet")
        self.rows.setdefault(key, (row, where))

    def read_of(self, account_id: str) -> int:
        """How many records of the account were read."""
        return sum(key[0] == account_id for key in self.rows)

    def totals(self, count: int, checksum: str, where: str) -> None:
        if self.count is not None and (self.count, self.checksum) != (count, checksum):
            raise InputError(f"{where} belongs to another sheet ({count} records, checksum {checksum}) than the rest "
                             f"({self.count} records, checksum {self.checksum}): restore one printing at a time")
        self.count, self.checksum = count, checksum


def read(decoded: list[Decoded], typed: L.Typed | None) -> Reading:
    """Gather records, page markers and totals; a bad code or line is an error that names it."""
    reading = Reading()
    for item in decoded:
        if L.is_marker(item.text):
            marker = L.parse_marker(item.text, item.where)
            reading.totals(marker.count, marker.checksum, item.where)
            reading.markers.setdefault(marker.page, (marker, item.where))
        elif item.text[:10].lower() == "otpauth://":
            row, _warnings = parse_otpauth(item.text, f"the QR code of {item.where}")
            reading.add_row(row, item.where)
        else:
            reading.warnings.append(f"{item.where}: a QR code that is not of a rootkeeper seed sheet was ignored")
    if typed is not None:
        if typed.count is not None:
            reading.totals(typed.count, typed.checksum or "", "the typed sheet line")
        for record, fields in typed.fields.items():
            where = f"the typed lines of account {record.split('@')[0]}" + (
                f" (its seed @{record.split('@')[1]})" if "@" in record else "")
            values = L.typed_row_fields(record, fields)
            row, _warnings = check_row(SeedRow(**values), where)
            reading.add_row(row, where)
            reading.typed.append(row.account_id)
    return reading


@dataclass
class Check:
    rows: list[SeedRow]
    complete: bool
    missing: list[str]  # what was not read, for the message


def check(reading: Reading, *, allow_incomplete: bool = False) -> Check:
    """Compare the records with the sheet's count and checksum; say exactly what is missing."""
    rows = [row for row, _ in reading.rows.values()]
    if reading.count is None:
        raise InputError(
            "no page marker could be read and no typed sheet line was given, so the sheet's record count and "
            "checksum are unknown: add the line 'sheet COUNT CHECKSUM' printed at the foot of every page to the "
            "--typed file"
        )
    if not rows:
        raise InputError("no account's QR code could be read: scan at 300 dpi, or type the records' lines "
                         "(--typed FILE)")
    missing = []
    if len(rows) < reading.count:
        pages = reading.markers and next(iter(reading.markers.values()))[0].pages
        if pages:
            absent = [str(p) for p in range(1, pages + 1) if p not in reading.markers]
            if absent:
                missing.append(f"page{'s' if len(absent) > 1 else ''} {', '.join(absent)} of {pages} "
                               f"{'are' if len(absent) > 1 else 'is'} not in the scans (or its marker is unreadable)")
        for _page, (marker, where) in sorted(reading.markers.items()):
            unread = sorted({a for a in marker.accounts if reading.read_of(a) < marker.accounts.count(a)})
            if unread:
                missing.append(f"on {where}, the QR code of account{'s' if len(unread) > 1 else ''} "
                               f"{', '.join(unread)} could not be read")
        message = (f"the sheet is incomplete: {len(rows)} of its {reading.count} records were read; "
                   + "; ".join(missing or ["the pages are not known"])
                   + ". Scan what is missing, or type those records' lines into a file and add --typed FILE")
        if not allow_incomplete:
            raise InputError(message)
        # No checksum vouches for an incomplete set: only the records a page marker of this printing lists
        # are restored. A code no marker lists may be of an older printing (a stale seed).
        vouched = {account for marker, _where in reading.markers.values() for account in marker.accounts}
        unvouched = sorted({account for account, _device in reading.rows if account not in vouched})
        if unvouched:
            raise InputError(
                f"{message.split('. Scan what')[0]}; and no page marker read lists account"
                f"{'s' if len(unvouched) > 1 else ''} {', '.join(unvouched)}, so nothing shows "
                f"{'they are' if len(unvouched) > 1 else 'it is'} of this printing (an older sheet's code?): "
                "with --allow-incomplete, scan each record's page with its marker, or leave those out")
        reading.warnings.append(message.replace(". Scan what", " (restored anyway, --allow-incomplete). Scan what"))
        return Check(rows, False, missing)
    if len(rows) > reading.count:
        raise InputError(f"{len(rows)} records were read but the sheet has {reading.count}: the scans mix pages of "
                         "two printings; restore from one sheet")
    if L.checksum(rows) != reading.checksum:
        raise InputError(
            f"the {len(rows)} records read do not match the sheet's checksum {reading.checksum}: a typed line is wrong "
            "although its check passed (a 1 in 32,768 chance), or the checksum was mistyped; compare the typed lines "
            "with the sheet"
        )
    return Check(rows, True, [])


@dataclass
class Restored:
    path: Path
    created: bool
    read: int  # records read from the sheet
    added: list[str]  # accounts whose seed was added (or replaced)
    complete: bool
    checksum: str
    typed: int
    warnings: list[str] = field(default_factory=list)


def restore(ws: Workspace, scans: list[Path], typed_text: tuple[str, str] | None = None, *, replace: bool = False,
            allow_incomplete: bool = False) -> Restored:
    """Restore into the workspace's seed store (created when it does not exist), all or nothing."""
    from .scan import read_scan

    decoded = [item for path in scans for item in read_scan(path)]
    typed = L.parse_typed(*typed_text) if typed_text is not None else None
    reading = read(decoded, typed)
    result = check(reading, allow_incomplete=allow_incomplete)
    path = ws.require_seeds_path(exists=False)
    created = not path.exists()
    store = _new_store(ws, path) if created else ws.seeds()
    added, retired = [], []
    gone = {r.account_id for r in store.rows if r.state == "retired"}
    several = {r.account_id for r in result.rows if sum(o.account_id == r.account_id for o in result.rows) > 1}
    for row in sorted(result.rows, key=lambda r: r.account_id):  # (stable: an account's seeds in the sheet's order)
        existing = store.seeds_of(row.account_id)
        if not existing and row.account_id in gone:  # a sheet older than the account's retirement
            if row.account_id not in retired:
                retired.append(row.account_id)
            continue
        saved = store.add(row, replace_existing=replace, another=row.account_id in several,
                          where=f"account {row.account_id} of the sheet", replace_option="--replace")
        if all(saved is not r for r in existing) and row.account_id not in added:
            added.append(row.account_id)
    if added or created:
        ws.commit([store], {"event": "paper.restore", "read": len(result.rows), "added": len(added),
                            "complete": result.complete, "checksum": reading.checksum, "created": created,
                            "typed": len(reading.typed), "scans": [os.path.basename(p) for p in scans]})
    skipped = [f"account {account} was retired in the seed store: its seed on the sheet was not restored (an "
               "older sheet; 'rootkeeper seeds import' it by hand if the account is back in custody)" for account in retired]
    return Restored(path, created, len(result.rows), added, result.complete, reading.checksum or "",
                    len(reading.typed), reading.warnings + store.warnings + skipped)


def _new_store(ws: Workspace, path: Path):
    from ..stores.seeds import SeedStore
    from ..workflows.init import check_apart, check_master

    if not path.parent.is_dir():
        raise InputError(f"directory {path.parent} for the new seed store does not exist: create it first")
    if ws.vault_path is not None:  # the rule init keeps: a seed store is never made beside the vault
        check_apart(ws.vault_path, path)
    if ws.config.recipients:
        return SeedStore.new(path, recipients=ws.config.recipients)
    passphrase = ws.credentials.seeds_passphrase()
    check_master(passphrase, "seed-store passphrase")
    return SeedStore.new(path, passphrase=passphrase)
