"""The organization commands as AWS answers today, and the simulator held to AWS's published contract.

The simulator answers as AWS does since September 2026 (``State`` only, the whole lifecycle, AWS's
error codes and messages); every answer it sends is checked against botocore's model by the ``sim``
fixture. Here: the product over such answers, and the product never reading a member that
botocore's models retire.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from conftest import assert_clean_failure, aws_env

from rootkeeper.sim.state import MANAGEMENT_ACCOUNT

STATES = ["SUSPENDED", "PENDING_CLOSURE", "CLOSED", "PENDING_ACTIVATION"]


def raw(sim, service, key="AKIDMANAGEMENT", region="us-east-1"):
    return boto3.session.Session(region_name=region, aws_access_key_id=key, aws_secret_access_key="x").client(
        service, endpoint_url=sim.url, config=Config(retries={"mode": "standard", "total_max_attempts": 1}))


@pytest.fixture
def big_org(home, sim):
    """38 member accounts: 34 active (one custodied), one in each other state."""
    sim.create_organization()
    ids = {}
    for i in range(34):
        ids[f"member-{i:02d}"] = sim.add_account(f"member-{i:02d}", f"aws+m{i:02d}@example.com")
    for state in STATES:
        ids[state] = sim.add_account(state.lower(), f"aws+{state.lower()}@example.com")
        sim.set_state(ids[state], state)
    sim.change("TrustedAccess", True)
    sim.features |= {"RootCredentialsManagement"}  # the IAM root tasks need this one only
    env = aws_env(sim.url)
    home.rk("enroll", ids["member-05"], "--name", "member-05", "--email", "aws+m05@example.com", "--step", "password",
            env=env, check=True)
    return home, sim, ids, env


def test_the_simulator_sends_state_and_never_the_retired_status(big_org):
    _home, sim, ids, _env = big_org
    orgs = raw(sim, "organizations")
    listed = [a for page in orgs.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
    assert listed and all("Status" not in a and a["State"] for a in listed)
    assert {a["Id"]: a["State"] for a in listed}[ids["CLOSED"]] == "CLOSED"
    assert "Status" not in orgs.describe_account(AccountId=ids["SUSPENDED"])["Account"]
    root = orgs.list_roots()["Roots"][0]["Id"]
    for_parent = orgs.list_accounts_for_parent(ParentId=root)["Accounts"]
    assert for_parent and all("Status" not in a and "State" in a for a in for_parent)


def test_an_audit_over_state_only_answers_audits_every_active_account_and_reports_the_others(big_org):
    home, sim, ids, env = big_org
    result = home.rk("org", "audit", "--json", env=env)
    assert result.returncode == 1, result.err
    rows = {r["account_id"]: r for r in json.loads(result.out)["accounts"]}
    assert len(rows) == 39  # every account, the management account included
    active = [rows[ids[f"member-{i:02d}"]] for i in range(34)]
    assert all(r["state"] == "ACTIVE" and r["verdict"] in ("ROOTLESS", "NOT_IN_VAULT") for r in active)
    assert rows[ids["member-05"]]["verdict"] == "ROOTLESS"  # in the vault, no root credentials in AWS
    for state in STATES:
        row = rows[ids[state]]
        assert row["verdict"] == "NOT_ACTIVE" and row["state"] == state and state in row["message"], row
    assert sim.actions["sts:AssumeRoot"] == 34  # only active members are reached
    assert "34 of 34 active member account(s) reached, 4 not active" in result.err
    summary = json.loads(result.out)["summary"]
    assert summary["NOT_ACTIVE"] == 4
    table = home.rk("org", "audit", env=env)
    assert table.returncode == 1 and "NOT_ACTIVE" in table.out and "PENDING_CLOSURE" in table.out


def test_reconcile_and_delete_root_read_the_state(big_org):
    home, sim, ids, env = big_org
    result = home.rk("org", "reconcile", "--json", env=env)
    findings = json.loads(result.out)["findings"]
    assert not [f for f in findings if f["kind"] == "closed"], findings  # the custodied active account is active
    assert json.loads(result.out)["by_state"] == {"ACTIVE": 35, "SUSPENDED": 1, "PENDING_CLOSURE": 1, "CLOSED": 1,
                                                  "PENDING_ACTIVATION": 1}
    dry = home.rk("org", "delete-root", "member-05", "--dry-run", env=env)
    assert dry.returncode == 0, dry.err
    refused = home.rk("org", "delete-root", ids["SUSPENDED"], "--dry-run", env=env)
    assert_clean_failure(refused, 2, "is SUSPENDED: only ACTIVE accounts")
    assert_clean_failure(home.rk("org", "allow-recovery", ids["CLOSED"], env=env), 2, "is CLOSED: only ACTIVE accounts")
    listing = home.rk("org", "accounts", "--json", env=env)
    accounts = {a["account_id"]: a for a in json.loads(listing.out)["accounts"]}
    assert accounts[ids["PENDING_CLOSURE"]]["state"] == "PENDING_CLOSURE"
    assert accounts[ids["PENDING_ACTIVATION"]]["status"] is None  # the retired member never had that value


def test_closing_goes_through_pending_closure_before_closed(home, sim):
    sim.create_organization()
    member = sim.add_account("leaving", "aws+leaving@example.com")
    env = aws_env(sim.url)
    home.rk("enroll", member, "--name", "leaving", "--email", "aws+leaving@example.com", "--step", "password",
            env=env, check=True)
    sim.close(member)
    first = {(f["kind"], f["detail"]) for f in json.loads(home.rk("org", "reconcile", "--json", env=env).out)["findings"]}
    assert ("closed", "custodied, but the account is PENDING_CLOSURE") in first
    sim.settle()
    later = json.loads(home.rk("org", "reconcile", "--json", env=env).out)["findings"]
    assert any(f["kind"] == "closed" and f["detail"].endswith("CLOSED") and f["fix"] == f"rootkeeper retire {member}"
               for f in later)


def test_an_organization_whose_members_are_all_unreachable_is_an_error_not_a_pass(home, sim):
    sim.create_organization()
    for i in range(3):
        sim.add_account(f"m{i}", f"aws+m{i}@example.com")
    result = home.rk("org", "audit", "--json", env=aws_env(sim.url))  # centralized root access is off
    assert_clean_failure(result, 2, "reached none of the 3 active member account(s)")
    assert len(json.loads(result.out)["accounts"]) == 4


def test_an_empty_listing_is_an_error(home, sim, monkeypatch):
    sim.create_organization()  # a listing with no account at all: not AWS (it always has the management account)
    monkeypatch.setattr(type(sim), "_organizations_ListAccounts",
                        lambda self, a, s, p, reply, e: reply.json({"Accounts": []}))
    result = home.rk("org", "audit", "--json", env=aws_env(sim.url))
    assert_clean_failure(result, 2, "listing held no account")


# ---------------------------------------------------------------- which feature gates which task
def test_the_audit_needs_root_credentials_management_only(home, sim):
    sim.create_organization()
    member = sim.add_account("member", "aws+member@example.com")
    sim.change("TrustedAccess", True)
    sim.features |= {"RootCredentialsManagement"}
    result = home.rk("org", "audit", "--json", member, env=aws_env(sim.url))
    assert result.returncode == 0, result.err
    assert json.loads(result.out)["accounts"][0]["verdict"] == "ROOTLESS"


# ---------------------------------------------------------------- why AWS refused
def test_a_service_control_policy_denial_in_the_root_session_is_named_as_such(home, sim):
    sim.create_organization()
    denied = sim.add_account("denied", "aws+denied@example.com")
    fine = sim.add_account("fine", "aws+fine@example.com")
    sim.change("TrustedAccess", True)
    sim.features |= {"RootCredentialsManagement", "RootSessions"}
    sim.fault(denied).scp_deny.add("GetAccountSummary")
    result = home.rk("org", "audit", "--json", env=aws_env(sim.url))
    rows = {r["account_id"]: r for r in json.loads(result.out)["accounts"]}
    assert result.returncode == 1 and rows[fine]["verdict"] == "ROOTLESS"
    message = rows[denied]["message"]
    assert rows[denied]["verdict"] == "UNREACHABLE" and rows[denied]["error"] == "AccessDenied"
    assert "service control policy denies it" in message and "enable-central-root" not in message, message


def test_a_caller_policy_without_assume_root_is_named_as_such(home, sim):
    sim.create_organization()
    member = sim.add_account("member", "aws+member@example.com")
    sim.change("TrustedAccess", True)
    sim.features |= {"RootCredentialsManagement"}
    sim.fault(member).deny = True  # the caller's IAM policy: no identity-based policy allows sts:AssumeRoot
    result = home.rk("org", "audit", "--json", member, env=aws_env(sim.url))
    row = json.loads(result.out)["accounts"][0]
    assert "sts:TaskPolicyArn condition" in row["message"] and "enable-central-root" not in row["message"]


# ---------------------------------------------------------------- a delegated administrator for IAM
def test_a_delegated_administrator_audits_and_cannot_enable(home, sim):
    sim.create_organization()
    member = sim.add_account("member", "aws+member@example.com")
    delegate = sim.add_account("security-tooling", "aws+sec@example.com")
    key = sim.delegate(delegate)
    env = aws_env(sim.url, AWS_ACCESS_KEY_ID=key)
    before = sim.snapshot()
    refused = home.rk("org", "enable-central-root", env=env)
    assert_clean_failure(refused, 2, f"not the management account {MANAGEMENT_ACCOUNT}'s")
    assert sim.snapshot() == before
    dry = home.rk("org", "enable-central-root", "--dry-run", env=env)
    assert dry.returncode == 0 and "would enable: RootCredentialsManagement" in dry.out and "only the management" in dry.err
    assert home.rk("org", "enable-central-root", env=aws_env(sim.url)).returncode == 0  # the management account
    again = home.rk("org", "enable-central-root", env=env)
    assert again.returncode == 0 and again.out.count("already on") == 3, again.err
    result = home.rk("org", "audit", "--json", env=env)
    rows = {r["account_id"]: r for r in json.loads(result.out)["accounts"]}
    assert rows[member]["verdict"] == "ROOTLESS" and rows[delegate]["verdict"] == "ROOTLESS"
    assert rows[MANAGEMENT_ACCOUNT]["error"] == "NotManagementCredentials"
    # A member account's own principal is neither: AssumeRoot is refused, the audit reached nothing.
    stranger = home.rk("org", "audit", "--json", env=aws_env(sim.url, AWS_ACCESS_KEY_ID=sim.caller_key(member)))
    assert_clean_failure(stranger, 2, "reached none")


def test_enable_from_a_delegate_answered_by_aws_explains_itself(sim):
    """IAM's own answer to a delegate's Enable*: CallerIsNotManagementAccountException, and its hint."""
    from rootkeeper.org.aws import describe_error

    sim.create_organization()
    delegate = sim.add_account("security-tooling", "aws+sec@example.com")
    sim.change("TrustedAccess", True)
    iam = raw(sim, "iam", key=sim.delegate(delegate))
    assert iam.list_organizations_features()["EnabledFeatures"] == []
    with pytest.raises(Exception) as caught:
        iam.enable_organizations_root_credentials_management()
    error = describe_error(caught.value, "iam:EnableOrganizationsRootCredentialsManagement")
    assert error.code == "CallerIsNotManagementAccountException" and "only the management account" in error.message


# ---------------------------------------------------------------- eventual consistency
def test_enable_central_root_waits_for_trusted_access_to_reach_iam(home, sim):
    sim.create_organization()
    sim.add_account("member", "aws+member@example.com")
    sim.propagation = 2.0
    env = aws_env(sim.url, ROOTKEEPER_AWS_PROPAGATION_WAIT="30")
    result = home.rk("org", "enable-central-root", env=env)
    assert result.returncode == 0, result.err
    assert "waiting" in result.err and sim.features == {"RootCredentialsManagement", "RootSessions"}
    assert sim.actions["iam:EnableOrganizationsRootCredentialsManagement"] >= 2  # refused first, then accepted


def test_enable_central_root_says_when_aws_has_not_applied_it_in_time(home, sim):
    sim.create_organization()
    sim.propagation = 60.0
    before = sim.snapshot()
    result = home.rk("org", "enable-central-root", env=aws_env(sim.url, ROOTKEEPER_AWS_PROPAGATION_WAIT="2"))
    assert_clean_failure(result, 2, "AWS had not applied trusted access")
    assert sim.snapshot()["features"] == before["features"] == []


def test_delete_root_relists_until_a_deletion_is_no_longer_listed(home, sim):
    sim.create_organization()
    victim = sim.add_account("victim", "aws+victim@example.com")
    sim.change("TrustedAccess", True)
    sim.features |= {"RootCredentialsManagement"}
    sim.plant_access_key(victim)
    sim.list_lag = 1.5
    result = home.rk("org", "delete-root", "victim", "--yes", env=aws_env(sim.url, ROOTKEEPER_AWS_PROPAGATION_WAIT="30"))
    assert result.returncode == 0, result.err
    assert f"{victim} (victim): rootless" in result.out and not sim.root(victim).access_keys
    assert sim.actions["iam:ListAccessKeys"] >= 3  # listed, deleted, still listed once, then gone


# ---------------------------------------------------------------- partitions and endpoints
@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"),
                                                   ("eu-west-1", "aws")])
def test_the_partition_comes_from_the_region(monkeypatch, region, partition):
    from rootkeeper.org.aws import AUDIT_TASK, Aws

    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    aws = Aws(region=region)
    assert aws.task_arn(AUDIT_TASK) == f"arn:{partition}:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
    assert aws.account_arn("111122223333", "role/Audit") == f"arn:{partition}:iam::111122223333:role/Audit"


@pytest.mark.parametrize(("region", "message"), [("aws-global", "regional STS endpoints only"),
                                                 ("us-iso-east-1", "no centralized root access"),
                                                 ("xx-nowhere-9", "not a region")])
def test_regions_without_assume_root_are_refused_with_the_reason(home, sim, region, message):
    sim.create_organization()
    result = home.rk("org", "audit", "--region", region, env=aws_env(sim.url))
    assert_clean_failure(result, 2, message)


def test_an_opt_in_region_not_enabled_is_explained(home, sim):
    sim.create_organization()
    sim.add_account("member", "aws+member@example.com")
    sim.change("TrustedAccess", True)
    sim.features |= {"RootCredentialsManagement"}
    sim.disabled_regions.add("ap-east-1")  # AssumeRoot signed for it is refused
    result = home.rk("org", "audit", "--json", "--region", "ap-east-1", env=aws_env(sim.url))
    assert_clean_failure(result, 2, "reached none")
    row = [r for r in json.loads(result.out)["accounts"] if not r["management"]][0]
    assert row["error"] == "RegionDisabledException" and "opt-in region" in row["message"]


# ---------------------------------------------------------------- shapes as AWS sends them
def test_root_session_answers_have_aws_shapes(sim):
    sim.create_organization()
    member = sim.add_account("member", "aws+member@example.com")
    sim.change("TrustedAccess", True)
    sim.features |= {"RootCredentialsManagement"}
    sts = raw(sim, "sts")
    creds = sts.assume_root(TargetPrincipal=member, DurationSeconds=0,  # 0 is valid (0-900)
                            TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}
                            )["Credentials"]
    iam = boto3.session.Session(region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                                aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"]).client("iam", endpoint_url=sim.url)
    user = iam.get_user()["User"]
    assert set(user) == {"UserId", "Arn", "CreateDate"} and user["UserId"] == member
    sim.plant_mfa(member)
    listed = raw(sim, "iam", key=sim.caller_key(member)).list_virtual_mfa_devices()["VirtualMFADevices"]
    assert listed and "UserName" not in listed[0]["User"] and "Path" not in listed[0]["User"]


def test_organizations_throttling_is_too_many_requests_and_is_retried(home, sim):
    sim.create_organization()
    sim.fault(MANAGEMENT_ACCOUNT).throttle = 2
    with pytest.raises(Exception) as caught:
        raw(sim, "organizations").describe_organization()
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsException"
    result = home.rk("org", "accounts", "--json", env=aws_env(sim.url))
    assert result.returncode == 0, result.err


# ---------------------------------------------------------------- retired members are never read
class Trapped(dict):
    """A parsed AWS structure that records every read of a member botocore's model retires."""

    reads: list[str] = []
    retired: set[str] = set()

    def _note(self, key):
        if key in self.retired:
            Trapped.reads.append(f"{self.shape}.{key}")

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


def _trap(value, shape, retired):
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                value[name] = _trap(value[name], member, retired)
        names = {m for (s, m) in retired if s == shape.name}
        if names:
            trapped = Trapped(value)
            trapped.shape, trapped.retired = shape.name, names
            return trapped
    elif kind == "list" and isinstance(value, list):
        return [_trap(v, shape.member, retired) for v in value]
    return value


@pytest.fixture
def trapped_answers(monkeypatch):
    """Every answer botocore parses in this process, with its retired members trapped."""
    from botocore.parsers import ResponseParser

    from rootkeeper.sim.contract import retired_members

    retired = set()
    for service in ("organizations", "sts", "iam"):
        retired |= set(retired_members(service))
    assert ("Account", "Status") in retired and ("Organization", "AvailablePolicyTypes") in retired
    original = ResponseParser.parse

    def parse(self, response, shape):
        parsed = original(self, response, shape)
        return _trap(parsed, shape, retired) if shape is not None else parsed

    monkeypatch.setattr(ResponseParser, "parse", parse)
    Trapped.reads = []
    return Trapped.reads


def test_the_trap_catches_a_read_of_a_retired_member(sim, trapped_answers, monkeypatch):
    sim.create_organization()
    sim.add_account("member", "aws+member@example.com")
    client = raw(sim, "organizations")
    monkeypatch.setattr(sim, "_account_json", lambda d: {**d, "Status": "ACTIVE", "State": "ACTIVE"})
    account = client.list_accounts()["Accounts"][0]
    assert trapped_answers == []
    account.get("Status")  # what the product did before AWS retired it
    assert trapped_answers == ["Account.Status"]


def test_no_workflow_reads_a_member_aws_retires(sim, trapped_answers, monkeypatch, tmp_path):
    """Every organization workflow, in this process, over answers whose retired members are trapped
    (the simulator sends Status here, as AWS did, so that a read would find it)."""
    from rootkeeper.org import accounts, audit, rootops
    from rootkeeper.org.aws import Aws
    from rootkeeper.workflows.listing import CustodyIndex

    sim.create_organization()
    ou = sim.add_ou("Workloads")
    member = sim.add_account("member", "aws+member@example.com", ou)
    sim.add_account("closed", "aws+closed@example.com", closed=True)
    sim.plant_access_key(member)
    monkeypatch.setattr(sim, "_account_json", lambda d: {**d, "Status": "ACTIVE", "State": sim.state(d["Id"])})
    for name, value in aws_env(sim.url).items():
        monkeypatch.setenv(name, value)
    aws = Aws()
    from rootkeeper.storage.settings import Settings
    from rootkeeper.workspace import Credentials, Workspace

    ws = Workspace(Settings(journal=tmp_path / "journal.jsonl"), Credentials(str, str, lambda: None))
    rootops.enable_central_root(ws, aws, dry_run=False)
    rootops.enable_central_root(ws, aws, dry_run=True)
    listed = accounts.accounts_with_paths(aws)
    assert {a.state for a in listed} == {"ACTIVE", "CLOSED"}
    _org, management = aws.organization()
    assert accounts.find_accounts(aws, [member], management)[0].active
    rows = audit.Auditor(aws, CustodyIndex.build(None, None)).audit()
    assert {r.verdict for r in rows} >= {"ROOT_ACCESS_KEYS", "NOT_ACTIVE"}
    assert audit.Auditor(aws, CustodyIndex.build(None, None), via="role:OrganizationAccountAccessRole").audit([member])
    assert rootops.list_root_credentials(aws.root_iam(member, "IAMAuditRootUserCredentials")).access_keys
    assert trapped_answers == [], trapped_answers


def test_every_answer_of_the_simulator_is_checked_and_a_broken_one_is_recorded(sim, monkeypatch):
    """The check the ``sim`` fixture makes after every test, caught in the act (then cleared)."""
    assert sim.validate
    sim.create_organization()
    member = sim.add_account("member", "aws+member@example.com")
    monkeypatch.setattr(sim, "_account_json", lambda d: {**d, "State": "ACTIVATED", "Colour": "blue"})
    raw(sim, "organizations").describe_account(AccountId=member)
    assert any("Colour" in v for v in sim.violations) and any("ACTIVATED" in v for v in sim.violations)
    sim.violations.clear()


def test_a_botocore_without_account_state_is_refused():
    from types import SimpleNamespace

    from rootkeeper.errors import ConfigError
    from rootkeeper.org.aws import require_account_state

    old = SimpleNamespace(meta=SimpleNamespace(service_model=SimpleNamespace(
        shape_for=lambda name: SimpleNamespace(members={"Id": 0, "Status": 0}))))
    with pytest.raises(ConfigError, match="boto3>=1.40.27"):
        require_account_state(old)
    require_account_state(raw_model_client())


def raw_model_client():
    return boto3.session.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x").client(
        "organizations")


def test_answers_without_state_are_never_a_pass(home, sim, monkeypatch):
    """An endpoint that still sends only the retired Status (an old proxy, a stale mock): every
    check that reads the state says it could not tell, none exits 0."""
    sim.create_organization()
    for i in range(2):
        sim.add_account(f"m{i}", f"aws+m{i}@example.com")
    sim.change("TrustedAccess", True)
    sim.features |= {"RootCredentialsManagement"}
    monkeypatch.setattr(sim, "_account_json", lambda d: {**{k: v for k, v in d.items() if k != "State"},
                                                         "Status": "ACTIVE"})
    env = aws_env(sim.url)
    audit = home.rk("org", "audit", "--json", env=env)
    assert audit.returncode != 0
    assert {r["verdict"] for r in json.loads(audit.out)["accounts"]} == {"NOT_ACTIVE"}
    reconcile = home.rk("org", "reconcile", "--json", env=env)
    assert reconcile.returncode == 1, reconcile.err
    kinds = {f["kind"] for f in json.loads(reconcile.out)["findings"]}
    assert kinds == {"state-unknown"}
    assert json.loads(reconcile.out)["by_state"] == {"unknown": 3}
