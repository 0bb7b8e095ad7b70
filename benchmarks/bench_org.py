"""`rootkeeper org audit` over a simulated organization of 10,000 accounts, 50 ms per AWS call.

Run: make bench-org   (or .venv/bin/python benchmarks/bench_org.py [--accounts N] [--latency S])

In the same run, on the same organization and custody files:
- the whole organization at the default concurrency (16);
- the first 500 accounts at --concurrency 1.
Reports accounts per second of each and their ratio, AWS calls per account (counted by
the simulator), and the CLI's peak memory (max RSS of the rootkeeper process, from wait4).
The simulator serves from this process on 127.0.0.1; the CLI is a separate process
reaching it over HTTP with an unmodified boto3.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from _workdir import MASTER, WRAP, commit, new_workdir  # noqa: E402


def audit(work: Path, env: dict, *args: str) -> tuple[float, int, dict]:
    """(wall seconds, peak RSS in MiB, report) of one `rootkeeper org audit --json` process."""
    out = work / "audit.json"
    with open(out, "wb") as stdout, open(work / "audit.err", "wb") as stderr:
        start = time.perf_counter()
        # Started through a small process: a child of this one (which serves the simulated organization)
        # would count this process's peak memory as its own.
        proc = subprocess.Popen([sys.executable, "-c", WRAP, sys.executable, "-m", "rootkeeper", "org", "audit", "--json",
                                 *args, "--vault-password-file", str(work / "pw"), "--seeds-identity",
                                 str(work / "id.agekey")], cwd=work, env=env, stdout=stdout, stderr=stderr)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"audit failed ({code}): {(work / 'audit.err').read_text()}")
    peak = int((work / "audit.err").read_text().strip().splitlines()[-1].split()[1])
    return wall, peak // 1024, usage.ru_utime + usage.ru_stime, json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--serial", type=int, default=500, help="accounts audited at --concurrency 1")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every AWS call")
    parser.add_argument("--kdf-memory-mib", type=int, default=256)
    parser.add_argument("--kdf-iterations", type=int, default=8)
    opts = parser.parse_args()

    from rootkeeper.rules.accounts import Account
    from rootkeeper.sim.org import SimOrg
    from rootkeeper.sim.state import MfaDevice
    from rootkeeper.stores.seeds import SeedRow, SeedStore
    from rootkeeper.stores.vault import Vault

    work, identity = new_workdir("rk-bench-org-")
    subprocess.run([sys.executable, "-m", "rootkeeper", "init", "--vault", "v/vault.kdbx", "--seeds", "s/seeds.age",
                    "--seeds-recipient", str(identity.to_public()), "--kdf-memory-mib", str(opts.kdf_memory_mib),
                    "--kdf-iterations", str(opts.kdf_iterations), "--vault-password-file", str(work / "pw")],
                   cwd=work, check=True, capture_output=True)

    start = time.perf_counter()
    sim = SimOrg(validate=False)  # measured: the contract is checked by the tests
    url, server = sim.serve()
    sim.create_organization()
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    ous = [sim.add_ou(f"ou-{i}") for i in range(10)]
    vault = Vault.open(work / "v" / "vault.kdbx", MASTER)
    store = SeedStore.open(work / "s" / "seeds.age", identities=[str(identity)], recipients=[str(identity.to_public())])
    mix = {"custodied": 0, "rootless": 0, "no_mfa": 0, "keys": 0}
    ids, names = [], []
    for i in range(opts.accounts - 1):
        name, email = f"acct-{i:05d}", f"aws+acct-{i:05d}@example.com"
        account_id = sim.add_account(name, email, ous[i % len(ous)])
        ids.append(account_id)
        names.append(name)
        kind = i % 10
        if kind < 6:  # 60% custodied: password and MFA in AWS, entry and seed here
            sim.root(account_id).password_created = "2026-01-01T00:00:00Z"
            serial = f"arn:aws:iam::{account_id}:mfa/root-mfa"
            seed = base64.b32encode(os.urandom(40)).decode()
            sim.root(account_id).devices[serial] = MfaDevice(serial, seed, "2026-01-01T00:00:00Z")
            vault.add(Account(account_id, name, email), f"Pw-{i}-{os.urandom(12).hex()}!a")
            store.add(SeedRow(account_id, name, email, seed, serial, enrolled_at="2026-01-01T00:00:00Z"))
            mix["custodied"] += 1
        elif kind < 9:
            mix["rootless"] += 1
        elif i % 20 == 9:
            sim.console_set_password(account_id, "x" * 20)
            mix["no_mfa"] += 1
        else:
            sim.plant_access_key(account_id)
            mix["keys"] += 1
    commit(work, vault, store)
    setup = time.perf_counter() - start
    print(f"# {opts.accounts} accounts (1 management + {opts.accounts - 1} members in 10 OUs): {mix}; "
          f"set-up {setup:.1f}s; {opts.latency * 1000:.0f} ms added to every AWS call")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ROOTKEEPER_"))}
    env.update({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"})
    sim.latency = opts.latency

    results = []
    for label, args, expected in (
            ("whole organization, --concurrency 16 (default)", [], opts.accounts),
            # named (not by id): the same path as the whole organization's, the listing and 3 calls at most
            (f"first {opts.serial} by name, --concurrency 1", ["--concurrency", "1", *names[:opts.serial]],
             opts.serial)):
        sim.calls.clear()
        sim.actions.clear()
        wall, rss, cpu, report = audit(work, env, *args)
        rows = report["accounts"]
        assert len(rows) == expected, (len(rows), expected)
        unreachable = sum(r["verdict"] == "UNREACHABLE" for r in rows)
        audited_calls = sum(sim.calls[r["account_id"]] for r in rows if not r["management"])
        members = sum(not r["management"] for r in rows)
        listing = sim.actions["organizations:ListAccounts"]
        results.append((label, len(rows), wall, rss, audited_calls / members, listing, unreachable, report["summary"], cpu))
    server.shutdown()

    print(f"{'run':<48} {'accounts':>8} {'wall s':>8} {'acct/s':>8} {'calls/acct':>10} {'pages':>6} {'peak MiB':>9} {'CPU s':>6}")
    for label, n, wall, rss, per, pages, unreachable, _summary, cpu in results:
        print(f"{label:<48} {n:>8} {wall:>8.1f} {n / wall:>8.1f} {per:>10.2f} {pages:>6} {rss:>9} {cpu:>6.1f}")
        if unreachable:
            print(f"  warning: {unreachable} UNREACHABLE")
    ratio = (results[0][1] / results[0][2]) / (results[1][1] / results[1][2])
    print(f"throughput ratio, default concurrency / concurrency 1: {ratio:.1f}x")
    print(f"verdicts (whole organization): {results[0][7]}")
    print(f"work directory: {work}")


if __name__ == "__main__":
    main()
