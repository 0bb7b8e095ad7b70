"""10,000 accounts with realistic KDF settings: rootkeeper beside keepassxc-cli and age | oathtool.

Run: make bench   (or .venv/bin/python benchmarks/bench_10k.py [--accounts N] [--runs R])

Prints wall-clock medians of R runs of each command, on the same files, in the same run, and
the ratios that matter: rootkeeper / the standard tool doing the same job.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from _workdir import MASTER, commit, new_workdir  # noqa: E402

ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def rk(*args, stdin: bytes = b"", cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rootkeeper", *map(str, args)], cwd=cwd, input=stdin,
                          capture_output=True, env=ENV, check=True)


def timed(fn, runs: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kdf-memory-mib", type=int, default=256)
    parser.add_argument("--kdf-iterations", type=int, default=8)
    opts = parser.parse_args()
    for tool in ("keepassxc-cli", "age", "oathtool", "script"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run make tools")

    from rootkeeper.rules.accounts import Account
    from rootkeeper.stores.vault import Vault

    work, identity = new_workdir("rk-bench-")
    n = opts.accounts
    ids = [f"{100000000000 + i * 7919:012d}" for i in range(n)]
    seeds = [base64.b32encode(os.urandom(40)).decode() for _ in range(n)]
    csv = "Account #,Account Name,Account Email,MFA Seed\n" + "".join(
        f"{a},acct-{i:05d},security+acct-{i:05d}@example.com,{s}\n" for i, (a, s) in enumerate(zip(ids, seeds, strict=True)))
    (work / "seeds.csv").write_text(csv)
    kdf = ["--kdf-memory-mib", opts.kdf_memory_mib, "--kdf-iterations", opts.kdf_iterations, "--kdf-parallelism", 2]
    creds = ["--vault-password-file", work / "pw", "--seeds-identity", work / "id.agekey"]
    rk("init", "--vault", "v/vault.kdbx", "--seeds", "s/seeds.age", "--seeds-recipient", identity.to_public(),
       *kdf, "--vault-password-file", work / "pw", cwd=work)
    print(f"# {n} accounts, Argon2id {opts.kdf_memory_mib} MiB x {opts.kdf_iterations}, 2 lanes; median of {opts.runs}")

    rows = []
    t, _ = timed(lambda: rk("seeds", "import", "seeds.csv", *creds, cwd=work), 1)
    rows.append(("rootkeeper seeds import (10k rows, X25519 store)", t, None))

    start = time.perf_counter()
    vault = Vault.open(work / "v" / "vault.kdbx", MASTER)
    for i, account_id in enumerate(ids):
        vault.add(Account(account_id, f"acct-{i:05d}", f"security+acct-{i:05d}@example.com"), f"Pw-{i}-{seeds[i][:20]}!a")
    commit(work, vault)
    rows.append(("library: add 10k vault entries + save (one KDF)", time.perf_counter() - start, None))

    target_index = n // 2
    target_id, target_name = ids[target_index], f"acct-{target_index:05d}"
    t_rk, out = timed(lambda: rk("password", target_id, "--reason", "bench", "--show", *creds, cwd=work), opts.runs)
    t_kp, out_kp = timed(lambda: subprocess.run(
        ["keepassxc-cli", "show", "-s", "-a", "Password", work / "v" / "vault.kdbx", f"AWS root users/{target_name}"],
        input=(MASTER + "\n").encode(), capture_output=True, env=ENV, check=True), opts.runs)
    assert out.stdout.strip() == out_kp.stdout.strip()
    rows.append(("rootkeeper password --show", t_rk, None))
    rows.append(("keepassxc-cli show -s -a Password", t_kp, t_rk / t_kp))

    when = int(time.time())
    t_rk, out = timed(lambda: rk("code", target_id, "--reason", "bench", "--at", when, *creds, cwd=work), opts.runs)
    pipeline = (f"age -d -i {work / 'id.agekey'} {work / 's' / 'seeds.age'} | grep '^{target_id},' | cut -d, -f4 | "
                f"xargs -I{{}} oathtool --totp -b {{}} -N @{when}")
    t_age, out_age = timed(lambda: subprocess.run(["sh", "-c", pipeline], capture_output=True, check=True), opts.runs)
    assert out.stdout.strip() == out_age.stdout.strip(), (out.stdout, out_age.stdout)
    rows.append(("rootkeeper code (X25519 store)", t_rk, None))
    rows.append(("age -d -i | grep | oathtool", t_age, t_rk / t_age))

    t, out = timed(lambda: rk("list", "--json", *creds, cwd=work), max(1, opts.runs // 2))
    assert out.stdout.count(b'"custodied"') == n
    rows.append(("rootkeeper list --json (both stores, segregation cross-check)", t, None))

    # The same with a passphrase store (age's scrypt dominates both).
    (work / "pp").write_text("benchmark seed-store passphrase\n")
    (work / "p").mkdir()
    (work / "p2").mkdir()
    rk("init", "--config", "p.toml", "--vault", "p2/v.kdbx", "--seeds", "p/seeds.age", *kdf,
       "--vault-password-file", work / "pw", "--seeds-passphrase-file", work / "pp", cwd=work)
    pcreds = ["--config", "p.toml", "--seeds-passphrase-file", work / "pp"]
    t, _ = timed(lambda: rk("seeds", "import", "seeds.csv", *pcreds, cwd=work), 1)
    rows.append(("rootkeeper seeds import (10k rows, passphrase store)", t, None))
    runs = max(1, opts.runs // 2)
    t_rk, out = timed(lambda: rk("code", target_id, "--reason", "bench", "--at", when, *pcreds, cwd=work), runs)
    plain = work / "plain.csv"

    def age_pass():
        plain.unlink(missing_ok=True)
        subprocess.run(["script", "-qc", f"age -d -o {plain} {work / 'p' / 'seeds.age'}", "/dev/null"],
                       input=b"benchmark seed-store passphrase\n", capture_output=True, check=True)
        seed = next(ln.split(",")[3] for ln in plain.read_text().splitlines() if ln.startswith(target_id + ","))
        return subprocess.run(["oathtool", "--totp", "-b", seed, "-N", f"@{when}"], capture_output=True, check=True)

    t_age, out_age = timed(age_pass, runs)
    plain.unlink(missing_ok=True)
    assert out.stdout.strip() == out_age.stdout.strip()
    rows.append(("rootkeeper code (passphrase store)", t_rk, None))
    rows.append(("age -d (passphrase, pty) + oathtool", t_age, t_rk / t_age))

    t, _ = timed(lambda: rk("--help", cwd=work), opts.runs)
    rows.append(("rootkeeper --help", t, None))
    sizes = {p.name: p.stat().st_size for p in (work / "v" / "vault.kdbx", work / "s" / "seeds.age")}

    print(f"{'command':<55} {'median s':>9} {'ratio':>7}")
    for name, seconds, ratio in rows:
        print(f"{name:<55} {seconds:>9.3f} {'' if ratio is None else f'{ratio:.2f}x':>7}")
    print("sizes:", ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sizes.items()))
    print("ratio = rootkeeper / the standard tool on the same file (same run)")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
