"""Paper at scale: seed sheets of 1,000 and 10,000 accounts, and a full restore of the 1,000 one.

For each size: a seed store of N accounts (X25519, half with a recorded device), then
``rootkeeper paper seeds -o FILE`` as a user runs it (a whole process, byte-compiled first):
pages (pdfinfo), file size, seconds, peak memory. Then ``paper restore`` of the first size's
sheet into a new store, beside the independent pipeline a person could run instead to read the
same codes (``pdftoppm -r 150`` then ``zbarimg`` on every page), on the same file in the same run.

    python benchmarks/bench_paper.py --accounts 1000 10000 --restore 1000
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
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))

from _workdir import ENV, new_workdir, rk_measured  # noqa: E402


def rk(*args, cwd: Path) -> tuple[float, int]:
    seconds, peak, _out = rk_measured(*args, cwd=cwd)
    return seconds, peak


def store(work: Path, identity, n: int) -> list[str]:
    ids = [f"{100000000000 + i * 7919:012d}" for i in range(n)]
    lines = ["Account #,Account Name,Account Email,MFA Seed,Device ARN"]
    for i, account in enumerate(ids):
        device = f"arn:aws:iam::{account}:mfa/rootkeeper-2026-11-28" if i % 2 else ""
        seed = base64.b32encode(os.urandom(40)).decode()
        lines.append(f"{account},acct-{i:05d},security+acct-{i:05d}@example.com,{seed},{device}")
    (work / "seeds.csv").write_text("\n".join(lines) + "\n")
    subprocess.run([sys.executable, "-m", "rootkeeper", "init", "--vault", "v/vault.kdbx", "--seeds", "s/seeds.age",
                    "--seeds-recipient", str(identity.to_public()), "--kdf-memory-mib", "8", "--kdf-iterations", "2",
                    "--vault-password-file", work / "pw"], cwd=work, env=ENV, check=True, capture_output=True)
    rk("seeds", "import", "seeds.csv", "--seeds-identity", work / "id.agekey", cwd=work)
    (work / "seeds.csv").unlink()
    return ids


def pages_of(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, check=True).stdout.decode()
    return int(re.search(r"Pages:\s+([0-9]+)", info).group(1))


def anchor(pdf: Path) -> tuple[float, int]:
    """pdftoppm -r 150 then zbarimg over every page: seconds and codes read."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(["pdftoppm", "-r", "150", "-png", pdf, f"{tmp}/p"], check=True)
        pages = sorted(Path(tmp).glob("p-*.png"))
        done = subprocess.run(["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", *pages], capture_output=True)
        seconds = time.perf_counter() - start
    return seconds, sum(1 for line in done.stdout.decode().splitlines() if line.startswith("otpauth://"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--restore", type=int, default=1_000, help="restore the sheet of this size (0: none)")
    opts = parser.parse_args()
    for tool in ("pdfinfo", "pdftoppm", "zbarimg"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run make tools")
    compileall.compile_dir(str(SRC), quiet=1)  # as an installed wheel would be
    sheets = {}
    print("| accounts | pages | PDF size | `paper seeds` | per account | peak memory |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in opts.accounts:
        work, identity = new_workdir(f"rk-paper-{n}-")
        store(work, identity, n)
        pdf = work / "sheet.pdf"
        seconds, peak = rk("paper", "seeds", "-o", pdf, "--seeds-identity", work / "id.agekey", cwd=work)
        sheets[n] = (work, pdf)
        print(f"| {n:,} | {pages_of(pdf):,} | {pdf.stat().st_size / 1e6:.1f} MB | {seconds:.1f} s | "
              f"{seconds / n * 1000:.1f} ms | {peak / 1024:.0f} MiB |", flush=True)
    if opts.restore:
        work, pdf = sheets[opts.restore]
        seconds, peak = rk("paper", "restore", pdf, "--into", work / "s" / "restored.age",
                           "--seeds-identity", work / "id.agekey", cwd=work)
        read_by_hand, codes = anchor(pdf)
        print()
        print("| restore of the sheet | accounts | seconds | peak memory | pdftoppm -r 150 + zbarimg (codes read) | ratio |")
        print("|---|---:|---:|---:|---:|---:|")
        print(f"| `paper restore` (200 dpi, checked, new store written) | {opts.restore:,} | {seconds:.1f} s | "
              f"{peak / 1024:.0f} MiB | {read_by_hand:.1f} s ({codes:,}) | {seconds / read_by_hand:.2f}x |")
    for work, _pdf in sheets.values():
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
