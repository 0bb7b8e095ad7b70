"""The seed store, checked by the age CLI; imports in every accepted format, all or nothing."""

from __future__ import annotations

import hashlib
import json
import subprocess
import urllib.parse

from conftest import SEEDS_PASSPHRASE, TINY_KDF, VAULT_PASSWORD, assert_clean_failure, oracle, random_seed, run, snapshot

HEADER = ("Account #,Account Name,Account Email,MFA Seed,Device ARN,Algorithm,Digits,Period,Enrolled At,State,"
          "Proven At,Proven By")


def pinned(home) -> str:
    """The store's own header: HEADER and a last column naming the fingerprint of its recipients
    (128 bits of SHA-256 over the sorted recipients, one a line), as the README documents."""
    fingerprint = hashlib.sha256(home.public.encode()).hexdigest()[:32]
    return f"{HEADER},Recipients sha256:{fingerprint}"


def write(path, text):
    path.write_text(text)
    return path


def test_age_cli_decrypts_to_the_exact_csv(home):
    seeds = [random_seed() for _ in range(3)]
    src = "Account #,Account Name,Account Email,MFA Seed\n" + "".join(
        f"{i:012d},team-{i},team{i}@example.com,{s.lower()}\n" for i, s in enumerate(seeds, 1))
    write(home.root / "in.csv", src)
    home.rk("seeds", "import", "in.csv", check=True)
    expected = pinned(home) + "\n" + "".join(
        f"{i:012d},team-{i},team{i}@example.com,{s},,SHA1,6,30,,active,,\n" for i, s in enumerate(seeds, 1))
    assert home.age_decrypt() == expected


def test_age_cli_decrypts_a_passphrase_store(tmp_path):
    age = oracle("age")
    oracle("script")
    (tmp_path / "v").mkdir()
    (tmp_path / "s").mkdir()
    (tmp_path / "pw").write_text(VAULT_PASSWORD + "\n")
    (tmp_path / "pp").write_text(SEEDS_PASSPHRASE + "\n")
    creds = ["--vault-password-file", "pw", "--seeds-passphrase-file", "pp"]
    run(["init", "--vault", "v/x.kdbx", "--seeds", "s/x.age", *TINY_KDF, *creds], cwd=tmp_path, check=True)
    seed = random_seed()
    run(["enroll", "123456789012", "--name", "prod", "--seed-file", "-", *creds], cwd=tmp_path, input=seed, check=True)
    out = tmp_path / "plain.csv"
    # The age CLI reads a passphrase only from a terminal: give it one.
    subprocess.run(["script", "-qc", f"{age} -d -o {out} {tmp_path / 's' / 'x.age'}", "/dev/null"],
                   input=(SEEDS_PASSPHRASE + "\n").encode(), capture_output=True, check=True, timeout=60)
    lines = out.read_text().splitlines()
    # the store's header names its journal (README: the hash of its first record, the last record the write
    # saw, where the journal is): here record 1, the enrollment's password step
    first = json.loads((tmp_path / "rootkeeper-journal.jsonl").read_text().splitlines()[0])
    journal = (tmp_path / "rootkeeper-journal.jsonl").resolve()
    assert lines[0] == f"{HEADER},rootkeeper-journal/1 {first['hash']} 1 {first['hash']} {journal}"
    assert lines[1].startswith(f"123456789012,prod,security+prod@example.com,{seed},arn:aws:iam::123456789012:mfa/")
    # And the wrong passphrase is refused with exit 2, files unchanged.
    (tmp_path / "bad").write_text("not the right passphrase at all\n")
    before = snapshot(tmp_path)
    result = run(["code", "prod", "--reason", "x", "--seeds-passphrase-file", "bad"], cwd=tmp_path)
    assert_clean_failure(result, 2, "wrong passphrase")
    assert snapshot(tmp_path) == before


def test_import_pipe_table_of_the_write_up(home):
    a, b = random_seed(), random_seed(20)
    table = (
        "| Account # | Account Name | Account Email | MFA Seed | --------------------------------------------------\n"
        f"012345678901 | lz_log_archive | security+lz_log_archive@mydomain.com | {a}\n"
        f"987654321098 | lz_security | security+lz_security@mydomain.com | {b}\n"
    )
    write(home.root / "table.txt", table)
    home.rk("seeds", "import", "table.txt", check=True)
    plain = home.age_decrypt()
    assert f"012345678901,lz_log_archive,security+lz_log_archive@mydomain.com,{a}," in plain
    assert f"987654321098,lz_security,security+lz_security@mydomain.com,{b}," in plain


def test_the_write_ups_own_example_is_refused_with_reasons(home):
    table = (
        "| Account # | Account Name | Account Email | MFA Seed | ---------\n"
        "12345678 | lz_log_archive | security+lz_log_archive@mydomain.com | 098789287597453\n"
    )
    write(home.root / "table.txt", table)
    result = home.rk("seeds", "import", "table.txt")
    assert_clean_failure(result, 2, "leading zeros")


def test_import_otpauth_lines_aws_style_and_exported(home):
    seed1, seed2 = random_seed(), random_seed()
    lines = [
        f"otpauth://totp/root-account-mfa-device@111111111111?secret={seed1}&account_name=alpha",
        "otpauth://totp/" + urllib.parse.quote("AWS root:beta (222222222222)") + f"?secret={seed2}&issuer=AWS",
    ]
    write(home.root / "uris.txt", "\n".join(lines) + "\n")
    home.rk("seeds", "import", "uris.txt", check=True)
    exported = home.rk("seeds", "export", "--format", "otpauth", check=True).out.splitlines()
    assert len(exported) == 2 and all(u.startswith("otpauth://totp/") for u in exported)
    # oathtool agrees with the exported URI's secret
    for uri in exported:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(uri).query))
        assert query["secret"] in (seed1, seed2)
    # round trip: exported URIs import into a fresh store unchanged
    as_json = json.loads(home.rk("seeds", "export", "--format", "json", check=True).out)
    assert {r["account_name"] for r in as_json} == {"alpha", "beta"}
    assert {r["email"] for r in as_json} == {"security+alpha@example.com", "security+beta@example.com"}


def test_import_is_all_or_nothing(home):
    good = [random_seed() for _ in range(3)]
    text = "Account #,Account Name,Account Email,MFA Seed\n" + "".join(
        f"{i:012d},ok-{i},ok{i}@example.com,{s}\n" for i, s in enumerate(good, 1))
    text += "000000000009,bad-one,bad@example.com,ABCDEFGH1JKLMNOPQRSTUVWX\n"
    write(home.root / "mixed.csv", text)
    before = snapshot(home.root)
    result = home.rk("seeds", "import", "mixed.csv")
    assert_clean_failure(result, 2, "line 5")
    assert "'1'" in result.err and "position 9" in result.err
    assert snapshot(home.root) == before
    assert home.age_decrypt() == pinned(home) + "\n"


def test_import_refuses_a_password_column(home):
    write(home.root / "pw.csv", f"Account #,Account Name,Account Email,MFA Seed,Password\n"
                                f"000000000001,a,a@example.com,{random_seed()},hunter2hunter2\n")
    before = snapshot(home.root)
    assert_clean_failure(home.rk("seeds", "import", "pw.csv"), 2, "never holds passwords")
    assert snapshot(home.root) == before


def test_import_duplicate_account_refused(home):
    write(home.root / "dup.csv", "Account #,Account Name,Account Email,MFA Seed\n"
                                 f"000000000001,a,a@example.com,{random_seed()}\n"
                                 f"000000000001,a,a@example.com,{random_seed()}\n")
    before = snapshot(home.root)
    assert_clean_failure(home.rk("seeds", "import", "dup.csv"), 2, "appears twice")
    assert snapshot(home.root) == before


def test_short_seed_refused_and_weak_seed_warned(home):
    write(home.root / "short.csv", "Account #,Account Name,Account Email,MFA Seed\n000000000001,a,a@example.com,ABCDEFGH\n")
    assert_clean_failure(home.rk("seeds", "import", "short.csv"), 2, "at least 80")
    write(home.root / "weak.csv", f"Account #,Account Name,Account Email,MFA Seed\n000000000001,a,a@example.com,{random_seed(10)}\n")
    result = home.rk("seeds", "import", "weak.csv", check=True)
    assert "warning:" in result.err and "80 bits" in result.err


def test_export_csv_is_journaled_and_matches_age(home):
    write(home.root / "in.csv", f"Account #,Account Name,Account Email,MFA Seed\n000000000001,a,a@example.com,{random_seed()}\n")
    home.rk("seeds", "import", "in.csv", check=True)
    exported = home.rk("seeds", "export", check=True).out
    assert exported.startswith(HEADER + "\n")  # an export carries no pin
    assert exported.replace(HEADER, pinned(home), 1) == home.age_decrypt()
    assert '"event":"seeds.export"' in home.journal.read_text()


def test_export_as_json_gives_digits_and_period_as_numbers(home):
    write(home.root / "in.csv", "Account #,Account Name,Account Email,MFA Seed,Digits,Period\n"
                                f"000000000001,a,a@example.com,{random_seed()},8,60\n")
    home.rk("seeds", "import", "in.csv", check=True)
    (row,) = json.loads(home.rk("seeds", "export", "--format", "json", check=True).out)
    assert (row["digits"], row["period"]) == (8, 60) and row["account_id"] == "000000000001"


def test_an_import_of_two_devices_of_one_account_journals_that_one_account(home):
    """The import record names the accounts a batch touched: one account's two seeds are one account (its id,
    count 1, and the digest ``printf '%s\\n' ID | sha256sum`` gives), never a count of 2."""
    import hashlib

    account = "444455556666"
    table = home.root / "two-devices.csv"
    table.write_text("Account #,Account Name,Account Email,MFA Seed,Device ARN\n" + "".join(
        f"{account},p,p@example.com,{random_seed()},arn:aws:iam::{account}:mfa/{d}\n" for d in ("site-a", "site-b")))
    result = home.rk("seeds", "import", table, check=True)
    assert "imported 2 seeds" in result.err
    record = [json.loads(line) for line in home.journal.read_text().splitlines()][-1]
    assert record["event"] == "seeds.import" and record["count"] == 1 and record["account_id"] == account
    assert record["accounts_sha256"] == hashlib.sha256(f"{account}\n".encode()).hexdigest()
