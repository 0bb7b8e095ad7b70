"""The benchmarks' scratch directory (vault and seed-store folders, a master password file, an age identity) and timing."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MASTER = "benchmark master password, realistic KDF"


def best(fn, runs: int = 5) -> float:
    """The shortest of ``runs`` timings of ``fn()``, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def new_workdir(prefix: str):
    """(directory, age identity): v/ and s/ for the stores, pw and id.agekey beside them."""
    import pyrage

    work = Path(tempfile.mkdtemp(prefix=prefix))
    (work / "v").mkdir()
    (work / "s").mkdir()
    (work / "pw").write_text(MASTER + "\n")
    identity = pyrage.x25519.Identity.generate()
    (work / "id.agekey").write_text(f"{identity}\n")
    return work, identity


def commit(work: Path, *stores) -> None:
    """Write what the library changed in this process the one way rootkeeper writes (``Workspace.commit``:
    under the locks, checked against what was read, journaled), with the configuration in ``work``."""
    from rootkeeper.storage.settings import of_config
    from rootkeeper.workspace import Credentials, Workspace

    ws = Workspace(of_config(work / "rootkeeper.toml"), Credentials(lambda: MASTER, lambda: "", lambda: []))
    ws.commit(list(stores), {"event": "benchmark.fixture", "stores": len(stores)})


ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
_PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")


def rk_measured(*args, cwd: Path, ok=(0,)) -> tuple[float, int, str]:
    """Seconds, peak memory (KiB) and stdout of one whole rootkeeper process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PEAK, sys.executable, "-m", "rootkeeper", *map(str, args)], cwd=cwd,
                          capture_output=True, env=ENV)
    seconds = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"rootkeeper {' '.join(map(str, args))} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return seconds, int(done.stderr.decode().strip().splitlines()[-1]), done.stdout.decode()


# Runs argv[1:], then prints its wall time and peak memory (KiB, the largest process) on stderr's last line.
# Measure through it: a child forked straight from a large process counts that process's peak as its own.
WRAP = ("import os, resource, subprocess, sys, time; t = time.perf_counter(); r = subprocess.run(sys.argv[1:]); "
        "t = time.perf_counter() - t; "
        "print(t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")
