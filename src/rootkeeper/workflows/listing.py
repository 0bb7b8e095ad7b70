"""What is in custody: every account the vault or the seed store knows, and its state.

``CustodyIndex`` is built once per command from the opened stores (account id ->
vault entry, seed rows) and serves ``list``, ``org reconcile`` and ``org audit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..rules import segregation

if TYPE_CHECKING:
    from ..stores.seeds import SeedRow, SeedStore
    from ..stores.vault import Vault, VaultEntry


@dataclass
class CustodyIndex:
    """What the vault and the seed store hold, per account id. A store not opened is ``None``
    (``list --only``): its maps are empty."""

    vault: Vault | None
    store: SeedStore | None
    entries: dict[str, VaultEntry]  # active vault entries
    retired: list[VaultEntry]  # entries in the 'Retired' group
    seeds: dict[str, SeedRow]  # the first active seed row of each account
    rows: list[SeedRow]  # every seed row: active, replaced and retired
    every: dict[str, list[SeedRow]] = field(default_factory=dict)  # each account's active seeds (one per device)

    @classmethod
    def build(cls, vault: Vault | None, store: SeedStore | None) -> CustodyIndex:
        entries = {e.account_id: e for e in vault.entries()} if vault is not None else {}
        retired = [e for e in vault.entries(include_retired=True) if e.retired] if vault is not None else []
        every = store.by_account() if store is not None else {}
        seeds = {account: rows[0] for account, rows in every.items()}
        return cls(vault, store, entries, retired, seeds, list(store.rows) if store is not None else [], every)

    def seeds_of(self, account_id: str) -> list[SeedRow]:
        """The account's active seeds (none, one, or one per virtual MFA device of root)."""
        if account_id in self.every:
            return list(self.every[account_id])
        return [self.seeds[account_id]] if account_id in self.seeds else []


@dataclass
class AccountState:
    account_id: str
    name: str
    email: str
    password: bool = False
    seed: bool = False
    retired: bool = False
    vault_retired: bool = False  # a vault entry of this account is in 'Retired'
    vault_known: bool = True  # False: the vault was not opened (list --only seeds)
    seeds_known: bool = True  # False: the seed store was not opened (list --only vault)
    device_arn: str = ""
    enrolled_at: str = ""
    proven_at: str = ""  # when a sign-in with the active seed was recorded ("": never)
    proven_by: str = ""
    drift: list[str] = field(default_factory=list)
    seeds: list[SeedRow] = field(default_factory=list)  # every active seed (one per virtual MFA device of root)
    last_retrieval: dict | None = None  # the journal's last password or code handed out for it (never a secret)

    @property
    def state(self) -> str:
        if not self.vault_known:  # one store only: say what it holds, never guess the other
            return "seed-present" if self.seed else "retired"
        if not self.seeds_known:
            return "password-present" if self.password else "retired"
        if self.retired and not (self.password or self.seed):
            return "retired"
        if self.vault_retired and self.seed and not self.password:
            return "half-retired"  # a retirement stopped half-way (or was done with --vault-only)
        if self.password and self.seed:
            return "custodied"
        if self.password:
            return "mfa-pending"
        if self.seed:
            return "password-missing"
        return "unknown"

    def as_dict(self) -> dict:
        return {"account_id": self.account_id, "account_name": self.name, "email": self.email,
                "state": self.state, "password": self.password if self.vault_known else None,
                "seed": self.seed if self.seeds_known else None,
                "device_arn": self.device_arn or None, "enrolled_at": self.enrolled_at or None,
                "proven": bool(self.proven_at) if self.seed else None, "proven_at": self.proven_at or None,
                "proven_by": self.proven_by or None,
                "seeds": [{"device_arn": r.device_arn or None, "proven_at": r.proven_at or None}
                          for r in self.seeds] if self.seeds_known else None,
                "drift": self.drift, "last_retrieval": self.last_retrieval}


@dataclass
class Inventory:
    accounts: list[AccountState]
    problems: list[str]
    advice: list[str] = field(default_factory=list)  # what AWS advises that is no problem of custody


def last_retrievals(journal) -> dict[str, dict]:
    """Each account's last password or code handed out, from the journal: {seq, event, time, actor, reason}. Only
    the lines of those events are parsed (a team's journal grows by every command)."""
    import json

    from ..rules.rootuse import HANDED_OUT, journal_records

    marks = tuple(f'"event":"{e}"'.encode() for e in HANDED_OUT)
    lines = [line for line in journal.lines() if any(m in line for m in marks)]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # journal verify names it
    out: dict[str, dict] = {}
    for r in journal_records(records):
        if r.event in HANDED_OUT:
            out[r.account_id] = r.as_dict()  # in the chain's order: the last one stays
    return out


def inventory(index: CustodyIndex) -> Inventory:
    """Every account either store knows, its custody state, and any breach of the segregation rule."""
    vault, store = index.vault, index.store
    states: dict[str, AccountState] = {}
    problems: list[str] = []
    for entry in [*index.entries.values(), *index.retired]:
        state = states.setdefault(entry.account_id, AccountState(entry.account_id, entry.name, entry.email))
        if entry.retired:
            state.retired = state.vault_retired = True
        else:
            state.password = True
            state.name, state.email = entry.name, entry.email
    for row in index.rows:
        state = states.setdefault(row.account_id, AccountState(row.account_id, row.account_name, row.email))
        if row.state == "retired":
            state.retired = True
        elif row.state == "active":
            state.seeds.append(row)
            if not state.seed:  # the account's first seed; 'proven' only when every seed is
                state.seed = True
                state.device_arn, state.enrolled_at = row.device_arn, row.enrolled_at
                state.proven_at, state.proven_by = row.proven_at, row.proven_by
            elif not row.proven_at:
                state.proven_at = state.proven_by = ""
            if vault is not None and state.password:
                if row.account_name != state.name:
                    state.drift.append(f"name: vault {state.name!r}, seed store {row.account_name!r}")
                if row.email.lower() != state.email.lower():
                    state.drift.append(f"e-mail: vault {state.email!r}, seed store {row.email!r}")
    if vault is not None:
        problems += vault.segregation_problems()  # a seed inside the vault
    if vault is not None and store is not None:
        problems += segregation.across(vault, [*index.entries.values(), *index.retired], index.rows)
    for state in states.values():
        state.vault_known, state.seeds_known = vault is not None, store is not None
    for state in states.values():
        if state.state == "half-retired":
            problems.append(f"account {state.account_id} is half-retired (vault entry retired, seed still active): "
                            f"finish it with 'rootkeeper retire {state.account_id}'")
    ordered = sorted(states.values(), key=lambda s: (s.name.lower(), s.account_id))
    single = [s for s in ordered if len(s.seeds) == 1 and not s.retired]
    advice = [f"{len(single)} account(s) have one root MFA device in custody (their seed): AWS advises more than one "
              "(with one, the root e-mail and the account's contact phone can sign in without it); register a FIDO "
              "key or a token kept apart and list it in the custody plan ('org audit --plan' counts it)"] if single else []
    return Inventory(ordered, problems, advice)
