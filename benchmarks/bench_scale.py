"""rootkeeper beside the tools a user would otherwise run, at 1,000 and 10,000 accounts (100,000 with --full).

Every pair runs on the same files in the same run; each figure is the minimum of --runs paired runs
(ours, then the anchor) of whole processes, with the package byte-compiled first as an installed
wheel would be (this environment sets PYTHONDONTWRITEBYTECODE=1, so an editable install would
otherwise recompile it on every run). Vault at Argon2id 64 MiB x 3 x 2 lanes, X25519 seed store.

    python benchmarks/bench_scale.py                 # 1,000 and 10,000 accounts
    python benchmarks/bench_scale.py --full          # and 100,000
    python benchmarks/bench_scale.py --readme        # also put the table into README.md

Pairs (ratio = rootkeeper / anchor; below 1 means rootkeeper is faster):
- ``password ID --show`` / ``keepassxc-cli show -s -a Password`` (time and peak memory);
- ``code ID --at T`` / ``age -d -i ID | grep | cut | oathtool``;
- ``list --json`` / ``keepassxc-cli ls -R -f`` plus ``age -d`` (what a person would run to see both stores);
- ``seeds import`` of N rows into an empty store / ``age -e -r`` of the same CSV;
- bulk add of N vault entries and one save (the library path ``adopt --accounts`` and migration use) /
  ``keepassxc-cli import`` of the same entries as KeePass XML;
- ``adopt --accounts FILE``: migrating an existing N-entry KeePass database (made by keepassxc-cli)
  of root passwords, beside the one key derivation it needs.
"""

from __future__ import annotations

import argparse
import base64
import compileall
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
README = HERE.parent / "README.md"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(HERE))

from _workdir import ENV, MASTER, WRAP, commit, new_workdir  # noqa: E402

KDF = {"memory_mib": 64, "iterations": 3, "parallelism": 2}
BEGIN, END = "<!-- bench-scale:begin -->", "<!-- bench-scale:end -->"


def measured(argv: list, *, cwd: Path, stdin: bytes = b"") -> tuple[float, int, bytes]:
    """Seconds, peak memory (KiB, of the largest process of the command) and stdout of one command,
    timed inside a small wrapper process (its own start-up is not in the figure)."""
    done = subprocess.run([sys.executable, "-c", WRAP, *map(str, argv)], cwd=cwd, input=stdin,
                          capture_output=True, env=ENV)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, argv))} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    seconds, peak = done.stderr.decode().strip().splitlines()[-1].split()
    return float(seconds), int(peak), done.stdout


def rk(*args) -> list:
    return [sys.executable, "-m", "rootkeeper", *map(str, args)]


def paired(ours, anchor, runs: int):
    """min over ``runs`` of (ours, anchor), run alternately; each a (seconds, peak, stdout)."""
    best_ours = best_anchor = None
    for _ in range(runs):
        a = ours()
        b = anchor()
        best_ours = a if best_ours is None else (min(best_ours[0], a[0]), max(best_ours[1], a[1]), a[2])
        best_anchor = b if best_anchor is None else (min(best_anchor[0], b[0]), max(best_anchor[1], b[1]), b[2])
    return best_ours, best_anchor


def keepass_xml(names: list[str], passwords: list[str], group: str) -> str:
    """A KeePass XML export with one entry per account (title, user name root, password)."""
    entries = "".join(
        f"<Entry><UUID>{base64.b64encode(os.urandom(16)).decode()}</UUID>"
        f"<String><Key>Title</Key><Value>{escape(name)}</Value></String>"
        "<String><Key>UserName</Key><Value>root</Value></String>"
        f"<String><Key>Password</Key><Value ProtectInMemory=\"True\">{escape(pw)}</Value></String>"
        "<String><Key>URL</Key><Value>https://signin.aws.amazon.com/console</Value></String></Entry>"
        for name, pw in zip(names, passwords, strict=True))
    return ('<?xml version="1.0" encoding="utf-8" standalone="yes"?><KeePassFile><Meta><Generator>bench</Generator>'
            "</Meta><Root><Group><UUID>" + base64.b64encode(os.urandom(16)).decode() + "</UUID><Name>Root</Name>"
            "<Group><UUID>" + base64.b64encode(os.urandom(16)).decode() + f"</UUID><Name>{escape(group)}</Name>"
            + entries + "</Group></Group></Root></KeePassFile>")


def kdf_seconds(path: Path) -> float:
    """One key derivation with the parameters in a database's header (KDBX 3.1 AES-KDF or KDBX 4): the
    database opened with a wrong password, which is found wrong once the key is derived."""
    from rootkeeper.errors import AuthError
    from rootkeeper.stores.vault import read_keepass

    start = time.perf_counter()
    try:
        read_keepass(path, "any password")
    except AuthError:
        pass
    return time.perf_counter() - start


def one_size(n: int, runs: int) -> list[tuple]:
    from rootkeeper.rules.accounts import Account
    from rootkeeper.stores.vault import Vault

    work, identity = new_workdir(f"rk-scale-{n}-")
    ids = [f"{100000000000 + i * 7919:012d}" for i in range(n)]
    names = [f"acct-{i:06d}" for i in range(n)]
    emails = [f"security+acct-{i:06d}@example.com" for i in range(n)]
    seeds = [base64.b32encode(os.urandom(40)).decode() for _ in range(n)]
    passwords = [base64.b64encode(os.urandom(24)).decode() for _ in range(n)]
    (work / "seeds.csv").write_text("Account #,Account Name,Account Email,MFA Seed\n" + "".join(
        f"{a},{b},{c},{d}\n" for a, b, c, d in zip(ids, names, emails, seeds, strict=True)))
    (work / "accounts.csv").write_text("Account #,Account Name,Account Email\n" + "".join(
        f"{a},{b},{c}\n" for a, b, c in zip(ids, names, emails, strict=True)))
    subprocess.run(rk("init", "--vault", "v/vault.kdbx", "--seeds", "s/seeds.age", "--seeds-recipient",
                      str(identity.to_public()), "--kdf-memory-mib", KDF["memory_mib"], "--kdf-iterations",
                      KDF["iterations"], "--kdf-parallelism", KDF["parallelism"], "--vault-password-file", "pw"),
                   cwd=work, env=ENV, check=True, capture_output=True)
    creds = ["--vault-password-file", "pw", "--seeds-identity", "id.agekey"]
    rows = []

    # Bulk add: the library path (in this process, as adopt and migration use it) beside keepassxc-cli import.
    (work / "entries.xml").write_text(keepass_xml(names, passwords, "AWS root users"))
    start = time.perf_counter()
    vault = Vault.open(work / "v" / "vault.kdbx", MASTER)
    opened = time.perf_counter() - start
    start = time.perf_counter()
    accounts = [Account(a, b, c) for a, b, c in zip(ids, names, emails, strict=True)]
    if hasattr(vault, "add_many"):
        vault.add_many(list(zip(accounts, passwords, strict=True)))
    else:
        for account, password in zip(accounts, passwords, strict=True):
            vault.add(account, password)
    commit(work, vault)
    ours = time.perf_counter() - start
    del vault
    anchor = measured(["keepassxc-cli", "import", "-q", "-p", "-t", "100", "entries.xml", "imported.kdbx"], cwd=work,
                      stdin=f"{MASTER}\n{MASTER}\n".encode())
    rows.append((n, f"bulk add {n:,} vault entries + save (library; open {opened:.2f} s apart)",
                 "`keepassxc-cli import` (XML → KDBX)", ours, anchor[0], None, anchor[1]))

    # seeds import into the empty store, beside age encrypting the same CSV.
    ours = measured(rk("seeds", "import", "seeds.csv", *creds), cwd=work)
    anchor = measured(["age", "-r", str(identity.to_public()), "-o", "plain.age", "seeds.csv"], cwd=work)
    rows.append((n, "`seeds import` (empty store)", "`age -e -r` of the same CSV", ours[0], anchor[0], ours[1], anchor[1]))

    target = n // 2
    ours, anchor = paired(
        lambda: measured(rk("password", ids[target], "--reason", "bench", "--show", *creds), cwd=work),
        lambda: measured(["keepassxc-cli", "show", "-q", "-s", "-a", "Password", "v/vault.kdbx",
                          f"AWS root users/{names[target]}"], cwd=work, stdin=f"{MASTER}\n".encode()), runs)
    assert ours[2].strip() == anchor[2].strip() == passwords[target].encode(), (ours[2], anchor[2])
    rows.append((n, "`password ID --show`", "`keepassxc-cli show -s -a Password`", ours[0], anchor[0], ours[1], anchor[1]))

    when = int(time.time())
    pipeline = (f"age -d -i id.agekey s/seeds.age | grep '^{ids[target]},' | cut -d, -f4 | "
                f"xargs -I{{}} oathtool --totp -b {{}} -N @{when}")
    ours, anchor = paired(lambda: measured(rk("code", ids[target], "--reason", "bench", "--at", when, *creds), cwd=work),
                          lambda: measured(["sh", "-c", pipeline], cwd=work), runs)
    assert ours[2].strip() == anchor[2].strip(), (ours[2], anchor[2])
    rows.append((n, "`code ID`", "`age -d \\| grep \\| cut \\| oathtool`", ours[0], anchor[0], ours[1], anchor[1]))

    def both_listed():
        a = measured(["keepassxc-cli", "ls", "-q", "-R", "-f", "v/vault.kdbx"], cwd=work, stdin=f"{MASTER}\n".encode())
        b = measured(["age", "-d", "-i", "id.agekey", "-o", "/dev/null", "s/seeds.age"], cwd=work)
        return a[0] + b[0], max(a[1], b[1]), a[2]

    ours, anchor = paired(lambda: measured(rk("list", "--json", *creds), cwd=work), both_listed, runs)
    assert ours[2].count(b'"account_id"') == n and anchor[2].count(b"AWS root users/acct-") == n
    rows.append((n, "`list --json`", "`keepassxc-cli ls -R -f` + `age -d`", ours[0], anchor[0], ours[1], anchor[1]))

    # Migration: an existing KeePass database of root passwords (no AccountId), as keepassxc-cli makes one
    # (KDBX 3.1, AES-KDF tuned to one second there), into a new vault.
    old = work / "old"
    (old / "v").mkdir(parents=True)
    (old / "s").mkdir()
    (old / "entries.xml").write_text(keepass_xml(names, passwords, "AWS"))
    subprocess.run(["keepassxc-cli", "import", "-q", "-p", "-t", "1000", "entries.xml", "root-passwords.kdbx"], cwd=old,
                   input=f"{MASTER}\n{MASTER}\n".encode(), env=ENV, check=True, capture_output=True)
    (old / "entries.xml").unlink()
    subprocess.run(rk("init", "--vault", "v/vault.kdbx", "--seeds", "s/seeds.age", "--seeds-recipient",
                      str(identity.to_public()), "--kdf-memory-mib", KDF["memory_mib"], "--kdf-iterations",
                      KDF["iterations"], "--kdf-parallelism", KDF["parallelism"], "--vault-password-file", "../pw"),
                   cwd=old, env=ENV, check=True, capture_output=True)
    if "--accounts" in subprocess.run(rk("adopt", "--help"), capture_output=True, text=True, env=ENV).stdout:
        kdfs = kdf_seconds(old / "root-passwords.kdbx") + kdf_seconds(old / "v" / "vault.kdbx")
        ours = measured(rk("adopt", "--accounts", "../accounts.csv", "--from", "root-passwords.kdbx",
                           "--from-password-file", "../pw", "--vault-password-file", "../pw"), cwd=old)
        check = measured(["keepassxc-cli", "show", "-q", "-a", "AccountId", "-a", "Password", "v/vault.kdbx",
                          f"AWS root users/{names[target]}"], cwd=old, stdin=f"{MASTER}\n".encode())
        assert check[2].split() == [ids[target].encode(), passwords[target].encode()], check[2]
        rows.append((n, f"`adopt --accounts --from` (migrate {n:,} entries; its two KDFs = {kdfs:.2f} s)",
                     "", ours[0], None, ours[1], None))
    shutil.rmtree(work, ignore_errors=True)
    return rows


def table(rows: list[tuple]) -> str:
    out = ["| accounts | rootkeeper | anchor | rootkeeper s | anchor s | ratio | peak MiB (ours / anchor) |",
           "|---:|---|---|---:|---:|---:|---:|"]
    for n, ours_label, anchor_label, ours, anchor, ours_peak, anchor_peak in rows:
        ratio = f"{ours / anchor:.2f}×" if anchor else ""
        peaks = " / ".join("–" if p is None else f"{p / 1024:.0f}" for p in (ours_peak, anchor_peak))
        peaks = peaks.removesuffix(" / –")
        out.append(f"| {n:,} | {ours_label} | {anchor_label} | {ours:.3f} | "
                   f"{'' if anchor is None else f'{anchor:.3f}'} | {ratio} | {peaks} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--full", action="store_true", help="also 100,000 accounts (several minutes)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write the Markdown table here too")
    parser.add_argument("--src", type=Path, default=SRC, help="measure the package in this src/ (another checkout)")
    parser.add_argument("--readme", action="store_true", help=f"replace the table between {BEGIN} and {END} in README.md")
    opts = parser.parse_args()
    for tool in ("keepassxc-cli", "age", "oathtool"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run make tools")
    if opts.src.resolve() != SRC:
        ENV["PYTHONPATH"] = str(opts.src.resolve())
        sys.path.insert(0, str(opts.src.resolve()))
    compileall.compile_dir(str(opts.src), quiet=1)  # as an installed wheel would be (PYTHONDONTWRITEBYTECODE is set here)
    sizes = opts.sizes + ([100_000] if opts.full and 100_000 not in opts.sizes else [])
    rows = []
    for n in sizes:
        rows += one_size(n, opts.runs)
        print(table(rows), flush=True)
    text = table(rows)
    header = (f"Min of {opts.runs} paired runs, whole processes, byte-compiled; vault Argon2id "
              f"{KDF['memory_mib']} MiB x {KDF['iterations']} x {KDF['parallelism']}, X25519 seed store; "
              f"`python benchmarks/bench_scale.py{' --full' if opts.full else ''}` on {time.strftime('%Y-%m-%d')}.\n\n")
    if opts.out:
        opts.out.write_text(header + text)
    if opts.readme:
        readme = README.read_text()
        if BEGIN not in readme or END not in readme:
            sys.exit(f"README.md has no {BEGIN} ... {END} block")
        README.write_text(re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _m: f"{BEGIN}\n{header}{text}{END}",
                                 readme, flags=re.S))


if __name__ == "__main__":
    main()
