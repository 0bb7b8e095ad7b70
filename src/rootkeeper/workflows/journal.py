"""``journal verify``: the chain, its head and anchors, and whether the stores belong to this journal.

The stores name the journal they belong to and the last record each write saw (``journal.Mark``, inside
their authenticated contents): a journal deleted with its head, cut, or another team's is found by opening
them. They are opened only with secrets given as files or in the environment (never a prompt), and the
report says which were not, and why: a journal with no record beside stores it cannot open is a problem,
never "ok: 0 records".
"""

from __future__ import annotations

import os

from ..errors import CorruptError, RootkeeperError
from ..storage import transaction
from ..storage.journal import Verification
from ..storage.settings import SECRETS
from ..workspace import Workspace


def verify(ws: Workspace, anchors: list[str]) -> Verification:
    result = transaction.verify(ws.journal(), anchors)
    settings, checked, opened, unopened, unmarked = ws.settings, 0, 0, [], []
    stores = [("vault", settings.vault, settings.vault_password_file or os.environ.get(SECRETS["vault password"])),
              ("seed store", settings.seeds, settings.seeds_identity or settings.seeds_shares
               or settings.seeds_passphrase_file or os.environ.get(SECRETS["seed-store passphrase"]))]
    for what, path, secret in stores:
        if path is None or not path.is_file():
            continue
        if not secret:
            unopened.append(f"{what} {path} (no secret given to open it: a file or the environment)")
            continue
        try:
            store = ws.vault(segregation=False) if what == "vault" else ws.seeds()
        except CorruptError as exc:
            result.problems.append(exc.message)
            continue
        except RootkeeperError as exc:
            unopened.append(f"{what} {path} ({exc.message})")
            continue
        opened += 1
        if store.mark is not None:
            checked += 1
            continue
        unmarked.append(f"{what} {path} names no journal yet (written by an older rootkeeper, or before the "
                        "journal had a record): not checked against it; its next write names it")
    if checked:
        result.notes.append(f"{checked} store(s) opened: they belong to this journal")
    for store in unopened:
        result.notes.append(f"not checked against this journal: {store}")
    result.notes += unmarked
    if unopened and not opened and not result.count:
        result.problems.append("the journal has no record, and the stores beside it could not be opened to tell "
                               "whether it was deleted (with its .head file) or nothing was recorded yet: give their "
                               "secrets (--vault-password-file, --seeds-identity) to check")
    return result
