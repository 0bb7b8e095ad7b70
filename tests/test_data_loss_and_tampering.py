"""Data loss, half-done changes and the journal's trust. Faults are injected from outside
the product: the command runs in a child whose ``os.replace`` SIGKILLs the process at
the Nth rename, so the product carries no test hook.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
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


# ---------------------------------------------------------------- symbolic links
def test_writes_through_a_symlinked_vault_and_seed_store_reach_their_targets(home):
    enroll(home)
    real_vault, real_seeds = home.vault.with_name("real.kdbx"), home.seeds.with_name("real.age")
    home.vault.rename(real_vault)
    home.seeds.rename(real_seeds)
    home.vault.symlink_to(real_vault.name)
    home.seeds.symlink_to(real_seeds.name)
    home.rk("rotate", "prod", "--reason", "test", check=True)
    home.rk("enroll", "222222222222", "--name", "dev", "--seed-file", "-", input=random_seed(), check=True)
    assert home.vault.is_symlink() and home.seeds.is_symlink()
    new = home.rk("password", "prod", "--reason", "check", "--show", check=True).out.strip()
    # keepassxc-cli reads the real file: it holds the new password, not the old one.
    assert home.kpcli("show", "-s", "-a", "Password", real_vault, "AWS root users/prod").strip() == new
    assert "222222222222" in subprocess.run(["age", "-d", "-i", home.identity, real_seeds],
                                            capture_output=True, check=True).stdout.decode()
    assert not list(home.vault.parent.glob(".*.tmp"))


def test_init_through_dangling_links_keeps_the_stores_apart(tmp_path):
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


# ---------------------------------------------------------------- retire is idempotent
def test_retire_killed_between_its_two_replaces_is_finished_by_a_rerun(home):
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
    again = home.rk("retire", "prod", "--yes", check=True)  # first-hour issue item 10: exit 0, saying so
    assert "already retired" in again.err and records(home)[-1]["event"] == "retire"
    assert len([r for r in records(home) if r["event"] == "retire"]) == 2


def test_seed_rows_can_be_retired_after_retire_vault_only(home):
    enroll(home)
    home.rk("retire", "prod", "--yes", "--vault-only", check=True)
    assert json.loads(home.rk("list", "--json").out)["accounts"][0]["state"] == "half-retired"
    home.rk("retire", "111111111111", "--yes", check=True)
    assert json.loads(home.rk("list", "--json", check=True).out)["accounts"][0]["state"] == "retired"


# ---------------------------------------------------------------- no change goes unrecorded
def test_a_change_whose_record_was_lost_is_detected_and_recorded_by_the_next_command(home):
    enroll(home)
    before = len(records(home))
    # Renames of rotate: 1 pending marker, 2 vault, 3 journal: killed after the vault was replaced.
    assert killed(home, "rotate", "prod", "--reason", "test", at=3).returncode == -9
    assert len(records(home)) == before
    verify = home.rk("journal", "verify")
    assert verify.returncode == 1 and "written but not recorded" in verify.err
    home.rk("code", "prod", "--reason", "after the crash", check=True)
    late = records(home)[before]
    assert late["event"] == "rotate" and late["interrupted"] and late["written"] and not late["not_written"]
    assert records(home)[before + 1]["event"] == "code"
    assert home.rk("journal", "verify", check=True).out.startswith(f"ok: {before + 2} records")


def test_a_change_killed_before_the_store_was_written_records_nothing(home):
    enroll(home)
    before = home.vault.read_bytes()
    assert killed(home, "rotate", "prod", "--reason", "test", at=2).returncode == -9  # marker written, vault not replaced
    assert home.vault.read_bytes() == before
    verify = home.rk("journal", "verify", check=True)
    assert "changed nothing" in verify.err
    home.rk("code", "prod", "--reason", "after the crash", check=True)
    assert [r["event"] for r in records(home)][-1] == "code"
    assert not any(r.get("interrupted") for r in records(home))


def moved(home, to):
    """The team's folder as another machine mounts it: at another path (a drive letter, /Volumes/team)."""
    import dataclasses

    home.root.rename(to)
    where = {field: to / getattr(home, field).relative_to(home.root)
             for field in ("vault", "seeds", "identity", "password_file", "passphrase_file")}
    return dataclasses.replace(home, root=to, **where)


def test_a_change_interrupted_on_one_machine_is_settled_by_another_that_mounts_the_share_elsewhere(home, tmp_path):
    enroll(home)
    before = len(records(home))
    assert killed(home, "rotate", "prod", "--reason", "test", at=3).returncode == -9  # vault written, not recorded
    other = moved(home, tmp_path.parent / f"{tmp_path.name}-mounted-elsewhere")
    other.rk("code", "prod", "--reason", "after the crash, from another machine", check=True)
    late = records(other)[before]
    assert late["event"] == "rotate" and late["interrupted"]
    assert late["written"] == [str(other.vault)] and not late["changed_since"]  # not "changed since" by someone


def test_a_shared_configuration_names_stores_beside_its_folder_relative_to_it(tmp_path):
    team = tmp_path / "team"
    for folder in ("config", "vault", "seeds", "keys"):
        (team / folder).mkdir(parents=True)
    password = team / "keys" / "pw"
    password.write_text("correct horse battery staple\n")
    run(["init", "--config", team / "config" / "rootkeeper.toml", "--vault", team / "vault" / "v.kdbx",
         "--seeds", team / "seeds" / "s.age", "--seeds-recipient", make_identity(team / "keys" / "id"),
         "--journal", team / "config" / "journal.jsonl", *TINY_KDF, "--vault-password-file", password],
        cwd=tmp_path, check=True)
    text = (team / "config" / "rootkeeper.toml").read_text()
    assert 'path = "../vault/v.kdbx"' in text and 'path = "../seeds/s.age"' in text and str(tmp_path) not in text
    team.rename(tmp_path / "mounted-elsewhere")
    config = tmp_path / "mounted-elsewhere" / "config" / "rootkeeper.toml"
    listed = run(["list", "--config", config, "--vault-password-file", tmp_path / "mounted-elsewhere" / "keys" / "pw",
                  "--seeds-identity", tmp_path / "mounted-elsewhere" / "keys" / "id"], cwd=tmp_path)
    assert listed.returncode == 0, listed.err
    config.write_text(config.read_text().replace('"../vault/v.kdbx"', '"..\\\\vault\\\\v.kdbx"'))  # by hand on Windows
    assert run(["list", "--config", config, "--vault-password-file", tmp_path / "mounted-elsewhere" / "keys" / "pw",
                "--seeds-identity", tmp_path / "mounted-elsewhere" / "keys" / "id"], cwd=tmp_path).returncode == 0
    config.write_text(config.read_text().replace('"..\\\\vault\\\\v.kdbx"', '"C:\\\\team\\\\v.kdbx"'))
    assert_clean_failure(run(["list", "--config", config], cwd=tmp_path), 2, "Windows path")


# ---------------------------------------------------------------- writers verify first
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


def test_a_rechained_journal_is_not_extended_and_stays_detected(home):
    enroll(home)
    home.rk("code", "prod", "--reason", "one", check=True)
    home.rk("code", "prod", "--reason", "two", check=True)
    lines = home.journal.read_text().splitlines()
    home.journal.write_text("\n".join(rechain(lines[:2] + lines[3:])) + "\n")  # record 3 removed
    assert home.rk("journal", "verify").returncode == 1
    tampered = snapshot(home.root)
    assert_clean_failure(home.rk("code", "prod", "--reason", "three"), 2, "does not verify")
    assert_clean_failure(home.rk("rotate", "prod", "--reason", "t"), 2, "does not verify")
    assert snapshot(home.root) == tampered  # the head file was not rewritten to match
    assert home.rk("journal", "verify").returncode == 1


def test_an_emptied_journal_is_not_restarted(home):
    enroll(home)
    home.journal.write_bytes(b"")  # refused by the head file, or first by the stores' mark of their journal
    assert_clean_failure(home.rk("code", "prod", "--reason", "x"), 2, ".head file from a copy")
    assert home.journal.read_bytes() == b""
    assert home.rk("journal", "verify").returncode == 1
    os.unlink(home.journal)
    assert_clean_failure(home.rk("code", "prod", "--reason", "x"), 2, ".head file from a copy")


# ---------------------------------------------------------------- validation before any write
def test_enroll_with_another_accounts_seed_changes_no_file(home):
    seed = enroll(home)
    before = snapshot(home.root)
    result = home.rk("enroll", "222222222222", "--name", "new", "--seed-file", "-", input=seed)
    assert_clean_failure(result, 2, "already has this very seed")
    assert snapshot(home.root) == before


# ---------------------------------------------------------------- no silent joining or choosing
def test_a_seed_file_of_two_lines_is_refused(home):
    (home.root / "two.txt").write_text(random_seed(20) + "\n" + random_seed(20) + "\n")
    before = snapshot(home.root)
    assert_clean_failure(home.rk("enroll", "111111111111", "--name", "a", "--seed-file", "two.txt"), 2, "2 lines")
    assert snapshot(home.root) == before


def test_a_csv_with_two_seed_columns_is_refused(home):
    (home.root / "dup.csv").write_text("Account #,Account Name,Account Email,MFA Seed,MFA Seed\n"
                                       f"111111111111,a,a@example.com,{random_seed()},{random_seed()}\n")
    before = snapshot(home.root)
    assert_clean_failure(home.rk("seeds", "import", "dup.csv"), 2, "two 'MFA Seed' columns")
    assert snapshot(home.root) == before


# ---------------------------------------------------------------- recipients pinned in the store
def age_opens(identity, path) -> bool:
    return subprocess.run(["age", "-d", "-i", identity, path], capture_output=True).returncode == 0


def test_a_recipient_added_to_the_config_by_hand_is_refused(home):
    enroll(home)
    intruder = home.root / "intruder.agekey"
    intruder_public = make_identity(intruder)
    honest = home.config.read_text()
    home.config.write_text(honest.replace(f'"{home.public}"', f'"{home.public}", "{intruder_public}"'))
    before = snapshot(home.root / "seeds")
    result = home.rk("enroll", "222222222222", "--name", "dev", "--seed-file", "-", input=random_seed())
    assert_clean_failure(result, 2, "not the ones seed store")
    assert result.err.count("sha256:") == 2  # the old and the new fingerprint
    assert snapshot(home.root / "seeds") == before
    assert not age_opens(intruder, home.seeds)
    assert home.rk("seeds", "recipients", "list").returncode == 1
    home.config.write_text(honest)


def test_recipients_change_only_through_the_journaled_command(home):
    enroll(home)
    second = home.root / "second.agekey"
    second_public = make_identity(second)
    home.rk("seeds", "recipients", "add", second_public, check=True)
    assert age_opens(second, home.seeds) and age_opens(home.identity, home.seeds)
    assert second_public in home.config.read_text()
    record = records(home)[-1]
    assert record["event"] == "seeds.recipients" and record["added"] == [second_public]
    assert record["before"] != record["after"]
    listing = home.rk("seeds", "recipients", "list", check=True)
    assert set(listing.out.split()) == {home.public, second_public}
    home.rk("enroll", "222222222222", "--name", "dev", "--seed-file", "-", input=random_seed(), check=True)
    home.rk("seeds", "recipients", "remove", second_public, "--yes", check=True)
    assert not age_opens(second, home.seeds) and age_opens(home.identity, home.seeds)
    assert_clean_failure(home.rk("seeds", "recipients", "remove", home.public, "--yes"), 2, "at least one recipient")


# ---------------------------------------------------------------- no core dump holds a secret
def test_no_core_file_even_when_the_shell_allows_them(home):
    import resource
    import signal
    import time

    def unlimited():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    proc = subprocess.Popen([sys.executable, "-m", "rootkeeper", "enroll", "111111111111", "--name", "a",
                             "--seed-file", "-", *map(str, home.creds())], cwd=home.root, env=base_env(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=unlimited)
    limits = ""
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            limits = next(ln for ln in open(f"/proc/{proc.pid}/limits") if ln.startswith("Max core file size"))
            if limits.split()[4:6] == ["0", "0"]:
                break
            time.sleep(0.05)
        time.sleep(0.5)  # the vault is open and the password read by now: stdin is what it waits for
        proc.send_signal(signal.SIGSEGV)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.communicate()
    assert limits.split()[4:6] == ["0", "0"], limits
    assert proc.returncode == -signal.SIGSEGV
    assert not [p for p in home.root.iterdir() if p.name.startswith("core")]


# ---------------------------------------------------------------- a secret given as a file name
def test_a_secret_given_where_a_file_name_belongs_is_not_echoed(home):
    password, seed = "Xy7!kQ9#mZ2$wR5%tL8", random_seed()
    identity = "AGE-SECRET-KEY-1" + "Q" * 58
    cases = [
        ("code", "x", "--reason", "r", "--seeds-identity", identity),
        ("password", "x", "--reason", "r", "--show", "--vault-password-file", password),
        ("list", "--vault-password-file", home.password_file, "--vault-key-file", password),
        ("enroll", "111111111111", "--name", "a", "--seed-file", seed),
        ("seeds", "import", seed),
        ("code", "x", "--reason", "r", "--seeds-passphrase-file", password, "--seeds-identity", "-"),
    ]
    for args in cases:
        result = run([*args, *([] if "--vault-password-file" in args else ["--vault-password-file", home.password_file])],
                     cwd=home.root)
        assert_clean_failure(result, 2)
        for secret in (password, seed, identity):
            assert secret not in result.err and secret not in result.out, (args, result.err)


# ---------------------------------------------------------------- control characters
def test_control_characters_are_refused_in_a_reason_and_escaped_on_show(home):
    enroll(home)
    before = snapshot(home.root)
    for reason in ("ok\rhidden", "esc\x1b[2Kx", "rtl\u202eevil"):
        assert_clean_failure(home.rk("code", "prod", "--reason", reason), 2, "control characters")
    assert snapshot(home.root) == before
    lines = home.journal.read_text().splitlines()
    record = json.loads(lines[-1])
    record["account_name"] = "prod\r\x1b[2Kall is well"
    lines[-1] = json.dumps(record)
    home.journal.write_text("\n".join(lines) + "\n")
    shown = home.rk("journal", "show", check=True).out
    assert "\x1b" not in shown and "\r" not in shown and "\\x1b[2K" in shown


# ---------------------------------------------------------------- otpauth anywhere in the vault
def test_an_otpauth_uri_inside_an_entrys_notes_is_refused(home):
    enroll(home)
    notes = "Recovery info.\nBackup: see OtPaUtH://totp/AWS:root?secret=JBSWY3DPEHPK3PXP please"
    cli = subprocess.run(["keepassxc-cli", "edit", "--notes", notes, str(home.vault), "AWS root users/prod"],
                         input=(VAULT_PASSWORD + "\n").encode(), capture_output=True, env=base_env(), timeout=60)
    assert cli.returncode == 0, cli.stderr.decode()
    result = home.rk("password", "prod", "--reason", "r", "--show")
    assert_clean_failure(result, 2, "holds an MFA seed")
    assert "JBSWY3DPEHPK3PXP" not in result.err


# ---------------------------------------------------------------- ASCII digits only
def test_unicode_digits_are_not_an_account_id(home):
    fullwidth = "\uff12" * 12
    assert_clean_failure(home.rk("enroll", fullwidth, "--name", "wide", "--seed-file", "-", input=random_seed()), 2)
    arabic = "\u0662" * 12
    (home.root / "wide.csv").write_text(f"Account #,Account Name,Account Email,MFA Seed\n{arabic},a,a@example.com,"
                                        f"{random_seed()}\n", encoding="utf-8")
    assert_clean_failure(home.rk("seeds", "import", "wide.csv"), 2, "12 digits")
    assert "222222222222" not in home.age_decrypt() and fullwidth not in home.age_decrypt()


# ---------------------------------------------------------------- typed errors for local input
def test_local_input_that_used_to_crash_is_one_clear_error(home):
    enroll(home)
    for args, contains in ((("code", "prod", "--reason", "r", "--at", "9" * 26), "after the year 9999"),
                           (("seeds", "import", "/dev/zero"), "larger than")):
        result = home.rk(*args)
        assert_clean_failure(result, 2, contains)
        assert "unexpected" not in result.err
    config = home.config.read_text()
    home.config.write_text(config.replace(f'"{home.public}"', '"age1notarecipient"'))
    assert_clean_failure(home.rk("code", "prod", "--reason", "r"), 2, "not an age X25519 recipient")
    bad_checksum = home.public[:-1] + ("q" if home.public[-1] != "q" else "p")
    home.config.write_text(config.replace(f'"{home.public}"', f'"{bad_checksum}"'))
    result = home.rk("enroll", "222222222222", "--name", "dev", "--seed-file", "-", input=random_seed())
    assert_clean_failure(result, 2)
    assert "unexpected" not in result.err


# ---------------------------------------------------------------- KDF parameters capped on open
def edit_kdf(vault, key: bytes, value: int) -> None:
    """Overwrite one UInt64 of the header's KDF parameters (VariantDictionary type 0x05)."""
    data = bytearray(vault.read_bytes())
    marker = b"\x05" + len(key).to_bytes(4, "little") + key + (8).to_bytes(4, "little")
    at = data.index(marker) + len(marker)
    data[at:at + 8] = value.to_bytes(8, "little")
    vault.write_bytes(bytes(data))


def test_a_vault_header_asking_for_absurd_kdf_work_is_refused_before_deriving(home):
    enroll(home)
    original = home.vault.read_bytes()
    for key, value in ((b"I", 4_000_000_000), (b"M", 3 * 1024 ** 3)):
        home.vault.write_bytes(original)
        edit_kdf(home.vault, key, value)
        result = home.rk("password", "prod", "--reason", "r", "--show")
        assert_clean_failure(result, 2, "beyond the caps")


def test_one_directory_under_two_names_is_one_directory_for_the_apart_rule(tmp_path):
    """A share mounted twice, a bind mount, or another spelling on a case-insensitive file system: compared
    by device and inode, 'Share/vault' and 'share/vault' are one directory, and init refuses both stores there.
    Here the second name is a bind mount in a private mount namespace (unshare -m)."""
    import shutil

    from conftest import make_identity

    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed"
    for name in ("vault", "alias"):
        (tmp_path / name).mkdir()
    public = make_identity(tmp_path / "id.agekey")
    (tmp_path / "pw").write_text("a long vault password\n")
    init = [sys.executable, "-m", "rootkeeper", "init", "--vault", str(tmp_path / "vault" / "v.kdbx"), "--seeds",
            str(tmp_path / "alias" / "s.age"), "--seeds-recipient", public, *map(str, TINY_KDF),
            "--vault-password-file", str(tmp_path / "pw")]
    script = f"mount --bind {tmp_path / 'vault'} {tmp_path / 'alias'} && exec \"$@\""
    probe = subprocess.run([unshare, "-m", "sh", "-c", "mount --bind / /mnt"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here ({probe.stderr.decode().strip()})")
    done = subprocess.run([unshare, "-m", "sh", "-c", script, "sh", *init], cwd=tmp_path, env=base_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "both in" in done.stderr, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alias", "id.agekey", "pw", "vault"]
    assert not any((tmp_path / "vault").iterdir())


def test_the_first_write_killed_before_its_record_is_settled_not_taken_for_a_deleted_journal(home):
    """Found by the random-kill harness: killed after the very first store write and before the journal's first
    record, the store held accounts beside an empty journal, and every command refused it as 'the journal deleted
    with its head'. Its pending marker names the store as written: the next write records it instead."""
    csv_file = home.root / "team.csv"
    csv_file.write_text(f"Account #,Account Name,Account Email,MFA Seed\n111122223333,prod,p@example.com,{random_seed()}\n")
    kill = ("import os, signal, sys\n"
            "from rootkeeper.storage.journal import Journal\n"
            "Journal.write = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
            "from rootkeeper.cli import main\n"
            "main(sys.argv[1:])\n")
    killed = subprocess.run([sys.executable, "-c", kill, "seeds", "import", str(csv_file), *map(str, home.creds())],
                            cwd=home.root, env=base_env(), capture_output=True, timeout=120)
    assert killed.returncode == -9 and "111122223333" in home.age_decrypt()
    assert not home.journal.exists() or not home.journal.read_text().strip()
    listed = home.rk("list", "--json")
    assert listed.returncode == 0, listed.err
    home.rk("enroll", "444455556666", "--name", "next", "--seed-file", "-", input=random_seed(), check=True)
    events = [json.loads(line) for line in home.journal.read_text().splitlines()]
    assert events[0]["event"] == "seeds.import" and "interrupted" in events[0]
    assert home.rk("journal", "verify").returncode == 0
