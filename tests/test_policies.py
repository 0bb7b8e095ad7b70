"""'rootkeeper policies': each policy held to what its commands call, and checked by independent linters.

The oracle for "what a command calls" is the simulator: it records every API operation by principal
(the caller's own credentials, a role session, a root session), whatever the protocol (S3 and Security
Hub included). A policy that lacks an action a command calls, or grants one that no command calls, fails.
The documents are then checked by Duo's parliament (unknown actions, condition keys, resource types) and
the CloudFormation template by AWS's cfn-lint.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import assert_clean_failure
from test_json_contract import check
from test_org import Org
from test_unlock import locked_bucket, locked_queue

from rootkeeper.org.policies import iam_action

ROLE = "OrganizationAccountAccessRole"  # the role moto makes in every account it creates


def policy_doc(org, purpose: str) -> dict[str, dict]:
    result = org.rk("policies", "--for", purpose, "--role-name", ROLE, "--auditor-account", "123456789012")
    assert result.returncode == 0, result.err
    return {p["principal"]: p for p in check("policies", result.out)["policies"]}


def granted(policy: dict) -> tuple[set[str], set[str], bool]:
    """(actions besides the two assume actions, root tasks AssumeRoot is limited to, AssumeRole granted)."""
    actions, tasks, role = set(), set(), False
    for statement in policy["Statement"]:
        names = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for name in names:
            if name == "sts:AssumeRoot":
                arns = statement["Condition"]["StringEquals"]["sts:TaskPolicyArn"]
                tasks |= {a.rsplit("/", 1)[1] for a in arns}
            elif name == "sts:AssumeRole":
                role = statement["Resource"].endswith(f":role/{ROLE}")
            else:
                actions.add(name)
    return actions, tasks, role


class Calls:
    """The IAM actions the commands run through ``run`` called, by principal kind."""

    def __init__(self, org) -> None:
        self.org = org
        self.by: dict[str, set[str]] = {}

    def run(self, *args, key: str | None = None, code: int | None = 0, **kw) -> None:
        before = {k: Counter(v) for k, v in self.org.sim.principal_actions.items()}
        env = {"AWS_ACCESS_KEY_ID": key} if key else {}
        result = self.org.rk(*args, **env, **kw)
        assert code is None or result.returncode == code, (args, result.err)
        for who, counter in self.org.sim.principal_actions.items():
            for operation in counter - before.get(who, Counter()):
                action = iam_action(operation)
                if action:
                    self.by.setdefault(who, set()).add(action)

    def caller(self) -> tuple[set[str], set[str], bool]:
        actions = self.by.get("caller", set())
        tasks = {w.removeprefix("root:") for w in self.by if w.startswith("root:")}
        return actions - {"sts:AssumeRoot", "sts:AssumeRole"}, tasks, "sts:AssumeRole" in actions


def world(home, sim) -> Org:
    """Central root access off at first; a custodied member with everything root can have; the management
    account's root with a password, a virtual device, keys and a certificate; a victim for delete-root."""
    org = Org(home, sim)
    org.account("member")
    org.account("victim")
    org.account("delegate")
    return org


def enrich(org) -> None:
    org.enroll("member")
    member = org.ids["member"]
    org.sim.plant_access_key(member)
    org.sim.plant_certificate(member)
    org.sim.console_register_security_key(member, "yubikey")
    management = org.ids["management"]
    org.sim.console_set_password(management, "Management-root-pw-1")
    org.sim.plant_mfa(management)
    org.sim.plant_access_key(management)
    org.sim.plant_certificate(management)
    org.enroll("victim")
    org.sim.plant_access_key(org.ids["victim"])
    org.sim.plant_certificate(org.ids["victim"])


def commands(org, calls: Calls, purpose: str, key: str | None = None) -> None:
    """Every command of ``purpose``, over every path its data can take."""
    ids = org.ids
    if purpose == "enable":
        calls.run("org", "enable-central-root", "--dry-run", key=key)
        calls.run("org", "enable-central-root", key=key)
    elif purpose == "audit":
        calls.run("org", "accounts", key=key)
        calls.run("org", "reconcile", key=key, code=None)
        calls.run("org", "audit", key=key, code=1)
        calls.run("org", "audit", ids["member"], ids["victim"], key=key, code=1)  # ids: DescribeAccount
        calls.run("org", "audit", "--via", f"role:{ROLE}", key=key, code=1)
    elif purpose == "delete":
        calls.run("org", "delete-root", "victim", "--dry-run", key=key)
        calls.run("org", "delete-root", ids["victim"], "--yes", "--reason", "CHG-7", key=key)
    elif purpose == "recovery":
        calls.run("org", "allow-recovery", ids["victim"], key=key)
        again = org.rk("org", "delete-root", ids["victim"], "--yes", "--reason", "recovered")  # not recovery's
        assert again.returncode == 0, again.err
        calls.run("org", "allow-recovery", "victim", key=key)  # by name: the listing
    elif purpose == "root-use":
        org.sim.enable_trail()
        org.sim.console_sign_in(ids["member"], "a guess", None)  # something for the trail to deliver
        calls.run("org", "root-use", "--since", "1d", key=key, code=1)
        calls.run("org", "root-use", ids["member"], "--since", "1d", key=key, code=1)  # an id: DescribeAccount
    elif purpose == "unlock":
        bucket = "locked-by-delegate" if key else "locked-bucket"
        locked_bucket(ids["member"], bucket)
        _backend, queue = locked_queue(ids["member"], "orders-delegate" if key else "orders")
        calls.run("org", "unlock-bucket-policy", "member", bucket, "--yes", "--reason", "INC-1", key=key)
        calls.run("org", "unlock-queue-policy", ids["member"], queue, "--yes", "--reason", "INC-2", key=key)


def test_every_policy_grants_exactly_what_its_commands_call_by_each_principal(home, sim):
    org = world(home, sim)
    management = Calls(org)
    commands(org, management, "enable")
    enrich(org)
    key = org.sim.delegate(org.ids["delegate"])
    for purpose in ("audit", "root-use", "unlock", "delete", "recovery"):
        ran = Calls(org)
        commands(org, ran, purpose)
        docs = policy_doc(org, purpose)
        assert granted(docs["management-account"]["policy"]) == ran.caller(), purpose
        delegated = Calls(org)
        if purpose == "delete":  # the victim again, with credentials to delete
            org.enroll("victim")
            org.sim.plant_access_key(org.ids["victim"])
        if purpose == "recovery":  # rootless again, to be recovered again
            assert org.rk("org", "delete-root", "victim", "--yes", "--reason", "again").returncode == 0
        commands(org, delegated, purpose, key=key)
        assert granted(docs["delegated-administrator"]["policy"]) == delegated.caller(), purpose
        if purpose == "audit":
            role = granted(docs["audit-role"]["policy"])[0]
            assert role == ran.by["role"] == delegated.by["role"]
            trust = docs["audit-role"]["trust_policy"]["Statement"][0]
            assert trust["Principal"]["AWS"] == ["arn:aws:iam::123456789012:root"]
    enable = policy_doc(org, "enable")
    assert granted(enable["management-account"]["policy"]) == management.caller()
    assert set(enable) == {"management-account"}  # the Enable* calls are the management account's alone
    # Security Hub: what --to-security-hub adds to the audit and to root-use.
    hub_policy = granted(policy_doc(org, "security-hub")["management-account"]["policy"])
    for command, code in ((("org", "audit"), 1), (("org", "root-use", "--since", "1d"), 1)):
        plain, hub = Calls(org), Calls(org)
        plain.run(*command, code=code)
        hub.run(*command, "--to-security-hub", code=code)
        assert hub_policy == (hub.caller()[0] - plain.caller()[0], set(), False), command


def all_documents(home) -> list[dict]:
    result = home.rk("policies", "--auditor-account", "111122223333", "--trail-bucket", "org-trail-logs")
    out = []
    for entry in check("policies", result.out)["policies"]:
        out.append(entry["policy"])
    return out  # a trust policy is a resource policy, which parliament does not read: cfn-lint checks it below


def test_every_policy_passes_parliament_and_the_stackset_template_passes_cfn_lint(home, tmp_path):
    from parliament import analyze_policy_string

    for document in all_documents(home):
        policy = analyze_policy_string(json.dumps(document), include_community_auditors=True)
        assumes_role = any(s["Action"] == "sts:AssumeRole" for s in document["Statement"])
        # Assuming the audit role hands out credentials: that is the point, and all parliament may say.
        problems = [(f.issue, f.detail) for f in policy.findings
                    if not (f.issue == "CREDENTIALS_EXPOSURE" and assumes_role)]
        assert not problems, (document, problems)
    # parliament does catch what a policy typo would be (the linter is not a rubber stamp)
    typo = analyze_policy_string(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:ListVirtualMfaDevice", "Resource": "*"}]}))
    assert any(f.issue == "UNKNOWN_ACTION" for f in typo.findings)
    template = tmp_path / "audit-role.json"
    result = home.rk("policies", "--cloudformation", "--role-name", "rootkeeper-audit")
    assert result.returncode == 0, result.err
    template.write_text(result.out)
    lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run([str(lint), "--format", "parseable", str(template)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    bad = tmp_path / "bad.json"
    broken = json.loads(result.out)
    broken["Resources"]["AuditRole"]["Properties"]["MaxSessionDuration"] = 60  # below IAM's 3,600 s minimum
    bad.write_text(json.dumps(broken))
    assert subprocess.run([str(lint), str(bad)], capture_output=True).returncode != 0
    # The role the template deploys carries the same policy 'policies --for audit' prints.
    deployed = json.loads(result.out)["Resources"]["AuditRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    printed = {p["principal"]: p for p in json.loads(home.rk("policies", "--for", "audit").out)["policies"]}
    assert deployed == printed["audit-role"]["policy"]


def test_bad_policies_options_are_one_clear_error(home):
    for args in (("--for", "everything"), ("--role-name", "bad name!"), ("--auditor-account", "12345"),
                 ("--cloudformation", "--for", "audit")):
        assert_clean_failure(home.rk("policies", *args))


@pytest.mark.parametrize("partition", ["aws-us-gov", "aws-cn"])
def test_policies_name_the_partition_asked_for(home, partition):
    text = home.rk("policies", "--for", "delete", "--partition", partition).out
    assert f"arn:{partition}:iam::aws:policy/root-task/IAMDeleteRootUserCredentials" in text
    assert "arn:aws:" not in text
