"""``seeds import`` and ``seeds export``: seeds into and out of the store, journaled.

An import is all or nothing: every row is parsed and checked against the store before
the store is written. An export is recorded in the journal before its plaintext is
returned: an export that cannot be recorded does not happen.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..storage.journal import batch, reason_field
from ..stores.seeds.formats import parse_import, to_csv, to_json, to_otpauth

if TYPE_CHECKING:
    from ..workspace import Workspace

FORMATS = ("csv", "otpauth", "json")


@dataclass
class Imported:
    path: Path  # the seed store
    rows: int  # rows in the file
    added: list[str]  # account ids whose seed was added (or replaced)
    before: int  # active seeds before
    after: int  # active seeds after
    warnings: list[str] = field(default_factory=list)


def import_seeds(ws: Workspace, text: str, source: str, *, replace: bool = False, another: bool = False,
                 names: dict[str, str] | None = None) -> Imported:
    """Parse ``text`` (CSV, the write-up's pipe table or otpauth lines) and add its seeds; a seed
    already in the store is skipped; another seed for an account that has one needs ``replace`` (it replaces
    the seed of the same device) or ``another`` (a seed of another virtual device, kept beside it). Rows of one
    account with their own device ARNs in one file are that account's several devices.

    An otpauth URI in AWS's own form names no account: its name comes from ``names`` (a --names
    file), else from the vault entry with that account id (the vault is opened only then)."""

    def name_of(account_id: str) -> str | None:
        if names and account_id in names:
            return names[account_id]
        entry = ws.vault().get(account_id)
        return entry.name if entry is not None else None

    parsed = parse_import(text, source, ws.config.email_template, name_of)
    store = ws.seeds()
    before = len(store.active_rows())
    added, seen = [], set()
    for index, row in enumerate(parsed.rows, 1):
        if row.state != "active":
            continue
        existing = store.seeds_of(row.account_id)
        saved = store.add(row, replace_existing=replace, another=another or row.account_id in seen,
                          where=f"{source} row {index}", replace_option="--replace", another_option="--another-device")
        seen.add(row.account_id)
        if all(saved is not r for r in existing):
            added.append(row.account_id)
    if added:
        ws.commit([store], {"event": "seeds.import", "source": os.path.basename(source), **batch(sorted(set(added)))})
    return Imported(store.path, len(parsed.rows), added, before, len(store.active_rows()), parsed.warnings)


def read_names(text: str, source: str) -> dict[str, str]:
    """A --names file: lines ``account id,name`` (a header line and blank lines are skipped)."""
    from ..rules.accounts import is_account_id, validate_account_id, validate_name

    out: dict[str, str] = {}
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        account_id, _, name = (part.strip() for part in line.partition(","))
        if number == 1 and not is_account_id(account_id):
            continue  # a header
        where = f"{source} line {number}"
        out[validate_account_id(account_id, where)] = validate_name(name, where)
    return out


def export_seeds(ws: Workspace, fmt: str, *, include_all: bool = False, reason: str | None = None) -> str:
    """The seeds in plaintext (csv, otpauth lines or json): active rows, or every row with ``include_all``;
    recorded first, with ``reason``."""
    if fmt not in FORMATS:
        raise InputError(f"export format {fmt!r} is not one of {', '.join(FORMATS)}")
    store = ws.seeds()
    rows = store.rows if include_all else store.active_rows()
    ws.record({"event": "seeds.export", "format": fmt, "count": len(rows), **reason_field(reason)})
    if fmt == "csv":
        return to_csv(rows)
    if fmt == "json":
        return to_json(rows)
    return "".join(to_otpauth(row) + "\n" for row in rows)
