"""Findings where security teams read them: OCSF Compliance Findings, ASFF, Security Hub.

Oracles: py-ocsf-models (Prowler's OCSF library) parses every OCSF finding back with its pydantic
models; botocore's securityhub model validates every ASFF finding (its own ParamValidator, the
shape BatchImportFindings takes) and documents the AwsAccountId rule; moto's Security Hub holds what
was imported (GetFindings, read with a client of our own, not through rootkeeper).
"""

from __future__ import annotations

import json

import boto3
import pytest
from conftest import assert_clean_failure, snapshot
from test_org import Org, audit_json

MANAGEMENT = "123456789012"


def varied_org(home, sim) -> Org:
    """An organization with an account of most verdicts: custodied, rootless, no MFA, root keys, a security key,
    unreachable."""
    org = Org(home, sim)
    org.enable_central_root()
    org.account("custodied")
    org.enroll("custodied")
    org.account("rootless")
    org.account("no-mfa")
    org.sim.console_set_password(org.ids["no-mfa"], "Set-outside-rootkeeper-1")
    org.account("keys")
    org.sim.plant_access_key(org.ids["keys"])
    org.account("hardware")
    org.enroll("hardware")
    org.sim.console_register_security_key(org.ids["hardware"], "yubikey")
    org.account("denied")
    org.sim.fault(org.ids["denied"]).deny = True
    return org


@pytest.fixture
def org(home, sim):
    return varied_org(home, sim)


def hub_client(org):
    return boto3.client("securityhub", region_name="us-east-1", endpoint_url=org.sim.url,
                        aws_access_key_id="AKIDMANAGEMENT", aws_secret_access_key="testing")


def hub_findings(org) -> dict[str, dict]:
    client, out, token = hub_client(org), {}, None
    while True:
        page = client.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
        out.update({f["Id"]: f for f in page["Findings"]})
        token = page.get("NextToken")
        if not token:
            return out


def by_check(findings, account):
    return {f["finding_info"]["uid"].split("/")[2]: f for f in findings
            if f["resources"][0]["uid"] == account}


def test_the_audit_as_ocsf_compliance_findings_maps_each_verdict_and_the_root_controls(org):
    from py_ocsf_models import OCSF_VERSION
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    _rc, audit, _err = audit_json(org)
    verdicts = {r["account_id"]: r["verdict"] for r in audit["accounts"]}
    result = org.rk("org", "audit", "--format", "ocsf")
    assert result.returncode == 1, result.err  # findings: the exit status is the audit's
    findings = json.loads(result.out)
    for f in findings:
        parsed = ComplianceFinding.model_validate(f)  # the library's own models, every member typed
        assert parsed.class_uid == 2003 and f["category_uid"] == 2 and f["type_uid"] == 200301
        assert f["metadata"]["version"] == OCSF_VERSION == "1.5.0"
        assert f["time"] > 10 ** 12  # OCSF timestamps are milliseconds
    custody = {f["resources"][0]["uid"]: f for f in findings if f["metadata"]["event_code"] == "root-custody"}
    assert set(custody) == set(verdicts)  # one finding per account for the verdict, none left out
    want = {"ROOTLESS": 1, "CUSTODIED": 1, "INCOMPLETE": 2, "UNREACHABLE": 0}
    for account, verdict in verdicts.items():
        assert custody[account]["compliance"]["status_id"] == want.get(verdict, 3), verdict
        assert custody[account]["status_code"] == verdict
    assert verdicts[org.ids["denied"]] == "UNREACHABLE" and verdicts[org.ids["no-mfa"]] == "NO_MFA"
    # The controls: a root user without credentials passes MFA (Security Hub's IAM.9 would fail it).
    rootless = by_check(findings, org.ids["rootless"])
    assert {c: f["compliance"]["status_id"] for c, f in rootless.items()} == {
        "root-custody": 1, "root-access-keys": 1, "root-mfa": 1, "root-hardware-mfa": 1}
    assert "AWS Foundational Security Best Practices/IAM.9" in rootless["root-mfa"]["compliance"]["requirements"]
    assert {"CIS AWS Foundations Benchmark v5.0.0/1.5", "CIS AWS Foundations Benchmark v6.0.0/2.4",
            "CIS AWS Foundations Benchmark v7.0.0/2.5"} <= set(rootless["root-mfa"]["compliance"]["requirements"])
    no_mfa = by_check(findings, org.ids["no-mfa"])
    assert no_mfa["root-mfa"]["compliance"]["status_id"] == 3 and no_mfa["root-mfa"]["severity_id"] == 5
    keys = by_check(findings, org.ids["keys"])
    assert keys["root-access-keys"]["compliance"]["status_id"] == 3
    assert "CIS AWS Foundations Benchmark v5.0.0/1.4" in keys["root-access-keys"]["compliance"]["requirements"]
    custodied, hardware = by_check(findings, org.ids["custodied"]), by_check(findings, org.ids["hardware"])
    assert custodied["root-hardware-mfa"]["compliance"]["status_id"] == 3  # a virtual device is not hardware
    assert hardware["root-hardware-mfa"]["compliance"]["status_id"] == 1
    # Not examined: the verdict says unknown once; no control is claimed either way.
    assert set(by_check(findings, org.ids["denied"])) == {"root-custody"}
    text = result.out
    assert "Set-outside-rootkeeper-1" not in text


def _validate_asff(findings: list[dict]) -> None:
    """botocore's own validator on the shape BatchImportFindings takes (required members, types, lengths)."""
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    report = ParamValidator().validate({"Findings": findings}, shape)
    assert not report.has_errors(), report.generate_report()


def test_asff_names_the_caller_as_aws_account_id_as_aws_documents_and_the_member_as_the_resource(org):
    import botocore.session

    doc = botocore.session.get_session().get_service_model("securityhub").operation_model(
        "BatchImportFindings").documentation
    assert "needs to be the same as the <code>AwsAccountId</code> attribute" in doc  # the rule this follows
    result = org.rk("org", "audit", "--format", "asff")
    assert result.returncode == 1, result.err
    findings = json.loads(result.out)
    _validate_asff(findings)
    assert {f["AwsAccountId"] for f in findings} == {MANAGEMENT}
    assert {f["ProductArn"] for f in findings} == {f"arn:aws:securityhub:us-east-1:{MANAGEMENT}:product/{MANAGEMENT}/default"}
    members = {f["Resources"][0]["Id"] for f in findings}
    assert f"AWS::::Account:{org.ids['no-mfa']}" in members
    no_mfa = {f["Id"]: f for f in findings}[f"rootkeeper/audit/root-mfa/{org.ids['no-mfa']}"]
    assert no_mfa["Compliance"]["Status"] == "FAILED" and no_mfa["RecordState"] == "ACTIVE"
    assert "AWS Foundational Security Best Practices/IAM.9" in no_mfa["Compliance"]["RelatedRequirements"]


def test_security_hub_gets_batches_of_100_updated_in_place_and_resolved_findings_archived(org):
    for n in range(30):  # 36 accounts x up to 4 results: more than one batch
        org.account(f"extra-{n:02d}")
    org.sim.console_set_password(org.account("leaver"), "Set-outside-rootkeeper-2")
    result = org.rk("org", "audit", "--to-security-hub")
    assert result.returncode == 1, result.err
    calls = org.sim.actions["securityhub:BatchImportFindings"]
    first = hub_findings(org)
    assert calls == -(-len(first) // 100) and calls >= 2  # batches of at most 100
    _validate_asff(list(first.values()))
    mfa_id = f"rootkeeper/audit/root-mfa/{org.ids['no-mfa']}"
    assert first[mfa_id]["Compliance"]["Status"] == "FAILED" and first[mfa_id]["RecordState"] == "ACTIVE"
    assert first[f"rootkeeper/audit/root-custody/{org.ids['rootless']}"]["RecordState"] == "ARCHIVED"
    last = json.loads(org.home.journal.read_text().splitlines()[-1])
    assert last["event"] == "org.security-hub-export" and last["imported"] == len(first) and last["failed"] == 0
    # The no-MFA account gets an MFA device; the "leaver" account (no MFA either) leaves the organization.
    org.enroll_mfa("no-mfa")
    org.sim._org.remove_account_from_organization(AccountId=org.ids["leaver"])
    org.rk("org", "audit", "--to-security-hub")
    second = hub_findings(org)
    assert set(second) == set(first)  # updated in place: the same ids, nothing duplicated
    assert second[mfa_id]["Compliance"]["Status"] == "PASSED" and second[mfa_id]["RecordState"] == "ARCHIVED"
    assert second[mfa_id]["CreatedAt"] == first[mfa_id]["CreatedAt"]  # when Security Hub first had it, kept
    gone = second[f"rootkeeper/audit/root-custody/{org.ids['leaver']}"]
    assert gone["RecordState"] == "ARCHIVED" and gone["Compliance"]["Status"] == "NOT_AVAILABLE"
    # A run over named accounts archives nothing it did not look at.
    org.sim.fault(org.ids["keys"]).deny = True
    before = hub_findings(org)
    org.rk("org", "audit", "--to-security-hub", org.ids["custodied"])
    after = hub_findings(org)
    assert after[f"rootkeeper/audit/root-access-keys/{org.ids['keys']}"] == before[
        f"rootkeeper/audit/root-access-keys/{org.ids['keys']}"]
    # An account seen but unreachable keeps its earlier control findings (never archived as if fixed).
    org.rk("org", "audit", "--to-security-hub")
    kept = hub_findings(org)[f"rootkeeper/audit/root-access-keys/{org.ids['keys']}"]
    assert kept["RecordState"] == "ACTIVE" and kept["Compliance"]["Status"] == "FAILED"


def test_bad_format_choices_are_one_clear_error_and_change_nothing(org, tmp_path):
    before = snapshot(org.home.root)
    calls = sum(org.sim.actions.values())
    for args in (("--format", "ocsf", "--json"), ("--json", "--csv"), ("-o", str(tmp_path / "x.json")),
                 ("--format", "json", "-o", str(tmp_path / "x.json")),
                 ("--format", "html", "-o", str(tmp_path / "no-such-dir" / "x.html")),
                 ("--format", "html", "-o", str(tmp_path)),  # a directory
                 ("--format", "html", "-o", str(org.home.journal)),  # a report never replaces the journal
                 ("--format", "ocsf", "-o", str(org.home.vault))):
        result = org.rk("org", "audit", *args)
        assert_clean_failure(result)
        assert not (tmp_path / "x.json").exists()
    assert snapshot(org.home.root) == before
    assert sum(org.sim.actions.values()) == calls  # refused before any AWS call


def ocsf_of(result) -> list[dict]:
    """An OCSF document, every finding parsed back by py-ocsf-models."""
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    findings = json.loads(result.out)
    for f in findings:
        ComplianceFinding.model_validate(f)
        assert f["class_uid"] == 2003 and f["metadata"]["version"] == "1.5.0"
    return findings


def test_root_use_as_ocsf_fails_the_account_with_an_unexplained_sign_in_and_names_root_use_controls(home, sim):
    from test_root_use import signed_in_member

    org = Org(home, sim)
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    sim.change("TrustedAccess", True)
    member = signed_in_member(org)  # explained by the journal's password record
    org.account("intruded")
    org.sim.console_set_password(org.ids["intruded"], "Set-outside-rootkeeper-3")
    org.sim.console_sign_in(org.ids["intruded"], "Set-outside-rootkeeper-3", None)
    as_json = json.loads(org.rk("org", "root-use", "--since", "1d", "--json").out)
    result = org.rk("org", "root-use", "--since", "1d", "--format", "ocsf")
    assert result.returncode == 1, result.err
    findings = ocsf_of(result)
    accounts = {f["resources"][0]["uid"]: f for f in findings if f["metadata"]["event_code"] == "root-use"}
    assert set(accounts) == {a["account_id"] for a in as_json["accounts"]}  # every account examined, none left out
    assert accounts[org.ids["intruded"]]["compliance"]["status_id"] == 3
    assert accounts[org.ids["intruded"]]["status_code"] in ("UNEXPLAINED", "NO_MFA")
    assert accounts[member]["compliance"]["status_id"] == 3  # its sign-in had no MFA
    assert "NO_MFA" in accounts[member]["message"] and "UNEXPLAINED" not in accounts[member]["message"]
    silent = accounts[org.ids["management"]]  # no log file of it in the window: the trail's problem, on the account
    assert silent["compliance"]["status_id"] == 3 and silent["status_code"] == "TRAIL_SILENT"
    assert {"CIS AWS Foundations Benchmark v5.0.0/1.7", "AWS Foundational Security Best Practices/CloudWatch.1"} <= set(
        accounts[member]["compliance"]["requirements"])
    trail = [f for f in findings if f["metadata"]["event_code"] == "trail-integrity"]
    assert len(trail) == 1 and trail[0]["compliance"]["status_id"] == 3 and "TRAIL_SILENT" in trail[0]["message"]


def test_root_use_goes_to_security_hub_beside_the_audit_and_archives_none_of_its_findings(home, sim):
    from test_root_use import signed_in_member

    org = Org(home, sim)
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    sim.change("TrustedAccess", True)
    member = signed_in_member(org)
    assert org.rk("org", "audit", "--to-security-hub").returncode == 1
    audit = {i: f for i, f in hub_findings(org).items() if i.startswith("rootkeeper/audit/")}
    result = org.rk("org", "root-use", "--since", "1d", "--to-security-hub")
    assert result.returncode == 1 and "Security Hub us-east-1" in result.err, result.err
    after = hub_findings(org)
    assert {i: f for i, f in after.items() if i.startswith("rootkeeper/audit/")} == audit  # not the audit's to archive
    used = after[f"rootkeeper/root-use/root-use/{member}"]
    assert used["Compliance"]["Status"] == "FAILED" and used["RecordState"] == "ACTIVE"
    assert "AWS Foundational Security Best Practices/CloudWatch.1" in used["Compliance"]["RelatedRequirements"]
    _validate_asff([f for i, f in after.items() if i.startswith("rootkeeper/root-use/")])
    asff = json.loads(org.rk("org", "root-use", "--since", "1d", "--format", "asff").out)
    assert {f["Id"] for f in asff} == {i for i in after if i.startswith("rootkeeper/root-use/")}
    last = json.loads(org.home.journal.read_text().splitlines()[-1])
    assert last["event"] == "org.security-hub-export" and last["source"] == "root-use"


def test_a_root_use_whose_journal_does_not_verify_is_never_a_pass_in_ocsf(home, sim):
    from test_root_use import signed_in_member

    org = Org(home, sim)
    signed_in_member(org)
    lines = org.home.journal.read_text().splitlines()
    org.home.journal.write_text("\n".join(lines[:-1] + [lines[-1].replace("CHG-1", "CHG-2")]) + "\n")
    findings = ocsf_of(org.rk("org", "root-use", "--since", "1d", "--format", "ocsf"))
    assert findings and all(f["compliance"]["status_id"] in (0, 3) for f in findings)
    trail = next(f for f in findings if f["metadata"]["event_code"] == "trail-integrity")
    assert "the journal does not verify" in trail["message"]


def test_custody_check_and_drill_as_ocsf_one_finding_per_rule_and_per_copy(home, tmp_path_factory):
    from test_custody import enroll, failing_plan

    plan = failing_plan(home)
    as_json = json.loads(home.rk("custody", "check", plan, "--json").out)
    findings = ocsf_of(home.rk("custody", "check", plan, "--format", "ocsf"))
    failing = {f["resources"][0]["uid"].rsplit("#", 1)[1] for f in findings if f["compliance"]["status_id"] == 3}
    assert failing == {f["rule"] for f in as_json["findings"]} and len(findings) >= 12
    enroll(home, "111111111111", "prod")
    usb = tmp_path_factory.mktemp("usb")
    home.rk("media", "write", "vault", usb, check=True)
    reports = tmp_path_factory.mktemp("reports")
    out = tmp_path_factory.mktemp("out") / "drill.ocsf.json"
    result = home.rk("drill", "--copy", f"usb={usb}", "--report", reports, "--format", "ocsf", "-o", out)
    assert result.returncode == 0, result.err
    drilled = json.loads(out.read_text())
    assert [(f["resources"][0]["uid"], f["compliance"]["status_id"]) for f in drilled] == [("usb", 1)]
    enroll(home, "222222222222", "dev")  # the copy is stale now
    piped = home.rk("drill", "--copy", f"usb={usb}", "--report", reports, "--format", "ocsf")
    assert piped.returncode == 1 and "DIFFERENCE" in piped.err  # what a person reads goes to stderr
    assert [(f["resources"][0]["uid"], f["compliance"]["status_id"]) for f in ocsf_of(piped)] == [("usb", 3)]


def test_a_security_hub_answer_that_imports_nothing_is_an_error_not_a_pass(org, monkeypatch):
    from moto.securityhub.models import SecurityHubBackend

    monkeypatch.setattr(SecurityHubBackend, "batch_import_findings", lambda self, findings: (0, 0, []))
    result = org.rk("org", "audit", "--to-security-hub")
    assert_clean_failure(result, contains="NotAcknowledged")
    last = json.loads(org.home.journal.read_text().splitlines()[-1])
    assert last["event"] == "org.security-hub-export" and last["imported"] == 0 and last["failed"] >= 1
