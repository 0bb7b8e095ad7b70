"""Crash safety: rootkeeper killed with SIGKILL at random instants during enroll, seeds import, rotate, retire
and journal writes (``code``), then checked: both stores open; every command that exited 0 before its kill
kept its data; no temporary file is readable by others (and the next writer removes any left behind); the
journal verifies, or its only problem is the interrupted change that the next command settles.

``ROOTKEEPER_CRASH_TRIALS`` sets the trials (default 200 in CI); the figures go to
``tests/hardening/.crash-figures.json`` (not tracked).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from conftest import VAULT_PASSWORD, base_env, random_seed

from rootkeeper.storage import transaction
from rootkeeper.storage.journal import Journal
from rootkeeper.stores.seeds import SeedStore, read_identity_file
from rootkeeper.stores.vault import Vault

TRIALS = int(os.environ.get("ROOTKEEPER_CRASH_TRIALS", "200"))


def account(n: int) -> str:
    return f"{700000000000 + n:012d}"


def operation(rng: random.Random, n: int, enrolled: list[str]) -> tuple[str, list[str], str, list[str]]:
    """(kind, arguments, standard input, accounts it adds) of one random command."""
    kind = rng.choice(["enroll", "enroll", "seeds import", "rotate", "retire", "code"])
    if kind in ("rotate", "retire", "code") and not enrolled:
        kind = "enroll"
    if kind == "enroll":
        return kind, ["enroll", account(n), "--name", f"crash-{n}", "--seed-file", "-"], random_seed(), [account(n)]
    if kind == "seeds import":
        ids = [account(n), account(n + 1)]
        rows = "".join(f"{a},imp-{a},i{a}@example.com,{random_seed()}\n" for a in ids)
        return kind, ["seeds", "import", "-"], "Account #,Account Name,Account Email,MFA Seed\n" + rows, ids
    target = rng.choice(enrolled)
    if kind == "rotate":
        return kind, ["rotate", target, "--reason", "crash trial"], "", []
    if kind == "retire":
        return kind, ["retire", target, "--yes"], "", []
    return kind, ["code", target, "--reason", "crash trial"], "", []


def leftovers(home) -> list[str]:
    """Temporary files readable by someone other than their owner."""
    bad = []
    for folder in (home.vault.parent, home.seeds.parent, home.root):
        for tmp in folder.glob(".*.tmp"):
            if stat.S_IMODE(tmp.stat().st_mode) & 0o077:
                bad.append(str(tmp))
    return bad


def test_random_sigkills_never_lose_committed_data_or_break_a_store(home):
    rng = random.Random(int(os.environ.get("ROOTKEEPER_CRASH_SEED", "20261128")))
    env = {**base_env(), "ROOTKEEPER_LOCK_WAIT": "10"}
    identities = read_identity_file(home.identity)
    committed_in_vault: set[str] = set()  # accounts whose password a finished command saved
    committed_seeds: set[str] = set()
    retired: set[str] = set()
    enrolled: list[str] = []
    figures = {"trials": 0, "killed": 0, "finished": 0, "failures": 0, "pending_tails": 0, "temp_files_seen": 0,
               "errors": {}}
    n = 0
    for _trial in range(TRIALS):
        kind, args, stdin, adds = operation(rng, n, [a for a in enrolled if a not in retired])
        n += 2
        proc = subprocess.Popen([sys.executable, "-m", "rootkeeper", *args, *map(str, home.creds())], cwd=home.root,
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        proc.stdin.write(stdin.encode())
        proc.stdin.close()
        time.sleep(rng.uniform(0.01, 0.25))  # these commands take 0.06-0.4 s: most are killed somewhere inside
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            figures["killed"] += 1
        proc.wait()
        error = proc.stderr.read().decode()
        proc.stderr.close()
        figures["trials"] += 1
        if proc.returncode == 0:
            figures["finished"] += 1
            if kind == "enroll":
                committed_in_vault.update(adds)
                committed_seeds.update(adds)
                enrolled += adds
            elif kind == "seeds import":
                committed_seeds.update(adds)
            elif kind == "retire":
                retired.add(args[1])
        else:
            assert proc.returncode == -signal.SIGKILL or "Traceback" not in error, (kind, error)
            if proc.returncode != -signal.SIGKILL:  # stopped by itself: why (the first words of its error line)
                reason = re.sub(r"[0-9]{12}|/\S+", "X", error.strip().splitlines()[-1])[:70] if error.strip() else "?"
                figures["errors"][f"{kind}: {reason}"] = figures["errors"].get(f"{kind}: {reason}", 0) + 1
            if proc.returncode != -signal.SIGKILL and kind == "enroll" and "already" not in error:
                figures["failures"] += 1

        # the stores open, and hold everything a finished command wrote
        vault = Vault.open(home.vault, VAULT_PASSWORD)
        store = SeedStore.open(home.seeds, identities=identities)
        in_vault = {e.account_id for e in vault.entries(include_retired=True)}
        assert committed_in_vault <= in_vault, committed_in_vault - in_vault
        seeded = {r.account_id for r in store.rows}
        assert committed_seeds <= seeded, committed_seeds - seeded
        active = {e.account_id for e in vault.entries()}
        assert not (retired & active), retired & active
        assert leftovers(home) == []
        figures["temp_files_seen"] += sum(1 for f in (home.vault.parent, home.seeds.parent) for _ in f.glob(".*.tmp"))
        check = transaction.verify(Journal(home.journal))
        if not check.ok:
            assert all("written but not recorded" in p for p in check.problems), check.problems
            figures["pending_tails"] += 1
        enrolled += [a for a in adds if a in in_vault and a not in enrolled]

    # the next command settles whatever an interrupted one left, and a writer removes stale temporary files
    home.rk("enroll", account(n + 10), "--name", "after-crashes", "--seed-file", "-", input=random_seed(), check=True)
    assert transaction.verify(Journal(home.journal)).ok
    assert not list(home.vault.parent.glob(".*.tmp")) and not list(home.seeds.parent.glob(".*.tmp"))
    assert figures["killed"] >= TRIALS // 4  # the harness really kills (not everything finished before)
    Path(__file__).with_name(".crash-figures.json").write_text(json.dumps(figures, indent=1) + "\n")


def test_a_recipients_change_interrupted_between_its_two_files_is_finished_by_running_it_again(home, tmp_path):
    """'seeds recipients add' writes the seed store, then rootkeeper.toml. Killed between the two, the store is
    pinned to the new set and the configuration still names the old one: every writer then refused, and so did
    'recipients add' itself. Running the same command again now finishes the change (the state is made exactly
    as a kill at that instant leaves it: the configuration's old bytes put back)."""
    from conftest import make_identity

    from rootkeeper.stores.seeds import SeedStore, read_identity_file

    second = make_identity(tmp_path / "second.agekey")
    old_config = home.config.read_bytes()
    home.rk("seeds", "recipients", "add", second, check=True)
    home.config.write_bytes(old_config)  # the configuration write that the kill prevented
    listed = home.rk("seeds", "recipients", "list")
    assert listed.returncode == 1 and "was interrupted (run it again" in listed.err
    refused = home.rk("seeds", "import", "-", input=f"Account #,Account Name,Account Email,MFA Seed\n111111111111,a,,{random_seed()}\n")
    assert refused.returncode == 2 and "run that same" in refused.err.lower()
    finished = home.rk("seeds", "recipients", "add", second)
    assert finished.returncode == 0, finished.err
    assert home.rk("seeds", "recipients", "list").returncode == 0
    assert second in home.config.read_text()
    home.rk("seeds", "import", "-", input=f"Account #,Account Name,Account Email,MFA Seed\n111111111111,a,,{random_seed()}\n",
            check=True)
    SeedStore.open(home.seeds, identities=read_identity_file(tmp_path / "second.agekey"))  # the new custodian reads it
    assert transaction.verify(Journal(home.journal)).ok
