"""Every bad input stops with exit 2, one 'error:' line, no traceback, and untouched files."""

from __future__ import annotations

import pytest
from conftest import TINY_KDF, VAULT_PASSWORD, assert_clean_failure, base_env, lock_held, random_seed, run, snapshot


@pytest.fixture
def enrolled(home):
    home.rk("enroll", "123456789012", "--name", "prod", "--seed-file", "-", input=random_seed(), check=True)
    return home


def refused(home, args, contains=None, input=None, creds=True, env=None):
    before = snapshot(home.root)
    result = home.rk(*args, input=input, creds=creds, env=env)
    assert_clean_failure(result, 2, contains)
    assert snapshot(home.root) == before, "a failed command changed a file"
    return result


def test_short_account_id_mentions_leading_zeros(enrolled):
    result = refused(enrolled, ["enroll", "12345678901", "--name", "x", "--seed-file", "-"], "leading zeros",
                     input=random_seed())
    assert "012345678901" in result.err


def test_spreadsheet_scientific_account_id(enrolled):
    refused(enrolled, ["enroll", "1.23457E+11", "--name", "x", "--seed-file", "-"], "spreadsheet", input=random_seed())


def test_invalid_base32_seed_names_the_character(enrolled):
    result = refused(enrolled, ["enroll", "000000000002", "--name", "dev", "--seed-file", "-"], "base32",
                     input="JBSWY3DPEHPK3PX8JBSWY3DPEHPK3PXP")
    assert "'8'" in result.err


def test_duplicate_enrollment_refused(enrolled):
    refused(enrolled, ["enroll", "123456789012", "--name", "prod", "--seed-file", "-"], "--replace-seed",
            input=random_seed())


def test_same_seed_for_two_accounts_refused(home):
    seed = random_seed()
    home.rk("enroll", "000000000001", "--name", "a", "--seed-file", "-", input=seed, check=True)
    refused(home, ["seeds", "import", "-"], "already has this very seed",
            input=f"Account #,Account Name,Account Email,MFA Seed\n000000000002,b,b@example.com,{seed}\n")


def test_wrong_vault_password(enrolled):
    (enrolled.root / "wrong").write_text("not the vault password\n")
    refused(enrolled, ["password", "prod", "--reason", "t", "--show", "--vault-password-file", "wrong"],
            "wrong vault password", creds=False)


def test_wrong_identity(enrolled, tmp_path_factory):
    from conftest import make_identity

    other = tmp_path_factory.mktemp("k") / "other.agekey"
    make_identity(other)
    refused(enrolled, ["code", "prod", "--reason", "t", "--seeds-identity", other], "does not open", creds=False)


def test_truncated_vault(enrolled):
    data = enrolled.vault.read_bytes()
    enrolled.vault.write_bytes(data[: len(data) // 2])
    refused(enrolled, ["password", "prod", "--reason", "t", "--show"], "truncated or corrupted")


def test_corrupted_vault(enrolled):
    data = bytearray(enrolled.vault.read_bytes())
    data[len(data) - 40] ^= 0xFF
    enrolled.vault.write_bytes(bytes(data))
    refused(enrolled, ["password", "prod", "--reason", "t", "--show"], "corrupt")


def test_empty_vault_file(enrolled):
    enrolled.vault.write_bytes(b"")
    refused(enrolled, ["password", "prod", "--reason", "t", "--show"], "not a KeePass database")


def test_truncated_seed_store(enrolled):
    data = enrolled.seeds.read_bytes()
    enrolled.seeds.write_bytes(data[:-20])
    refused(enrolled, ["code", "prod", "--reason", "t"], "truncated or corrupted")


def test_seed_store_cut_inside_header(enrolled):
    enrolled.seeds.write_bytes(enrolled.seeds.read_bytes()[:30])
    refused(enrolled, ["code", "prod", "--reason", "t"])


def test_init_over_existing_files(enrolled):
    refused(enrolled, ["init", "--vault", enrolled.vault, "--seeds", enrolled.seeds, "--seeds-recipient",
                       enrolled.public, *TINY_KDF], "already exists")


def test_init_over_existing_config_only(enrolled):
    refused(enrolled, ["init", "--vault", "vault/new.kdbx", "--seeds", "seeds/new.age", "--seeds-recipient",
                       enrolled.public, *TINY_KDF], "already exists")


def test_init_same_directory_refused(tmp_path):
    (tmp_path / "pw").write_text(VAULT_PASSWORD + "\n")
    args = ["init", "--vault", "v.kdbx", "--seeds", "s.age", "--seeds-recipient",
            "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", *TINY_KDF, "--vault-password-file", "pw"]
    before = snapshot(tmp_path)
    result = run(args, cwd=tmp_path)
    assert_clean_failure(result, 2, "different media")
    assert snapshot(tmp_path) == before
    ok = run([*args, "--allow-same-directory"], cwd=tmp_path)
    assert ok.returncode == 0, ok.err
    assert "warning:" in ok.err


def test_init_weak_master_password_refused(tmp_path):
    (tmp_path / "v").mkdir()
    (tmp_path / "s").mkdir()
    (tmp_path / "pw").write_text("short\n")
    before = snapshot(tmp_path)
    result = run(["init", "--vault", "v/x.kdbx", "--seeds", "s/x.age", "--seeds-recipient",
                  "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", *TINY_KDF, "--vault-password-file", "pw"],
                 cwd=tmp_path)
    assert_clean_failure(result, 2, "at least 12")
    assert snapshot(tmp_path) == before


def test_bad_recipient_refused(tmp_path):
    (tmp_path / "v").mkdir()
    (tmp_path / "s").mkdir()
    result = run(["init", "--vault", "v/x.kdbx", "--seeds", "s/x.age", "--seeds-recipient", "age1nope", *TINY_KDF],
                 cwd=tmp_path)
    assert_clean_failure(result, 2, "not an age")
    assert list(tmp_path.rglob("*.*")) == []


def test_missing_vault_file(enrolled):
    refused(enrolled, ["password", "prod", "--reason", "t", "--show", "--vault", "nowhere.kdbx"], "does not exist")


def test_unknown_account(enrolled):
    refused(enrolled, ["code", "staging", "--reason", "t"], "no active seed")


def test_no_password_source_without_terminal(enrolled):
    refused(enrolled, ["password", "prod", "--reason", "t", "--show"], "--vault-password-file", creds=False)


def test_reason_required(enrolled):
    refused(enrolled, ["code", "prod"], "reason")


def test_password_needs_show_or_clip(enrolled):
    refused(enrolled, ["password", "prod", "--reason", "t"], "--show")


def test_clip_without_clipboard_records_nothing(enrolled):
    refused(enrolled, ["password", "prod", "--reason", "t", "--clip"], "no clipboard")


def test_usage_error_is_one_line(enrolled):
    refused(enrolled, ["code"], "missing argument")
    refused(enrolled, ["enroll", "123456789012", "--step", "later"], "invalid value")


def test_bad_time(enrolled):
    refused(enrolled, ["code", "prod", "--reason", "t", "--at", "tomorrow"], "ISO 8601")


def test_bad_email_and_name(enrolled):
    refused(enrolled, ["enroll", "000000000003", "--name", "=HYPERLINK()", "--seed-file", "-"], "formula",
            input=random_seed())
    refused(enrolled, ["enroll", "000000000003", "--name", "ok", "--email", "not-an-email", "--seed-file", "-"],
            "not a valid address", input=random_seed())


def test_bad_device_arn(enrolled):
    refused(enrolled, ["enroll", "000000000003", "--name", "ok", "--seed-file", "-", "--device-arn",
                       "arn:aws:iam::999999999999:mfa/root-account-mfa-device"], "belongs to account", input=random_seed())


def test_broken_config(enrolled):
    enrolled.config.write_text("[vault\npath=")
    refused(enrolled, ["list"], "not valid TOML")


def test_stdin_cannot_feed_two_things(enrolled):
    refused(enrolled, ["enroll", "000000000004", "--name", "x", "--seed-file", "-", "--vault-password-file", "-"],
            "standard input", input=VAULT_PASSWORD + "\n", creds=False)


def test_locked_store_is_refused_and_unchanged(enrolled):
    with lock_held(enrolled.vault) as holder:  # a live rootkeeper holds it
        result = refused(enrolled, ["rotate", "prod", "--reason", "test"], "locked")
        assert f"pid {holder.pid}" in result.err
    result = enrolled.rk("rotate", "prod", "--reason", "test")  # its holder gone (killed): nothing to break
    assert result.returncode == 0, result.err


def test_no_traceback_without_debug_even_on_internal_failure(enrolled):
    # A directory where the vault should be is an OS error, reported in one line.
    refused(enrolled, ["password", "prod", "--reason", "t", "--show", "--vault", "vault"], "directory")


def test_errors_never_echo_a_seed_from_a_mixed_up_column(home):
    seed = random_seed()
    text = f"Account #,Account Name,Account Email,MFA Seed\n{seed},name,n@example.com,{random_seed()}\n"
    result = refused(home, ["seeds", "import", "-"], "not 12 digits", input=text)
    assert seed not in result.err and seed[:16] not in result.err
    text = f"Account #,Account Name,Account Email,MFA Seed\n000000000001,name,{seed},{random_seed()}\n"
    result = refused(home, ["seeds", "import", "-"], "not a valid address", input=text)
    assert seed[:16] not in result.err


def test_secret_key_given_as_recipient_is_not_echoed(tmp_path):
    import pyrage

    secret = str(pyrage.x25519.Identity.generate())
    (tmp_path / "v").mkdir()
    (tmp_path / "s").mkdir()
    result = run(["init", "--vault", "v/x.kdbx", "--seeds", "s/x.age", "--seeds-recipient", secret, *TINY_KDF], cwd=tmp_path)
    assert_clean_failure(result, 2, "secret key")
    assert secret[20:40] not in result.err


def test_enroll_without_seed_off_a_terminal_writes_nothing(home):
    refused(home, ["enroll", "000000000005", "--name", "five"], "no secret key")


def test_retire_with_seed_store_locked_changes_neither_store(enrolled):
    with lock_held(enrolled.seeds):
        refused(enrolled, ["retire", "prod"], "locked")


def test_a_path_the_user_gave_and_a_public_key_are_named_in_the_error_a_secret_is_not(enrolled):
    """Redaction by what a value is: a path with many '/' and '.' is shown, so is a mistyped public key;
    a secret pasted where either belongs is not."""
    keys = enrolled.root / "team.share" / "root-keys.d"
    keys.mkdir(parents=True)
    missing = keys / "alice.v2.agekey"
    result = refused(enrolled, ["code", "prod", "--reason", "r", "--seeds-identity", missing], "does not exist",
                     creds=False)
    assert repr(str(missing)) in result.err, result.err
    public = str(__import__("pyrage").x25519.Identity.generate().to_public())
    typo = public[:-1]  # its last character lost in a copy and paste
    config = enrolled.root / "rootkeeper.toml"
    text = config.read_text()
    config.write_text(text.replace("recipients = [", f'recipients = ["{typo}", ', 1))
    result = refused(enrolled, ["code", "prod", "--reason", "r"], "not an age X25519 recipient")
    assert repr(typo) in result.err, result.err
    config.write_text(text)
    result = refused(enrolled, ["seeds", "recipients", "add", typo], "not an age X25519 recipient")
    assert repr(typo) in result.err, result.err
    secret = str(__import__("pyrage").x25519.Identity.generate())
    result = refused(enrolled, ["seeds", "recipients", "add", secret])
    assert secret[20:40] not in result.err


def test_a_utf16_password_file_and_an_ascii_or_code_page_console_are_no_failure(enrolled):
    """Windows PowerShell 5.1's '>' writes UTF-16 with a byte-order mark: the password file and an import file
    read as such. A reason outside the console's code page is shown escaped, never a UnicodeEncodeError."""
    utf16 = enrolled.root / "pw-utf16.txt"
    utf16.write_bytes(("\ufeff" + VAULT_PASSWORD + "\r\n").encode("utf-16-le"))
    shown = enrolled.rk("password", "prod", "--reason", "ticket \u2192 INC-7 \u00e9t\u00e9", "--show",
                        "--vault-password-file", utf16, creds=False)
    assert shown.returncode == 0, shown.err
    for encoding in ("ascii", "cp1252"):
        listed = enrolled.rk("journal", "show", env=base_env() | {"PYTHONIOENCODING": encoding})
        assert listed.returncode == 0 and "Traceback" not in listed.err, listed.err
        assert "INC-7" in listed.out
