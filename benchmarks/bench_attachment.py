"""``password`` on a vault holding one large attachment, beside ``keepassxc-cli show`` on the same file.

The hand-written reader this project had concatenated the inner header quadratically: a 60 MB attachment
made ``password`` take 15.5 s (keepassxc-cli 0.48 s). pykeepass reads the inner header in one pass; this
measures it, min of --runs paired runs, whole processes, byte-compiled first.

    python benchmarks/bench_attachment.py              # a 60 MiB attachment
    python benchmarks/bench_attachment.py --mib 120
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(HERE))

from _workdir import ENV, MASTER, WRAP, new_workdir  # noqa: E402


def measured(argv: list, *, cwd: Path, stdin: bytes = b"") -> tuple[float, int]:
    done = subprocess.run([sys.executable, "-c", WRAP, *map(str, argv)], cwd=cwd, input=stdin, capture_output=True,
                          env=ENV)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, argv))} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    seconds, peak = done.stderr.decode().strip().splitlines()[-1].split()
    return float(seconds), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    compileall.compile_dir(str(SRC), quiet=1)
    work, identity = new_workdir("rk-attachment-")
    rk = [sys.executable, "-m", "rootkeeper"]
    subprocess.run([*rk, "init", "--vault", "v/vault.kdbx", "--seeds", "s/seeds.age", "--seeds-recipient",
                    str(identity.to_public()), "--kdf-memory-mib", "64", "--kdf-iterations", "3",
                    "--kdf-parallelism", "2", "--vault-password-file", "pw"], cwd=work, env=ENV, check=True,
                   capture_output=True)
    creds = ["--vault-password-file", "pw", "--seeds-identity", "id.agekey"]
    subprocess.run([*rk, "enroll", "123456789012", "--name", "prod", "--step", "password", *creds], cwd=work, env=ENV,
                   check=True, capture_output=True)
    blob = work / "blob.bin"
    blob.write_bytes(os.urandom(opts.mib * 1024 * 1024))
    for args in (["add", "-q", "-u", "x", "v/vault.kdbx", "holder"],
                 ["attachment-import", "-q", "v/vault.kdbx", "holder", "blob", str(blob)]):
        subprocess.run(["keepassxc-cli", *args], cwd=work, env=ENV, input=f"{MASTER}\n".encode(), check=True,
                       capture_output=True)
    ours = anchor = None
    for _ in range(opts.runs):
        a = measured([*rk, "password", "prod", "--show", "--reason", "bench", *creds], cwd=work)
        b = measured(["keepassxc-cli", "show", "-q", "-s", "-a", "Password", "v/vault.kdbx", "AWS root users/prod"],
                     cwd=work, stdin=f"{MASTER}\n".encode())
        ours = a if ours is None else (min(ours[0], a[0]), max(ours[1], a[1]))
        anchor = b if anchor is None else (min(anchor[0], b[0]), max(anchor[1], b[1]))
    print(f"vault of {(work / 'v' / 'vault.kdbx').stat().st_size / 1048576:.1f} MiB ({opts.mib} MiB attachment), "
          f"min of {opts.runs}: password --show {ours[0]:.3f} s ({ours[1] // 1024} MiB), keepassxc-cli show "
          f"{anchor[0]:.3f} s ({anchor[1] // 1024} MiB): ratio {ours[0] / anchor[0]:.2f}x")


if __name__ == "__main__":
    main()
