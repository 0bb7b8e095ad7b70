"""Retiring an account's custody (an account closed, or its root credentials deleted): its vault entry
moved to 'Retired', its seed rows marked retired, nothing deleted; one commit for many accounts."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import NotFoundError
from ..storage.journal import reason_field
from ..workspace import Workspace


@dataclass
class Retirement:
    account_id: str
    name: str
    vault_entry: bool  # the vault entry was moved to 'Retired' by this call
    seed_rows_retired: int

    @property
    def already(self) -> bool:
        """Nothing was left to retire (the command changes nothing and succeeds)."""
        return not self.vault_entry and not self.seed_rows_retired


def retire(ws: Workspace, ref: str, *, with_seeds: bool = True, reason: str | None = None) -> Retirement:
    """Move the vault entry to 'Retired' and mark its seed rows retired. Nothing is deleted.

    Idempotent per store: what an earlier (interrupted, or ``--vault-only``) retirement left is
    finished; an account already retired in every store given changes nothing (``already``).
    """
    entry = ws.vault(with_seeds=with_seeds).find_any(ref)  # active, else retired (finishing an earlier retirement)
    return retire_all(ws, [(entry.account_id, entry.name)], with_seeds=with_seeds, reason=reason)[0]


def retire_all(ws: Workspace, accounts: list[tuple[str, str]], *, with_seeds: bool = True,
               reason: str | None = None) -> list[Retirement]:
    """``retire`` for each (account id, name), in one commit: each store written once, a record each. An
    account the vault has no entry for has its seed rows retired (custody of the seed alone)."""
    if not accounts:
        return []
    vault = ws.vault(with_seeds=with_seeds)
    store = ws.seeds() if with_seeds else None
    results, events = [], []
    for account_id, name in accounts:
        try:
            entry = vault.find_any(account_id)
        except NotFoundError:
            entry = None
        moved = entry is not None and not entry.retired
        if moved:
            vault.retire(entry)
        rows = store.retire(account_id) if store is not None else 0
        results.append(Retirement(account_id, entry.name if entry is not None else name, moved, rows))
        if moved or rows:
            events.append({"event": "retire", "account_id": account_id, "account_name": results[-1].name,
                           **reason_field(reason),
                           **({"vault_entry_retired": moved} if entry is not None else {}), "seed_rows_retired": rows})
    changed = [s for s, did in ((vault, any(r.vault_entry for r in results)),
                                (store, any(r.seed_rows_retired for r in results))) if did]
    if events:
        ws.commit(changed, *events)
    return results
