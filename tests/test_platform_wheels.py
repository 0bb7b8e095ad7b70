"""Every locked dependency installs as a wheel on the systems the README promises: Windows (x86-64), macOS
(Apple silicon and Intel), Linux. Resolved by pip itself for each platform (``--only-binary=:all:
--platform ...``, a dry run that reads only the packages' metadata), against the hashed lock file a user
installs from. Found this way: argon2-cffi-bindings 26.x has no macOS x86-64 wheel (pinned below 26).
Needs the package index (PyPI), as `make setup` does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements" / "runtime.lock"
# Each system, as the wheel tags its pip accepts (pip takes several; a Linux with glibc 2.28 takes the older
# manylinux tags too).
PLATFORMS = {"windows x86-64": ("win_amd64",), "macOS arm64": ("macosx_14_0_arm64",),
             "macOS x86-64": ("macosx_13_0_x86_64",),
             "linux x86-64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")}


def test_every_locked_dependency_has_a_wheel_for_windows_macos_and_linux(tmp_path):
    runs = {}
    for number, (platform, tags) in enumerate(PLATFORMS.items()):
        report = tmp_path / f"{number}.json"
        runs[platform] = (report, subprocess.Popen(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--dry-run",
             "--ignore-installed", "--no-deps", "--only-binary=:all:", *(f"--platform={t}" for t in tags),
             "--python-version", "3.11", "--implementation", "cp", "--target", str(tmp_path / str(number)),
             "--require-hashes", "-r", str(LOCK), "--report", str(report)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    locked = sum(1 for line in LOCK.read_text().splitlines() if "==" in line and not line.startswith(" "))
    for platform, (report, proc) in runs.items():
        _out, err = proc.communicate(timeout=600)
        errors = [line for line in err.splitlines() if line.startswith("ERROR")]
        assert proc.returncode == 0, f"{platform}: {errors or err[-2000:]}"
        installed = json.loads(report.read_text())["install"]
        assert len(installed) == locked, (platform, len(installed), locked)
        assert all(item["download_info"]["url"].endswith(".whl") for item in installed), platform
