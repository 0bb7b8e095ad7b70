"""The pure mapping from each command's report to findings (findings/results.py): statuses, controls, and
that nothing the report holds is dropped or turned into a pass."""

from __future__ import annotations

from rootkeeper.findings.results import CHECKS, audit_status, from_audit, from_custody_check, from_drill, from_root_use


def row(account, verdict, **facts):
    base = {"account_id": account, "account_name": f"n{account}", "verdict": verdict, "message": None,
            "findings": [], "password": True, "mfa_enabled": True, "mfa_devices": [], "access_keys": [],
            "state": "ACTIVE"}
    return {**base, **facts}


def by(results):
    return {(r.resource_id, r.check): r for r in results}


def test_the_verdicts_map_to_the_statuses_the_issue_names():
    assert {v: audit_status(v) for v in ("ROOTLESS", "CUSTODIED", "INCOMPLETE", "UNREACHABLE", "NO_MFA",
                                         "NOT_ACTIVE", "DEVICE_UNKNOWN", "SEED_UNPROVEN")} == {
        "ROOTLESS": "pass", "CUSTODIED": "pass", "INCOMPLETE": "warning", "UNREACHABLE": "unknown",
        "NO_MFA": "fail", "NOT_ACTIVE": "fail", "DEVICE_UNKNOWN": "fail", "SEED_UNPROVEN": "fail"}


def test_a_root_user_without_credentials_passes_the_mfa_controls_and_an_unseen_one_claims_none():
    results = by(from_audit({"accounts": [
        row("1", "ROOTLESS", password=False, mfa_enabled=False),
        row("2", "UNREACHABLE", password=None, mfa_enabled=None, mfa_devices=None, access_keys=None),
        row("3", "NOT_ACTIVE", password=None, mfa_enabled=None, mfa_devices=None, access_keys=None),
    ]}, {}))
    assert {c: results[("1", c)].status for c in ("root-mfa", "root-hardware-mfa", "root-access-keys")} == {
        "root-mfa": "pass", "root-hardware-mfa": "pass", "root-access-keys": "pass"}
    assert [k for k in results if k[0] in ("2", "3")] == [("2", "root-custody"), ("3", "root-custody")]
    assert results[("2", "root-custody")].status == "unknown" and results[("3", "root-custody")].status == "fail"


def test_hardware_mfa_is_unknown_where_the_audit_cannot_see_security_keys():
    virtual = [{"serial": "arn:aws:iam::4:mfa/root", "kind": "virtual", "known": "seed"}]
    fido = [{"serial": "arn:aws:iam::5:u2f/root/key-ABC", "kind": "fido", "known": None}]
    results = by(from_audit({"accounts": [row("4", "INCOMPLETE", mfa_devices=virtual),
                                          row("5", "INCOMPLETE", mfa_devices=fido),
                                          row("6", "CUSTODIED", mfa_devices=virtual),
                                          row("7", "NO_MFA", mfa_enabled=False, access_keys=["AKIAX"])]}, {}))
    assert results[("4", "root-hardware-mfa")].status == "unknown"  # a role sees virtual devices only
    assert results[("5", "root-hardware-mfa")].status == "pass"
    assert results[("6", "root-hardware-mfa")].status == "fail"  # as CIS words it: a virtual device is not hardware
    assert results[("7", "root-mfa")].status == "fail" and results[("7", "root-access-keys")].status == "fail"
    assert results[("7", "root-mfa")].severity == "critical"


def test_every_check_names_the_controls_it_answers_and_ids_are_stable():
    assert {c.id for c in CHECKS["root-mfa"].controls} == {"1.5", "2.4", "2.5", "IAM.9"}
    assert {c.id for c in CHECKS["root-hardware-mfa"].controls} == {"1.6", "2.5", "2.6", "IAM.6"}
    assert {c.id for c in CHECKS["root-access-keys"].controls} == {"1.4", "IAM.4"}
    assert {c.id for c in CHECKS["root-use"].controls} == {"1.7", "CloudWatch.1"}
    first, again = (from_audit({"accounts": [row("8", "CUSTODIED")]}, {}) for _ in range(2))
    assert [r.uid for r in first] == [r.uid for r in again] and first[0].uid == "rootkeeper/audit/root-custody/8"


def test_a_custody_finding_of_a_rule_the_list_does_not_name_is_kept_as_a_failure():
    results = from_custody_check({"plan": "p.toml", "findings": [
        {"rule": "one-medium-both", "message": "usb-1 carries both"}, {"rule": "a-new-rule", "message": "m"}]},
        {"one-medium-both": "T1", "site-loss": "T5"})
    assert {r.resource_id: r.status for r in results} == {
        "p.toml#one-medium-both": "fail", "p.toml#site-loss": "pass", "p.toml#a-new-rule": "fail"}


def test_a_drill_difference_no_copy_is_named_in_is_a_failure_of_its_own():
    results = from_drill({"copies": [{"copy": "usb-1", "path": "/m/1", "kind": "vault", "ok": True, "accounts": 2,
                                      "problem": None},
                                     {"copy": "usb-10", "path": "/m/10", "kind": "vault", "ok": True, "accounts": 2,
                                      "problem": None}],
                          "differences": ["copy usb-10: account 1 is missing", "account 2 has a seed but no password"]})
    assert [(r.resource_id, r.status) for r in results] == [("usb-1", "pass"), ("usb-10", "fail"),
                                                            ("cross-check-1", "fail")]


def test_root_use_with_a_journal_that_does_not_verify_is_never_a_pass():
    payload = {"accounts": [{"account_id": "9", "account_name": "n"}], "uses": [], "trail_problems": [],
               "journal_verified": False, "not_examined": [], "examined": {}, "source": {"via": "s3"},
               "trail": {"name": "t", "bucket": "b"}}
    assert {r.check: r.status for r in from_root_use(payload, {})} == {"root-use": "unknown", "trail-integrity": "fail"}
    payload["journal_verified"] = True
    payload["trail_problems"] = [{"kind": "LOG_MISSING", "account_id": "9", "key": "k", "detail": "d"}]
    results = {r.check: r for r in from_root_use(payload, {})}
    assert {c: r.status for c, r in results.items()} == {"root-use": "fail", "trail-integrity": "fail"}
    assert results["trail-integrity"].message == "1 LOG_MISSING"
