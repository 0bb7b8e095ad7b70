"""Concurrent use: two processes enrolling different accounts at the same moment both succeed, the second
waiting on the lock; over many repetitions nothing is lost (keepassxc-cli and the age CLI count). A writer
that waits longer than ``ROOTKEEPER_LOCK_WAIT`` stops with a clear message and changes nothing.

``ROOTKEEPER_CONCURRENT_RUNS`` sets the repetitions (default 8 in CI).
"""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import assert_clean_failure, base_env, lock_held, random_seed, snapshot

RUNS = int(os.environ.get("ROOTKEEPER_CONCURRENT_RUNS", "8"))


def start(home, *args, stdin: str, env: dict) -> subprocess.Popen:
    """Start a command and hand it its standard input at once, so that both run together."""
    proc = subprocess.Popen([sys.executable, "-m", "rootkeeper", *map(str, args), *map(str, home.creds())],
                            cwd=home.root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True)
    proc.stdin.write(stdin)
    proc.stdin.close()
    return proc


def test_two_enrollments_at_the_same_moment_both_succeed_and_nothing_is_lost(home):
    env = {**base_env(), "ROOTKEEPER_LOCK_WAIT": "60"}
    expected = []
    for run in range(RUNS):
        pair = [(f"{500000000000 + run * 2 + k:012d}", f"team-{run}-{k}") for k in (0, 1)]
        procs = [start(home, "enroll", account, "--name", name, "--seed-file", "-", stdin=random_seed(), env=env)
                 for account, name in pair]
        for proc, (account, _name) in zip(procs, pair, strict=True):
            proc.wait(timeout=120)
            assert proc.returncode == 0, (account, proc.stderr.read())
            proc.stdout.close()
            proc.stderr.close()
        expected += pair
    listing = home.kpcli("ls", home.vault, "AWS root users")
    assert all(name in listing for _account, name in expected)
    plain = home.age_decrypt()
    assert all(account in plain for account, _name in expected)
    assert home.rk("journal", "verify").returncode == 0


def test_a_writer_that_waits_too_long_stops_with_a_clear_message_and_changes_nothing(home):
    with lock_held(home.seeds) as holder:  # a live rootkeeper holds the store
        before = snapshot(home.root)
        env = {**base_env(), "ROOTKEEPER_LOCK_WAIT": "0.5"}
        result = home.rk("enroll", "123456789012", "--name", "prod", "--seed-file", "-", input=random_seed(), env=env)
        assert_clean_failure(result, 2, "locked by another rootkeeper")
        assert f"pid {holder.pid}" in result.err
        assert snapshot(home.root) == before
    # its holder gone (killed), its lock went with it: the next writer goes ahead
    home.rk("enroll", "123456789012", "--name", "prod", "--seed-file", "-", input=random_seed(), check=True)
