"""Reading the vault: pykeepass is the one reader and writer, checked against keepassxc-cli on files
KeePassXC wrote and on files crafted to make readers disagree.

A file holding what KeePass never writes (a DOCTYPE, a comment, a lower-case ``Protected``, two entries
with one UUID) is refused; a protected value anywhere in the XML is decrypted in its place (the inner
stream is never shifted); what a payload inflates to is capped; key files are read as KeePass reads them.
"""

from __future__ import annotations

import gzip
import io
import subprocess

import pytest
from conftest import VAULT_PASSWORD, assert_clean_failure, base_env, oracle

from rootkeeper.errors import AuthError, CorruptError
from rootkeeper.stores.vault import KdfParams, Vault


def keepassxc_writes(home) -> None:
    """Entries added and edited by keepassxc-cli (it rewrites the whole file), with unusual values."""
    home.kpcli("add", "-u", "root", "--url", "https://example.com", "-p", str(home.vault), "AWS root users/by hand",
               stdin=f"{VAULT_PASSWORD}\npässwörd <&> \"quoted\" 🔑\npässwörd <&> \"quoted\" 🔑\n")
    home.kpcli("add", "-u", "second", "-p", str(home.vault), "second",
               stdin=f"{VAULT_PASSWORD}\n  spaces  \n  spaces  \n")
    home.kpcli("edit", "-u", "changed", str(home.vault), "second")


def rewrite(path, edit, password: str = VAULT_PASSWORD) -> None:
    """Re-save ``path`` (through pykeepass, with its own key) after ``edit`` changed its decrypted XML
    (bytes -> bytes, parsed without resolving entities): a file as a crafted writer would make it."""
    from lxml import etree
    from pykeepass import PyKeePass

    kp = PyKeePass(str(path), password)
    xml = edit(etree.tostring(kp.tree))
    parser = etree.XMLParser(resolve_entities=False, remove_blank_text=True)
    kp.kdbx.body.payload.xml = etree.parse(io.BytesIO(xml), parser)
    buffer = io.BytesIO()
    kp.save(buffer, transformed_key=kp.transformed_key)
    path.write_bytes(buffer.getvalue())


def show(home, ref: str):
    return home.rk("password", ref, "--show", "--reason", "reading test")


def enrolled(home, name: str = "prod", account_id: str = "123456789012"):
    done = home.rk("enroll", account_id, "--name", name, "--step", "password")
    assert done.returncode == 0, done.err
    return home.kpcli("show", "-s", "-a", "Password", str(home.vault), f"AWS root users/{name}").strip()


def test_passwords_read_as_keepassxc_shows_them_on_a_file_keepassxc_wrote(home):
    enrolled(home)
    assert home.rk("rotate", "prod", "--reason", "history item").returncode == 0
    expected = home.kpcli("show", "-s", "-a", "Password", str(home.vault), "AWS root users/prod").strip()
    keepassxc_writes(home)
    vault = Vault.open(home.vault, VAULT_PASSWORD)
    assert vault.password(vault.find("by hand")) == "pässwörd <&> \"quoted\" 🔑"
    assert vault.password(vault.find("prod")) == expected
    assert show(home, "prod").out.strip() == expected


def test_a_wrong_password_a_wrong_key_file_and_a_damaged_block_are_refused(home, tmp_path):
    keepassxc_writes(home)
    with pytest.raises(AuthError, match="wrong vault password"):
        Vault.open(home.vault, VAULT_PASSWORD + "x")
    key = tmp_path / "other.key"
    key.write_bytes(b"k" * 100)
    with pytest.raises(AuthError, match="wrong vault password and key file"):
        Vault.open(home.vault, VAULT_PASSWORD, key)
    data = bytearray(home.vault.read_bytes())
    data[-40] ^= 0x01  # inside the last data block
    home.vault.write_bytes(bytes(data))
    with pytest.raises(CorruptError, match="corrupted"):
        Vault.open(home.vault, VAULT_PASSWORD)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_an_xml_key_file_with_a_byte_order_mark_or_in_utf16_opens_the_vault_as_keepassxc_does(tmp_path, encoding):
    from conftest import TINY_KDF, run

    from rootkeeper.stores.vault import make_key_file

    key = tmp_path / "v.keyx"
    text = make_key_file().decode().replace('encoding="utf-8"', f'encoding="{"utf-16" if encoding == "utf-16" else "utf-8"}"')
    key.write_bytes(text.encode(encoding))
    (tmp_path / "v").mkdir()
    (tmp_path / "s").mkdir()
    (tmp_path / "pw").write_text(VAULT_PASSWORD + "\n")
    (tmp_path / "pp").write_text("a long seed-store passphrase\n")
    db = tmp_path / "v" / "v.kdbx"
    run(["init", "--vault", db, "--seeds", tmp_path / "s" / "s.age", "--vault-key-file", key, *TINY_KDF,
         "--vault-password-file", tmp_path / "pw", "--seeds-passphrase-file", tmp_path / "pp"], cwd=tmp_path, check=True)
    cli = oracle("keepassxc-cli")
    subprocess.run([cli, "add", "-q", "-k", str(key), "-p", str(db), "AWS root users/entry"], check=True,
                   env=base_env(), input=f"{VAULT_PASSWORD}\nsecret value\nsecret value\n".encode(), capture_output=True)
    listed = run(["list", "--only", "vault", "--vault-password-file", tmp_path / "pw"], cwd=tmp_path)
    assert "wrong vault password" not in listed.err and "entry" in listed.err + listed.out, listed.err
    vault = Vault.open(db, VAULT_PASSWORD, key)
    assert vault.password(vault.find("entry")) == "secret value"


def test_a_protected_value_outside_an_entrys_fields_does_not_shift_the_passwords(home):
    """Group and entry custom data (as pykeepass writes them) and a protected value before the entry:
    each is decrypted in its place, and the root password is what KeePassXC shows."""
    expected = enrolled(home)
    item = b"<Item><Key>note</Key><Value Protected=\"True\">kept secret</Value></Item>"

    def edit(xml: bytes) -> bytes:
        xml = xml.replace(b"<Name>AWS root users</Name>", b"<Name>AWS root users</Name><CustomData>" + item
                          + b"</CustomData>", 1)
        return xml.replace(b"<Tags>", b"<CustomData>" + item + b"</CustomData><Tags>", 1)

    rewrite(home.vault, edit)
    assert home.kpcli("show", "-s", "-a", "Password", str(home.vault), "AWS root users/prod").strip() == expected
    shown = show(home, "prod")
    assert shown.returncode == 0, shown.err
    assert shown.out.strip() == expected


def test_a_protected_value_that_does_not_decrypt_is_refused_not_shown_as_ciphertext(home, monkeypatch):
    from pykeepass.kdbx_parsing import common

    enrolled(home)
    encode = common.UnprotectedStream._encode

    def written_as_is(self, tree, con, path):  # a writer that leaves one protected value as it is
        out = encode(self, tree, con, path)
        for value, original in zip(out.iter("Value"), tree.iter("Value"), strict=True):
            if (original.text or "").startswith("@@"):
                value.text = original.text
        return out

    monkeypatch.setattr(common.UnprotectedStream, "_encode", written_as_is)
    rewrite(home.vault, lambda xml: xml.replace(b"<Name>AWS root users</Name>", b"<Name>AWS root users</Name>"
                                                b"<CustomData><Item><Key>k</Key><Value Protected=\"True\">"
                                                b"@@not base64@@</Value></Item></CustomData>", 1))
    assert_clean_failure(show(home, "prod"), contains="protected value that does not decrypt")


def test_a_doctype_and_entity_references_are_refused(home):
    enrolled(home)
    rewrite(home.vault, lambda xml: b'<!DOCTYPE KeePassFile [<!ENTITY e "-ENTITY-">]>' + xml.replace(
        b"<Key>UserName</Key><Value>root</Value>", b"<Key>UserName</Key><Value>abc&e;def</Value>", 1))
    assert_clean_failure(show(home, "prod"), contains="DOCTYPE")
    assert_clean_failure(home.rk("list"), contains="DOCTYPE")


@pytest.mark.parametrize("crafted", ["lower-case Protected", "comment in a value", "instruction in a value",
                                     "two entries, one UUID"])
def test_what_keepass_never_writes_is_refused(home, crafted):
    from lxml import etree

    enrolled(home)
    enrolled(home, "dev", "210987654321")
    assert home.rk("retire", "dev", "--yes").returncode == 0

    def edit(xml: bytes) -> bytes:
        if crafted == "lower-case Protected":
            return xml.replace(b"<Key>UserName</Key><Value>root</Value>",
                               b'<Key>UserName</Key><Value Protected="true">cm9vdA==</Value>', 1)
        if crafted in ("comment in a value", "instruction in a value"):
            node = b"<!--x-->" if crafted.startswith("comment") else b"<?x y?>"
            return xml.replace(b"<Key>UserName</Key><Value>root</Value>",
                               b"<Key>UserName</Key><Value>ro" + node + b"ot</Value>", 1)
        tree = etree.fromstring(xml)
        first, second = [e for e in tree.iter("Entry") if e.getparent().tag == "Group"][:2]
        second.find("UUID").text = first.find("UUID").text
        return etree.tostring(tree)

    rewrite(home.vault, edit)
    failed = show(home, "prod")
    assert_clean_failure(failed, contains="KeePass never writes")


def test_a_payload_inflating_far_beyond_its_size_is_refused_before_it_is_parsed(home, monkeypatch):
    """A compressed bomb: an attachment of zeros inflating 1000-fold. Refused with its size named; the
    parse never sees it (a cap on what is inflated, not only on what is read)."""
    from pykeepass import PyKeePass

    enrolled(home)
    kp = PyKeePass(str(home.vault), VAULT_PASSWORD)
    kp.add_binary(bytes(48 * 1024 * 1024), compressed=False, protected=False)
    kp.save(transformed_key=kp.transformed_key)
    assert home.vault.stat().st_size < 1024 * 1024
    failed = show(home, "prod")
    assert_clean_failure(failed, contains="inflates beyond")


def test_a_vault_with_a_large_attachment_reads_and_the_attachment_is_kept(home):
    """A 20 MiB attachment (incompressible) beside the entries: read whole, password as KeePassXC shows it."""
    import os

    expected = enrolled(home)
    home.kpcli("add", "-u", "x", str(home.vault), "file holder")
    blob = home.root / "blob.bin"
    blob.write_bytes(os.urandom(20 * 1024 * 1024))
    home.kpcli("attachment-import", str(home.vault), "file holder", "blob", str(blob))
    shown = show(home, "prod")
    assert shown.returncode == 0, shown.err
    assert shown.out.strip() == expected
    vault = Vault.open(home.vault, VAULT_PASSWORD)
    assert blob.read_bytes() in vault.kp.binaries


def test_the_inflation_cap_is_pykeepass_s_own_inflation_below_it():
    """The capped inflate gives exactly what zlib gives (what pykeepass did), and refuses above the cap."""
    from rootkeeper.stores import vault as module

    data = gzip.compress(b"<KeePassFile/>" * 1000)
    assert module._inflate(None, data, None, None) == gzip.decompress(data)
    with pytest.raises(module._Inflated):
        module._inflate(None, gzip.compress(bytes(64 * 1024 * 1024)), None, None)
    import zlib

    with pytest.raises(zlib.error):  # cut short: refused, as zlib.decompress refuses it
        module._inflate(None, data[:-12], None, None)


def test_a_vault_created_with_each_kdf_setting_reports_it(tmp_path):
    vault = Vault.create(tmp_path / "v.kdbx", VAULT_PASSWORD, None, KdfParams(2, 3, 1))
    assert vault.kdf() == {"kdf": "argon2id", "memory_mib": 2, "iterations": 3, "parallelism": 1}


@pytest.mark.parametrize("rounds", [0, 1, 2, 65535, 65536, 65537, 131073])
def test_the_aes_kdf_in_one_call_gives_pykeepass_s_own_result(rounds):
    import os

    from pykeepass.kdbx_parsing.common import aes_kdf as theirs

    from rootkeeper.stores.vault import aes_kdf

    seed, composite = os.urandom(32), os.urandom(32)
    assert aes_kdf(seed, rounds, composite) == theirs(seed, rounds, composite)


def test_an_mfa_seed_in_an_attachment_is_found_as_in_a_field(home):
    enrolled(home)
    seed = home.root / "seed.txt"
    seed.write_text("otpauth://totp/AWS:root?secret=JBSWY3DPEHPK3PXP&issuer=AWS\n")
    home.kpcli("attachment-import", str(home.vault), "AWS root users/prod", "mfa.txt", str(seed))
    listed = home.rk("list")
    assert listed.returncode == 1 and "attachment 'mfa.txt'" in listed.err, listed.err
    for args in (("password", "prod", "--show", "--reason", "x"), ("rotate", "prod", "--reason", "x")):
        refused = home.rk(*args)
        assert refused.returncode != 0 and "MFA seed" in refused.err, refused.err


def test_an_mfa_seed_kept_as_a_protected_value_is_found(home):
    """KeePassXC protects an entry's password: a seed URI kept there is looked at once decrypted (protected
    values are found and decrypted in the same pass that looks for seeds and crafted XML)."""
    enrolled(home)
    uri = "otpauth://totp/AWS:root?secret=JBSWY3DPEHPK3PXP"
    home.kpcli("add", "-u", "root", "-p", str(home.vault), "AWS root users/mfa by hand",
               stdin=f"{VAULT_PASSWORD}\n{uri}\n{uri}\n")
    assert f'<Value ProtectInMemory="True">{uri}</Value>' in home.kpcli("export", "-f", "xml", str(home.vault))
    listed = home.rk("list")
    assert listed.returncode == 1 and "vault entry 'mfa by hand' holds an MFA seed" in listed.err, listed.err
    refused = show(home, "mfa by hand")
    assert refused.returncode != 0 and "MFA seed" in refused.err, refused.err


def test_an_entry_moved_into_a_subgroup_is_still_its_accounts_entry(home):
    """KeePassXC users sort entries into subgroups (by OU): still found, and never enrolled twice."""
    expected = enrolled(home)
    home.kpcli("mkdir", str(home.vault), "AWS root users/Workloads")
    home.kpcli("mv", str(home.vault), "AWS root users/prod", "AWS root users/Workloads")
    shown = show(home, "123456789012")
    assert shown.returncode == 0 and shown.out.strip() == expected, shown.err
    again = home.rk("enroll", "123456789012", "--name", "prod", "--step", "password")
    assert again.returncode == 0 and "already in the vault; keeping it" in again.err, again.err
    listed = home.rk("list", "--json", "--only", "vault")
    import json

    assert [a["account_id"] for a in json.loads(listed.out)["accounts"]] == ["123456789012"]
    assert home.kpcli("ls", "-R", "-f", str(home.vault)).count("prod") == 1


def test_protected_values_decrypted_in_one_call_read_as_pykeepass_s_own_reader_reads_them(home, monkeypatch):
    """On a file KeePassXC rewrote (history before and after the fields, custom data, unusual values): the
    tree read with pykeepass's own UnprotectedStream equals the tree read with the one-call version."""
    from lxml import etree
    from pykeepass import PyKeePass
    from pykeepass.kdbx_parsing import common

    from rootkeeper.stores import vault as module

    enrolled(home)
    assert home.rk("rotate", "prod", "--reason", "history item").returncode == 0
    keepassxc_writes(home)
    assert home.rk("rotate", "prod", "--reason", "a history item after KeePassXC's rewrite").returncode == 0
    module._pykeepass()
    ours = etree.tostring(PyKeePass(str(home.vault), VAULT_PASSWORD).tree)
    monkeypatch.setattr(common.UnprotectedStream, "_decode", module.THEIRS["unprotect"])
    monkeypatch.setattr(common.Decompressed, "_decode", module.THEIRS["inflate"])
    theirs = etree.tostring(PyKeePass(str(home.vault), VAULT_PASSWORD).tree)
    assert ours == theirs and ours.count(b'Protected="True"') >= 4


def test_a_vault_opened_for_a_report_of_seeds_is_refused_to_the_next_caller_that_needs_it_clean(home):
    """A workspace opens the vault once: opened first without the seed rule (list reports seeds), a later
    caller asking for the rule gets it: the entry holding a seed refused and named in a warning, and a seed no
    entry holds (a group's custom data) refusing the vault, not the vault it would otherwise have been given."""
    from pykeepass import PyKeePass

    from rootkeeper.errors import SegregationError
    from rootkeeper.storage.settings import of_config
    from rootkeeper.workspace import Credentials, Workspace

    enrolled(home)
    kp = PyKeePass(str(home.vault), password=VAULT_PASSWORD)
    kp.find_entries(title="prod", first=True).otp = "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"
    kp.save()
    ws = Workspace(of_config(home.config), Credentials(lambda: VAULT_PASSWORD, lambda: "", lambda: []))
    assert ws.vault(segregation=False).segregation_problems() and not ws.warnings
    with pytest.raises(SegregationError, match="MFA seed"):
        ws.vault().find("prod")
    assert any("vault entry 'prod' holds an MFA seed" in w for w in ws.warnings)
    kp = PyKeePass(str(home.vault), password=VAULT_PASSWORD)
    from lxml import etree

    group = kp.tree.xpath("//Group[Name='AWS root users']")[0]
    group.find("Name").addnext(etree.fromstring("<CustomData><Item><Key>note</Key>"
                                                "<Value>otpauth://totp/x?secret=JBSWY3DPEHPK3PXP</Value></Item></CustomData>"))
    kp.save()
    ws = Workspace(of_config(home.config), Credentials(lambda: VAULT_PASSWORD, lambda: "", lambda: []))
    assert ws.vault(segregation=False).segregation_problems()
    with pytest.raises(SegregationError, match="vault group 'AWS root users' holds an MFA seed"):
        ws.vault()


def test_a_seed_in_one_entry_blocks_that_entry_only_and_every_command_names_it(home):
    """During an incident one entry's breach (a seed pasted into its notes in KeePassXC) must not make the
    whole vault unusable: the other accounts' passwords are retrieved, with a warning naming the entry; that
    entry is refused; list finds it (exit 1); a copy of the vault is never written to a medium with it."""
    prod = enrolled(home)
    enrolled(home, "sandbox-erin", "210987654321")
    notes = "old phone, moved to the safe: otpauth://totp/AWS:root?secret=JBSWY3DPEHPK3PXP"
    home.kpcli("edit", "--notes", notes, str(home.vault), "AWS root users/sandbox-erin")
    shown = show(home, "prod")
    assert shown.returncode == 0 and shown.out.strip() == prod, shown.err
    assert "warning: vault entry 'sandbox-erin' holds an MFA seed" in shown.err, shown.err
    assert "JBSWY3DPEHPK3PXP" not in shown.err + shown.out
    refused = show(home, "sandbox-erin")
    assert refused.returncode == 2 and "vault entry 'sandbox-erin' holds an MFA seed" in refused.err, refused.err
    assert refused.out == "" and "JBSWY3DPEHPK3PXP" not in refused.err
    assert home.rk("rotate", "sandbox-erin", "--reason", "x").returncode == 2
    assert home.rk("rotate", "prod", "--reason", "x").returncode == 0
    listed = home.rk("list")
    assert listed.returncode == 1 and "vault entry 'sandbox-erin' holds an MFA seed" in listed.err, listed.err
    medium = home.root / "usb"
    medium.mkdir()
    written = home.rk("media", "write", "vault", medium)
    assert written.returncode == 2 and "holds an MFA seed" in written.err and not list(medium.iterdir()), written.err
