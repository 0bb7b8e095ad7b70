"""Every root MFA device in custody: a virtual seed, a FIDO security key and a hardware token, joined by the audit
with what custody knows (the seed store's device ARNs, the custody plan's keys and tokens). The serials are AWS's
documented forms (FIDO ``arn:aws:iam::ID:u2f/root/NAME-SUFFIX``, a hardware token's bare serial); the simulated
organization registers them as the console does, and only the root session's ListMFADevices lists them."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest
from conftest import key_medium, snapshot
from test_org import Org, audit_json
from test_org_verdicts_under_faults import codes

from rootkeeper.custody.layout import WRITE_UP_PLAN


@pytest.fixture
def org(home, sim):
    return Org(home, sim)


def plan_with(home, medium_name: str, kind: str, account_id: str, serial: str):
    path = home.root / "custody-plan.toml"
    path.write_text(WRITE_UP_PLAN + key_medium(medium_name, kind, 'place = "bank-box-b"', {account_id: serial}))
    return path


def test_a_seed_and_a_security_key_in_the_plan_are_custodied_and_a_key_custody_does_not_know_is_named(org):
    org.enable_central_root()
    account_id = org.account("payments")
    seed_arn = org.enroll("payments")
    key = org.sim.console_register_security_key(account_id, "yubikey-1")
    code, report, err = audit_json(org, account_id)
    (row,) = report["accounts"]
    assert code == 1 and row["verdict"] == "DEVICE_UNKNOWN", err
    assert key in row["message"] and f"--mfa-device {key}" in row["message"]  # the device, and the fix
    assert {d["serial"]: (d["kind"], d["known"]) for d in row["mfa_devices"]} == {
        seed_arn: ("virtual", "seed"), key: ("fido", None)}
    plan = plan_with(org.home, "yubikey-1", "security-key", account_id, key)
    code, report, err = audit_json(org, account_id, "--plan", plan)
    (row,) = report["accounts"]
    assert code == 0 and row["verdict"] == "CUSTODIED", err
    assert {d["serial"]: d["known"] for d in row["mfa_devices"]} == {seed_arn: "seed", key: "plan yubikey-1"}
    assert row["advice"] == []  # two devices: AWS's advice is followed
    out = org.rk("org", "audit", "--csv", "--plan", plan, account_id)
    (line,) = csv.DictReader(io.StringIO(out.out))
    assert f"{key} (fido, plan yubikey-1)" in line["mfa_devices"] and line["verdict"] == "CUSTODIED"
    # The key deactivated in the console: custody expects a device AWS no longer has.
    result = org.rk("org", "delete-root", account_id, "--mfa-device", key, "--yes", "--reason", "key lost")
    assert result.returncode == 0, result.err
    time.sleep(org.sim.list_lag if hasattr(org.sim, "list_lag") else 0)
    code, report, err = audit_json(org, account_id, "--plan", plan)
    (row,) = report["accounts"]
    assert code == 1 and row["verdict"] == "DEVICE_GONE" and "yubikey-1" in row["message"], err
    assert row["advice"] == ["SINGLE_MFA_DEVICE"] and "advise" in err


def test_a_hardware_token_of_the_plan_counts_and_an_account_with_only_it_needs_no_seed(org):
    org.enable_central_root()
    account_id = org.account("logs")
    org.enroll_password("logs")
    token = org.sim.console_assign_hardware_token(account_id, "GAKT12345678")
    plan = plan_with(org.home, "token-1", "hardware-token", account_id, token)
    code, report, err = audit_json(org, account_id, "--plan", plan)
    (row,) = report["accounts"]
    assert code == 0 and row["verdict"] == "CUSTODIED", err  # no virtual device: no seed is missing
    assert row["mfa_devices"] == [{"serial": "GAKT12345678", "kind": "hardware", "known": "plan token-1"}]
    assert row["advice"] == ["SINGLE_MFA_DEVICE"]


def test_through_a_role_a_key_beside_the_seed_cannot_be_ruled_out_so_nothing_is_custodied(org):
    """The role path sees virtual devices only: a foreign FIDO key beside our seed used to pass as CUSTODIED."""
    org.enable_central_root()
    account_id = org.account("shared")
    org.enroll("shared")
    org.sim.console_register_security_key(account_id, "someone-elses")
    code, report, err = audit_json(org, account_id, "--via", "role:OrganizationAccountAccessRole")
    (row,) = report["accounts"]
    assert code == 1 and row["verdict"] == "INCOMPLETE", err
    assert "only virtual MFA devices are visible" in row["message"] and "--via assume-root" in row["message"]
    code, report, err = audit_json(org, account_id)  # the root session sees it
    assert report["accounts"][0]["verdict"] == "DEVICE_UNKNOWN"
    lone = org.account("lone")
    org.enroll("lone")  # only our seed: the summary's count proves there is no other device
    code, report, err = audit_json(org, lone, "--via", "role:OrganizationAccountAccessRole")
    assert code == 0 and report["accounts"][0]["verdict"] == "CUSTODIED", err


def test_a_seed_without_its_arn_on_an_account_whose_only_device_is_a_key_is_no_unrecorded_device(org):
    """It used to be DEVICE_UNRECORDED ("nothing in AWS needs to change"), and --record-devices then stopped with
    "the seed store is damaged; restore it from a copy" for a store that is fine."""
    org.enable_central_root()
    account_id = org.account("keyonly")
    org.enroll_password("keyonly")
    key = org.sim.console_register_security_key(account_id, "yubikey-9")
    _serial, seed = org.sim.console_create_virtual_mfa(account_id, "never-enabled")  # a seed AWS never enabled
    table = org.home.root / "team.csv"
    table.write_text(f"Account #,Account Name,Account Email,MFA Seed\n{account_id},keyonly,aws+keyonly@example.com,"
                     f"{seed}\n")
    org.home.rk("seeds", "import", table, check=True)
    code, report, err = audit_json(org, account_id)
    (row,) = report["accounts"]
    assert code == 1 and row["findings"] == ["SEED_MISMATCH", "DEVICE_UNKNOWN"], err
    assert key in row["message"]
    before = snapshot(org.home.root)
    result = org.rk("org", "audit", "--json", "--record-devices", account_id)
    assert result.returncode == 1 and "damaged" not in result.err and "Traceback" not in result.err, result.err
    assert json.loads(result.out)["accounts"][0]["seed_device_arn"] == ""  # a key is never a seed's device
    assert snapshot(org.home.root) == before  # nothing recorded, nothing written


def test_a_seed_kept_without_its_arn_beside_a_key_records_only_the_virtual_device(org):
    org.enable_central_root()
    account_id = org.account("both")
    org.enroll_password("both")
    serial, seed = org.sim.console_create_virtual_mfa(account_id, "root-mfa")
    org.sim.console_enable_mfa(account_id, serial, *codes(seed, time.time() - 30))
    key = org.sim.console_register_security_key(account_id, "yubikey-2")
    table = org.home.root / "team.csv"
    table.write_text(f"Account #,Account Name,Account Email,MFA Seed\n{account_id},both,aws+both@example.com,{seed}\n")
    org.home.rk("seeds", "import", table, check=True)
    plan = plan_with(org.home, "yubikey-2", "security-key", account_id, key)
    result = org.rk("org", "audit", "--json", "--record-devices", "--plan", plan, account_id)
    row = json.loads(result.out)["accounts"][0]
    assert row["seed_device_arn"] == serial and row["verdict"] == "SEED_UNPROVEN", result.err
    assert serial in org.home.age_decrypt() and key not in org.home.age_decrypt()


def test_a_key_registered_in_the_console_is_recorded_in_the_plan_and_the_audit_then_counts_it(org):
    """The ceremony for a key: the console's steps name the device to type; the serial it recorded goes into the
    plan (its comments kept), journaled; the audit with the plan then calls the account custodied."""
    org.enable_central_root()
    account_id = org.account("payments")
    org.enroll("payments")
    plan = org.home.root / "custody-plan.toml"
    org.home.rk("custody", "init", plan, check=True)
    key = org.sim.console_register_security_key(account_id, "yubikey-1")
    wrong = org.home.rk("custody", "add-device", plan, "yubikey-1", account_id, "--place", "bank-box-b",
                        "--serial", f"arn:aws:iam::{account_id}:mfa/yubikey-1")
    assert wrong.returncode == 2 and "not a FIDO security key" in wrong.err
    before = plan.read_text()
    added = org.home.rk("custody", "add-device", plan, "yubikey-1", account_id, "--place", "bank-box-b",
                        "--serial", key, check=True)
    assert "journal: record" in added.err
    text = plan.read_text()
    assert text.startswith(before.rstrip("\n")) and f'devices = {{ "{account_id}" = "{key}" }}' in text
    records = [json.loads(line) for line in org.home.journal.read_text().splitlines()]
    assert records[-1]["event"] == "custody.add-device" and records[-1]["serial"] == key
    code, report, err = audit_json(org, account_id, "--plan", plan)
    assert code == 0 and report["accounts"][0]["verdict"] == "CUSTODIED", err
    other = org.account("logs")
    org.enroll("logs")
    second = org.sim.console_register_security_key(other, "yubikey-1")  # the same key, another account
    org.home.rk("custody", "add-device", plan, "yubikey-1", other, "--serial", second, check=True)
    assert f'"{account_id}" = "{key}", "{other}" = "{second}"' in plan.read_text()
    checked = org.home.rk("custody", "check", plan)
    assert "10 media" in checked.out  # the key is one of the plan's media (off-site, on the seed side: no finding)


def test_two_virtual_devices_kept_as_two_seeds_give_their_own_codes_and_are_custodied_through_both_paths(org):
    """Root may hold up to 8 MFA devices: a second virtual device (kept at another site) is a second seed of the
    account, with its own device ARN; each gives its own code, is proven by its own sign-in, and the audit knows
    both. It used to be DEVICE_UNKNOWN for ever: the seed store kept one seed per account."""
    org.enable_central_root()
    account_id = org.account("payments")
    first = org.enroll("payments")
    second, seed = org.sim.console_create_virtual_mfa(account_id, "site-b")
    before = snapshot(org.home.root)
    refused = org.home.rk("enroll", account_id, "--step", "mfa", "--seed-file", "-", "--device-arn", second,
                          input=seed + "\n")
    assert refused.returncode == 2 and "--another-device" in refused.err, refused.err
    assert snapshot(org.home.root) == before  # refused before anything was written
    result = org.home.rk("enroll", account_id, "--step", "mfa", "--another-device", "--seed-file", "-",
                         "--device-arn", second, input=seed + "\n", check=True)
    org.sim.console_enable_mfa(account_id, second, *result.out.split()[:2])
    plain = org.home.age_decrypt()  # the age CLI: two active rows of the account, each with its device
    active = [line for line in plain.splitlines() if line.startswith(account_id) and ",active," in line]
    assert len(active) == 2 and first in active[0] and second in active[1] and seed in active[1]
    code, report, err = audit_json(org, account_id)
    (row,) = report["accounts"]
    assert code == 1 and row["findings"] == ["SEED_UNPROVEN"], err  # both known; the second never signed in
    assert {d["serial"]: d["known"] for d in row["mfa_devices"]} == {first: "seed", second: "seed"}
    # Its code is the second device's (oathtool on the seed the console showed), named by the device's name.
    got = org.home.rk("code", account_id, "--reason", "site B drill", "--device", "site-b", check=True)
    at = time.time()
    assert got.out.split()[0] in {codes(seed, at - 30)[1], codes(seed, at)[0]}
    default = org.home.rk("code", account_id, "--reason", "drill", check=True)
    assert "choose root-mfa in the console" in default.err and "--device" in default.err
    listed = org.home.rk("list", check=True)  # the table names the first device and how many more; the count is seeds
    assert "root-mfa (+1)" in listed.out and "1 seeds never proven" in listed.err, listed.err
    unsaid = org.home.rk("seeds", "prove", account_id, "--signed-in")
    assert unsaid.returncode == 2 and "--device" in unsaid.err and "site-b" in unsaid.err, unsaid.err
    org.home.rk("seeds", "prove", account_id, "--signed-in", "--device", "site-b", check=True)
    for via in ([], ["--via", "role:OrganizationAccountAccessRole"]):
        code, report, err = audit_json(org, account_id, *via)
        (row,) = report["accounts"]
        assert code == 0 and row["verdict"] == "CUSTODIED", (via, err)
        assert [s["device_arn"] for s in row["seeds"]] == [first, second] and all(s["proven_at"] for s in row["seeds"])
        assert row["advice"] == []  # two devices: AWS's advice is followed
    listed = json.loads(org.home.rk("list", "--json", check=True).out)
    (entry,) = [a for a in listed["accounts"] if a["account_id"] == account_id]
    assert [s["device_arn"] for s in entry["seeds"]] == [first, second] and entry["proven"] is True
    # The second device deactivated in AWS: its seed is retired with it, the first kept.
    result = org.rk("org", "delete-root", account_id, "--mfa-device", second, "--yes", "--reason", "site B closed")
    assert result.returncode == 0 and "retired its seed of" in result.out + result.err, result.err
    plain = org.home.age_decrypt()
    assert [ln for ln in plain.splitlines() if second in ln and ",retired," in ln]
    code, report, err = audit_json(org, account_id)
    assert code == 0 and report["accounts"][0]["verdict"] == "CUSTODIED", err
    assert [s["device_arn"] for s in report["accounts"][0]["seeds"]] == [first]


def test_the_last_seed_of_an_account_is_never_deactivated_alone_and_a_seed_of_an_unnamed_device_cannot_be_a_second(org):
    org.enable_central_root()
    account_id = org.account("solo")
    first = org.enroll("solo")
    before = snapshot(org.home.root)
    result = org.rk("org", "delete-root", account_id, "--mfa-device", first, "--yes", "--reason", "x")
    assert result.returncode == 2 and "leaves a seed that opens nothing" in result.err, result.err
    assert snapshot(org.home.root) == before
    # A file with two rows of one account and no device ARN: which seed is which device is not known.
    table = org.home.root / "two.csv"
    table.write_text("Account #,Account Name,Account Email,MFA Seed\n"
                     f"900000000001,x,x@example.com,{'A' * 32}\n900000000001,x,x@example.com,{'B' * 32}\n")
    before = snapshot(org.home.root)
    result = org.home.rk("seeds", "import", table)
    assert result.returncode == 2 and "Device ARN" in result.err and "row" in result.err, result.err
    assert snapshot(org.home.root) == before
