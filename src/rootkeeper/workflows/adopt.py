"""Many accounts at once: adopt the entries added by hand, or migrate a KeePass database kept by hand.

The manual procedure starts from a KeePass file of root passwords whose entries are titled with the
accounts' names, and a table of ``Account # | Account Name | Account Email``. ``adopt --accounts FILE``
takes that table (without its MFA Seed column) and either adopts the matching hand-added entries of
the vault, or, with ``--from OLD.kdbx``, copies the matching entries' passwords from the old database
into the vault as rootkeeper's own entries. All or nothing: every row must match exactly one entry,
and no account may already have one. One vault write, one key derivation per database, one journal
record (a count and a digest of the ids).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ExistsError, InputError, NotFoundError
from ..rules.accounts import Account, render_email, validate_account_id, validate_email, validate_name
from ..rules.segregation import refuse_secret_columns
from ..storage.journal import batch

if TYPE_CHECKING:
    from ..workspace import Workspace

ID_COLUMNS = ("account #", "account id", "accountid")
NAME_COLUMNS = ("account name", "name")
EMAIL_COLUMNS = ("account email", "email")
@dataclass
class Migrated:
    count: int
    source: str  # the old database's file name, or "" for entries already in the vault


def adopt_entry(ws: Workspace, title: str, account_id: str, email: str | None) -> Account:
    """Make an entry added by hand in KeePassXC one of ours: its AccountId and Email recorded, moved
    to 'AWS root users', journaled. Its password is kept as it is."""
    account_id = validate_account_id(account_id)
    vault = ws.vault()
    matches = [u for u in vault.unrecognised() if u.name == title]
    name = validate_name(title, f"vault entry {title!r}")
    found_email = email or (matches[0].email if len(matches) == 1 else "")
    try:
        found_email = validate_email(found_email or render_email(ws.config.email_template, account_id, name))
    except InputError as exc:
        if email:
            raise
        raise InputError(f"{exc.message}; give the root e-mail with --email E") from None
    account = Account(account_id, name, found_email)
    vault.adopt(title, account)
    ws.commit([vault], {"event": "adopt", "account_id": account.id, "account_name": account.name})
    return account


def read_accounts(text: str, source: str) -> list[tuple[str, str, str]]:
    """(account id, name, e-mail or "") of each row of an accounts CSV with a header row."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{source} is empty: it needs a header row 'Account #,Account Name,Account Email'") from None
    except csv.Error as exc:
        raise InputError(f"{source} line 1 is not valid CSV ({exc}): fix the quoting") from None
    refuse_secret_columns(header, source)

    def where(names: tuple[str, ...]) -> int | None:
        return next((header.index(n) for n in names if n in header), None)

    at_id, at_name, at_email = where(ID_COLUMNS), where(NAME_COLUMNS), where(EMAIL_COLUMNS)
    if at_id is None or at_name is None:
        raise InputError(f"{source} line 1 must name the columns 'Account #' and 'Account Name' "
                         "(and 'Account Email', if known)")
    rows = []
    try:
        for line, cells in enumerate(reader, 2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) < len(header):
                raise InputError(f"{source} line {line} has {len(cells)} columns, the header {len(header)}")
            rows.append((cells[at_id].strip(), cells[at_name].strip(),
                         cells[at_email].strip() if at_email is not None else ""))
    except csv.Error as exc:
        raise InputError(f"{source} line {reader.line_num} is not valid CSV ({exc}): fix the quoting") from None
    if not rows:
        raise InputError(f"{source} holds no accounts")
    ids = [r[0] for r in rows]
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"{source}: account {twice} appears twice: keep one row per account")
    return rows


def adopt_accounts(ws: Workspace, rows: list[tuple[str, str, str]], source: str, *,
                   old: list[dict[str, str]] | None = None, old_name: str = "") -> Migrated:
    """Adopt the vault's hand-added entries (``old`` None), or copy ``old``'s entries into the vault,
    matching each row's account name to exactly one entry title."""
    vault = ws.vault()
    if old is None:
        by_title: dict[str, list] = {}
        for entry in vault.unrecognised():
            by_title.setdefault(entry.name, []).append(entry)
        email_of = lambda found: found.email  # noqa: E731
        where = "vault entry (without an AccountId)"
    else:
        by_title = {}
        for fields in old:
            by_title.setdefault(fields.get("Title", ""), []).append(fields)
        email_of = lambda found: found.get("Email", "")  # noqa: E731
        where = f"entry of {old_name}"
    accounts, matched, missing, doubled = [], [], [], []
    for line, (account_id, name, email) in enumerate(rows, 2):
        found = by_title.get(name, [])
        if not found:
            missing.append(name)
            continue
        if len(found) > 1:
            doubled.append(name)
            continue
        account = Account.make(account_id, name, email or email_of(found[0])
                               or render_email(ws.config.email_template, account_id, name), f"{source} line {line}")
        accounts.append(account)
        matched.append(found[0])
    if missing:
        raise NotFoundError(f"{len(missing)} of the {len(rows)} accounts in {source} have no {where} titled with "
                            f"their name, first {missing[0]!r}: fix the names (titles must match exactly), or "
                            "leave those rows out; nothing was changed")
    if doubled:
        raise InputError(f"{len(doubled)} names have more than one {where}, first {doubled[0]!r}: rename all but one "
                         "in KeePassXC; nothing was changed")
    empty = [a.name for a, found in zip(accounts, matched, strict=True) if old is not None and not found.get("Password")]
    if empty:
        raise InputError(f"{len(empty)} entries of {old_name} have no password, first {empty[0]!r}: a root password "
                         "cannot be migrated from them; fix them in KeePassXC, or leave those rows out")
    clash = [a.id for a in accounts if vault.get(a.id) is not None]
    if clash:
        raise ExistsError(f"{len(clash)} of the accounts already have a vault entry, first {clash[0]}: leave them "
                          "out of the file; nothing was changed")
    if old is None:
        vault.adopt_many(list(zip(matched, accounts, strict=True)))
    else:
        vault.add_many([(account, fields.get("Password", "")) for account, fields in zip(accounts, matched, strict=True)])
    event = {"event": "adopt", "source": os.path.basename(source), **batch([a.id for a in accounts])}
    if old is not None:
        event["from"] = old_name
    ws.commit([vault], event)
    return Migrated(len(accounts), old_name)
