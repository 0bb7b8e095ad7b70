"""The vault, checked by keepassxc-cli (KeePassXC's own reader), not by rootkeeper."""

from __future__ import annotations

import re

from conftest import TINY_KDF, VAULT_PASSWORD, assert_clean_failure, random_seed, run, snapshot


def enroll(home, account_id="123456789012", name="log-archive", seed=None):
    seed = seed or random_seed()
    result = home.rk("enroll", account_id, "--name", name, "--seed-file", "-", input=seed + "\n", check=True)
    return seed, result


def test_db_info_reports_argon2id_and_our_name(home):
    info = home.kpcli("db-info", home.vault)
    assert "KDF: Argon2id" in info
    assert "AWS root users (rootkeeper)" in info
    assert "Cipher: AES 256-bit" in info


def test_root_group_uuid_is_fresh_and_default_user_is_root(home, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    (other / "v").mkdir()
    (other / "s").mkdir()
    pw = other / "pw"
    pw.write_text(VAULT_PASSWORD + "\n")
    run(["init", "--vault", other / "v" / "x.kdbx", "--seeds", other / "s" / "x.age", "--seeds-recipient", home.public,
         *TINY_KDF, "--vault-password-file", pw], cwd=other, check=True)
    xml_a = home.kpcli("export", "-f", "xml", home.vault)
    xml_b = home.kpcli("export", "-f", "xml", other / "v" / "x.kdbx")
    root = lambda xml: re.search(r"<Root>\s*<Group>\s*<UUID>([^<]+)</UUID>", xml).group(1)  # noqa: E731
    assert root(xml_a) != root(xml_b)
    assert root(xml_a) != "F69os494TDK6douoyK65vQ=="  # pykeepass's template root group (17af68b3-...)
    assert "<DefaultUserName>root</DefaultUserName>" in xml_a


def test_keepassxc_show_agrees_with_password_show(home):
    enroll(home)
    ours = home.rk("password", "123456789012", "--reason", "interop test", "--show", check=True).out.strip()
    theirs = home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/log-archive").strip()
    assert ours == theirs
    assert len(ours) == 32
    fields = home.kpcli("show", "-s", "-a", "UserName", "-a", "URL", "-a", "AccountId", "-a", "Email",
                        home.vault, "AWS root users/log-archive").split("\n")
    assert fields[:4] == ["root", "https://signin.aws.amazon.com/console", "123456789012",
                          "security+log-archive@example.com"]


def test_entry_edited_in_keepassxc_still_reads_back(home):
    enroll(home)
    home.kpcli("edit", "--notes", "edited by a human in KeePassXC", "--username", "root",
               home.vault, "AWS root users/log-archive")
    assert "edited by a human" in home.kpcli("show", home.vault, "AWS root users/log-archive")
    ours = home.rk("password", "log-archive", "--reason", "after edit", "--show", check=True).out.strip()
    assert ours == home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/log-archive").strip()
    listing = home.rk("list", "--json", check=True).out
    assert '"state": "custodied"' in listing


def test_password_changed_in_keepassxc_is_what_rootkeeper_returns(home):
    enroll(home)
    new = "Changed-By-Hand-In-KeePassXC-123!"
    # keepassxc-cli edit -p reads the database password, then the new password twice, from stdin.
    home.kpcli("edit", "-p", home.vault, "AWS root users/log-archive",
               stdin=f"{VAULT_PASSWORD}\n{new}\n{new}\n")
    assert home.rk("password", "123456789012", "--reason", "x-check", "--show", check=True).out.strip() == new


def test_no_seed_in_the_vault_xml_export(home):
    seeds = [enroll(home, f"{i:012d}", f"acct-{i}")[0] for i in (1, 2, 3)]
    xml = home.kpcli("export", "-f", "xml", home.vault)
    for seed in seeds:
        assert seed not in xml
        assert seed.lower() not in xml.lower()
    assert "otpauth" not in xml.lower()
    assert "<Key>otp</Key>" not in xml


def test_no_password_in_the_seed_store_plaintext(home):
    for i in (1, 2, 3):
        enroll(home, f"{i:012d}", f"acct-{i}")
    plain = home.age_decrypt()
    for i in (1, 2, 3):
        pw = home.kpcli("show", "-s", "-a", "Password", home.vault, f"AWS root users/acct-{i}").strip()
        assert pw and pw not in plain


def test_rotation_keeps_old_password_in_history(home):
    enroll(home)
    old = home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/log-archive").strip()
    home.rk("rotate", "log-archive", "--reason", "test", check=True)
    new = home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/log-archive").strip()
    assert new != old and len(new) == 32
    xml = home.kpcli("export", "-f", "xml", home.vault)
    history = xml[xml.index("<History>"):xml.index("</History>")]
    assert old.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in history


def test_retire_moves_entry_to_retired_and_marks_seed(home):
    enroll(home)
    home.rk("retire", "log-archive", check=True)
    listing = home.kpcli("ls", "-R", "-f", home.vault)
    assert "Retired/log-archive" in listing
    assert "AWS root users/log-archive" not in listing
    assert ",retired" in home.age_decrypt().splitlines()[1]
    result = home.rk("password", "log-archive", "--reason", "after retire", "--show")
    assert_clean_failure(result, 2, "retired")


def test_vault_holding_an_otp_field_is_refused(home):
    enroll(home)
    from pykeepass import PyKeePass

    kp = PyKeePass(str(home.vault), password=VAULT_PASSWORD)
    entry = kp.find_entries(title="log-archive", first=True)
    entry.otp = "otpauth://totp/x?secret=" + random_seed()
    kp.save()
    before = snapshot(home.root)
    result = home.rk("password", "log-archive", "--reason", "should refuse", "--show")
    assert_clean_failure(result, 2, "log-archive")
    assert "seed" in result.err
    assert snapshot(home.root) == before


def test_vault_holding_an_otpauth_value_in_history_is_refused(home):
    enroll(home)
    from pykeepass import PyKeePass

    kp = PyKeePass(str(home.vault), password=VAULT_PASSWORD)
    entry = kp.find_entries(title="log-archive", first=True)
    entry.set_custom_property("Backup", "otpauth://totp/x?secret=" + random_seed())
    entry.save_history()
    entry.delete_custom_property("Backup")
    kp.save()
    # list is a check: it reports the breach (exit 1); a retrieval refuses the vault (exit 2).
    assert_clean_failure(home.rk("list"), 1, "log-archive")
    assert_clean_failure(home.rk("password", "log-archive", "--reason", "r", "--show"), 2, "log-archive")


def test_key_file_made_by_init_opens_in_keepassxc(tmp_path):
    (tmp_path / "v").mkdir()
    (tmp_path / "s").mkdir()
    (tmp_path / "k").mkdir()
    (tmp_path / "pw").write_text(VAULT_PASSWORD + "\n")
    from conftest import make_identity, oracle

    public = make_identity(tmp_path / "id.agekey")
    run(["init", "--vault", "v/x.kdbx", "--seeds", "s/x.age", "--seeds-recipient", public, *TINY_KDF,
         "--vault-password-file", "pw", "--vault-key-file", "k/x.keyx"], cwd=tmp_path, check=True)
    assert "key_file" in (tmp_path / "rootkeeper.toml").read_text()
    creds = ["--vault-password-file", "pw", "--seeds-identity", "id.agekey"]
    run(["enroll", "000000000001", "--name", "keyed", "--seed-file", "-", *creds], cwd=tmp_path, input=random_seed(),
        check=True)
    import subprocess

    from conftest import base_env

    shown = subprocess.run([oracle("keepassxc-cli"), "show", "-s", "-a", "Password", "--key-file", "k/x.keyx", "v/x.kdbx",
                            "AWS root users/keyed"], input=(VAULT_PASSWORD + "\n").encode(), capture_output=True,
                           cwd=tmp_path, env=base_env())
    assert shown.returncode == 0, shown.stderr
    ours = run(["password", "keyed", "--reason", "t", "--show", *creds], cwd=tmp_path, check=True).out.strip()
    assert ours == shown.stdout.decode().strip()
    # without the key file the password alone does not open it
    no_key = subprocess.run([oracle("keepassxc-cli"), "ls", "v/x.kdbx"], input=(VAULT_PASSWORD + "\n").encode(),
                            capture_output=True, cwd=tmp_path, env=base_env())
    assert no_key.returncode != 0


def test_list_finds_a_seed_pasted_into_the_vault_by_hand(home):
    seed, _ = enroll(home)
    home.kpcli("edit", "--notes", f"backup of the MFA secret: {seed}", home.vault, "AWS root users/log-archive")
    result = home.rk("list")
    assert result.returncode == 1
    assert "also in the vault" in result.err


def test_version(home):
    assert home.rk("--version", creds=False, check=True).out.startswith("rootkeeper 0.1.0")


def test_a_passkey_in_the_vault_is_a_second_factor_refused_like_a_seed(home):
    """KeePassXC 2.7+ keeps a passkey in an entry's KPEX_PASSKEY_* attributes: a second factor beside the
    password. The entry is refused and named (once, not once per field), in list and on open; the others work."""
    enroll(home)
    enroll(home, "222222222222", "other")
    from pykeepass import PyKeePass

    kp = PyKeePass(str(home.vault), password=VAULT_PASSWORD)
    entry = kp.find_entries(title="log-archive", first=True)
    for name, value in (("KPEX_PASSKEY_CREDENTIAL_ID", "q1w2e3"), ("KPEX_PASSKEY_PRIVATE_KEY_PEM",
                        "-----BEGIN PRIVATE KEY-----\nMIGHAgEA\n-----END PRIVATE KEY-----"),
                        ("KPEX_PASSKEY_RELYING_PARTY", "signin.aws.amazon.com"), ("KPEX_PASSKEY_USERNAME", "root"),
                        ("KPEX_PASSKEY_USER_HANDLE", "aGFuZGxl")):
        entry.set_custom_property(name, value, protect=name.endswith("PEM"))
    kp.save()
    assert home.kpcli("show", "-a", "KPEX_PASSKEY_RELYING_PARTY", home.vault,
                      "AWS root users/log-archive").strip() == "signin.aws.amazon.com"  # KeePassXC reads it so
    before = snapshot(home.root)
    listed = home.rk("list")
    assert_clean_failure(listed, 1, "passkey")
    assert "log-archive" in listed.err and listed.err.count("holds a passkey") == 1
    refused = home.rk("password", "log-archive", "--reason", "should refuse", "--show")
    assert_clean_failure(refused, 2, "passkey")
    assert snapshot(home.root) == before
    other = home.rk("password", "other", "--reason", "break glass for another account", "--show")
    assert other.returncode == 0 and "holds a passkey" in other.err, other.err  # the others work, warned


def test_list_advises_a_second_mfa_device_without_calling_it_a_problem(home):
    enroll(home)
    listed = home.rk("list", "--json")
    assert listed.returncode == 0, listed.err
    assert "advice: 1 account(s) have one root MFA device" in listed.err and "AWS advises more than one" in listed.err
    import json

    assert json.loads(listed.out)["problems"] == [] and len(json.loads(listed.out)["advice"]) == 1
