"""The audit's verdict rule, case by case, as the README's verdict table states it (no AWS)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rootkeeper.errors import CheckFailed, InputError
from rootkeeper.org import audit
from rootkeeper.org.accounts import OrgAccount
from rootkeeper.org.audit import AuditRow, RootFacts, verdict

OURS = "arn:aws:iam::111122223333:mfa/root-mfa"
THEIRS = "arn:aws:iam::111122223333:mfa/someone-elses"


def facts(password=False, mfa=(), mfa_enabled=None, keys=False, certs=False) -> RootFacts:
    return RootFacts(password=password, mfa_enabled=bool(mfa) if mfa_enabled is None else mfa_enabled, mfa=list(mfa),
                     access_keys_present=keys, certificates_present=certs)


CASES = [
    # (what AWS says, in the vault, seed's device ARN or None) -> verdict, every finding
    (facts(), False, None, "ROOTLESS", []),
    (facts(), True, OURS, "ROOTLESS", []),  # custody of a rootless account is reconcile's business, not a finding
    (facts(password=True, mfa=[OURS]), True, OURS, "CUSTODIED", []),
    (facts(mfa=[OURS]), True, OURS, "CUSTODIED", []),  # MFA kept, password reset by e-mail when needed
    (facts(password=True), True, None, "NO_MFA", ["NO_MFA"]),
    (facts(password=True), False, None, "NO_MFA", ["NO_MFA", "NOT_IN_VAULT"]),
    (facts(keys=True), False, None, "ROOT_ACCESS_KEYS", ["ROOT_ACCESS_KEYS"]),
    (facts(certs=True), False, None, "ROOT_ACCESS_KEYS", ["ROOT_ACCESS_KEYS"]),
    (facts(password=True, mfa=[OURS], keys=True), True, OURS, "ROOT_ACCESS_KEYS", ["ROOT_ACCESS_KEYS"]),
    (facts(password=True, keys=True), False, None, "ROOT_ACCESS_KEYS", ["ROOT_ACCESS_KEYS", "NO_MFA", "NOT_IN_VAULT"]),
    (facts(password=True, mfa=[OURS]), False, OURS, "NOT_IN_VAULT", ["NOT_IN_VAULT"]),
    (facts(password=True, mfa=[THEIRS]), True, None, "SEED_MISSING", ["SEED_MISSING"]),
    (facts(mfa=[THEIRS]), False, None, "NOT_IN_VAULT", ["NOT_IN_VAULT", "SEED_MISSING"]),
    # The seed's device and a foreign one beside it: the seed is fine, someone else can pass root's MFA too.
    (facts(password=True, mfa=[OURS, THEIRS]), True, OURS, "DEVICE_UNKNOWN", ["DEVICE_UNKNOWN"]),
    (facts(password=True, mfa=[THEIRS]), True, OURS, "SEED_MISMATCH", ["SEED_MISMATCH", "DEVICE_UNKNOWN"]),
    # Through a role a hardware key shows as MFA with no serial: not provably ours.
    (facts(password=True, mfa_enabled=True), True, OURS, "SEED_MISMATCH", ["SEED_MISMATCH"]),
    # Item 15: a seed kept without its device ARN, one device in AWS: not a mismatch, nothing to remove.
    (facts(password=True, mfa=[OURS]), True, "", "DEVICE_UNRECORDED", ["DEVICE_UNRECORDED"]),
    (facts(mfa=[OURS]), True, "", "DEVICE_UNRECORDED", ["DEVICE_UNRECORDED"]),
    (facts(password=True, mfa=[OURS, THEIRS]), True, "", "SEED_MISMATCH", ["SEED_MISMATCH"]),
    # Item 16: a fact AWS did not give is unknown, never absent: no ROOTLESS, no CUSTODIED.
    (facts(password=None), True, None, "INCOMPLETE", ["INCOMPLETE"]),
    (facts(password=None, mfa=[OURS]), True, OURS, "INCOMPLETE", ["INCOMPLETE"]),
    (facts(password=None, keys=True), True, None, "ROOT_ACCESS_KEYS", ["ROOT_ACCESS_KEYS", "INCOMPLETE"]),
    (RootFacts(password=False, mfa_enabled=False, access_keys_present=None, certificates_present=False), True, None,
     "INCOMPLETE", ["INCOMPLETE"]),
]


@pytest.mark.parametrize(("aws", "in_vault", "device", "expected", "findings"), CASES)
def test_verdict_table(aws, in_vault, device, expected, findings):
    assert verdict(aws, in_vault, device, True) == (expected, findings)  # a seed proven by a recorded sign-in


@pytest.mark.parametrize(("aws", "device", "expected", "findings"), [
    (facts(password=True, mfa=[OURS]), OURS, "SEED_UNPROVEN", ["SEED_UNPROVEN"]),
    (facts(mfa=[OURS]), OURS, "SEED_UNPROVEN", ["SEED_UNPROVEN"]),
    (facts(password=True, mfa=[OURS]), "", "DEVICE_UNRECORDED", ["DEVICE_UNRECORDED", "SEED_UNPROVEN"]),
    (facts(password=True, mfa=[THEIRS]), OURS, "SEED_MISMATCH", ["SEED_MISMATCH", "DEVICE_UNKNOWN"]),  # says more
    (facts(password=True, mfa=[THEIRS]), None, "SEED_MISSING", ["SEED_MISSING"]),
    (facts(), OURS, "ROOTLESS", []),  # nothing to sign in to
])
def test_a_seed_never_proven_by_a_sign_in_is_never_custodied(aws, device, expected, findings):
    assert verdict(aws, True, device, False) == (expected, findings)


def row(v: str) -> AuditRow:
    """A row of an active member; audited (it has facts) unless the verdict says it was not."""
    reached = v not in ("UNREACHABLE", "NOT_ACTIVE")
    return AuditRow(OrgAccount("111122223333", "a", "a@example.com", "ACTIVE" if v != "NOT_ACTIVE" else "SUSPENDED"), v,
                    facts=RootFacts() if reached else None)


def test_only_rootless_and_custodied_pass():
    audit.outcome([row("ROOTLESS"), row("CUSTODIED")])
    for bad in set(audit.VERDICTS) - audit.GOOD:
        with pytest.raises(CheckFailed) as caught:
            audit.outcome([row("CUSTODIED"), row(bad)])
        assert caught.value.exit_code == 1 and "1 of 2" in caught.value.message


def test_summary_counts_in_the_documented_order():
    rows = [row("NO_MFA"), row("ROOTLESS"), row("NO_MFA"), row("UNREACHABLE")]
    assert list(audit.summary(rows).items()) == [("ROOTLESS", 1), ("NO_MFA", 2), ("UNREACHABLE", 1)]


def test_unreachable_row_says_unknown_not_absent():
    data = AuditRow(OrgAccount("111122223333", "a", "a@example.com", "ACTIVE"), "UNREACHABLE", error="AccessDenied").as_dict()
    assert data["password"] is None and data["mfa"] is None and data["access_keys"] is None
    assert set(data) == set(audit.FIELDS)


@pytest.mark.parametrize(("via", "concurrency"), [("assume", 16), ("role:", 16), ("assume-root", 0), ("assume-root", 257)])
def test_bad_options_refused(via, concurrency):
    with pytest.raises(InputError):
        audit.check_options(via, concurrency)


def test_readme_documents_every_verdict():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    documented = re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M)
    assert sorted(documented) == sorted(audit.VERDICTS)
    assert set(audit.EXPLAIN) == set(audit.VERDICTS)
