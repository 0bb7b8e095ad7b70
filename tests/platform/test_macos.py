"""On macOS itself (.github/workflows/platforms.yml; never collected elsewhere, see conftest.py): FAT and exFAT
images made with hdiutil, as a USB stick would be, carry a copy that verifies and drills, with the metadata
macOS writes there left alone, and locks that the system releases."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rootkeeper.storage import fsutil


@pytest.fixture(params=["MS-DOS FAT32", "ExFAT"])
def stick(request, tmp_path):
    image = tmp_path / "stick.dmg"
    subprocess.run(["hdiutil", "create", "-size", "64m", "-fs", request.param, "-volname", "RKTEST", str(image)],
                   check=True, capture_output=True)
    attached = subprocess.run(["hdiutil", "attach", "-nobrowse", str(image)], check=True, capture_output=True,
                              text=True).stdout
    mount = Path(attached.strip().splitlines()[-1].split("\t")[-1].strip())
    try:
        yield mount
    finally:
        subprocess.run(["hdiutil", "detach", str(mount), "-force"], capture_output=True)


def test_a_copy_on_a_fat_or_exfat_stick_verifies_and_its_locks_hold(home, stick):
    from conftest import random_seed

    home.rk("enroll", "000000000001", "--name", "a", "--seed-file", "-", input=random_seed(), check=True)
    home.rk("media", "write", "seeds", stick, check=True)
    (stick / ".DS_Store").write_bytes(b"\0" * 64)  # what Finder writes
    (stick / "._mfa.csv.age").write_bytes(b"\0" * 64)
    verified = home.rk("media", "verify", stick)
    assert verified.returncode == 0, verified.err
    target = stick / "store.age"
    target.write_bytes(b"x")
    with fsutil.file_lock(target, wait=0.5):
        fsutil.atomic_write(target, b"y")
    assert target.read_bytes() == b"y"
