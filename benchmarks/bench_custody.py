"""Custody at scale: ``custody check`` on a generated plan of 50 sites, 500 media and 100 custodians,
and ``drill`` over 4 copies (two media of the vault, two of the seed store) of 10,000 accounts.

Whole processes, byte-compiled first; the vault at realistic Argon2id settings (256 MiB x 8, 2
lanes), so each vault copy costs one key derivation. Beside the drill: the same copies checked the
way a person could without rootkeeper (``sha256sum`` of each file against the other copy, and
``keepassxc-cli ls`` + ``age -d`` of each), in the same run.

    python benchmarks/bench_custody.py [--accounts 10000]
"""

from __future__ import annotations

import argparse
import base64
import compileall
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))

from _workdir import ENV, MASTER, commit, new_workdir  # noqa: E402
from _workdir import rk_measured as rk  # noqa: E402


def big_plan(sites: int = 50, media: int = 500, custodians: int = 100) -> str:
    """Each site: a password place and a seed place, both off-site but the first; 5 media a site on average
    (USB and paper, alternating sides); custodians reach one side of two sites each."""
    out = ['version = 1', '[stores]', 'seeds_key = "passphrase"', '[policy]',
           'min_copies = { vault = 2, seeds = 2 }', 'offsite_required = true', 'two_person_rule = true',
           'keep_sites_apart = false']
    for s in range(sites):
        out += ['[[site]]', f'name = "site-{s}"']
        for side in ("a", "b"):
            out += ['[[place]]', f'name = "place-{s}-{side}"', f'site = "site-{s}"', f'offsite = {"true" if s else "false"}']
    for m in range(media):
        s, side = m % sites, "a" if (m // sites) % 2 == 0 else "b"
        kind = "usb" if m % 3 else "paper"
        carries = (["vault"] if kind == "usb" else ["emergency-sheet"]) if side == "a" else \
            (["seeds"] if kind == "usb" else ["seed-sheet"])
        out += ['[[medium]]', f'name = "medium-{m}"', f'kind = "{kind}"', f'place = "place-{s}-{side}"',
                f'carries = {carries!r}'.replace("'", '"')]
    for c in range(custodians):
        side = "a" if c % 2 == 0 else "b"
        reaches = [f"place-{c % sites}-{side}", f"place-{(c + 7) % sites}-{side}"]
        knows = ["vault-password"] if side == "a" else ["seeds-passphrase"]
        out += ['[[custodian]]', f'name = "custodian-{c}"', f'reaches = {reaches!r}'.replace("'", '"'),
                f'knows = {knows!r}'.replace("'", '"')]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--kdf-memory-mib", type=int, default=256)
    parser.add_argument("--kdf-iterations", type=int, default=8)
    opts = parser.parse_args()
    for tool in ("keepassxc-cli", "age", "sha256sum"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run make tools")
    compileall.compile_dir(str(SRC), quiet=1)
    work, identity = new_workdir("rk-custody-")

    (work / "plan.toml").write_text(big_plan())
    seconds, peak, out = rk("custody", "check", "plan.toml", "--json", cwd=work, ok=(0, 1))
    findings = out.count('"rule":')
    print("| job | size | seconds | peak memory | result |")
    print("|---|---|---:|---:|---|")
    print(f"| `custody check --json` | 50 sites, 100 places, 500 media, 100 custodians | {seconds:.2f} s | "
          f"{peak / 1024:.0f} MiB | {findings} findings |", flush=True)

    from rootkeeper.rules.accounts import Account
    from rootkeeper.stores.vault import Vault

    n = opts.accounts
    ids = [f"{100000000000 + i * 7919:012d}" for i in range(n)]
    lines = ["Account #,Account Name,Account Email,MFA Seed"]
    lines += [f"{a},acct-{i:05d},security+acct-{i:05d}@example.com,{base64.b32encode(os.urandom(40)).decode()}"
              for i, a in enumerate(ids)]
    (work / "seeds.csv").write_text("\n".join(lines) + "\n")
    creds = ["--vault-password-file", work / "pw", "--seeds-identity", work / "id.agekey"]
    subprocess.run([sys.executable, "-m", "rootkeeper", "init", "--vault", "v/vault.kdbx", "--seeds", "s/seeds.age",
                    "--seeds-recipient", str(identity.to_public()), "--kdf-memory-mib", str(opts.kdf_memory_mib),
                    "--kdf-iterations", str(opts.kdf_iterations), "--kdf-parallelism", "2",
                    "--vault-password-file", work / "pw"], cwd=work, env=ENV, check=True, capture_output=True)
    vault = Vault.open(work / "v" / "vault.kdbx", MASTER)
    for i, a in enumerate(ids):  # the library's add, as enroll uses it
        vault.add(Account(a, f"acct-{i:05d}", f"security+acct-{i:05d}@example.com"), base64.b32encode(os.urandom(18)).decode())
    commit(work, vault)
    rk("seeds", "import", "seeds.csv", *creds, cwd=work)
    media = []
    for name, artefact in (("usb-v1", "vault"), ("usb-v2", "vault"), ("usb-s1", "seeds"), ("usb-s2", "seeds")):
        (work / name).mkdir()
        rk("media", "write", artefact, work / name, *creds, cwd=work)
        media.append(name)
    (work / "reports").mkdir()
    copies = [arg for m in media for arg in ("--copy", f"{m}={work / m}")]
    seconds, peak, out = rk("drill", *copies, "--report", work / "reports", *creds, cwd=work)
    assert out.count("ok ") == 4, out

    start = time.perf_counter()  # by hand: hashes of the copies, then open each
    subprocess.run(["sha256sum", work / "usb-v1" / "vault.kdbx", work / "usb-v2" / "vault.kdbx",
                    work / "usb-s1" / "seeds.age", work / "usb-s2" / "seeds.age"], check=True, capture_output=True)
    for m in ("usb-v1", "usb-v2"):
        subprocess.run(["keepassxc-cli", "ls", "-q", work / m / "vault.kdbx", "AWS root users"], input=(MASTER + "\n").encode(),
                       check=True, capture_output=True, env=ENV)
    for m in ("usb-s1", "usb-s2"):
        subprocess.run(["age", "-d", "-i", work / "id.agekey", work / m / "seeds.age"], check=True, capture_output=True)
    by_hand = time.perf_counter() - start
    print(f"| `drill` over 4 copies (2 vault, 2 seed store), manifests verified, entries and codes compared | "
          f"{n:,} accounts | {seconds:.2f} s | {peak / 1024:.0f} MiB | by hand (sha256sum, keepassxc-cli ls x2, "
          f"age -d x2, nothing compared): {by_hand:.2f} s, ratio {seconds / by_hand:.2f}x |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
