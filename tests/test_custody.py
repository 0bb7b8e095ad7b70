"""Custody from the command line: the plan, its check and picture; media with manifests; drills; key shares.

Oracles: jsonschema for the JSON outputs, Graphviz's own dot program for the pictures, keepassxc-cli and
the age CLI for the copies on a medium, oathtool for codes, and the SLIP-39 reference implementation's
own CLI (``shamir``) for key shares, both ways.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import TINY_KDF, assert_clean_failure, base_env, oracle, random_seed, run, snapshot

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def valid(name: str, document: dict) -> dict:
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert document["schema"] == f"rootkeeper.{name}/1"
    return document


def empty_lock(path: Path) -> bool:
    """A lock sidecar a write left, released: empty (kept so that a waiter and the next taker lock one file)."""
    return path.name.endswith(".rootkeeper-lock") and path.stat().st_size == 0


def enroll(home, account: str, name: str) -> str:
    seed = random_seed()
    home.rk("enroll", account, "--name", name, "--seed-file", "-", input=seed, check=True)
    return seed


# ---------------------------------------------------------------- the plan
def elsewhere(home, *args):
    """A command run where no configuration is found (a plan checked alone, by someone without the stores)."""
    away = home.root / "elsewhere"
    away.mkdir(exist_ok=True)
    return run([*args], cwd=away)


def test_custody_init_writes_the_write_ups_layout_which_passes_and_never_overwrites(home):
    home.rk("custody", "init", "plan.toml", check=True)
    result = elsewhere(home, "custody", "check", home.root / "plan.toml", "--json")
    assert result.returncode == 0, result.err
    report = valid("custody-check", json.loads(result.out))
    assert report["ok"] and report["findings"] == [] and report["sites"] == 2 and report["media"] == 9
    assert report["stores"] is None and "not compared with the stores" in report["stores_note"]
    assert sum(1 for m in re.findall(r'kind = "usb"', (home.root / "plan.toml").read_text())) == 4
    before = (home.root / "plan.toml").read_bytes()
    assert_clean_failure(home.rk("custody", "init", "plan.toml"), 2, "already exists")
    assert (home.root / "plan.toml").read_bytes() == before


def failing_plan(home) -> Path:
    home.rk("custody", "init", "plan.toml", check=True)
    text = (home.root / "plan.toml").read_text().replace(
        'reaches = ["share", "office-safe-a", "bank-box-a"]', 'reaches = ["share", "office-safe-a", "bank-box-a", "office-safe-b"]')
    bad = home.root / "bad.toml"
    bad.write_text(text)
    return bad


def test_a_failing_plan_exits_1_with_the_chain_in_text_and_json(home):
    bad = failing_plan(home)
    result = elsewhere(home, "custody", "check", bad)
    assert result.returncode == 1
    assert ("custodian alice: vault on share at server-room + alice knows the vault master password + seed sheet on "
            "paper-seeds-1 at office-safe-b") in result.out
    assert result.err.splitlines()[-1].startswith("error: 1 finding")
    document = valid("custody-check", json.loads(elsewhere(home, "custody", "check", bad, "--json").out))
    assert [f["rule"] for f in document["findings"]] == ["one-custodian-both"]


def test_a_bad_plan_is_one_error_naming_the_line(home):
    home.rk("custody", "init", "plan.toml", check=True)
    text = (home.root / "plan.toml").read_text().replace('reaches = ["office-safe-b"]', 'reaches = ["office-safe-z"]')
    (home.root / "bad.toml").write_text(text)
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if "office-safe-z" in ln)
    assert_clean_failure(home.rk("custody", "check", "bad.toml"), 2, f"bad.toml line {line}: custodian 'dave' reaches")


def test_the_diagram_is_drawn_by_dot_with_the_findings_chain_in_red(home):
    oracle("dot")
    bad = failing_plan(home)
    home.rk("custody", "diagram", bad, "-o", "bad.svg", check=True)
    svg = html.unescape((home.root / "bad.svg").read_text())  # dot writes '-' as &#45;
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "#c0392b" in svg and "alice" in svg and "paper-seeds-1" in svg
    home.rk("custody", "diagram", "plan.toml", "-o", "good.dot", check=True)
    source = (home.root / "good.dot").read_text()
    assert "#c0392b" not in source.split("label=", 2)[-1] or "no findings" in source
    png = subprocess.run([oracle("dot"), "-Tpng", home.root / "good.dot"], capture_output=True, check=True).stdout
    assert png.startswith(b"\x89PNG")  # the .dot file is valid Graphviz


def test_without_dot_svg_names_the_package_and_dot_still_works(home, tmp_path_factory):
    home.rk("custody", "init", "plan.toml", check=True)
    bin_dir = tmp_path_factory.mktemp("bin")
    (bin_dir / "python").symlink_to(sys.executable)
    env = base_env()
    env["PATH"] = str(bin_dir)
    result = home.rk("custody", "diagram", "plan.toml", "-o", "plan.svg", env=env)
    assert_clean_failure(result, 2, "graphviz")
    assert not (home.root / "plan.svg").exists()
    home.rk("custody", "diagram", "plan.toml", "-o", "plan.dot", env=env, check=True)


# ---------------------------------------------------------------- media
@pytest.fixture
def medium(home, tmp_path_factory):
    enroll(home, "111111111111", "prod")
    enroll(home, "222222222222", "dev")
    vault_medium = tmp_path_factory.mktemp("usb-vault")
    seeds_medium = tmp_path_factory.mktemp("usb-seeds")
    home.rk("media", "write", "vault", vault_medium, check=True)
    home.rk("media", "write", "seeds", seeds_medium, check=True)
    home.vault_medium, home.seeds_medium = vault_medium, seeds_medium
    return home


def test_media_write_copies_what_the_independent_tools_open(medium):
    copy = medium.vault_medium / medium.vault.name
    assert copy.read_bytes() == medium.vault.read_bytes()
    listing = medium.kpcli("ls", copy, "AWS root users")
    assert "prod" in listing and "dev" in listing
    age = subprocess.run([oracle("age"), "-d", "-i", medium.identity, medium.seeds_medium / medium.seeds.name],
                         capture_output=True, check=True).stdout.decode()
    assert "111111111111" in age and "222222222222" in age
    manifest = json.loads((medium.vault_medium / "rootkeeper-manifest.json").read_text())
    assert [e["artefact"] for e in manifest["entries"]] == ["vault"]
    assert manifest["entries"][0]["size"] == copy.stat().st_size
    result = medium.rk("media", "verify", medium.vault_medium, "--deep")
    assert result.returncode == 0, result.err
    assert "2 accounts" in result.out and "111111111111  prod" in result.out


ADVICE_LOGGER = """
import atexit, os, sys
calls = []
real = os.posix_fadvise
def logged(fd, offset, length, advice):
    calls.append((os.readlink(f"/proc/self/fd/{fd}"), advice))
    return real(fd, offset, length, advice)
os.posix_fadvise = logged
atexit.register(lambda: open(os.environ["ADVICE_LOG"], "w").write(repr(calls)))
from rootkeeper.cli import main
main(sys.argv[1:])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and posix_fadvise: Linux")
def test_a_copy_is_read_back_from_the_stick_not_from_the_systems_cache_of_it(home, tmp_path_factory):
    """A failing stick passes a read-back that the page cache answers: the copy's cached pages are dropped (they
    are clean once fsynced) before it is read back."""
    import ast

    enroll(home, "111111111111", "prod")
    stick = tmp_path_factory.mktemp("usb-seeds")
    log = tmp_path_factory.mktemp("log") / "advice"
    done = subprocess.run([sys.executable, "-c", ADVICE_LOGGER, "media", "write", "seeds", str(stick),
                           *map(str, home.creds())], cwd=home.root, env={**base_env(), "ADVICE_LOG": str(log)},
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    calls = ast.literal_eval(log.read_text())
    assert (str(stick / home.seeds.name), os.POSIX_FADV_DONTNEED) in calls, calls


def test_a_flipped_byte_a_missing_file_an_extra_file_and_an_edited_manifest_are_caught(medium):
    target = medium.vault_medium / medium.vault.name
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    result = medium.rk("media", "verify", medium.vault_medium)
    assert result.returncode == 1 and f"CHANGED  {medium.vault.name}" in result.out
    (medium.seeds_medium / "notes.txt").write_text("hello\n")
    result = medium.rk("media", "verify", medium.seeds_medium)
    assert result.returncode == 1 and "EXTRA    notes.txt" in result.out
    (medium.seeds_medium / "notes.txt").unlink()
    (medium.seeds_medium / medium.seeds.name).unlink()
    result = medium.rk("media", "verify", medium.seeds_medium)
    assert result.returncode == 1 and f"MISSING  {medium.seeds.name}" in result.out
    manifest = medium.vault_medium / "rootkeeper-manifest.json"
    manifest.write_text(manifest.read_text().replace('"size": ', '"size": 1'))
    result = medium.rk("media", "verify", medium.vault_medium)
    assert result.returncode == 1 and "MANIFEST" in result.out


def test_a_medium_never_carries_both_sides(medium):
    before = snapshot(medium.vault_medium)
    assert_clean_failure(medium.rk("media", "write", "seeds", medium.vault_medium), 2, "never both")
    assert_clean_failure(medium.rk("media", "write", "seed-sheet", medium.vault_medium), 2, "never both")
    assert snapshot(medium.vault_medium) == before
    shutil.copy(medium.vault, medium.seeds_medium / "copied-by-hand.kdbx")  # not in the manifest: found by its bytes
    assert_clean_failure(medium.rk("media", "write", "seed-sheet", medium.seeds_medium), 2, "copied-by-hand.kdbx")


# ---------------------------------------------------------------- drill
def test_a_drill_passes_over_fresh_copies_and_fails_naming_a_stale_one(medium, tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    stale_vault = tmp_path_factory.mktemp("stale") / "old.kdbx"
    shutil.copy(medium.vault, stale_vault)
    result = medium.rk("drill", "--copy", f"usb-1={medium.vault_medium}", "--copy", f"usb-2={medium.seeds_medium}",
                       "--copy", f"share={stale_vault}", "--report", reports)
    assert result.returncode == 0, result.out + result.err
    enroll(medium, "333333333333", "new")  # the live stores move on; the copies on media do not
    result = medium.rk("drill", "--copy", f"usb-1={medium.vault_medium}", "--copy", f"usb-2={medium.seeds_medium}",
                       "--report", reports)
    assert result.returncode == 1
    assert "copy usb-1: account 333333333333 is missing (the vault copies live have it)" in result.out
    assert f"compared with the live store {medium.vault}" in result.out
    reports_json = [json.loads(p.read_text()) for p in reports.glob("drill-*.json")]
    assert len(reports_json) == 2 and len(list(reports.glob("drill-*.md"))) == 2
    assert sorted(r["ok"] for r in reports_json) == [False, True]
    latest = valid("drill", next(r for r in reports_json if not r["ok"]))
    assert not latest["ok"] and any("333333333333" in d for d in latest["differences"])
    assert {c["copy"]: c["ok"] for c in latest["copies"]} == {"usb-1": False, "usb-2": False}
    secrets = [medium.kpcli("show", "-s", "-a", "Password", medium.vault, "AWS root users/prod").strip()]
    text = "".join(p.read_text() for p in reports.iterdir())
    assert all(s not in text for s in secrets)


def test_a_wrong_vault_password_stops_a_drill_a_copy_under_another_password_is_a_finding(medium, tmp_path_factory):
    """A secret the live store refuses is the command's input, wrong: exit 2, no report, not "a stale copy". A
    copy that refuses the secret the live store takes is a finding (exit 1). With no live store to tell the two
    apart, a secret that opens none of the copies stops the drill too."""
    reports = tmp_path_factory.mktemp("reports")
    wrong = tmp_path_factory.mktemp("keys") / "wrong-password"
    wrong.write_text("not the vault password at all\n")
    copies = ["--copy", f"usb-1={medium.vault_medium}", "--report", reports]
    result = medium.rk("drill", *copies, "--vault-password-file", wrong, "--seeds-identity", medium.identity,
                       creds=False)
    assert_clean_failure(result, 2, "wrong vault password")
    assert not list(reports.iterdir())
    other = tmp_path_factory.mktemp("other-team")
    for folder in ("v", "s"):
        (other / folder).mkdir()
    subprocess.run([sys.executable, "-m", "rootkeeper", "init", "--vault", "v/other.kdbx", "--seeds", "s/other.age",
                    "--seeds-recipient", medium.public, *TINY_KDF, "--vault-password-file", wrong], cwd=other,
                   env=base_env(), check=True, capture_output=True)
    result = medium.rk("drill", *copies, "--copy", f"old={other / 'v' / 'other.kdbx'}")
    assert result.returncode == 1 and "copy old does not open: wrong vault password" in result.out, result.out
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # no rootkeeper.toml: no live store
    result = subprocess.run([sys.executable, "-m", "rootkeeper", "drill", *map(str, copies),
                             "--vault-password-file", str(wrong)], cwd=elsewhere, env=base_env(), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.count("error:") == 1, result.stdout + result.stderr
    assert "opens none of the vault copies" in result.stderr


def test_a_drill_names_a_seed_copy_whose_codes_differ(medium, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    shutil.copy(medium.seeds, other / "seeds.age")
    medium.rk("seeds", "import", "-", "--replace",
              input=f"Account #,Account Name,Account Email,MFA Seed\n111111111111,prod,,{random_seed()}\n", check=True)
    result = medium.rk("drill", "--copy", f"old={other / 'seeds.age'}", "--copy", f"usb={medium.vault_medium}",
                       "--report", other)
    assert result.returncode == 1
    assert "account 111111111111: its code at one instant differs between seed copies (old vs live)" in result.out


def test_a_seed_copy_without_an_accounts_second_device_is_a_difference_not_a_pass(medium, tmp_path_factory):
    """An account's second virtual MFA device is a second seed: a copy written before it was kept lacks it, and
    the drill says so (each device's code is compared, not only the account's first)."""
    other = tmp_path_factory.mktemp("other")
    shutil.copy(medium.seeds, other / "seeds.age")
    arn = "arn:aws:iam::111111111111:mfa/site-b"
    medium.rk("seeds", "import", "-", "--another-device", check=True,
              input=f"Account #,Account Name,Account Email,MFA Seed,Device ARN\n111111111111,prod,,{random_seed()},{arn}\n")
    result = medium.rk("drill", "--copy", f"old={other / 'seeds.age'}", "--copy", f"usb={medium.vault_medium}",
                       "--report", other)
    assert result.returncode == 1, result.out + result.err
    assert "account 111111111111: its code at one instant differs between seed copies (old vs live)" in result.out


# ---------------------------------------------------------------- key shares
def test_shares_made_by_rootkeeper_are_recovered_by_the_reference_cli(home):
    from rootkeeper.custody.shares import identity_to_bytes

    out = home.root / "shares"
    out.mkdir()
    result = home.rk("shares", "split", "--threshold", "2", "--shares", "3", "-o", out)
    assert result.returncode == 0, result.err
    files = sorted(out.glob("share-*-of-3.txt"))
    assert len(files) == 3 and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    mnemonics = [re.search(r"^mnemonic: (.+)$", f.read_text(), re.M).group(1) for f in files]
    shamir = shutil.which("shamir", path=os.path.dirname(sys.executable)) or oracle("shamir")
    recovered = subprocess.run([shamir, "recover"], input="\n".join([mnemonics[0], mnemonics[2]]) + "\n",
                               capture_output=True, text=True, timeout=60)
    secret = re.search(r"master secret is: ([0-9a-f]{64})", recovered.stdout).group(1)
    identity = next(ln for ln in home.identity.read_text().splitlines() if ln.startswith("AGE-SECRET-KEY-"))
    assert bytes.fromhex(secret) == identity_to_bytes(identity)
    journal = home.journal.read_text()
    assert all(" ".join(m.split()[3:6]) not in journal for m in mnemonics)


def test_shares_made_by_the_reference_cli_open_the_seed_store(home):
    from rootkeeper.custody.shares import identity_to_bytes

    seed = enroll(home, "111111111111", "prod")
    identity = next(ln for ln in home.identity.read_text().splitlines() if ln.startswith("AGE-SECRET-KEY-"))
    shamir = shutil.which("shamir", path=os.path.dirname(sys.executable)) or oracle("shamir")
    made = subprocess.run([shamir, "create", "2of3", "-S", identity_to_bytes(identity).hex()], capture_output=True,
                          text=True, check=True).stdout
    lines = [ln for ln in made.splitlines() if len(ln.split()) >= 20]
    shares_file = home.root / "two-shares.txt"
    shares_file.write_text("\n".join(lines[1:3]) + "\n")
    result = home.rk("code", "prod", "--reason", "drill", "--at", "1700000000", "--seeds-shares", shares_file, creds=False,
                     env={**base_env(), "ROOTKEEPER_VAULT_PASSWORD": "unused"})
    assert result.returncode == 0, result.err
    expected = subprocess.run([oracle("oathtool"), "--totp", "-b", seed, "-N", "@1700000000"], capture_output=True,
                              text=True, check=True).stdout.strip()
    assert result.out.split()[0] == expected
    one = home.root / "one-share.txt"
    one.write_text(lines[1] + "\n")
    assert_clean_failure(home.rk("code", "prod", "--reason", "drill", "--seeds-shares", one, creds=False), 2,
                         "do not combine: 1 distinct key share given, 2 needed")
    # More shares than the threshold, one of them twice, in capitals, after a byte order mark: the same split.
    every = home.root / "every-share.txt"
    every.write_bytes(("\ufeff" + "\n".join([lines[1], lines[2].upper(), lines[0], lines[1]]) + "\n").encode())
    more = home.rk("code", "prod", "--reason", "drill", "--at", "1700000000", "--seeds-shares", every, creds=False,
                   env={**base_env(), "ROOTKEEPER_VAULT_PASSWORD": "unused"})
    assert more.returncode == 0 and more.out.split()[0] == expected, more.err
    typo = home.root / "typo.txt"
    typo.write_text(lines[1] + "\n" + lines[2].replace(" ", " 1", 1) + "\n")
    assert_clean_failure(home.rk("code", "prod", "--reason", "drill", "--seeds-shares", typo, creds=False), 2, "line 2")
    wrong = home.rk("code", "prod", "--reason", "drill", "--seeds-shares", shares_file, creds=False,
                    env={**base_env(), "ROOTKEEPER_SHARES_PASSPHRASE": "not the passphrase"})
    assert_clean_failure(wrong, 2, "wrong SLIP-39 passphrase")


def test_a_key_file_on_a_medium_is_never_recorded_by_its_plain_sha256(tmp_path, tmp_path_factory):
    """KeePass takes SHA-256 of a non-XML key file as the key: neither the manifest nor the journal may hold it."""
    import hashlib

    from conftest import SEEDS_PASSPHRASE, TINY_KDF, VAULT_PASSWORD, run

    for name in ("vault", "seeds", "keys"):
        (tmp_path / name).mkdir()
    key = tmp_path / "keys" / "vault.keyx"
    key.write_bytes(os.urandom(100))
    password, passphrase = tmp_path / "keys" / "pw", tmp_path / "keys" / "pp"
    password.write_text(VAULT_PASSWORD + "\n")
    passphrase.write_text(SEEDS_PASSPHRASE + "\n")
    run(["init", "--vault", "vault/v.kdbx", "--seeds", "seeds/s.age", "--seeds-passphrase-file", passphrase,
         "--vault-key-file", key, *TINY_KDF, "--vault-password-file", password], cwd=tmp_path, check=True)
    medium = tmp_path_factory.mktemp("usb")
    run(["media", "write", "vault-key", medium, "--vault-key-file", key, "--vault-password-file", password],
        cwd=tmp_path, check=True)
    assert (medium / "vault.keyx").read_bytes() == key.read_bytes()
    plain = hashlib.sha256(key.read_bytes()).hexdigest()
    everything = (medium / "rootkeeper-manifest.json").read_text() + (tmp_path / "rootkeeper-journal.jsonl").read_text()
    assert plain[:16] not in everything
    assert run(["media", "verify", medium], cwd=tmp_path).returncode == 0
    data = bytearray((medium / "vault.keyx").read_bytes())
    data[0] ^= 1
    (medium / "vault.keyx").write_bytes(bytes(data))
    assert run(["media", "verify", medium], cwd=tmp_path).returncode == 1


# ---------------------------------------------------------------- media and drills: what leaves the medium
def test_media_write_never_writes_through_a_symbolic_link_on_the_medium(home, tmp_path_factory):
    enroll(home, "111111111111", "prod")
    outside = tmp_path_factory.mktemp("host")
    victim = outside / "victim.txt"
    victim.write_text("a host file\n")
    usb = tmp_path_factory.mktemp("usb")
    (usb / home.vault.name).symlink_to(victim)
    files = snapshot(home.root)
    assert_clean_failure(home.rk("media", "write", "vault", usb), contains="symbolic link")
    assert victim.read_text() == "a host file\n" and snapshot(home.root) == files
    beside = home.vault.parent / "identity-here.agekey"  # the plaintext identity beside the vault
    seeds_usb = tmp_path_factory.mktemp("usb-seeds")
    (seeds_usb / "seeds-identity.agekey").symlink_to(beside)
    assert_clean_failure(home.rk("media", "write", "seeds-identity", seeds_usb), contains="symbolic link")
    assert not beside.exists()
    manifest_usb = tmp_path_factory.mktemp("usb-manifest")
    (manifest_usb / "rootkeeper-manifest.json").symlink_to(victim)
    failed = home.rk("media", "write", "vault", manifest_usb)
    assert failed.returncode == 2 and victim.read_text() == "a host file\n", failed.err
    assert not (manifest_usb / home.vault.name).exists()


def test_media_verify_and_drill_count_only_files_on_the_medium(medium, tmp_path_factory):
    """A link to the live vault, a hard link, a manifest naming an absolute path, one path twice: no copies."""
    reports = tmp_path_factory.mktemp("reports")
    linked = tmp_path_factory.mktemp("usb-link")
    shutil.copy(medium.vault_medium / "rootkeeper-manifest.json", linked)
    (linked / medium.vault.name).symlink_to(medium.vault)
    verified = medium.rk("media", "verify", linked)
    assert verified.returncode == 1 and "symbolic link" in verified.out + verified.err
    data = medium.vault.read_bytes()
    import hashlib

    absolute = tmp_path_factory.mktemp("usb-absolute")
    entries = [{"artefact": "vault", "file": str(medium.vault), "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data)}]
    (absolute / "rootkeeper-manifest.json").write_text(json.dumps(
        {"schema": "rootkeeper.manifest/1", "entries": entries, "digest": hashlib.sha256(
        json.dumps(entries, sort_keys=True, separators=(",", ":")).encode()).hexdigest()}))
    verified = medium.rk("media", "verify", absolute)
    assert verified.returncode == 1 and "not a file name on the medium" in verified.out + verified.err
    hard = tmp_path_factory.mktemp("usb-hard")
    shutil.copy(medium.vault_medium / "rootkeeper-manifest.json", hard)
    os.link(medium.vault, hard / medium.vault.name)
    for copies in ([f"a={linked}"], [f"a={absolute}"], [f"a={hard}"],
                   [f"a={medium.vault_medium}", f"b={medium.vault_medium}"]):
        args = [part for spec in copies for part in ("--copy", spec)]
        drilled = medium.rk("drill", *args, "--report", reports)
        assert drilled.returncode != 0, (copies, drilled.out, drilled.err)
    drilled = medium.rk("drill", "--copy", f"a={hard}", "--report", reports)
    assert "is the same file as the live vault" in drilled.out
    drilled = medium.rk("drill", "--copy", f"a={medium.vault_medium}", "--copy", f"b={medium.vault_medium}",
                        "--report", reports)
    assert "copy b is the same file as copy a" in drilled.out


def test_the_side_check_looks_into_every_folder_of_the_medium(medium, tmp_path_factory):
    usb = tmp_path_factory.mktemp("usb")
    (usb / "backup").mkdir()
    shutil.copy(medium.vault, usb / "backup" / "old.kdbx")
    assert_clean_failure(medium.rk("media", "write", "seeds", usb), contains="backup/old.kdbx")
    assert not (usb / medium.seeds.name).exists()


def test_a_medium_that_cannot_be_written_gets_no_record_and_no_file(medium, tmp_path_factory):
    usb = tmp_path_factory.mktemp("usb-full")
    before = medium.journal.read_text()
    wrapper = tmp_path_factory.mktemp("wrap") / "full.py"
    wrapper.write_text(
        "import errno, os, sys\n"
        "real = os.write\n"
        "def write(fd, data):\n"
        "    if '/usb-full' in os.readlink(f'/proc/self/fd/{fd}') and len(data) > 1000:\n"
        "        raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "    return real(fd, data)\n"
        "os.write = write\n"
        "from rootkeeper.cli import main\n"
        "main(sys.argv[1:])\n")
    for artefact in ("vault", "emergency-sheet"):
        failed = subprocess.run([sys.executable, str(wrapper), "media", "write", artefact, str(usb), *map(str, medium.creds())],
                                cwd=medium.root, env=base_env(), capture_output=True, text=True, timeout=120)
        assert failed.returncode == 2 and "No space left" in failed.stderr, failed.stderr
        assert medium.journal.read_text() == before
        assert not [p.name for p in usb.iterdir() if not empty_lock(p)]  # a lock sidecar, empty, holds no data


def test_a_split_that_fills_the_disk_leaves_no_share_and_no_record(home, tmp_path_factory):
    pytest.importorskip("shamir_mnemonic")
    out = tmp_path_factory.mktemp("shares-full")
    wrapper = tmp_path_factory.mktemp("wrap") / "full.py"
    wrapper.write_text(
        "import errno, os, sys\n"
        "real, count = os.write, [0]\n"
        "def write(fd, data):\n"
        "    if '/shares-full' in os.readlink(f'/proc/self/fd/{fd}') and b'key share' in bytes(data):\n"
        "        count[0] += 1\n"
        "        if count[0] == 2:\n"
        "            raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "    return real(fd, data)\n"
        "os.write = write\n"
        "from rootkeeper.cli import main\n"
        "main(sys.argv[1:])\n")
    before = home.journal.read_text() if home.journal.exists() else ""
    args = ["shares", "split", "--threshold", "2", "--shares", "3", "-o", str(out), "--seeds-identity", str(home.identity)]
    failed = subprocess.run([sys.executable, str(wrapper), *args], cwd=home.root, env=base_env(), capture_output=True,
                            text=True, timeout=120)
    assert failed.returncode == 2 and "No space left" in failed.stderr, failed.stderr
    assert [p for p in out.iterdir() if not empty_lock(p)] == []
    assert (home.journal.read_text() if home.journal.exists() else "") == before
    again = home.rk("shares", "split", "--threshold", "2", "--shares", "3", "-o", out, creds=False,
                    env={**base_env(), "ROOTKEEPER_SEEDS_IDENTITY": str(home.identity)})
    assert again.returncode == 0, again.err
    assert sorted(p.name for p in out.iterdir() if not empty_lock(p)) == [f"share-{k}-of-3.txt" for k in (1, 2, 3)]


def test_a_drill_over_copies_older_than_a_rotation_fails_naming_them_stale(medium, tmp_path_factory):
    reports = tmp_path_factory.mktemp("reports")
    medium.rk("rotate", "prod", "--reason", "scheduled", check=True)
    drilled = medium.rk("drill", "--copy", f"usb-1={medium.vault_medium}", "--copy", f"usb-2={medium.seeds_medium}",
                        "--report", reports)
    assert drilled.returncode == 1, drilled.out
    assert "account 111111111111: its password differs between vault copies" in drilled.out
    report = valid("drill", json.loads(next(reports.glob("drill-*.json")).read_text()))
    assert report["live"] == [str(medium.vault), str(medium.seeds)]


def test_journal_show_names_the_medium_and_the_artefact_of_a_copy(medium):
    shown = medium.rk("journal", "show", check=True).out
    lines = [line for line in shown.splitlines() if "media.write" in line]
    assert len(lines) == 2 and all("artefact: " in line and "medium: " in line for line in lines), shown
    assert any(f"medium: {medium.vault_medium}" in line and "artefact: vault" in line for line in lines), shown


def test_a_missing_plan_says_how_a_plan_is_made_not_to_run_init(home):
    result = home.rk("custody", "check", "nonexist.toml")
    assert_clean_failure(result, 2, "custody plan nonexist.toml does not exist")
    assert "rootkeeper custody init" in result.err and "'rootkeeper init'" not in result.err


def test_a_recipient_change_names_the_stale_media_and_a_drill_over_them_fails_naming_copy_and_path(medium, tmp_path_factory):
    """A copy written before 'seeds recipients add' gives the same codes but is encrypted to the old set: the
    change names the media holding such copies, and a drill fails naming the copy and its path."""
    import pyrage

    reports = tmp_path_factory.mktemp("reports")
    assert medium.rk("drill", "--copy", f"usb-2={medium.seeds_medium}", "--report", reports).returncode == 0
    added = str(pyrage.x25519.Identity.generate().to_public())
    changed = medium.rk("seeds", "recipients", "add", added, "--reason", "break-glass key (CHG-5)", check=True)
    assert f"stale: the seed store's copy on {medium.seeds_medium}" in changed.err, changed.err
    drilled = medium.rk("drill", "--copy", f"usb-2={medium.seeds_medium}", "--report", reports)
    copy = medium.seeds_medium / medium.seeds.name
    assert drilled.returncode == 1 and f"copy usb-2 ({copy}) is encrypted to other recipients" in drilled.out, \
        drilled.out + drilled.err
    medium.rk("media", "write", "seeds", medium.seeds_medium, check=True)
    assert medium.rk("drill", "--copy", f"usb-2={medium.seeds_medium}", "--report", reports).returncode == 0


# ---------------------------------------------------------------- the plan tied to the real stores
def tied_plan(home, mounts: dict[str, Path], extra: str = "") -> Path:
    """The write-up's layout with an identity store: the seed drives mounted at ``mounts``, and bob's laptop
    holding the identity the live store is encrypted to."""
    from rootkeeper.custody.layout import WRITE_UP_PLAN

    text = WRITE_UP_PLAN.replace('seeds_key = "passphrase"', 'seeds_key = "identity"')
    for name, path in mounts.items():
        text = text.replace(f'name = "{name}"\n', f'name = "{name}"\npath = "{path}"\n')
    text += f'''
[[medium]]
name = "bob-laptop"
kind = "device"
holder = "bob"
carries = ["seeds-identity"]
recipient = "{home.public}"

[[medium]]
name = "usb-identity"
kind = "usb"
place = "bank-box-b"
carries = ["seeds-identity"]
recipient = "{home.public}"
''' + extra
    plan = home.root / "tied-plan.toml"
    plan.write_text(text)
    return plan


def test_custody_check_compares_the_plans_keys_with_the_seed_stores_recipients(home):
    """A plan that places the store's one recipient passes; a recipient added to the store that the plan
    places nowhere is a finding naming the key; a passphrase plan over an identity store is one too."""
    import pyrage

    plan = tied_plan(home, {})
    result = home.rk("custody", "check", plan, "--json")
    report = valid("custody-check", json.loads(result.out))
    assert result.returncode == 0 and report["stores"]["pin_checked"] is True, result.out + result.err
    assert report["stores"]["recipients"] == 1 and "its pin checked" in report["stores_note"]
    stranger = str(pyrage.x25519.Identity.generate().to_public())
    home.rk("seeds", "recipients", "add", stranger, "--reason", "a new custodian (CHG-9)", check=True)
    result = home.rk("custody", "check", plan)
    assert result.returncode == 1 and f"is encrypted to {stranger}, whose identity the plan places on no medium" \
        in result.out, result.out
    # Without the identity, the configured recipients are compared, and the report says the pin was not checked.
    result = home.rk("custody", "check", plan, "--json", creds=False)
    report = valid("custody-check", json.loads(result.out))
    assert report["stores"]["pin_checked"] is None and "no identity given" in report["stores_note"]
    assert [f["rule"] for f in report["findings"]] == ["key-unplaced"]
    home.rk("custody", "init", "passphrase-plan.toml", check=True)
    result = home.rk("custody", "check", "passphrase-plan.toml", "--json")
    assert [f["rule"] for f in json.loads(result.out)["findings"]] == ["key-kind"], result.out


def test_media_and_drills_take_the_plans_medium_names_and_refuse_what_the_plan_does_not_put_there(home, tmp_path_factory):
    enroll(home, "111111111111", "prod")
    one, two = tmp_path_factory.mktemp("usb-seeds-1"), tmp_path_factory.mktemp("usb-seeds-2")
    plan = tied_plan(home, {"usb-seeds-1": one, "usb-seeds-2": two})
    before = snapshot(home.root)
    assert_clean_failure(home.rk("media", "write", "vault", "usb-seeds-2", "--plan", plan), 2,
                         "says medium usb-seeds-2 carries seeds, not vault")
    assert snapshot(home.root) == before and not any(two.iterdir())
    written = home.rk("media", "write", "seeds", "usb-seeds-2", "--plan", plan, check=True)
    assert (two / home.seeds.name).is_file() and "medium usb-seeds-2 of the plan" in written.err
    record = json.loads(home.journal.read_text().splitlines()[-1])
    assert (record["event"], record["plan_medium"]) == ("media.write", "usb-seeds-2")
    home.rk("media", "write", "seeds", one, "--plan", plan, check=True)  # its path names it too
    reports = tmp_path_factory.mktemp("reports")
    drilled = home.rk("drill", "--plan", plan, "--copy", "usb-seeds-1", "--copy", "usb-seeds-2", "--report", reports)
    assert drilled.returncode == 0, drilled.out + drilled.err
    assert drilled.out.count("opened ") == 2 and "the identity on bob-laptop" in drilled.out


def test_a_drill_over_the_plan_proves_each_declared_key_and_fails_on_copies_a_new_key_cannot_open(home, tmp_path_factory):
    """The issue's break-glass case: a key added to the store after the copies were written. The drill over the
    plan tries each declared key whose identity it is given, alone, against each copy: the new key does not open
    the old copies (a difference naming copy and path), a key not given is said untried, and a copy the plan
    declares that is not mounted is a difference, never a pass."""
    from conftest import make_identity

    enroll(home, "111111111111", "prod")
    one, two = tmp_path_factory.mktemp("usb-seeds-1"), tmp_path_factory.mktemp("usb-seeds-2")
    vaults = {name: tmp_path_factory.mktemp(name) for name in ("share", "usb-vault-1", "usb-vault-2")}
    glass_identity = home.root / "keys" / "break-glass.agekey"
    glass = make_identity(glass_identity)
    extra = f'''
[[medium]]
name = "usb-glass"
kind = "usb"
place = "bank-box-b"
carries = ["seeds-identity"]
recipient = "{glass}"
'''
    plan = tied_plan(home, {"usb-seeds-1": one, "usb-seeds-2": two}, extra)
    reports = tmp_path_factory.mktemp("reports")
    unplaced = home.rk("drill", "--plan", plan, "--report", reports)
    assert unplaced.returncode == 1 and "copy usb-vault-1 of the plan has no path" in unplaced.out, unplaced.out
    plan = tied_plan(home, {"usb-seeds-1": one, "usb-seeds-2": two, **vaults}, extra)
    for medium in vaults:
        home.rk("media", "write", "vault", medium, "--plan", plan, check=True)
    for medium in ("usb-seeds-1", "usb-seeds-2"):
        home.rk("media", "write", "seeds", medium, "--plan", plan, check=True)
    home.rk("seeds", "recipients", "add", glass, "--reason", "break-glass key (CHG-5)", check=True)
    both = home.root / "keys" / "both.agekey"
    both.write_text(home.identity.read_text() + glass_identity.read_text())
    drilled = home.rk("drill", "--plan", plan, "--report", reports, "--seeds-identity", both,
                      "--vault-password-file", home.password_file, creds=False)
    assert drilled.returncode == 1, drilled.out + drilled.err
    for medium, path in (("usb-seeds-1", one), ("usb-seeds-2", two)):
        assert f"copy {medium} ({path / home.seeds.name}): the identity on usb-glass ({glass}) does not open it" \
            in drilled.out, drilled.out
    assert "copy usb-vault-1" not in drilled.out.split("DIFFERENCE", 1)[-1]  # the vault copies are current
    report = json.loads(max(reports.glob("*.json"), key=lambda p: p.stat().st_mtime_ns).read_text())  # this drill's
    valid("drill", report)
    assert {(k["copy"], k["where"], k["result"]) for k in report["keys"]} >= {
        ("usb-seeds-1", "the identity on usb-glass", "refused"), ("usb-seeds-1", "the identity on bob-laptop", "opened")}
    for medium in ("usb-seeds-1", "usb-seeds-2"):
        home.rk("media", "write", "seeds", medium, "--plan", plan, check=True)
    drilled = home.rk("drill", "--plan", plan, "--report", reports, "--seeds-identity", both,
                      "--vault-password-file", home.password_file, creds=False)
    assert drilled.returncode == 0 and drilled.out.count("opened ") == 4, drilled.out + drilled.err
    alone = home.rk("drill", "--plan", plan, "--report", reports)  # only bob's identity given
    assert alone.returncode == 0 and "1 key(s) of the plan not tried" in alone.err and "usb-glass" in alone.err
    shutil.rmtree(two)  # the drive is not mounted
    unmounted = home.rk("drill", "--plan", plan, "--report", reports)
    assert unmounted.returncode == 1 and f"copy usb-seeds-2 of the plan is not at {two}" in unmounted.out


def test_what_macos_and_windows_write_onto_a_medium_is_not_an_extra_file_nor_a_failed_drill(medium, tmp_path_factory):
    """Finder's .DS_Store and AppleDouble '._' files, Explorer's desktop.ini and Thumbs.db: named as left
    alone, never EXTRA; a drill over that medium passes. A store hidden under such a name is still found."""
    for name in (".DS_Store", f"._{medium.seeds.name}", "desktop.ini", "Thumbs.db", ".TemporaryItems/x"):
        (medium.seeds_medium / name).parent.mkdir(exist_ok=True)
        (medium.seeds_medium / name).write_bytes(b"\x00\x05\x16\x07 metadata")
    result = medium.rk("media", "verify", medium.seeds_medium)
    assert result.returncode == 0 and "EXTRA" not in result.out, result.out + result.err
    assert "not copies, left alone: 5 file(s)" in result.err and ".DS_Store" in result.err
    reports = tmp_path_factory.mktemp("reports")
    drilled = medium.rk("drill", "--copy", f"usb-2={medium.seeds_medium}", "--copy", f"usb-1={medium.vault_medium}",
                        "--report", reports)
    assert drilled.returncode == 0, drilled.out + drilled.err
    (medium.seeds_medium / "Thumbs.db").write_bytes(medium.vault.read_bytes())  # a vault disguised as metadata
    result = medium.rk("media", "verify", medium.seeds_medium)
    assert result.returncode == 1 and "EXTRA    Thumbs.db" in result.out, result.out
