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


def test_the_reader_gives_exactly_pykeepasss_xml_on_a_file_keepassxc_wrote(home):
    from lxml import etree

    enrolled = home.rk("enroll", "123456789012", "--name", "prod", "--step", "password")
    assert enrolled.returncode == 0, enrolled.err
    rotated = home.rk("rotate", "prod", "--reason", "history item")
    assert rotated.returncode == 0, rotated.err
    keepassxc_writes(home)
    read = Vault.open(home.vault, VAULT_PASSWORD, writable=False)
    written = Vault.open(home.vault, VAULT_PASSWORD, writable=True)
    assert read.kp is None and written.kp is not None
    assert etree.tostring(read.tree) == etree.tostring(written.tree.getroot())
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
    values = lambda v: [s.findtext("Value") for s in v.tree.iter("String")]  # noqa: E731
    assert values(read) == values(written) and "secret value" in values(read)
    with pytest.raises(AuthError, match="wrong vault password"):
        Vault.open(db, VAULT_PASSWORD, None, writable=False)
