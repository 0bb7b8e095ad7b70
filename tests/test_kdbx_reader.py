"""The read-only KDBX 4 reader (kdbx.py) against pykeepass and keepassxc-cli, on files KeePassXC wrote.

Issue 13: break glass and list read the vault without pykeepass. The reader must give exactly the
XML pykeepass gives (protected values decrypted), refuse a wrong password or key file, and refuse a
damaged file, whoever wrote it.
"""

from __future__ import annotations

import subprocess

import pytest
from conftest import VAULT_PASSWORD, oracle

from rootkeeper.errors import AuthError, CorruptError
from rootkeeper.vault import Vault


def keepassxc_writes(home) -> None:
    """Entries added and edited by keepassxc-cli (it rewrites the whole file), with unusual values."""
    cli = oracle("keepassxc-cli")
    assert cli
    home.kpcli("add", "-u", "root", "--url", "https://example.com", "-p", str(home.vault), "AWS root users/by hand",
               stdin=f"{VAULT_PASSWORD}\npässwörd <&> \"quoted\" 🔑\npässwörd <&> \"quoted\" 🔑\n")
    home.kpcli("add", "-u", "second", "-p", str(home.vault), "second",
               stdin=f"{VAULT_PASSWORD}\n  spaces  \n  spaces  \n")
    home.kpcli("edit", "-u", "changed", str(home.vault), "second")


def same_as_pykeepass(path) -> int:
    """Every entry's fields and history items as the reader gives them == as pykeepass reads them."""
    from rootkeeper.vault import _fields

    read = Vault.open(path, VAULT_PASSWORD, writable=False)
    written = Vault.open(path, VAULT_PASSWORD, writable=True)
    tables = read._database
    assert len(tables.fields) == len([e for e in written.tree.iter("Entry") if e.getparent().tag == "Group"])
    for element, fields in tables.fields.items():  # every entry, found at the same place in pykeepass's tree
        (other,) = written.tree.xpath(element.getroottree().getpath(element))
        assert fields == _fields(other)
        items = [_fields(item) for history in other.iterchildren("History") for item in history.iterchildren("Entry")]
        assert tables.history.get(element, []) == items
    return sum(len(items) for items in tables.history.values())


def test_the_reader_gives_exactly_what_pykeepass_reads_on_a_file_keepassxc_wrote(home):
    enrolled = home.rk("enroll", "123456789012", "--name", "prod", "--step", "password")
    assert enrolled.returncode == 0, enrolled.err
    rotated = home.rk("rotate", "prod", "--reason", "history item")
    assert rotated.returncode == 0, rotated.err
    assert same_as_pykeepass(home.vault) == 1  # as pykeepass wrote it: the history item before the fields
    keepassxc_writes(home)
    assert same_as_pykeepass(home.vault) >= 2  # as KeePassXC rewrote it: the history after them
    read = Vault.open(home.vault, VAULT_PASSWORD, writable=False)
    written = Vault.open(home.vault, VAULT_PASSWORD, writable=True)
    assert read.kp is None and written.kp is not None
    assert all(len(element) == 0 for element in read._database.fields)  # placeholders; fields in the table
    assert read.password(read.find("by hand")) == "pässwörd <&> \"quoted\" 🔑"
    shown = home.kpcli("show", "-s", "-a", "Password", str(home.vault), "AWS root users/prod").strip()
    assert read.password(read.find("prod")) == shown
    assert read.identity() == written.identity() and read.kdf() == written.kdf()


def test_a_wrong_password_a_wrong_key_file_and_a_damaged_block_are_refused(home, tmp_path):
    keepassxc_writes(home)
    with pytest.raises(AuthError, match="wrong vault password"):
        Vault.open(home.vault, VAULT_PASSWORD + "x", writable=False)
    key = tmp_path / "other.key"
    key.write_bytes(b"k" * 100)
    with pytest.raises(AuthError, match="wrong vault password and key file"):
        Vault.open(home.vault, VAULT_PASSWORD, key, writable=False)
    data = bytearray(home.vault.read_bytes())
    data[-40] ^= 0x01  # inside the last data block
    home.vault.write_bytes(bytes(data))
    with pytest.raises(CorruptError, match="corrupted"):
        Vault.open(home.vault, VAULT_PASSWORD, writable=False)


def test_a_vault_with_a_key_file_edited_in_keepassxc_opens(tmp_path):
    from conftest import TINY_KDF, base_env, run

    cli = oracle("keepassxc-cli")
    (tmp_path / "v").mkdir()
    (tmp_path / "s").mkdir()
    (tmp_path / "pw").write_text(VAULT_PASSWORD + "\n")
    (tmp_path / "pp").write_text("a long seed-store passphrase\n")
    key, db = tmp_path / "v.keyx", tmp_path / "v" / "v.kdbx"
    run(["init", "--vault", db, "--seeds", tmp_path / "s" / "s.age", "--vault-key-file", key, *TINY_KDF,
         "--vault-password-file", tmp_path / "pw", "--seeds-passphrase-file", tmp_path / "pp"], cwd=tmp_path, check=True)
    subprocess.run([cli, "add", "-q", "-k", str(key), "-p", str(db), "entry"], check=True, env=base_env(),
                   input=f"{VAULT_PASSWORD}\nsecret value\nsecret value\n".encode(), capture_output=True)
    read = Vault.open(db, VAULT_PASSWORD, key, writable=False)
    written = Vault.open(db, VAULT_PASSWORD, key, writable=True)
    from rootkeeper.vault import _fields

    assert list(read._database.fields.values()) == [_fields(e) for e in written.tree.iter("Entry")]
    assert read.password(read.find("entry")) == "secret value"
    with pytest.raises(AuthError, match="wrong vault password"):
        Vault.open(db, VAULT_PASSWORD, None, writable=False)


def test_a_large_payload_is_read_as_it_streams_in_with_the_same_result(home, monkeypatch):
    """Above WHOLE_PARSE_LIMIT the XML is pulled entry by entry: the same tables as the whole parse."""
    from rootkeeper import kdbx

    for account_id, name in (("123456789012", "prod"), ("210987654321", "dev")):
        assert home.rk("enroll", account_id, "--name", name, "--step", "password").returncode == 0
    assert home.rk("rotate", "prod", "--reason", "history item").returncode == 0
    keepassxc_writes(home)
    assert home.rk("rotate", "dev", "--reason", "a history item before the fields").returncode == 0
    data = home.vault.read_bytes()
    whole = kdbx.read(data, VAULT_PASSWORD, None)
    monkeypatch.setattr(kdbx, "WHOLE_PARSE_LIMIT", 0)
    monkeypatch.setattr(kdbx, "_chunks", lambda payload, compressed, size=64: kdbx._CHUNKS(payload, compressed, size))
    pulled = kdbx.read(data, VAULT_PASSWORD, None)
    path = lambda e: e.getroottree().getpath(e)  # noqa: E731
    assert {path(e): f for e, f in pulled.fields.items()} == {path(e): f for e, f in whole.fields.items()}
    assert {path(e): h for e, h in pulled.history.items()} == {path(e): h for e, h in whole.history.items()}
    assert (pulled.keys, pulled.suspect) == (whole.keys, whole.suspect) and len(pulled.history) == 3
    assert same_as_pykeepass(home.vault) >= 3
