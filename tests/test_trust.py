"""Regression tests for the trust issue (#8): each test names the item it covers.

Data loss, half-done changes and the journal's trust. Faults are injected from outside
the product: the command runs in a child whose ``os.replace`` SIGKILLs the process at
the Nth rename, so the product carries no test hook.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

from conftest import (
    TINY_KDF,
    VAULT_PASSWORD,
    assert_clean_failure,
    base_env,
    make_identity,
    random_seed,
    run,
    snapshot,
)

KILLER = """
import os, signal, sys
real, count = os.replace, [0]
def replace(src, dst, *a, **k):
    count[0] += 1
    if count[0] == int(os.environ["KILL_AT_REPLACE"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *a, **k)
os.replace = replace
from rootkeeper.cli import main
main(sys.argv[1:])
"""


def killed(home, *args, at: int, input: str | None = None):
    """Run rootkeeper with SIGKILL at its ``at``-th rename; returns the completed process."""
    env = {**base_env(), "KILL_AT_REPLACE": str(at)}
    return subprocess.run([sys.executable, "-c", KILLER, *map(str, args), *map(str, home.creds())],
                          cwd=home.root, env=env, input=(input or "").encode(), capture_output=True, timeout=60)


def enroll(home, account="111111111111", name="prod", seed=None):
    seed = seed or random_seed()
    home.rk("enroll", account, "--name", name, "--seed-file", "-", input=seed, check=True)
    return seed


def records(home):
    return [json.loads(line) for line in home.journal.read_text().splitlines()]


# ---------------------------------------------------------------- item 1: symbolic links
def test_item01_writes_through_a_symlinked_vault_and_seed_store_reach_their_targets(home):
    enroll(home)
    real_vault, real_seeds = home.vault.with_name("real.kdbx"), home.seeds.with_name("real.age")
    home.vault.rename(real_vault)
    home.seeds.rename(real_seeds)
    home.vault.symlink_to(real_vault.name)
    home.seeds.symlink_to(real_seeds.name)
    home.rk("rotate", "prod", check=True)
    home.rk("enroll", "222222222222", "--name", "dev", "--seed-file", "-", input=random_seed(), check=True)
    assert home.vault.is_symlink() and home.seeds.is_symlink()
    new = home.rk("password", "prod", "--reason", "check", "--show", check=True).out.strip()
    # keepassxc-cli reads the real file: it holds the new password, not the old one.
    assert home.kpcli("show", "-s", "-a", "Password", real_vault, "AWS root users/prod").strip() == new
    assert "222222222222" in subprocess.run(["age", "-d", "-i", home.identity, real_seeds],
                                            capture_output=True, check=True).stdout.decode()
    assert not list(home.vault.parent.glob(".*.tmp"))


def test_item01_init_through_dangling_links_keeps_the_stores_apart(tmp_path):
    (tmp_path / "links").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "links" / "v.kdbx").symlink_to(tmp_path / "a" / "v.kdbx")
    (tmp_path / "links" / "s.age").symlink_to(tmp_path / "b" / "s.age")
    public = make_identity(tmp_path / "id.agekey")
    (tmp_path / "pw").write_text(VAULT_PASSWORD + "\n")
    run(["init", "--vault", tmp_path / "links" / "v.kdbx", "--seeds", tmp_path / "links" / "s.age",
         "--seeds-recipient", public, *TINY_KDF, "--vault-password-file", tmp_path / "pw"], cwd=tmp_path, check=True)
    assert (tmp_path / "a" / "v.kdbx").is_file() and (tmp_path / "b" / "s.age").is_file()
    assert (tmp_path / "links" / "v.kdbx").is_symlink() and (tmp_path / "links" / "s.age").is_symlink()
    # And two links to targets in one directory are refused like the targets would be.
    (tmp_path / "links2").mkdir()
    (tmp_path / "links2" / "v.kdbx").symlink_to(tmp_path / "a" / "v2.kdbx")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "s.age").symlink_to(tmp_path / "a" / "s2.age")
    result = run(["init", "--config", tmp_path / "other.toml", "--vault", tmp_path / "links2" / "v.kdbx",
                  "--seeds", tmp_path / "elsewhere" / "s.age", "--seeds-recipient", public, *TINY_KDF,
                  "--vault-password-file", tmp_path / "pw"], cwd=tmp_path)
    assert_clean_failure(result, 2, "both in")


# ---------------------------------------------------------------- item 2: retire is idempotent
def test_item02_retire_killed_between_its_two_replaces_is_finished_by_a_rerun(home):
    enroll(home)
    # Renames of retire: 1 pending marker, 2 vault, 3 seed store, 4 journal, 5 head.
    result = killed(home, "retire", "prod", "--yes", at=3)
    assert result.returncode == -9
    listing = home.rk("list", "--json")
    assert listing.returncode == 1, listing.err  # the half state is a problem, not "password-missing"
    (account,) = json.loads(listing.out)["accounts"]
    assert account["state"] == "half-retired"
    assert "half-retired" in listing.err or "retire" in listing.err
    home.rk("retire", "prod", "--yes", check=True)
    listing = home.rk("list", "--json", check=True)
    assert json.loads(listing.out)["accounts"][0]["state"] == "retired"
    assert "111111111111,prod" in home.age_decrypt() and ",retired" in home.age_decrypt()
    events = [(r["event"], r.get("interrupted") is not None) for r in records(home)]
    assert events[-2:] == [("retire", True), ("retire", False)]
    assert_clean_failure(home.rk("retire", "prod", "--yes"), 2, "already retired")


def test_item02_seed_rows_can_be_retired_after_retire_vault_only(home):
    enroll(home)
    home.rk("retire", "prod", "--yes", "--vault-only", check=True)
    assert json.loads(home.rk("list", "--json").out)["accounts"][0]["state"] == "half-retired"
    home.rk("retire", "111111111111", "--yes", check=True)
    assert json.loads(home.rk("list", "--json", check=True).out)["accounts"][0]["state"] == "retired"


# ---------------------------------------------------------------- item 3: no change goes unrecorded
def test_item03_a_change_whose_record_was_lost_is_detected_and_recorded_by_the_next_command(home):
    enroll(home)
    before = len(records(home))
    # Renames of rotate: 1 pending marker, 2 vault, 3 journal: killed after the vault was replaced.
    assert killed(home, "rotate", "prod", at=3).returncode == -9
    assert len(records(home)) == before
    verify = home.rk("journal", "verify")
    assert verify.returncode == 1 and "written but not recorded" in verify.err
    home.rk("code", "prod", "--reason", "after the crash", check=True)
    late = records(home)[before]
    assert late["event"] == "rotate" and late["interrupted"] and late["written"] and not late["not_written"]
    assert records(home)[before + 1]["event"] == "code"
    assert home.rk("journal", "verify", check=True).out.startswith(f"ok: {before + 2} records")


def test_item03_a_change_killed_before_the_store_was_written_records_nothing(home):
    enroll(home)
    before = home.vault.read_bytes()
    assert killed(home, "rotate", "prod", at=2).returncode == -9  # marker written, vault not replaced
    assert home.vault.read_bytes() == before
    verify = home.rk("journal", "verify", check=True)
    assert "changed nothing" in verify.err
    home.rk("code", "prod", "--reason", "after the crash", check=True)
    assert [r["event"] for r in records(home)][-1] == "code"
    assert not any(r.get("interrupted") for r in records(home))


# ---------------------------------------------------------------- item 11: writers verify first
def rechain(lines):
    """Recompute an unkeyed chain, as someone with write access to the journal alone can."""
    prev, out = "0" * 64, []
    for seq, line in enumerate(lines, 1):
        record = {k: v for k, v in json.loads(line).items() if k != "hash"}
        record.update(seq=seq, prev=prev)
        body = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        record["hash"] = prev = hashlib.sha256(body.encode()).hexdigest()
        out.append(json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    return out


def test_item11_a_rechained_journal_is_not_extended_and_stays_detected(home):
    enroll(home)
    home.rk("code", "prod", "--reason", "one", check=True)
    home.rk("code", "prod", "--reason", "two", check=True)
    lines = home.journal.read_text().splitlines()
    home.journal.write_text("\n".join(rechain(lines[:2] + lines[3:])) + "\n")  # record 3 removed
    assert home.rk("journal", "verify").returncode == 1
    tampered = snapshot(home.root)
    assert_clean_failure(home.rk("code", "prod", "--reason", "three"), 2, "does not verify")
    assert_clean_failure(home.rk("rotate", "prod"), 2, "does not verify")
    assert snapshot(home.root) == tampered  # the head file was not rewritten to match
    assert home.rk("journal", "verify").returncode == 1


def test_item11_an_emptied_journal_is_not_restarted(home):
    enroll(home)
    home.journal.write_bytes(b"")
    assert_clean_failure(home.rk("code", "prod", "--reason", "x"), 2, "does not verify")
    assert home.journal.read_bytes() == b""
    assert home.rk("journal", "verify").returncode == 1
    os.unlink(home.journal)
    assert_clean_failure(home.rk("code", "prod", "--reason", "x"), 2, "does not verify")
