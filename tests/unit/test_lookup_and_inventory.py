"""ACCOUNT arguments (one lookup for every store and the organization) and the custody states of `list`."""

from __future__ import annotations

import pytest

from rootkeeper.errors import InputError, NotFoundError
from rootkeeper.org.accounts import OrgAccount, Selection, resolve
from rootkeeper.rules.accounts import lookup, validate_account_id
from rootkeeper.stores.seeds import SeedRow, SeedStore
from rootkeeper.stores.vault import VaultEntry
from rootkeeper.workflows.listing import CustodyIndex, inventory

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_lookup_by_id_or_exact_name():
    items = {"111111111111": "prod", "222222222222": "dev", "333333333333": "dev"}
    assert lookup(" 111111111111 ", items, str, "thing") == "prod"
    assert lookup("prod", items, str, "thing") == "prod"
    assert lookup("Prod", items, str, "thing") is None  # exact names only
    assert lookup("999999999999", items, str, "thing") is None
    with pytest.raises(InputError, match="more than one thing is named 'dev'"):
        lookup("dev", items, str, "thing")


@pytest.mark.parametrize(("raw", "says"), [("12345678901", "perhaps 012345678901"), ("1.2E+11", "spreadsheet"),
                                           ("1234567890123", "exactly 12"), ("prod", "not 12 digits")])
def test_account_ids(raw, says):
    with pytest.raises(InputError, match=says):
        validate_account_id(raw)


def org(account_id: str, name: str) -> OrgAccount:
    return OrgAccount(account_id, name, f"{name}@example.com", "ACTIVE")


def test_organization_arguments_resolve_in_order_without_repeats():
    accounts = [org("111111111111", "a"), org("222222222222", "b"), org("333333333333", "b")]
    assert [a.account_id for a in resolve(accounts, ["a", "111111111111", "222222222222"])] == ["111111111111",
                                                                                                  "222222222222"]
    with pytest.raises(InputError):
        resolve(accounts, ["b"])
    with pytest.raises(NotFoundError, match="not in the organization"):
        resolve(accounts, ["999999999999"])
    with pytest.raises(NotFoundError, match="no account named 'c'"):
        resolve(accounts, ["c"])


def test_selection_streams_and_then_names_what_was_missing():
    selection = Selection(["a", "999999999999"])
    assert [a.name for a in selection(iter([org("111111111111", "a"), org("222222222222", "b")]))] == ["a"]
    with pytest.raises(NotFoundError, match="999999999999"):
        selection.check()


def test_seed_store_lookup_names_a_retired_account():
    store = SeedStore.new("unused.age", passphrase="x" * 12)
    store.add(SeedRow("111111111111", "prod", "p@example.com", SEED))
    assert store.find("prod").account_id == "111111111111"
    store.retire("111111111111")
    with pytest.raises(NotFoundError, match="it is retired"):
        store.find("prod")


class FakeVault:
    """What inventory reads of a vault: every string value and each entry's password."""

    def __init__(self, passwords: dict[str, str], values: list[str]) -> None:
        self.passwords, self.values = passwords, values

    def seed_check_text(self) -> str:
        return "\x00".join(self.values)

    def segregation_problems(self) -> list[str]:
        return []  # the seed rule inside the vault is the vault's own (tests/test_vault_reading.py)

    def password_values(self) -> set[str]:
        return set(self.passwords.values())

    def password(self, entry: VaultEntry) -> str:
        return self.passwords[entry.account_id]


def index(entries, retired, rows, vault=None, store=None) -> CustodyIndex:
    return CustodyIndex(vault, store, {e.account_id: e for e in entries}, retired,
                        {r.account_id: r for r in rows if r.state == "active"}, rows)


def test_states_of_list():
    entries = [VaultEntry("111111111111", "both", "b@example.com", False, None),
               VaultEntry("222222222222", "pw-only", "p@example.com", False, None)]
    retired = [VaultEntry("444444444444", "gone", "g@example.com", True, None)]
    rows = [SeedRow("111111111111", "both-renamed", "b@example.com", SEED),
            SeedRow("333333333333", "seed-only", "s@example.com", SEED[:16] + "MFRGGZDFMZTWQ2LK"),
            SeedRow("444444444444", "gone", "g@example.com", SEED[:16] + "ONSWG4TFORZXI5DF", state="retired")]
    vault = FakeVault({"111111111111": "pw-1-long-enough", "222222222222": "pw-2-long-enough",
                       "444444444444": "pw-4-long-enough"}, ["root", "https://signin.aws.amazon.com/console"])
    inv = inventory(index(entries, retired, rows, vault=vault, store=object()))
    states = {a.account_id: (a.state, a.drift) for a in inv.accounts}
    assert states == {"111111111111": ("custodied", ["name: vault 'both', seed store 'both-renamed'"]),
                      "222222222222": ("mfa-pending", []), "333333333333": ("password-missing", []),
                      "444444444444": ("retired", [])}
    assert inv.problems == []


def test_segregation_across_the_stores():
    entries = [VaultEntry("111111111111", "a", "a@example.com", False, None)]
    seed_in_vault = " ".join(SEED[i:i + 4] for i in range(0, len(SEED), 4)).lower()  # pasted in groups of four
    rows = [SeedRow("111111111111", "a", "a@example.com", SEED, device_arn="Pw-in-the-seed-store-1")]
    vault = FakeVault({"111111111111": "Pw-in-the-seed-store-1"}, [f"notes: {seed_in_vault}"])
    problems = inventory(index(entries, [], rows, vault=vault, store=object())).problems
    assert len(problems) == 2
    assert "MFA seed from the seed store is also in the vault" in problems[0]
    assert "password of account 111111111111 is in the seed store" in problems[1]
