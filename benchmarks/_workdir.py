"""The benchmarks' scratch directory: vault and seed-store folders, a master password file, an age identity."""

from __future__ import annotations

import tempfile
from pathlib import Path

MASTER = "benchmark master password, realistic KDF"


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
