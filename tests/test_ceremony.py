"""Enrollment: password first, seed next, two consecutive codes that oathtool agrees with."""

from __future__ import annotations

import subprocess
import time

from conftest import assert_clean_failure, oracle, random_seed, snapshot


def oath_window(seed: str, when: int) -> list[str]:
    out = subprocess.run([oracle("oathtool"), "--totp", "-b", seed, "-N", f"@{when}", "-w", "1"],
                         capture_output=True, check=True)
    return out.stdout.decode().split()


def test_enroll_prints_two_consecutive_codes(home):
    oracle("oathtool")
    for _ in range(3):  # retry if a 30-second boundary falls inside the command
        seed = random_seed()
        start = int(time.time())
        account = f"{start % 10**12:012d}"
        result = home.rk("enroll", account, "--name", f"acct{start}", "--seed-file", "-", input=seed + "\n", check=True)
        end = int(time.time())
        if start // 30 == end // 30:
            break
    assert result.out.split() == oath_window(seed, start)
    assert "saved in the seed store" in result.err


def test_steps_can_be_done_separately(home):
    seed = random_seed()
    first = home.rk("enroll", "000000000042", "--name", "later", "--step", "password", check=True)
    assert first.out == ""  # no code, and the password is not printed off a terminal
    state = home.rk("list", "--json", check=True).out
    assert '"state": "mfa-pending"' in state
    second = home.rk("enroll", "000000000042", "--step", "mfa", "--seed-file", "-", input=seed, check=True)
    assert len(second.out.split()) == 2
    assert '"state": "custodied"' in home.rk("list", "--json", check=True).out
    # the e-mail came from the template
    assert "security+later@example.com" in home.age_decrypt()


def test_resume_keeps_existing_password(home):
    home.rk("enroll", "000000000042", "--name", "later", "--step", "password", check=True)
    before = home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/later")
    home.rk("enroll", "000000000042", "--name", "later", "--seed-file", "-", input=random_seed(), check=True)
    assert home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/later") == before


def test_replace_seed_keeps_the_old_row(home):
    old, new = random_seed(), random_seed()
    home.rk("enroll", "000000000007", "--name", "seven", "--seed-file", "-", input=old, check=True)
    before = snapshot(home.root)
    assert_clean_failure(home.rk("enroll", "000000000007", "--seed-file", "-", input=new), 2, "--replace-seed")
    assert snapshot(home.root) == before
    home.rk("enroll", "000000000007", "--seed-file", "-", "--replace-seed", input=new, check=True)
    rows = home.age_decrypt().splitlines()[1:]
    assert rows[0].startswith("000000000007,seven,") and rows[0].endswith(",replaced,,") and old in rows[0]
    assert rows[1].endswith(",active,,") and new in rows[1]
    code = home.rk("code", "seven", "--reason", "t", "--at", "1700000000", check=True).out.strip()
    assert code == oath_window(new, 1700000000)[0]


def test_name_mismatch_with_vault_refused(home):
    home.rk("enroll", "000000000042", "--name", "later", "--step", "password", check=True)
    before = snapshot(home.root)
    assert_clean_failure(home.rk("enroll", "000000000042", "--name", "other", "--seed-file", "-", input=random_seed()),
                         2, "in the vault as")
    assert snapshot(home.root) == before


def test_custom_device_arn_and_email(home):
    arn = "arn:aws:iam::000000000042:mfa/break-glass"
    home.rk("enroll", "000000000042", "--name", "n", "--email", "aws-root+n@corp.example", "--device-arn", arn,
            "--seed-file", "-", input=random_seed(), check=True)
    row = home.age_decrypt().splitlines()[1]
    assert ",aws-root+n@corp.example," in row and arn in row
    assert home.kpcli("show", "-s", "-a", "Email", home.vault, "AWS root users/n").strip() == "aws-root+n@corp.example"


def test_seed_with_spaces_and_lower_case_is_normalised(home):
    seed = random_seed()
    spaced = " ".join(seed[i:i + 4].lower() for i in range(0, len(seed), 4))
    home.rk("enroll", "000000000042", "--name", "n", "--seed-file", "-", input=spaced, check=True)
    assert f",{seed}," in home.age_decrypt()


def test_generated_passwords_meet_aws_rules():
    from rootkeeper.rules import passwords

    symbols = set(passwords.SYMBOLS)
    for _ in range(200):
        pw = passwords.generate(32, "prod", "security+prod@example.com")
        assert len(pw) == 32
        assert any(c.isupper() for c in pw) and any(c.islower() for c in pw)
        assert any(c.isdigit() for c in pw) and any(c in symbols for c in pw)
        assert set(pw) <= set(passwords.ALPHABET)
    assert passwords.problems("prod", "prod") and passwords.problems("abcdefgh")
    assert not passwords.problems("Abcdefg1")
