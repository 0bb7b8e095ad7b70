"""Peak memory (and time) of ``list --json``, ``code`` and ``password`` at 10,000 and 100,000 accounts.

Whole processes, byte-compiled first; the vault at Argon2id 64 MiB x 3, 2 lanes (64 MiB of every
vault-opening command's peak is the key derivation's own memory). For ``org audit`` run
``benchmarks/bench_org.py --accounts N --latency 0`` (it reports its peak).

    python benchmarks/bench_memory.py --accounts 10000 100000
"""

from __future__ import annotations

import argparse
import base64
import compileall
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))

from _workdir import ENV, MASTER, commit, new_workdir, rk_measured  # noqa: E402


def build(work: Path, identity, n: int, kdf_mib: int) -> None:
    from rootkeeper.rules.accounts import Account
    from rootkeeper.stores.vault import Vault

    subprocess.run([sys.executable, "-m", "rootkeeper", "init", "--vault", "v/vault.kdbx", "--seeds", "s/seeds.age",
                    "--seeds-recipient", str(identity.to_public()), "--kdf-memory-mib", str(kdf_mib), "--kdf-iterations",
                    "3", "--kdf-parallelism", "2", "--vault-password-file", work / "pw"], cwd=work, env=ENV, check=True,
                   capture_output=True)
    vault = Vault.open(work / "v" / "vault.kdbx", MASTER)
    lines = ["Account #,Account Name,Account Email,MFA Seed"]
    for i in range(n):
        account = f"{100000000000 + i * 7919:012d}"
        vault.add(Account(account, f"acct-{i:06d}", f"security+acct-{i:06d}@example.com"),
                  base64.b32encode(os.urandom(18)).decode())
        lines.append(f"{account},acct-{i:06d},security+acct-{i:06d}@example.com,{base64.b32encode(os.urandom(40)).decode()}")
    commit(work, vault)
    (work / "seeds.csv").write_text("\n".join(lines) + "\n")
    rk_measured("seeds", "import", "seeds.csv", "--seeds-identity", work / "id.agekey", cwd=work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--kdf-memory-mib", type=int, default=64)
    opts = parser.parse_args()
    compileall.compile_dir(str(SRC), quiet=1)
    creds = ["--vault-password-file", "pw", "--seeds-identity", "id.agekey"]
    print("| accounts | command | seconds | peak memory |")
    print("|---:|---|---:|---:|")
    for n in opts.accounts:
        work, identity = new_workdir(f"rk-memory-{n}-")
        build(work, identity, n, opts.kdf_memory_mib)
        middle = f"acct-{n // 2:06d}"
        for label, args in (("list --json", ["list", "--json"]),
                            ("code ACCOUNT", ["code", middle, "--reason", "benchmark"]),
                            ("password ACCOUNT --show", ["password", middle, "--reason", "benchmark", "--show"])):
            seconds, peak, _out = rk_measured(*args, *creds, cwd=work)
            print(f"| {n:,} | `{label}` | {seconds:.2f} s | {peak / 1024:.0f} MiB |", flush=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
