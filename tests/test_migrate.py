"""adopt --accounts [--from OLD.kdbx]: migrating a KeePass database kept by hand, checked with keepassxc-cli.

Issue 13, goal 5: the bulk path that migration uses. The old database is the manual procedure's: made
by keepassxc-cli (KDBX 3.1, AES-KDF), entries titled with the accounts' names, no AccountId.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from xml.sax.saxutils import escape

from conftest import VAULT_PASSWORD, assert_clean_failure, base_env, oracle, snapshot

NAMES = ["log-archive", "security, audit", "payments"]
IDS = ["111111111111", "222222222222", "333333333333"]


def uuid64() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def old_database(tmp_path, passwords: dict[str, str], extra_xml: str = "") -> tuple:
    """A KeePass database as keepassxc-cli imports one: entries in two groups, one in the recycle bin."""
    bin_uuid = uuid64()
    entries = "".join(
        f"<Entry><UUID>{uuid64()}</UUID><String><Key>Title</Key><Value>{escape(name)}</Value></String>"
        f"<String><Key>UserName</Key><Value>root</Value></String>"
        f"<String><Key>Password</Key><Value>{escape(pw)}</Value></String></Entry>"
        for name, pw in passwords.items())
    deleted = (f"<Group><UUID>{bin_uuid}</UUID><Name>Recycle Bin</Name><Entry><UUID>{uuid64()}</UUID>"
               "<String><Key>Title</Key><Value>payments</Value></String>"
               "<String><Key>Password</Key><Value>an old deleted one</Value></String></Entry></Group>")
    xml = (f"<?xml version='1.0' encoding='utf-8'?><KeePassFile><Meta><RecycleBinEnabled>True</RecycleBinEnabled>"
           f"<RecycleBinUUID>{bin_uuid}</RecycleBinUUID></Meta><Root><Group><UUID>{uuid64()}</UUID><Name>Root</Name>"
           f"<Group><UUID>{uuid64()}</UUID><Name>AWS</Name>{entries}</Group>{deleted}{extra_xml}</Group></Root></KeePassFile>")
    (tmp_path / "old.xml").write_text(xml)
    old = tmp_path / "old.kdbx"
    subprocess.run([oracle("keepassxc-cli"), "import", "-q", "-p", "-t", "100", str(tmp_path / "old.xml"), str(old)],
                   input=f"{VAULT_PASSWORD}\n{VAULT_PASSWORD}\n".encode(), env=base_env(), check=True, capture_output=True)
    (tmp_path / "old.xml").unlink()
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("Account #,Account Name,Account Email\n" + "".join(
        f'{i},"{n}",{"" if n == "payments" else f"root+{i}@example.com"}\n' for i, n in zip(IDS, NAMES, strict=True)))
    return old, accounts


def test_a_keepassxc_database_migrates_into_the_vault_and_stays_unchanged(home, tmp_path):
    passwords = {n: f"Pw {n} <&> {i}" for i, n in zip(IDS, NAMES, strict=True)}
    old, accounts = old_database(tmp_path, passwords)
    assert int.from_bytes(old.read_bytes()[10:12], "little") == 3  # KDBX 3.1, AES-KDF: as keepassxc-cli makes it
    before = old.read_bytes()
    result = home.rk("adopt", "--accounts", accounts, "--from", old, "--from-password-file", home.password_file)
    assert result.returncode == 0, result.err
    assert "migrated 3 accounts from old.kdbx" in result.err
    assert old.read_bytes() == before
    for account_id, name in zip(IDS, NAMES, strict=True):
        shown = home.kpcli("show", "-s", "-a", "Password", "-a", "AccountId", "-a", "Email", str(home.vault),
                           f"AWS root users/{name}").splitlines()
        email = "security+payments@example.com" if name == "payments" else f"root+{account_id}@example.com"
        assert shown == [passwords[name], account_id, email]  # not the recycle bin's 'payments'
    listed = json.loads(home.rk("list", "--json", "--only", "vault").out)
    assert {a["account_id"]: a["state"] for a in listed["accounts"]} == dict.fromkeys(IDS, "password-present")
    record = [json.loads(line) for line in home.journal.read_text().splitlines()][-1]
    digest = subprocess.run(["sh", "-c", "printf '%s\\n' \"$@\" | sort | sha256sum", "sh", *IDS], capture_output=True,
                            text=True, check=True).stdout.split()[0]
    assert record["event"] == "adopt" and record["count"] == 3 and record["accounts_sha256"] == digest
    assert "accounts" not in record and record["from"] == "old.kdbx"


def test_the_migration_is_all_or_nothing(home, tmp_path):
    old, accounts = old_database(tmp_path, {"log-archive": "pw-1", "payments": "pw-3"})  # one name missing
    wrong = tmp_path / "wrong"
    wrong.write_text("not the password\n")
    seeds = tmp_path / "with-passwords.csv"
    seeds.write_text("Account #,Account Name,Account Email,Password\n111111111111,log-archive,,hunter2hunter2\n")
    files = snapshot(home.root)
    result = home.rk("adopt", "--accounts", accounts, "--from", old, "--from-password-file", home.password_file)
    assert_clean_failure(result, contains="have no entry of old.kdbx titled with their name, first 'security, audit'")
    assert snapshot(home.root) == files
    assert_clean_failure(home.rk("adopt", "--accounts", accounts, "--from", old, "--from-password-file", wrong),
                         contains="wrong password")
    assert_clean_failure(home.rk("adopt", "--accounts", seeds, "--from", old, "--from-password-file", home.password_file),
                         contains="never a password")
    assert snapshot(home.root) == files


def test_entries_added_by_hand_are_adopted_in_bulk(home, tmp_path):
    for name in NAMES:
        home.kpcli("add", "-u", "root", "-p", str(home.vault), f"AWS root users/{name}",
                   stdin=f"{VAULT_PASSWORD}\npw of {name}\npw of {name}\n")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("Account #,Account Name,Account Email\n" + "".join(
        f'{i},"{n}",{"" if n == "payments" else f"r+{i}@example.com"}\n' for i, n in zip(IDS, NAMES, strict=True)))
    result = home.rk("adopt", "--accounts", accounts)
    assert result.returncode == 0, result.err
    listed = json.loads(home.rk("list", "--json", "--only", "vault").out)
    assert listed["unrecognised"] == [] and len(listed["accounts"]) == 3
    assert home.kpcli("show", "-s", "-a", "Password", "-a", "AccountId", str(home.vault),
                      "AWS root users/security, audit").splitlines() == ["pw of security, audit", "222222222222"]


def test_a_field_reference_is_migrated_as_the_value_it_names_and_an_unresolved_one_is_refused(home, tmp_path):
    """KeePass resolves {REF:P@I:uuid} to the password of the entry it names; copied literally it would be a
    wrong root password (KeePassXC would show the resolved one in the old database, "" in the new)."""
    import uuid

    target = uuid.uuid4()
    holder = (f"<Entry><UUID>{base64.b64encode(target.bytes).decode()}</UUID>"
              "<String><Key>Title</Key><Value>shared holder</Value></String>"
              "<String><Key>Password</Key><Value>the real one 9!</Value></String></Entry>")
    passwords = {"log-archive": "pw-1", "security, audit": "pw-2",
                 "payments": f"{{REF:P@I:{target.hex.upper()}}}"}
    old, accounts = old_database(tmp_path, passwords, extra_xml=holder)
    result = home.rk("adopt", "--accounts", accounts, "--from", old, "--from-password-file", home.password_file)
    assert result.returncode == 0, result.err
    shown = home.kpcli("show", "-s", "-a", "Password", str(home.vault), "AWS root users/payments").strip()
    assert shown == "the real one 9!"

    dangling = tmp_path / "dangling"
    dangling.mkdir()
    passwords["payments"] = "{REF:P@I:" + "0" * 32 + "}"
    old, accounts = old_database(dangling, passwords)
    files = snapshot(home.root)
    refused = home.rk("adopt", "--accounts", accounts, "--from", old, "--from-password-file", home.password_file)
    assert_clean_failure(refused, contains="'payments'")
    assert "reference or placeholder" in refused.err
    assert snapshot(home.root) == files


def test_the_write_ups_pipe_table_is_read_its_seed_column_never_and_a_re_run_finishes_what_is_left(home, tmp_path):
    """The documented legacy format, as the team has it (seeds and all): the seed column is not read and no seed
    reaches the vault; a first run that stopped at two accounts is finished by a second run over the whole table;
    a third run has nothing to do."""
    passwords = {n: f"Pw {n} {i}" for i, n in zip(IDS, NAMES, strict=True)}
    old, _ = old_database(tmp_path, passwords)
    seeds = {i: base64.b32encode(os.urandom(20)).decode() for i in IDS}
    table = tmp_path / "mfa-seeds.md"
    table.write_text("| Account # | Account Name | Account Email | MFA Seed |\n|---|---|---|---|\n" + "".join(
        f"| {i} | {n} | root+{i}@example.com | {seeds[i]} |\n" for i, n in zip(IDS, NAMES, strict=True)))
    first = tmp_path / "first.md"
    first.write_text("\n".join(table.read_text().splitlines()[:4]) + "\n")  # header, rule, two rows
    args = ["--from", old, "--from-password-file", home.password_file]
    result = home.rk("adopt", "--accounts", first, *args)
    assert result.returncode == 0 and "migrated 2 accounts" in result.err, result.err
    assert "the column 'MFA Seed' of" in result.err and "is not read" in result.err
    result = home.rk("adopt", "--accounts", table, *args)
    assert result.returncode == 0 and "migrated 1 accounts" in result.err and "2 already in the vault" in result.err, \
        result.err
    again = home.rk("adopt", "--accounts", table, *args)
    assert again.returncode == 0 and "nothing to adopt: all 3 accounts" in again.err, again.err
    exported = subprocess.run([oracle("keepassxc-cli"), "export", "-f", "xml", str(home.vault)], env=base_env(),
                              input=(VAULT_PASSWORD + "\n").encode(), capture_output=True, check=True).stdout.decode()
    assert all(seed not in exported for seed in seeds.values())  # the vault never saw a seed
    assert home.kpcli("show", "-s", "-a", "Password", str(home.vault), "AWS root users/payments").strip() == \
        passwords["payments"]


def test_an_entry_matching_a_name_outside_the_group_of_root_passwords_is_not_migrated(home, tmp_path):
    """A 'Datadog admin' entry in another group is not a root password: matching entries spread over groups are
    refused naming the groups, and --from-group takes only that group's."""
    other = (f"<Group><UUID>{uuid64()}</UUID><Name>Other</Name><Entry><UUID>{uuid64()}</UUID>"
             "<String><Key>Title</Key><Value>datadog admin</Value></String>"
             "<String><Key>Password</Key><Value>not a root password</Value></String></Entry></Group>")
    old, accounts = old_database(tmp_path, {n: f"pw {n}" for n in NAMES}, extra_xml=other)
    with_datadog = tmp_path / "with-datadog.csv"
    with_datadog.write_text(accounts.read_text() + "444444444444,datadog admin,dd@example.com\n")
    args = ["--from", old, "--from-password-file", home.password_file]
    files = snapshot(home.root)
    assert_clean_failure(home.rk("adopt", "--accounts", with_datadog, *args), 2, "sit in 2 groups ('AWS': 3")
    assert snapshot(home.root) == files
    assert_clean_failure(home.rk("adopt", "--accounts", with_datadog, *args, "--from-group", "AWS"), 2,
                         "have no entry of old.kdbx in group 'AWS' titled with their name, first 'datadog admin'")
    result = home.rk("adopt", "--accounts", accounts, *args, "--from-group", "AWS")
    assert result.returncode == 0 and "migrated 3 accounts" in result.err, result.err
