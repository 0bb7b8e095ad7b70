"""What is in custody: every account the vault or the seed store knows, and its state."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .seeds import SeedStore
from .vault import Vault


@dataclass
class AccountState:
    account_id: str
    name: str
    email: str
    password: bool = False
    seed: bool = False
    retired: bool = False
    device_arn: str = ""
    enrolled_at: str = ""
    drift: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.retired and not (self.password or self.seed):
            return "retired"
        if self.password and self.seed:
            return "custodied"
        if self.password:
            return "mfa-pending"
        if self.seed:
            return "password-missing"
        return "unknown"

    def as_dict(self) -> dict:
        return {"account_id": self.account_id, "name": self.name, "email": self.email,
                "state": self.state, "password": self.password, "seed": self.seed,
                "device_arn": self.device_arn, "enrolled_at": self.enrolled_at, "drift": self.drift}


@dataclass
class Inventory:
    accounts: list[AccountState]
    problems: list[str]


_TOKEN = re.compile(r"(?:[A-Z2-7]{4}[ -]){3,}[A-Z2-7]{2,}|[A-Z2-7]{16,}")


def _holds_seed(value: str, seeds: set[str], lengths: set[int]) -> bool:
    """Does ``value`` contain one of ``seeds``, written whole or in spaced groups of four?"""
    if len(value) < 16:
        return False
    for token in _TOKEN.findall(value.upper()):
        token = token.replace(" ", "").replace("-", "").rstrip("=")
        for length in lengths:
            if any(token[i:i + length] in seeds for i in range(len(token) - length + 1)):
                return True
    return False


def inventory(vault: Vault | None, store: SeedStore | None) -> Inventory:
    states: dict[str, AccountState] = {}
    problems: list[str] = []
    if vault is not None:
        for entry in vault.entries(include_retired=True):
            state = states.setdefault(entry.account_id, AccountState(entry.account_id, entry.name, entry.email))
            if entry.retired:
                state.retired = True
            else:
                state.password = True
                state.name, state.email = entry.name, entry.email
    if store is not None:
        for row in store.rows:
            state = states.setdefault(row.account_id, AccountState(row.account_id, row.account_name, row.email))
            if row.state == "retired":
                state.retired = True
            elif row.state == "active":
                state.seed = True
                state.device_arn, state.enrolled_at = row.device_arn, row.enrolled_at
                if vault is not None and state.password:
                    if row.account_name != state.name:
                        state.drift.append(f"name: vault {state.name!r}, seed store {row.account_name!r}")
                    if row.email.lower() != state.email.lower():
                        state.drift.append(f"e-mail: vault {state.email!r}, seed store {row.email!r}")
    if vault is not None and store is not None:
        # The segregation rule, checked across both stores.
        seeds = {r.seed for r in store.rows}
        lengths = {len(seed) for seed in seeds}
        if any(_holds_seed(value, seeds, lengths) for value in vault.all_values()):
            problems.append("an MFA seed from the seed store is also in the vault: delete it from the vault "
                            "(and from the entry's history) in KeePassXC")
        cells = {cell for row in store.rows for cell in row.cells()}
        for entry in vault.entries(include_retired=True):
            pw = vault.password(entry)
            if len(pw) >= 8 and pw in cells:
                problems.append(f"the password of account {entry.account_id} is in the seed store: remove it")
    ordered = sorted(states.values(), key=lambda s: (s.name.lower(), s.account_id))
    return Inventory(ordered, problems)
