"""The org commands against the simulated organization, over HTTP, with an unmodified boto3.

The simulator (moto's server plus root-user state) is the oracle for AWS: what it
holds before and after a command is compared directly, and codes typed into its
console are checked against the seed it issued.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from conftest import assert_clean_failure, aws_env, oracle, snapshot

AUDIT = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"


class Org:
    def __init__(self, home, sim) -> None:
        self.home, self.sim = home, sim
        self.root_ou = sim.create_organization()
        self.ids: dict[str, str] = {"management": "123456789012"}

    def rk(self, *args, input=None, **env):
        return self.home.rk(*args, input=input, env=aws_env(self.sim.url, **env))

    def account(self, name: str, ou: str | None = None, closed: bool = False) -> str:
        self.ids[name] = self.sim.add_account(name, f"aws+{name}@example.com", ou, closed=closed)
        return self.ids[name]

    def enable_central_root(self) -> None:
        result = self.rk("org", "enable-central-root")
        assert result.returncode == 0, result.err

    def vault_password(self, name: str) -> str:
        result = self.home.rk("password", self.ids[name], "--reason", "enrollment", "--show", check=True)
        return result.out.splitlines()[0]

    def enroll_password(self, name: str) -> None:
        account_id = self.ids[name]
        email = self.sim.accounts()[account_id].email
        real = self.sim.accounts()[account_id].name
        self.home.rk("enroll", account_id, "--name", real, "--email", email, "--step", "password", check=True)
        self.sim.console_set_password(account_id, self.vault_password(name))

    def enroll_mfa(self, name: str, recorded_arn: str | None = None, prove: bool = True) -> str:
        """The console shows a secret key; rootkeeper saves it and prints two codes; the console checks them."""
        account_id = self.ids[name]
        serial, seed = self.sim.console_create_virtual_mfa(account_id, "root-mfa")
        email = self.sim.accounts()[account_id].email
        result = self.home.rk("enroll", account_id, "--name", self.sim.accounts()[account_id].name, "--email", email,
                              "--step", "mfa",
                              "--seed-file", "-", "--device-arn", recorded_arn or serial, input=seed + "\n", check=True)
        code1, code2 = result.out.split()[:2]
        self.sim.console_enable_mfa(account_id, serial, code1, code2)
        if prove:  # the console accepted the ceremony's codes: the seed is proven
            self.home.rk("seeds", "prove", account_id, "--signed-in", check=True)
        return serial

    def enroll(self, name: str) -> str:
        self.enroll_password(name)
        return self.enroll_mfa(name)


@pytest.fixture
def org(home, sim):
    return Org(home, sim)


def audit_json(org, *args, **env) -> tuple[int, dict, str]:
    result = org.rk("org", "audit", "--json", *args, **env)
    assert "Traceback" not in result.err and result.out, result.err
    return result.returncode, json.loads(result.out), result.err


def test_accounts_every_page_with_ou_paths(org):
    prod = org.sim.add_ou("Prod")
    payments = org.sim.add_ou("Payments", prod)
    for i in range(30):
        org.account(f"filler-{i:02d}", prod if i % 3 == 0 else None)
    for i in range(25):
        org.account(f"pay-{i:02d}", payments)
    org.account("gone-soon", closed=True)
    result = org.rk("org", "accounts", "--json")
    assert result.returncode == 0, result.err
    listed = {a["account_id"]: a for a in json.loads(result.out)["accounts"]}
    truth = org.sim.accounts()
    assert set(listed) == set(truth) and len(listed) == 57
    assert listed[org.ids["pay-07"]]["ou_path"] == "/Root/Prod/Payments"
    assert listed[org.ids["filler-03"]]["ou_path"] == "/Root/Prod"
    assert listed[org.ids["filler-01"]]["ou_path"] == "/Root"
    assert listed[org.ids["gone-soon"]]["state"] == "CLOSED" and listed[org.ids["gone-soon"]]["status"] is None
    assert listed[org.ids["pay-07"]]["state"] == listed[org.ids["pay-07"]]["status"] == "ACTIVE"
    assert listed["123456789012"]["management"] is True
    assert listed[org.ids["pay-07"]]["email"] == "aws+pay-07@example.com"
    # 25 accounts in one OU need two pages of ListAccountsForParent (20 a page, as AWS).
    assert org.sim.actions["organizations:ListAccountsForParent"] >= 5
    table = org.rk("org", "accounts")
    assert table.returncode == 0 and "/Root/Prod/Payments" in table.out and "57 accounts" in table.err


def plant_every_verdict(org) -> None:
    org.enable_central_root()
    org.enroll("management")                                   # CUSTODIED, with the caller's own credentials
    org.account("custodied")
    org.enroll("custodied")
    org.account("rootless")
    org.account("no-mfa")
    org.enroll_password("no-mfa")
    org.account("root-keys")
    org.sim.plant_access_key(org.ids["root-keys"])
    org.account("root-cert")
    org.sim.plant_certificate(org.ids["root-cert"])
    org.account("seed-missing")
    org.enroll_password("seed-missing")
    org.sim.plant_mfa(org.ids["seed-missing"])                 # someone else's phone
    org.account("seed-mismatch")
    org.enroll_password("seed-mismatch")
    org.enroll_mfa("seed-mismatch", recorded_arn=f"arn:aws:iam::{org.ids['seed-mismatch']}:mfa/old-phone")
    org.account("extra-device")
    org.enroll("extra-device")
    org.sim.plant_mfa(org.ids["extra-device"], "someone-elses-key")  # a second device, not ours
    org.account("not-in-vault")
    org.sim.console_set_password(org.ids["not-in-vault"], "Set-by-someone-else-1")
    org.enroll_mfa("not-in-vault")                             # seed here, password nowhere
    org.account("denied")
    org.sim.fault(org.ids["denied"]).deny = True
    org.account("throttled")
    org.enroll("throttled")
    org.sim.fault(org.ids["throttled"]).throttle = 2           # answered after botocore's retries
    for i in range(14):                                        # more than one page of ListAccounts
        org.account(f"filler-{i:02d}")


EXPECTED = {"management": "CUSTODIED", "custodied": "CUSTODIED", "rootless": "ROOTLESS", "no-mfa": "NO_MFA",
            "root-keys": "ROOT_ACCESS_KEYS", "root-cert": "ROOT_ACCESS_KEYS", "seed-missing": "SEED_MISSING",
            "seed-mismatch": "SEED_MISMATCH", "extra-device": "DEVICE_UNKNOWN", "not-in-vault": "NOT_IN_VAULT", "denied": "UNREACHABLE",
            "throttled": "CUSTODIED"}


def test_audit_every_verdict_from_planted_state(org):
    plant_every_verdict(org)
    before = org.sim.snapshot()
    org.sim.actions.clear()
    code, report, err = audit_json(org)
    assert code == 1, err
    rows = {r["account_id"]: r for r in report["accounts"]}
    assert len(rows) == 26  # every account, the management account included
    for name, verdict in EXPECTED.items():
        assert rows[org.ids[name]]["verdict"] == verdict, (name, rows[org.ids[name]])
    assert all(rows[org.ids[f"filler-{i:02d}"]]["verdict"] == "ROOTLESS" for i in range(14))
    denied = rows[org.ids["denied"]]
    assert denied["error"] == "AccessDenied" and denied["password"] is None
    assert rows[org.ids["root-keys"]]["access_keys"] == list(org.sim.root(org.ids["root-keys"]).access_keys)
    assert rows[org.ids["root-cert"]]["signing_certificates"] == list(org.sim.root(org.ids["root-cert"]).certificates)
    custodied = rows[org.ids["custodied"]]
    assert custodied["mfa"] == [d.serial for d in org.sim.root(org.ids["custodied"]).mfa] == [custodied["seed_device_arn"]]
    assert rows["123456789012"]["management"] is True and rows["123456789012"]["mfa"]
    # The fewest calls: AssumeRoot + GetAccountSummary for a rootless account, + ListMFADevices with MFA, + GetUser
    # with a password (when it was last used).
    assert rows[org.ids["rootless"]]["calls"] == 2 and custodied["calls"] == 4
    assert org.sim.actions["organizations:ListAccounts"] >= 2
    assert org.sim.actions["sts:AssumeRoot"] >= 25
    assert org.sim.calls[org.ids["throttled"]] == 2 + 4  # two throttled attempts, then four answers
    assert report["summary"]["CUSTODIED"] == 3
    # Read-only: the organization is exactly as it was.
    assert org.sim.snapshot() == before


def test_audit_table_and_csv(org):
    plant_every_verdict(org)
    table = org.rk("org", "audit")
    assert table.returncode == 1
    assert "SEED_MISMATCH" in table.out and "UNREACHABLE" in table.out and "AccessDenied" in table.out
    assert "neither ROOTLESS nor CUSTODIED" in table.err and "error: " in table.err
    result = org.rk("org", "audit", "--csv", org.ids["root-keys"], "custodied")
    assert result.returncode == 1
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [r["verdict"] for r in rows] == ["CUSTODIED", "ROOT_ACCESS_KEYS"]
    assert rows[1]["access_keys"].startswith("AKIA")


def test_audit_of_accounts_named_by_id_reaches_only_those_accounts(org):
    """Issue 13, goal 6: ids need no listing of the organization (one DescribeAccount each)."""
    plant_every_verdict(org)
    org.sim.actions.clear()
    org.sim.calls.clear()
    result = org.rk("org", "audit", "--json", org.ids["root-keys"], org.ids["custodied"])
    rows = {r["account_id"]: r for r in json.loads(result.out)["accounts"]}
    assert set(rows) == {org.ids["root-keys"], org.ids["custodied"]}
    assert rows[org.ids["custodied"]]["verdict"] == "CUSTODIED" and rows[org.ids["root-keys"]]["verdict"] == "ROOT_ACCESS_KEYS"
    assert org.sim.actions["organizations:ListAccounts"] == 0
    assert org.sim.actions["organizations:DescribeAccount"] == 2
    from rootkeeper.sim.server import MANAGEMENT_ACCOUNT

    reached = set(org.sim.calls) - {MANAGEMENT_ACCOUNT}  # the management account's own calls (DescribeAccount)
    assert reached == {org.ids["root-keys"], org.ids["custodied"]}  # no other account was reached
    assert all(rows[a]["calls"] <= 4 for a in rows)  # summary, devices or keys, and their last use


def test_throttled_after_retries_is_unreachable_and_the_rest_complete(org):
    org.enable_central_root()
    for i in range(5):
        org.account(f"acct-{i}")
    org.sim.fault(org.ids["acct-2"]).throttle = -1
    code, report, _ = audit_json(org, "--concurrency", "2", AWS_MAX_ATTEMPTS="2")
    rows = {r["account_id"]: r for r in report["accounts"]}
    assert code == 1
    assert rows[org.ids["acct-2"]]["verdict"] == "UNREACHABLE" and rows[org.ids["acct-2"]]["error"] == "Throttling"
    assert org.sim.calls[org.ids["acct-2"]] == 2  # AWS_MAX_ATTEMPTS honoured: tried twice
    assert all(rows[org.ids[f"acct-{i}"]]["verdict"] == "ROOTLESS" for i in (0, 1, 3, 4))


def test_audit_before_central_root_access_is_an_error_naming_the_feature(org):
    """No member reached is an error (exit 2), never a list of findings; the row names the feature to turn on."""
    org.account("member")
    code, report, err = audit_json(org)
    row = {r["account_id"]: r for r in report["accounts"]}[org.ids["member"]]
    assert code == 2 and row["verdict"] == "UNREACHABLE" and row["error"] == "AccessDenied"
    assert "RootCredentialsManagement is off" in row["message"] and "RootSessions" not in row["message"]
    assert "reached none of the 1 active member account(s)" in err


def test_audit_via_role(org):
    org.enable_central_root()
    org.account("custodied")
    org.enroll("custodied")
    org.account("root-keys")
    org.sim.plant_access_key(org.ids["root-keys"])
    code, report, err = audit_json(org, "--via", "role:OrganizationAccountAccessRole")
    rows = {r["account_id"]: r for r in report["accounts"]}
    assert rows[org.ids["custodied"]]["verdict"] == "CUSTODIED", err
    assert rows[org.ids["root-keys"]]["verdict"] == "ROOT_ACCESS_KEYS"
    assert org.sim.actions["sts:AssumeRoot"] == 0 and org.sim.actions["sts:AssumeRole"] == 2
    code, report, _ = audit_json(org, "--via", "role:NoSuchRole")
    rows = {r["account_id"]: r for r in report["accounts"]}
    assert rows[org.ids["custodied"]]["verdict"] == "UNREACHABLE" and rows[org.ids["custodied"]]["error"] == "AccessDenied"


def test_delete_root_dry_run_changes_nothing(org):
    org.enable_central_root()
    org.account("victim")
    org.enroll("victim")
    key = org.sim.plant_access_key(org.ids["victim"])
    cert = org.sim.plant_certificate(org.ids["victim"])
    serial = org.sim.root(org.ids["victim"]).mfa[0].serial
    aws_before, files_before = org.sim.snapshot(), snapshot(org.home.root)
    result = org.rk("org", "delete-root", "victim", "--dry-run")
    assert result.returncode == 0, result.err
    label = f"{org.ids['victim']} (victim)"
    assert result.out.splitlines() == [
        f"{label}: would delete the root password (login profile)",
        f"{label}: would deactivate MFA device {serial}",
        f"{label}: would delete access key {key}",
        f"{label}: would delete signing certificate {cert}",
        f"{label}: would retire vault entry 'victim'",
        f"{label}: would retire its seed row(s)",
    ]
    assert org.sim.snapshot() == aws_before
    assert snapshot(org.home.root) == files_before
    assert org.sim.actions["sts:AssumeRoot"] == 1  # with the read-only audit policy
    assert not any(a.startswith("iam:Delete") or a.startswith("iam:Deactivate") for a in org.sim.actions)


def test_delete_root_leaves_the_account_rootless_and_custody_retired(org):
    org.enable_central_root()
    org.account("victim")
    org.enroll("victim")
    org.sim.plant_access_key(org.ids["victim"])
    org.account("bystander")
    org.enroll("bystander")
    victim = org.ids["victim"]
    refused = org.rk("org", "delete-root", "victim")  # no terminal, no --yes
    assert_clean_failure(refused, 2, "--yes")
    result = org.rk("org", "delete-root", "victim", "--yes")
    assert result.returncode == 0, result.err
    assert f"{victim} (victim): rootless" in result.out
    root = org.sim.root(victim)
    assert root.password_created is None and not root.mfa and not root.access_keys and not root.certificates
    code, report, _ = audit_json(org)
    rows = {r["account_id"]: r for r in report["accounts"]}
    assert rows[victim]["verdict"] == "ROOTLESS" and rows[org.ids["bystander"]]["verdict"] == "CUSTODIED"
    # Custody retired, not deleted: KeePassXC sees the entry under Retired, age shows the row retired.
    listing = org.home.kpcli("ls", "-R", "-f", str(org.home.vault))
    assert "Retired/victim" in listing and "AWS root users/bystander" in listing
    rows_csv = [r for r in org.home.age_decrypt().splitlines() if r.startswith(victim)]
    assert rows_csv and all(r.split(",")[9] == "retired" for r in rows_csv)  # the State column
    records = [json.loads(line) for line in org.home.journal.read_text().splitlines()]
    deleted = [r for r in records if r.get("event") == "org.delete-root"]
    assert deleted and deleted[0]["account_id"] == victim and not deleted[0]["error"]
    assert len(deleted[0]["deleted"]) == 3
    assert org.home.rk("journal", "verify").returncode == 0
    # Rootless by record: reconciliation does not ask to enroll it again.
    reconcile = org.rk("org", "reconcile", "--json")
    assert victim not in reconcile.out, reconcile.out
    again = org.rk("org", "delete-root", "victim", "--dry-run")
    assert "nothing to delete in AWS" in again.out


def test_delete_root_can_remove_only_the_keys_or_one_stray_device_and_keeps_custody(org):
    """The fixes for ROOT_ACCESS_KEYS and for a foreign device beside ours, without deleting the password and
    retiring custody: only those are deleted (re-listed to prove it), the account stays custodied, not rootless."""
    org.enable_central_root()
    account_id = org.account("payments")
    ours = org.enroll("payments")
    key = org.sim.plant_access_key(account_id)
    org.sim.plant_certificate(account_id)
    stray, _ = org.sim.plant_mfa(account_id, "old-phone")
    assert audit_json(org, account_id)[1]["accounts"][0]["findings"] == ["ROOT_ACCESS_KEYS", "DEVICE_UNKNOWN"]
    dry = org.rk("org", "delete-root", account_id, "--only-keys", "--dry-run")
    assert dry.returncode == 0 and f"would delete access key {key}" in dry.out and "password" not in dry.out, dry.out
    result = org.rk("org", "delete-root", account_id, "--only-keys", "--yes", "--reason", "INC-7")
    assert result.returncode == 0, result.err
    root = org.sim.root(account_id)
    assert not root.access_keys and not root.certificates and root.password_created and len(root.mfa) == 2
    # The seed's own device is never deactivated alone: refused before any AWS call, nothing changed.
    before = org.sim.snapshot()
    assert_clean_failure(org.rk("org", "delete-root", account_id, "--mfa-device", ours, "--yes"), 2,
                         "is the device of")
    assert org.sim.snapshot() == before
    result = org.rk("org", "delete-root", account_id, "--mfa-device", stray, "--yes", "--reason", "INC-7")
    assert result.returncode == 0 and f"deactivated MFA device {stray}" in result.out, result.err
    assert [d.serial for d in org.sim.root(account_id).mfa] == [ours]
    code, report, err = audit_json(org, account_id)
    assert code == 0 and report["accounts"][0]["verdict"] == "CUSTODIED", err
    records = [json.loads(line) for line in org.home.journal.read_text().splitlines()]
    parts = [r for r in records if r["event"] == "org.delete-root.part"]
    assert len(parts) == 2 and parts[1]["only"] == [f"MFA device {stray}"] and parts[0]["reason"] == "INC-7"
    assert not [r for r in records if r["event"] == "org.delete-root"]  # never rootless by record
    listed = json.loads(org.home.rk("list", "--json", check=True).out)["accounts"]
    assert [a["state"] for a in listed if a["account_id"] == account_id] == ["custodied"]


def test_delete_root_refuses_the_management_account_and_unknown_accounts(org):
    org.enable_central_root()
    before = org.sim.snapshot()
    assert_clean_failure(org.rk("org", "delete-root", "123456789012", "--yes"), 2, "management account")
    assert_clean_failure(org.rk("org", "delete-root", "999999999999", "--yes"), 2, "not in the organization")
    assert_clean_failure(org.rk("org", "delete-root", "no-such-name", "--yes"), 2, "no account named")
    assert org.sim.snapshot() == before


def test_allow_recovery(org):
    org.enable_central_root()
    org.account("sandbox")
    result = org.rk("org", "allow-recovery", "sandbox")
    assert result.returncode == 0, result.err
    root = org.sim.root(org.ids["sandbox"])
    assert root.password_created is not None and root.password_reset_required and root.password_sha256 is None
    assert "rootkeeper enroll" in result.err
    again = org.rk("org", "allow-recovery", "sandbox")
    assert again.returncode == 0 and "already has a password" in again.out
    code, report, _ = audit_json(org, "sandbox")
    assert report["accounts"][0]["verdict"] == "NO_MFA"


def test_enable_central_root(org):
    before = org.sim.snapshot()
    dry = org.rk("org", "enable-central-root", "--dry-run")
    assert dry.returncode == 0, dry.err
    assert dry.out.splitlines() == ["would enable: trusted access for iam.amazonaws.com",
                                    "would enable: RootCredentialsManagement", "would enable: RootSessions"]
    assert org.sim.snapshot() == before
    done = org.rk("org", "enable-central-root")
    assert done.out.count("enabled: ") == 3
    assert org.sim.trusted_access() and org.sim.features == {"RootCredentialsManagement", "RootSessions"}
    again = org.rk("org", "enable-central-root")
    assert again.out.splitlines() == ["already on: trusted access for iam.amazonaws.com",
                                      "already on: RootCredentialsManagement", "already on: RootSessions"]


def test_reconcile_findings(org):
    org.enable_central_root()
    org.account("good")
    org.enroll("good")
    org.account("never")
    org.account("half")
    org.enroll_password("half")
    org.account("renamed")
    org.enroll("renamed")
    org.account("closed")
    org.enroll("closed")
    org.sim.close(org.ids["closed"])
    org.home.rk("enroll", "210987654321", "--name", "gone", "--step", "password", check=True)
    org.sim.rename(org.ids["renamed"], "renamed-2", "new@example.com")
    result = org.rk("org", "reconcile", "--json")
    assert result.returncode == 1, result.err
    findings = {(f["kind"], f["account_id"]): f for f in json.loads(result.out)["findings"]}
    assert ("not-enrolled", org.ids["never"]) in findings
    assert findings[("not-enrolled", org.ids["never"])]["fix"] == f"rootkeeper org delete-root {org.ids['never']} --dry-run"
    assert findings[("not-enrolled", org.ids["never"])]["detail"].endswith(
        f"rootkeeper enroll {org.ids['never']} --name never --email aws+never@example.com")
    assert ("no-seed", org.ids["half"]) in findings
    assert ("name-drift", org.ids["renamed"]) in findings and ("email-drift", org.ids["renamed"]) in findings
    assert ("closed", org.ids["closed"]) in findings and ("gone", "210987654321") in findings
    assert not any(k[1] == org.ids["good"] for k in findings)
    assert not any(k[1] == "123456789012" and k[0] != "not-enrolled" for k in findings)
    text = org.rk("org", "reconcile")
    assert f"fix: rootkeeper org delete-root {org.ids['never']} --dry-run" in text.out
    assert "fix: rootkeeper enroll 123456789012 --name" in text.out  # the management account keeps its root user


def test_reconcile_clean_exits_zero(org):
    org.enroll("management")
    result = org.rk("org", "reconcile")
    assert result.returncode == 0, result.err
    assert "0 finding(s)" in result.err


@pytest.mark.parametrize("args, env, message", [
    (["org", "audit", "--via", "bogus"], {}, "--via"),
    (["org", "audit", "--concurrency", "0"], {}, "--concurrency"),
    (["org", "audit", "--json", "--csv"], {}, "exclude"),
    (["org", "audit", "999999999999"], {}, "not in the organization"),
    (["org", "accounts"], {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, "credentials"),
    (["org", "accounts"], {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, "could not be reached"),
    (["org", "accounts", "--profile", "nope"], {}, "profile"),
])
def test_bad_input_is_one_error_line(org, args, env, message):
    env = {k: v for k, v in env.items()}
    before = snapshot(org.home.root)
    result = org.rk(*args, **env)
    assert_clean_failure(result, 2, message)
    assert snapshot(org.home.root) == before


def test_not_in_an_organization(home, sim):
    result = home.rk("org", "accounts", env=aws_env(sim.url))
    assert_clean_failure(result, 2, "not in an organization")


def test_only_org_commands_import_boto3(home):
    code = ("import sys; from rootkeeper.cli import main\n"
            "try:\n    main(['list', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('boto3' in sys.modules, 'botocore' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=home.root, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_audit_reads_custody_through_independent_tools(org):
    """The device ARN the audit compares is the one the age CLI finds in the store."""
    oracle("age")
    org.enable_central_root()
    org.account("a")
    serial = org.enroll("a")
    assert f",{serial}," in org.home.age_decrypt()
    code, report, _ = audit_json(org, "a")
    assert report["accounts"][0]["seed_device_arn"] == serial and code == 0


def test_credentials_from_a_profile(org, tmp_path):
    (tmp_path / "aws-credentials").write_text("[mgmt]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = x\n")
    (tmp_path / "aws-config").write_text("[profile mgmt]\nregion = eu-west-1\n")
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
           "AWS_CONFIG_FILE": str(tmp_path / "aws-config")}
    assert_clean_failure(org.rk("org", "accounts", **env), 2, "no AWS credentials")
    assert org.rk("org", "accounts", "--profile", "mgmt", **env).returncode == 0
    assert org.rk("org", "accounts", **env, AWS_PROFILE="mgmt").returncode == 0
    assert org.rk("org", "accounts", "--profile", "mgmt", "--region", "ap-south-1", **env).returncode == 0


def test_delete_root_stopped_half_way_is_journaled_and_custody_kept(org):
    """An SCP denies DeleteAccessKey: what was deleted is recorded, custody stays, a re-run finishes."""
    org.enable_central_root()
    org.account("victim")
    org.enroll("victim")
    org.sim.plant_access_key(org.ids["victim"])
    org.sim.fault(org.ids["victim"]).errors["DeleteAccessKey"] = "AccessDenied"
    result = org.rk("org", "delete-root", "victim", "--yes")
    assert_clean_failure(result, 2, "not finished")
    root = org.sim.root(org.ids["victim"])
    assert root.password_created is None and not root.mfa and root.access_keys  # half done in AWS
    records = [json.loads(line) for line in org.home.journal.read_text().splitlines()]
    stopped = [r for r in records if r.get("event") == "org.delete-root"][-1]
    assert stopped["error"].startswith("AccessDenied") and len(stopped["deleted"]) == 2
    assert "AWS root users/victim" in org.home.kpcli("ls", "-R", "-f", str(org.home.vault))  # custody untouched
    org.sim.fault(org.ids["victim"]).errors.clear()
    org.sim.actions.clear()
    again = org.rk("org", "delete-root", org.ids["victim"], "--yes")
    assert again.returncode == 0, again.err
    assert org.sim.actions["organizations:DescribeAccount"] == 1  # an id needs no listing of the organization
    assert org.sim.actions["organizations:ListAccounts"] == 0
    assert not root.access_keys and "Retired/victim" in org.home.kpcli("ls", "-R", "-f", str(org.home.vault))


def test_assume_root_goes_to_the_regional_sts_endpoint(monkeypatch):
    """AssumeRoot is served by regional STS endpoints only; no call is made here."""
    from rootkeeper.org.aws import Aws

    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_STS_REGIONAL_ENDPOINTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    assert Aws(region="eu-west-1").client("sts").meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"
    assert Aws().client("sts").meta.endpoint_url == "https://sts.us-east-1.amazonaws.com"


def test_delete_root_of_several_accounts_retires_their_custody_in_one_commit_after_aws_is_clean(org):
    """Each account's AWS work is recorded as it happens; custody is retired once for all (the vault and the
    seed store each written once, a record per account), and only then reported retired."""
    org.enable_central_root()
    names = ["alpha", "beta", "gamma"]
    for name in names:
        org.account(name)
        org.enroll(name)
    org.sim.plant_access_key(org.ids["beta"])
    result = org.rk("org", "delete-root", *names, "--yes")
    assert result.returncode == 0, result.err
    lines = result.out.splitlines()
    last_aws = max(i for i, line in enumerate(lines) if "retired" not in line and "rootless" not in line)
    for name in names:  # each told rootless only after every account's AWS work
        assert lines.index(f"{org.ids[name]} ({name}): rootless") > last_aws, lines
    events = [(r["event"], r.get("account_id")) for r in map(json.loads, org.home.journal.read_text().splitlines())]
    first = events.index(("org.delete-root.intent", org.ids["alpha"]))
    last = events.index(("org.delete-root", org.ids["gamma"]))
    assert all(event != "retire" for event, _ in events[first:last])
    assert events[last + 1:] == [("retire", org.ids[name]) for name in names]
    listing = org.home.kpcli("ls", "-R", "-f", str(org.home.vault))
    assert all(f"Retired/{name}" in listing for name in names)
    assert org.home.rk("journal", "verify").returncode == 0


def test_delete_root_of_an_account_with_a_seed_and_no_vault_entry(org):
    org.enable_central_root()
    org.account("seed-only")
    org.sim.console_set_password(org.ids["seed-only"], "Set-by-someone-else-1")
    org.enroll_mfa("seed-only")
    result = org.rk("org", "delete-root", "seed-only", "--yes")
    assert result.returncode == 0, result.err
    assert "retired its seed row(s)" in result.out and "vault entry" not in result.out
    rows = [r for r in org.home.age_decrypt().splitlines() if r.startswith(org.ids["seed-only"])]
    assert len(rows) == 1 and rows[0].split(",")[9] == "retired"  # the State column
    events = [json.loads(line)["event"] for line in org.home.journal.read_text().splitlines()]
    assert events[-2:] == ["org.delete-root", "retire"]


KILLED_AFTER = """
import os, signal, sys
from botocore.client import BaseClient
real = BaseClient._make_api_call
def call(self, operation, params):
    answer = real(self, operation, params)
    if operation == os.environ["KILL_AFTER_CALL"]:
        os.kill(os.getpid(), signal.SIGKILL)
    return answer
BaseClient._make_api_call = call
from rootkeeper.cli import main
main(sys.argv[1:])
"""


def test_delete_root_killed_after_aws_deleted_the_password_left_its_intent_in_the_journal(org):
    import subprocess
    import sys

    from conftest import aws_env

    org.enable_central_root()
    org.account("victim")
    org.enroll("victim")
    org.sim.plant_access_key(org.ids["victim"])
    env = {**aws_env(org.sim.url), "KILL_AFTER_CALL": "DeleteLoginProfile"}
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER, "org", "delete-root", "victim", "--yes",
                             *map(str, org.home.creds())], cwd=org.home.root, env=env, capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr.decode()
    assert org.sim.root(org.ids["victim"]).password_created is None  # AWS deleted it
    records = [json.loads(line) for line in org.home.journal.read_text().splitlines()]
    intent = [r for r in records if r.get("event") == "org.delete-root.intent"]
    assert intent and intent[-1]["account_id"] == org.ids["victim"]
    assert any("password" in step for step in intent[-1]["planned"])
    again = org.rk("org", "delete-root", "victim", "--yes")
    assert again.returncode == 0, again.err


def test_enabling_central_root_access_is_journaled_and_says_what_it_enabled(org):
    """A change to the organization is recorded like a change to the stores; a run that finds everything
    on already changes nothing and records nothing."""
    org.enable_central_root()
    records = [json.loads(line) for line in org.home.journal.read_text().splitlines()]
    enabled = [r for r in records if r["event"] == "org.enable-central-root"]
    assert len(enabled) == 1 and set(enabled[0]["enabled"]) == {
        "trusted access for iam.amazonaws.com", "RootCredentialsManagement", "RootSessions"}, enabled
    shown = org.home.rk("journal", "show", check=True).out
    assert "org.enable-central-root" in shown and "enabled: trusted access for iam.amazonaws.com" in shown
    org.enable_central_root()
    assert org.home.journal.read_text().count("org.enable-central-root") == 1


def test_a_refusal_every_member_shares_is_said_once_up_front_with_its_fix(org):
    """Central root access off refuses every member alike: the text says so once, before the table, with the
    whole fix; each row names the error only, not a hint cut at the column's width."""
    for index in range(4):
        org.account(f"member-{index}")
    result = org.rk("org", "audit")
    assert result.returncode == 2
    told = [line for line in result.err.splitlines() if "accounts unreachable with AccessDenied" in line]
    assert len(told) == 1 and told[0].startswith("4 accounts") and "RootCredentialsManagement" in told[0], result.err
    assert result.err.index(told[0]) < result.err.index("error:")
    assert result.out.count("AccessDenied (said above)") == 4, result.out
    assert "RootCredentialsManagement" not in result.out, result.out


def test_an_account_given_a_root_password_after_its_rootless_record_needs_custody_again(org):
    """delete-root recorded the account rootless; allow-recovery then gave root a password: reconcile must
    say it needs custody, not stay silent until someone enrolls it."""
    org.enable_central_root()
    org.account("sandbox")
    assert org.rk("org", "delete-root", "sandbox", "--yes").returncode == 0
    findings = json.loads(org.rk("org", "reconcile", "--json").out)["findings"]
    assert not any(f["account_id"] == org.ids["sandbox"] for f in findings)
    assert org.rk("org", "allow-recovery", "sandbox").returncode == 0
    result = org.rk("org", "reconcile", "--json")
    assert result.returncode == 1, result.err
    findings = {f["account_id"]: f for f in json.loads(result.out)["findings"]}
    assert findings[org.ids["sandbox"]]["kind"] == "not-enrolled"


def test_delete_root_records_its_reason_with_the_intent_the_deletion_and_the_retirement(org):
    org.enable_central_root()
    org.account("sandbox")
    org.enroll("sandbox")
    result = org.rk("org", "delete-root", "sandbox", "--yes", "--reason", "sandbox closed (CHG-31)")
    assert result.returncode == 0, result.err
    records = [json.loads(line) for line in org.home.journal.read_text().splitlines()]
    said = {r["event"]: r.get("reason") for r in records if r.get("account_id") == org.ids["sandbox"]}
    assert said["org.delete-root.intent"] == said["org.delete-root"] == said["retire"] == "sandbox closed (CHG-31)"
