"""One key derivation per command, never one per account."""

from __future__ import annotations

import argon2.low_level

from rootkeeper.rules.accounts import Account
from rootkeeper.storage import transaction
from rootkeeper.storage.journal import Journal
from rootkeeper.storage.settings import of_config
from rootkeeper.workflows import breakglass, enroll, retire
from rootkeeper.workspace import Credentials, Workspace


def test_enrolling_many_accounts_derives_the_vault_key_once(home, monkeypatch):
    import conftest

    calls = []
    real = argon2.low_level.hash_secret_raw

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(argon2.low_level, "hash_secret_raw", counting)
    identity = [ln for ln in home.identity.read_text().splitlines() if ln.startswith("AGE-SECRET-KEY-")]
    ws = Workspace(of_config(home.config), Credentials(lambda: conftest.VAULT_PASSWORD, lambda: "", lambda: identity))
    for i in range(25):
        account = Account(f"{i + 1:012d}", f"acct-{i}", f"a{i}@example.com")
        enroll.save_password(ws, account)
        enroll.save_seed(ws, account, conftest.random_seed(), None)
    breakglass.rotate(ws, "acct-3", "test")
    retire.retire(ws, "acct-4")
    assert len(calls) == 1
    # and the vault written 52 times with the reused key still opens in KeePassXC
    assert home.kpcli("ls", "-R", "-f", home.vault).count("AWS root users/acct-") == 24


def test_a_vault_created_and_changed_in_one_process_reopens(tmp_path):
    import conftest

    from rootkeeper.stores.vault import KdfParams, Vault

    vault = Vault.create(tmp_path / "v.kdbx", conftest.VAULT_PASSWORD, None, KdfParams(1, 1, 1))
    vault.add(Account("000000000001", "a", "a@example.com"), "Pw-0123456789-abc!")
    transaction.commit(Journal(tmp_path / "journal.jsonl"), [vault.prepare()], [{"event": "test.change"}])  # the one write path
    again = Vault.open(tmp_path / "v.kdbx", conftest.VAULT_PASSWORD)
    assert again.password(again.find("a")) == "Pw-0123456789-abc!"
