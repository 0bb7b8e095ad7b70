"""``org reconcile``'s rule: the organization against custody, every finding kind (no AWS, no files)."""

from __future__ import annotations

import shlex

from rootkeeper.org.accounts import OrgAccount
from rootkeeper.org.reconcile import KINDS, reconcile
from rootkeeper.stores.seeds import SeedRow
from rootkeeper.stores.vault import VaultEntry
from rootkeeper.workflows.listing import CustodyIndex


def org(account_id: str, name: str, status: str = "ACTIVE", email: str | None = None) -> OrgAccount:
    return OrgAccount(account_id, name, email or f"aws+{name}@example.com", status)


def custody(entries=(), seeds=()) -> CustodyIndex:
    entry_map = {e.account_id: e for e in entries}
    seed_map = {s.account_id: s for s in seeds}
    return CustodyIndex(None, None, entry_map, [], seed_map, list(seeds))


def entry(account_id: str, name: str, email: str | None = None) -> VaultEntry:
    return VaultEntry(account_id, name, email or f"aws+{name}@example.com", False, None)


def seed(account_id: str, name: str, email: str | None = None) -> SeedRow:
    return SeedRow(account_id, name, email or f"aws+{name}@example.com", "A" * 32)


def kinds(findings) -> list[tuple[str, str]]:
    return [(f.kind, f.account_id) for f in findings]


def test_fully_custodied_and_rootless_by_record_are_clean():
    accounts = [org("111111111111", "prod"), org("222222222222", "sandbox")]
    held = custody([entry("111111111111", "prod")], [seed("111111111111", "prod")])
    assert reconcile(accounts, held, rootless={"222222222222"}) == []


def test_not_enrolled_gives_an_enroll_line_a_shell_reads_back():
    name, email = "team's app & co", "aws+odd@example.com"
    management = OrgAccount("333333333333", name, email, "ACTIVE", management=True)
    (finding,) = reconcile([management], custody(), rootless=set())
    assert finding.kind == "not-enrolled"
    assert shlex.split(finding.fix) == ["rootkeeper", "enroll", "333333333333", "--name", name, "--email", email]


def test_a_member_not_enrolled_is_pointed_at_the_rootless_record_first():
    """Organizations creates members without root credentials: the fix is their rootless record (delete-root
    finding nothing, shown by its dry run first), and enrolling is the alternative, a line a shell reads back."""
    name, email = "team's app & co", "aws+odd@example.com"
    (finding,) = reconcile([org("333333333333", name, email=email)], custody(), rootless=set())
    assert finding.kind == "not-enrolled"
    assert shlex.split(finding.fix) == ["rootkeeper", "org", "delete-root", "333333333333", "--dry-run"]
    enroll = finding.detail.rsplit("to keep a root user instead: ", 1)[1]
    assert shlex.split(enroll) == ["rootkeeper", "enroll", "333333333333", "--name", name, "--email", email]


def test_one_store_missing():
    accounts = [org("111111111111", "a"), org("222222222222", "b")]
    held = custody([entry("111111111111", "a")], [seed("222222222222", "b")])
    findings = reconcile(accounts, held, set())
    assert kinds(findings) == [("no-seed", "111111111111"), ("no-password", "222222222222")]
    assert findings[0].fix == "rootkeeper enroll 111111111111 --step mfa"
    assert shlex.split(findings[1].fix)[-2:] == ["--step", "password"]


def test_rootless_by_record_does_not_hide_half_custody():
    held = custody([entry("111111111111", "a")], [])
    assert kinds(reconcile([org("111111111111", "a")], held, {"111111111111"})) == [("no-seed", "111111111111")]


def test_drift_in_either_store_and_case_of_email_ignored():
    account = org("111111111111", "prod", email="Aws+Prod@Example.com")
    held = custody([entry("111111111111", "prod-old", "aws+prod@example.com")],
                   [seed("111111111111", "prod", "other@example.com")])
    findings = reconcile([account], held, set())
    assert kinds(findings) == [("name-drift", "111111111111"), ("email-drift", "111111111111")]
    assert "the vault says 'prod-old'" in findings[0].detail and "the seed store" in findings[1].detail


def test_gone_and_closed_accounts_with_custody():
    accounts = [org("111111111111", "closed", "CLOSED"), org("444444444444", "leaving", "PENDING_CLOSURE")]
    held = custody([entry("111111111111", "closed"), entry("222222222222", "gone")], [seed("333333333333", "seed-only")])
    findings = reconcile(accounts, held, set())
    assert kinds(findings) == [("closed", "111111111111"), ("gone", "222222222222"), ("gone", "333333333333")]
    assert all(f.fix == f"rootkeeper retire {f.account_id}" for f in findings)
    assert "CLOSED" in findings[0].detail


def test_inactive_account_without_custody_is_not_a_finding():
    assert reconcile([org("111111111111", "x", "SUSPENDED")], custody(), set()) == []


def test_every_kind_is_declared():
    accounts = [org("100000000001", "n"), org("100000000002", "p"), org("100000000003", "s", email="s@x.example"),
                org("100000000004", "c", "CLOSED"), org("100000000007", "s", "SUSPENDED"), org("100000000008", "u", None)]
    held = custody([entry("100000000002", "p-renamed"), entry("100000000004", "c"), entry("100000000005", "gone"),
                    entry("100000000007", "s"), entry("100000000008", "u")],
                   [seed("100000000003", "s")])
    held.retired.append(VaultEntry("100000000006", "half", "aws+half@example.com", True, None))
    held.seeds["100000000006"] = seed("100000000006", "half")
    accounts.append(org("100000000006", "half"))
    assert {f.kind for f in reconcile(accounts, held, set())} | {"journal-unverified"} == set(KINDS)


def test_an_unverified_journal_counts_for_nothing_and_is_a_finding():
    accounts = [org("100000000001", "deleted-by-record")]
    assert reconcile(accounts, custody(), {"100000000001"}) == []
    findings = reconcile(accounts, custody(), None)
    assert kinds(findings) == [("journal-unverified", ""), ("not-enrolled", "100000000001")]


def test_a_half_retired_account_is_its_own_finding_with_retire_as_the_fix():
    held = custody([], [seed("111111111111", "a")])
    held.retired.append(VaultEntry("111111111111", "a", "aws+a@example.com", True, None))
    (finding,) = reconcile([org("111111111111", "a")], held, set())
    assert (finding.kind, finding.fix) == ("half-retired", "rootkeeper retire 111111111111")
