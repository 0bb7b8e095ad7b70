"""Resources: a store, plan or scan larger than its stated maximum is refused before a byte of it is read
(a sparse file of hundreds of MiB costs nothing to make and would cost that much memory to read), with one
clear error; every lock wait is bounded (``test_concurrency``), every AWS call too (``test_org_verdicts_under_faults``)."""

from __future__ import annotations

from conftest import assert_clean_failure, snapshot


def sparse(path, size: int) -> None:
    with open(path, "wb") as handle:
        handle.truncate(size)


def test_oversized_files_are_refused_before_they_are_read(home):
    before = snapshot(home.root)
    vault_bytes = home.vault.read_bytes()
    sparse(home.vault, 300 * 1024 * 1024)
    assert_clean_failure(home.rk("password", "prod", "--reason", "r", "--show"), 2, "larger than 256 MiB")
    home.vault.write_bytes(vault_bytes)
    seeds_bytes = home.seeds.read_bytes()
    sparse(home.seeds, 300 * 1024 * 1024)
    assert_clean_failure(home.rk("code", "prod", "--reason", "r"), 2, "larger than 256 MiB")
    home.seeds.write_bytes(seeds_bytes)
    plan = home.root / "plan.toml"
    sparse(plan, 5 * 1024 * 1024)
    assert_clean_failure(home.rk("custody", "check", plan), 2, "larger than 4 MiB")
    scan = home.root / "scan.png"
    sparse(scan, 300 * 1024 * 1024)
    assert_clean_failure(home.rk("paper", "restore", scan), 2, "larger than 256 MiB")
    plan.unlink()
    scan.unlink()
    assert snapshot(home.root) == before
