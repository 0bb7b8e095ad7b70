"""Regression tests for the trust issue (#8), organization side: wrong verdicts, crashes, hangs.

The simulated organization (moto's server plus root-user state) and moto's own plain server
are the AWS oracles; each test names the item it covers.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from conftest import oracle
from test_org import Org, audit_json


@pytest.fixture
def org(home, sim):
    return Org(home, sim)


def codes(seed: str, at: float) -> tuple[str, str]:
    out = subprocess.run([oracle("oathtool"), "--totp", "-b", seed, "-w", "1", "-N", f"@{int(at)}"],
                         capture_output=True, check=True).stdout.decode().split()
    return out[0], out[1]


# ---------------------------------------------------------------- item 12: reconcile trusts a verified journal only
def test_item12_an_appended_unchained_line_does_not_hide_a_not_enrolled_account(org):
    victim = org.account("never-enrolled")
    line = {"seq": 99, "event": "org.delete-root", "account_id": victim, "prev": "0" * 64, "hash": "0" * 64}
    with org.home.journal.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    result = org.rk("org", "reconcile", "--json")
    assert result.returncode == 1, result.err
    kinds = {(f["kind"], f["account_id"]) for f in json.loads(result.out)["findings"]}
    assert ("not-enrolled", victim) in kinds and ("journal-unverified", "") in kinds


# ---------------------------------------------------------------- item 15: a seed without its device ARN
def test_item15_seed_imported_without_device_arn_is_unrecorded_not_mismatched_and_can_be_recorded(org):
    org.enable_central_root()
    account_id = org.account("imported")
    org.enroll_password("imported")
    serial, seed = org.sim.console_create_virtual_mfa(account_id)
    now = time.time()
    org.sim.console_enable_mfa(account_id, serial, *codes(seed, now - 30))
    csv_file = org.home.root / "team.csv"
    csv_file.write_text("Account #,Account Name,Account Email,MFA Seed\n"
                        f"{account_id},imported,aws+imported@example.com,{seed}\n")
    org.home.rk("seeds", "import", csv_file, check=True)
    code, report, err = audit_json(org, account_id)
    (row,) = report["accounts"]
    assert code == 1 and row["verdict"] == "DEVICE_UNRECORDED" and row["seed_device_arn"] == "", err
    assert "remove" not in err.lower()
    result = org.rk("org", "audit", "--json", "--record-devices", account_id)
    assert result.returncode == 0, result.err
    assert json.loads(result.out)["accounts"][0]["verdict"] == "CUSTODIED"
    assert serial in org.home.age_decrypt()  # the age CLI reads the ARN back from the seed store
    events = [json.loads(line)["event"] for line in org.home.journal.read_text().splitlines()]
    assert events[-1] == "seeds.record-device"
    assert audit_json(org, account_id)[0] == 0


# ---------------------------------------------------------------- item 16: unknown is never absent
def test_item16_a_summary_without_account_password_present_is_never_rootless(org):
    org.enable_central_root()
    member = org.account("member")
    org.sim.console_set_password("123456789012", "Management-root-1!")
    for account_id in ("123456789012", member):
        org.sim.fault(account_id).summary_omits = {"AccountPasswordPresent"}
    code, report, err = audit_json(org)
    rows = {r["account_id"]: r for r in report["accounts"]}
    assert code == 1
    assert rows["123456789012"]["verdict"] == "INCOMPLETE" and rows["123456789012"]["password"] is None, err
    # AssumeRoot asks GetLoginProfile for what the summary left out: a member is still proven rootless.
    assert rows[member]["verdict"] == "ROOTLESS"
    code, report, err = audit_json(org, "--via", "role:OrganizationAccountAccessRole")
    rows = {r["account_id"]: r for r in report["accounts"]}
    assert code == 1 and {r["verdict"] for r in rows.values()} == {"INCOMPLETE"}, err
