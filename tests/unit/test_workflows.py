"""The CI workflow shipped for the other systems (it cannot run here): valid YAML, the four systems, installed
from the hashed lock files, and every test path it names exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_platform_workflow_runs_the_portable_suite_on_windows_macos_and_linux():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "platforms.yml").read_text())
    job = workflow["jobs"]["portable"]
    assert set(job["strategy"]["matrix"]["os"]) == {"windows-latest", "macos-14", "macos-13", "ubuntu-latest"}
    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert "--require-hashes" in script and "requirements/test.lock" in script and "pip check" in script
    for path in re.findall(r"\btests/[\w/.]+", script):
        assert (ROOT / path).exists(), path
    assert all("uses" in step or "run" in step for step in job["steps"])
