"""Many accounts at once: adopt the entries added by hand, or migrate a KeePass database kept by hand.

The manual procedure starts from a KeePass file of root passwords whose entries are titled with the
accounts' names, and a table of ``Account # | Account Name | Account Email``. ``adopt --accounts FILE``
takes that table (without its MFA Seed column) and either adopts the matching hand-added entries of
the vault, or, with ``--from OLD.kdbx``, copies the matching entries' passwords from the old database
into the vault as rootkeeper's own entries. All or nothing: every row not yet in the vault must match
exactly one entry (and, from an old database, all in one group), and a re-run skips the accounts a
first run adopted. One vault write, one key derivation per database, one journal record (a count and
a digest of the ids).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ExistsError, InputError, NotFoundError
from ..rules.accounts import Account, render_email, validate_account_id, validate_email, validate_name
from ..rules.segregation import seed_columns
from ..storage.journal import batch
from ..stores.seeds.formats import table_cells

if TYPE_CHECKING:
    from ..stores.vault import KeePassEntry
    from ..workspace import Workspace

ID_COLUMNS = ("account #", "account id", "accountid")
NAME_COLUMNS = ("account name", "name")
EMAIL_COLUMNS = ("account email", "email")
@dataclass
class Migrated:
    count: int
    source: str  # the old database's file name, or "" for entries already in the vault
    already: int = 0  # accounts the vault held already under the same name (skipped)


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


@dataclass
class AccountRows:
    rows: list[tuple[str, str, str]]  # (account id, name, e-mail or "")
    skipped_columns: list[str]  # seed columns, never read


def read_accounts(text: str, source: str) -> AccountRows:
    """The accounts of an accounts CSV with a header row, or of the write-up's pipe table
    (``| Account # | Account Name | Account Email | MFA Seed |``). A seed column is never read; a
    password column is refused."""
    text = text.lstrip("\ufeff")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if "|" in first:
        lines = [(n, ln) for n, ln in enumerate(text.splitlines(), 1)
                 if ln.strip() and not set(ln.strip()) <= set("-|+: ")]
        table = [(n, table_cells(ln)) for n, ln in lines]
    else:
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            table = [(reader.line_num, cells) for cells in reader]
        except csv.Error as exc:
            raise InputError(f"{source} line {reader.line_num} is not valid CSV ({exc}): fix the quoting") from None
    if not table:
        raise InputError(f"{source} is empty: it needs a header row 'Account #,Account Name,Account Email'")
    header = [h.strip().lower() for h in table[0][1]]
    skipped = seed_columns(header, source)

    def where(names: tuple[str, ...]) -> int | None:
        return next((header.index(n) for n in names if n in header), None)

    at_id, at_name, at_email = where(ID_COLUMNS), where(NAME_COLUMNS), where(EMAIL_COLUMNS)
    if at_id is None or at_name is None:
        raise InputError(f"{source} line {table[0][0]} must name the columns 'Account #' and 'Account Name' "
                         "(and 'Account Email', if known)")
    rows = []
    for line, cells in table[1:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) < len(header):
            raise InputError(f"{source} line {line} has {len(cells)} columns, the header {len(header)}")
        rows.append((cells[at_id].strip(), cells[at_name].strip(),
                     cells[at_email].strip() if at_email is not None else ""))
    if not rows:
        raise InputError(f"{source} holds no accounts")
    ids = [r[0] for r in rows]
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"{source}: account {twice} appears twice: keep one row per account")
    return AccountRows(rows, [table[0][1][i].strip() for i in sorted(skipped)])


def adopt_accounts(ws: Workspace, rows: list[tuple[str, str, str]], source: str, *,
                   old: list[KeePassEntry] | None = None, old_name: str = "", group: str | None = None) -> Migrated:
    """Adopt the vault's hand-added entries (``old`` None), or copy ``old``'s entries into the vault,
    matching each row's account name to exactly one entry title. An account the vault already holds
    under the same name is skipped (a re-run finishes what is left); under another name it is refused.
    From ``old``, the entries must all sit in one group (``group``: that group and its subgroups only)."""
    vault = ws.vault()
    done = [r for r in rows if (entry := vault.get(r[0])) is not None and entry.name == r[1]]
    clash = [r[0] for r in rows if (entry := vault.get(r[0])) is not None and entry.name != r[1]]
    if clash:
        raise ExistsError(f"{len(clash)} of the accounts already have a vault entry under another name, first "
                          f"{clash[0]} ({vault.get(clash[0]).name!r}): fix the name in the file or in KeePassXC; "
                          "nothing was changed")
    todo = [r for r in rows if r not in done]
    if old is None:
        by_title: dict[str, list] = {}
        for entry in vault.unrecognised():
            by_title.setdefault(entry.name, []).append(entry)
        email_of = lambda found: found.email  # noqa: E731
        where = "vault entry (without an AccountId)"
    else:
        by_title = {}
        inside = [e for e in old if group is None or e.group == group or e.group.startswith(group + "/")]
        if group is not None and not inside:
            groups = sorted({e.group for e in old})
            raise NotFoundError(f"{old_name} has no group {group!r}: its groups are "
                                f"{', '.join(repr(g) for g in groups)}")
        for entry in inside:
            by_title.setdefault(entry.fields.get("Title", ""), []).append(entry)
        email_of = lambda found: found.fields.get("Email", "")  # noqa: E731
        where = f"entry of {old_name}" + (f" in group {group!r}" if group is not None else "")
    accounts, matched, missing, doubled = [], [], [], []
    for line, (account_id, name, email) in enumerate(rows, 2):
        if (account_id, name, email) not in todo:
            continue
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
        raise NotFoundError(f"{len(missing)} of the {len(todo)} accounts in {source} not yet in the vault have no "
                            f"{where} titled with their name, first {missing[0]!r}: fix the names (titles must match "
                            "exactly), or leave those rows out; nothing was changed")
    if doubled:
        raise InputError(f"{len(doubled)} names have more than one {where}, first {doubled[0]!r}: rename all but one "
                         "in KeePassXC" + ("" if old is None or group else ", or give --from-group GROUP") +
                         "; nothing was changed")
    if old is not None and group is None:
        groups: dict[str, list[str]] = {}
        for found in matched:
            groups.setdefault(found.group, []).append(found.fields.get("Title", ""))
        if len(groups) > 1:
            told = "; ".join(f"{g or '(the root group)'!r}: {len(t)} ({', '.join(repr(x) for x in t[:2])}"
                             f"{', ...' if len(t) > 2 else ''})" for g, t in sorted(groups.items(), key=lambda i: -len(i[1])))
            raise InputError(f"the matching entries of {old_name} sit in {len(groups)} groups ({told}): an entry "
                             "outside the group of root passwords is not a root password; give --from-group GROUP "
                             "(the group that holds them); nothing was changed")
    empty = [a.name for a, found in zip(accounts, matched, strict=True) if old is not None and not found.fields.get("Password")]
    if empty:
        raise InputError(f"{len(empty)} entries of {old_name} have no password, first {empty[0]!r}: a root password "
                         "cannot be migrated from them; fix them in KeePassXC, or leave those rows out")
    if not accounts:
        return Migrated(0, old_name, len(done))
    if old is None:
        vault.adopt_many(list(zip(matched, accounts, strict=True)))
    else:
        vault.add_many([(account, found.fields.get("Password", "")) for account, found in zip(accounts, matched,
                                                                                            strict=True)])
    event = {"event": "adopt", "source": os.path.basename(source), **batch([a.id for a in accounts])}
    if old is not None:
        event["from"] = old_name + (f" (group {group})" if group else "")
    ws.commit([vault], event)
    return Migrated(len(accounts), old_name, len(done))
