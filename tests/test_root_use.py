"""org root-use against the simulated organization trail: gzip JSON objects in its S3, read back by an
unmodified boto3, joined with the journal; the trail's digests checked; the output contract."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import time

import boto3
import jsonschema
import pytest
from conftest import assert_clean_failure, aws_env, snapshot
from test_json_contract import SCHEMAS
from test_org import Org

OPERATOR = "arn:aws:iam::123456789012:user/rootkeeper-operator"  # the simulator's management caller


@pytest.fixture
def org(home, sim):
    o = Org(home, sim)
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    sim.change("TrustedAccess", True)
    return o


def s3(org):
    env = aws_env(org.sim.url)
    return boto3.client("s3", endpoint_url=org.sim.url, region_name="us-east-1", aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key="testing")


BUCKET = "rootkeeper-sim-org-trail"


def signed_in_member(org) -> str:
    """A member whose root signed in with the password the journal says was handed out; the trail on."""
    org.account("member")
    org.sim.enable_trail()
    org.enroll_password("member")
    password = org.home.rk("password", org.ids["member"], "--reason", "CHG-1", "--show", check=True).out.splitlines()[0]
    org.sim.console_sign_in(org.ids["member"], password, None)
    return org.ids["member"]


def strip_sign_in(client, key: str) -> bytes:
    """The log file at ``key`` rewritten without its ConsoleLogin, gzip and JSON intact; its new plain content."""
    body = json.loads(gzip.decompress(client.get_object(Bucket=BUCKET, Key=key)["Body"].read()))
    body["Records"] = [r for r in body["Records"] if r["eventName"] != "ConsoleLogin"]
    plain = json.dumps(body).encode()
    client.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(plain))
    return plain


def root_use(org, *args, **env):
    result = org.rk("org", "root-use", *args, **env)
    assert "Traceback" not in result.err, result.err
    return result


def as_json(org, *args):
    result = root_use(org, "--json", *args)
    document = json.loads(result.out)
    jsonschema.validate(document, json.loads((SCHEMAS / "org-root-use.schema.json").read_text()),
                        cls=jsonschema.Draft202012Validator)
    return result.returncode, document, result.err


def test_every_root_sign_in_is_matched_with_the_journal_and_each_kind_of_finding_is_named(org):
    sim, home = org.sim, org.home
    for name in ("explained", "unexplained", "tried", "audited"):
        org.account(name)
    sim.enable_trail()
    org.enroll("explained")
    org.enroll_password("tried")
    # The explained one: password and code retrieved with a reason, then the console sign-in with MFA.
    password = home.rk("password", org.ids["explained"], "--reason", "close the account (CHG-7)", "--show",
                       check=True).out.splitlines()[0]
    code = home.rk("code", org.ids["explained"], "--reason", "close the account (CHG-7)", check=True).out.split()[0]
    assert sim.console_sign_in(org.ids["explained"], password, code, ip="198.51.100.20")
    # Someone signs in to another account with a password set outside rootkeeper, without MFA.
    sim.console_set_password(org.ids["unexplained"], "set-by-hand-outside-rootkeeper")
    assert sim.console_sign_in(org.ids["unexplained"], "set-by-hand-outside-rootkeeper", None, ip="203.0.113.66")
    sim.cli_login(org.ids["unexplained"], ip="203.0.113.66")
    # Someone tries a password on a third.
    assert not sim.console_sign_in(org.ids["tried"], "guess", None, ip="203.0.113.99")
    # A password handed out and never used.
    org.enroll_password("audited")
    home.rk("password", org.ids["audited"], "--reason", "look at billing (CHG-8)", "--show", check=True)
    # The audit assumes root into every member account.
    assert org.rk("org", "audit", "--json").returncode == 1
    code_, doc, err = as_json(org, "--since", "1h")
    assert code_ == 1, err
    uses = doc["uses"]
    assert doc["trail_problems"] == [], doc["trail_problems"]
    by = {(u["account_name"], u["kind"], u["success"]): u for u in uses}
    explained = by[("explained", "sign-in", True)]
    assert explained["findings"] == [] and explained["mfa_used"] is True and explained["source_ip"] == "198.51.100.20"
    assert explained["explained_by"]["event"] == "code" and explained["explained_by"]["reason"] == "close the account (CHG-7)"
    unexplained = by[("unexplained", "sign-in", True)]
    assert unexplained["findings"] == ["UNEXPLAINED", "NO_MFA"] and unexplained["explained_by"] is None
    assert by[("unexplained", "cli-login", True)]["findings"] == ["UNEXPLAINED"]
    tried = by[("tried", "sign-in", False)]
    assert tried["findings"] == ["SIGN_IN_FAILED"] and tried["source_ip"] == "203.0.113.99"
    # The password of 'audited' was followed by no sign-in (the enrollment's own records are not retrievals).
    unused = [u for u in uses if u["kind"] == "retrieval"]
    assert {u["account_name"] for u in unused} == {"audited"} and all(u["findings"] == ["RETRIEVAL_UNUSED"] for u in unused)
    assert "look at billing (CHG-8)" in [u["explained_by"]["reason"] for u in unused]
    sessions = [u for u in uses if u["kind"] == "assume-root"]
    assert {u["account_name"] for u in sessions} == {"explained", "unexplained", "tried", "audited"}
    assert all(u["principal"] == OPERATOR and u["task"] == "IAMAuditRootUserCredentials" and u["calls"] >= 1
               and u["findings"] == ["ASSUME_ROOT_NOT_ALLOWED"] for u in sessions)
    assert doc["summary"]["UNEXPLAINED"] == 2, [u for u in uses if "UNEXPLAINED" in u["findings"]]
    assert doc["summary"]["SIGN_IN_FAILED"] == 1
    assert doc["examined"]["accounts"] == 5 and doc["examined"]["objects_verified"] == doc["examined"]["objects_read"] > 0
    assert doc["journal_verified"] is True and doc["trail"]["log_file_validation"] is True
    # The audit's principal allowed: its sessions are no finding.
    _c, allowed, _e = as_json(org, "--since", "1h", "--allow-principal", "arn:aws:iam::123456789012:user/rootkeeper-*")
    assert all(u["findings"] == [] and u["allowed_principal"] for u in allowed["uses"] if u["kind"] == "assume-root")
    # CSV: one row a use, the record that explains it in its own columns.
    rows = list(csv.DictReader(io.StringIO(root_use(org, "--since", "1h", "--csv").out)))
    assert len(rows) == len(uses)
    row = next(r for r in rows if r["account_name"] == "explained" and r["kind"] == "sign-in")
    assert row["explained_by_event"] == "code" and row["findings"] == "" and row["mfa_used"] == "true"
    # The text table, and what it examined.
    text = root_use(org, "--since", "1h")
    assert text.returncode == 1 and "UNEXPLAINED" in text.out and "SIGN_IN_FAILED" in text.err
    assert "examined 5 account(s)" in text.err and "not seen by this path" not in text.err
    assert f"{doc['examined']['digests_read']} signature(s) verified" in text.err
    assert doc["examined"]["digest_signatures_verified"] == doc["examined"]["digests_read"] > 0
    # Named accounts: only theirs, and the management account read for AssumeRoot.
    _c, one, _e = as_json(org, org.ids["explained"], "--since", "1h")
    assert {u["account_name"] for u in one["uses"]} == {"explained"} and one["examined"]["accounts"] == 2
    assert one["not_examined"] == []  # the delegated administrators for IAM were listed (none)


def test_only_an_explained_sign_in_with_mfa_and_allowed_sessions_exit_zero(org):
    org.account("member")
    org.sim.enable_trail()
    org.enroll("member")
    member = org.ids["member"]
    password = org.home.rk("password", member, "--reason", "CHG-9", "--show", check=True).out.splitlines()[0]
    code = org.home.rk("code", member, "--reason", "CHG-9", check=True).out.split()[0]
    assert org.sim.console_sign_in(member, password, code)
    assert org.rk("org", "audit").returncode == 0
    org.home.config.write_text(org.home.config.read_text()
                               + f'\n[root_use]\nallowed_assume_root = ["{OPERATOR}"]\nwindow_minutes = 30\n')
    code_, doc, err = as_json(org, "--since", "2h")
    assert code_ == 0, (err, doc["uses"], doc["trail_problems"])
    assert doc["window_minutes"] == 30 and doc["summary"] == {}


def test_an_altered_or_deleted_log_file_and_a_silent_account_are_findings_never_a_pass(org):
    org.account("quiet")
    signed_in_member(org)
    client = s3(org)
    _c, before, _e = as_json(org, "--since", "1h")
    # 'quiet' (and the management account, which assumed no root yet) have no log file at all.
    assert {(p["kind"], p["account_id"]) for p in before["trail_problems"]} == {
        ("TRAIL_SILENT", org.ids["quiet"]), ("TRAIL_SILENT", "123456789012")}
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET,
                                                      Prefix="AWSLogs/")["Contents"]
            if f"/{org.ids['member']}/CloudTrail/" in o["Key"]]
    [key] = keys
    strip_sign_in(client, key)  # the digest's hash catches it
    code_, altered, err = as_json(org, "--since", "1h")
    assert code_ == 1 and "LOG_ALTERED" in [p["kind"] for p in altered["trail_problems"]], err
    assert not [u for u in altered["uses"] if u["kind"] == "sign-in"]  # the record is gone; the problem says why
    # The log file deleted: the digest still names it.
    client.delete_object(Bucket=BUCKET, Key=key)
    code_, deleted, err = as_json(org, "--since", "1h")
    kinds = [p["kind"] for p in deleted["trail_problems"]]
    assert code_ == 1 and "LOG_MISSING" in kinds and kinds.count("TRAIL_SILENT") == 3, err
    # Not gzip: unreadable, said.
    client.put_object(Bucket=BUCKET, Key=key, Body=b"not gzip")
    _c, broken, _e = as_json(org, "--since", "1h")
    assert "LOG_UNREADABLE" in [p["kind"] for p in broken["trail_problems"]]


def test_a_digest_rewritten_to_match_an_altered_log_file_is_forged_and_an_unsigned_one_is_said(org):
    member = signed_in_member(org)
    client = s3(org)
    _c, clean, _e = as_json(org, member, "--since", "1h")
    assert clean["examined"]["digest_signatures_verified"] == clean["examined"]["digests_read"] >= 1
    objects = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]
               if f"/{org.ids['member']}/" in o["Key"]]
    [log] = [k for k in objects if "/CloudTrail/" in k]
    [digest_key] = [k for k in objects if "/CloudTrail-Digest/" in k]
    # The attacker removes the sign-in and rewrites the digest's hash to match: the hashes agree, the signature not.
    plain = strip_sign_in(client, log)
    answer = client.get_object(Bucket=BUCKET, Key=digest_key)
    digest = json.loads(gzip.decompress(answer["Body"].read()))
    digest["logFiles"][0]["hashValue"] = hashlib.sha256(plain).hexdigest()
    client.put_object(Bucket=BUCKET, Key=digest_key, Body=gzip.compress(json.dumps(digest).encode()),
                      Metadata=answer["Metadata"])  # the old signature kept
    code_, forged, err = as_json(org, org.ids["member"], "--since", "1h")
    kinds = [p["kind"] for p in forged["trail_problems"]]
    assert code_ == 1 and "DIGEST_FORGED" in kinds and "LOG_ALTERED" not in kinds, err
    # The signature removed: unsigned, a problem too.
    client.put_object(Bucket=BUCKET, Key=digest_key, Body=gzip.compress(json.dumps(digest).encode()))
    _c, unsigned, _e = as_json(org, org.ids["member"], "--since", "1h")
    assert "DIGEST_UNSIGNED" in [p["kind"] for p in unsigned["trail_problems"]]


def test_a_log_file_deleted_with_its_digest_is_found_by_the_next_digest_in_the_chain(org):
    member = signed_in_member(org)
    client = s3(org)
    as_json(org, member, "--since", "1h")  # the first delivery, and its digest
    first = {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"] if f"/{member}/" in o["Key"]}
    assert not org.sim.console_sign_in(member, "a guess", None)  # a second delivery: its digest names the first
    _c, clean, _e = as_json(org, member, "--since", "1h")
    mine = lambda d: [p for p in d["trail_problems"] if p["account_id"] == member]  # noqa: E731 (the management
    assert mine(clean) == [] and clean["examined"]["digests_read"] == 2  # account, silent, is not this test's)
    for key in first:  # the first sign-in's log file and the digest naming it, both deleted
        client.delete_object(Bucket=BUCKET, Key=key)
    code_, doc, err = as_json(org, member, "--since", "1h")
    assert code_ == 1 and [p["kind"] for p in mine(doc)] == ["DIGEST_MISSING"], err
    assert mine(doc)[0]["key"] in first
    assert [u["findings"] for u in doc["uses"] if u["kind"] == "sign-in"] == [["SIGN_IN_FAILED"]]


def test_a_journal_edited_by_hand_explains_no_sign_in(org):
    signed_in_member(org)
    _c, ok, _e = as_json(org, org.ids["member"], "--since", "1h")
    assert next(u for u in ok["uses"] if u["kind"] == "sign-in")["explained_by"] is not None
    lines = org.home.journal.read_text().splitlines()
    lines[-1] = lines[-1].replace("CHG-1", "CHG-2")
    org.home.journal.write_text("\n".join(lines) + "\n")
    code_, doc, err = as_json(org, org.ids["member"], "--since", "1h")
    assert code_ == 1 and doc["journal_verified"] is False and doc["journal_problems"]
    assert next(u for u in doc["uses"] if u["kind"] == "sign-in")["findings"][0] == "UNEXPLAINED"


def test_past_days_are_read_only_for_the_window_and_the_accounts_asked(org):
    ids = [org.account(f"acct-{i}") for i in range(3)]
    trail = org.sim.enable_trail()
    from rootkeeper.sim import trail as simtrail

    start = (int(time.time()) // 86400 - 10) * 86400  # ten days ago, midnight UTC
    failed = simtrail.console_login(ids[1], start + 5 * 86400 + 3600, success=False, mfa_used=False)
    trail.write_history([*ids, "123456789012"], start, 10, per_day=2, extra={ids[1]: [failed]})
    since, until = start + 5 * 86400, start + 6 * 86400 - 1
    code_, doc, err = as_json(org, ids[1], "--since", str(since), "--until", str(until))
    assert code_ == 1, err
    assert [(u["kind"], u["findings"]) for u in doc["uses"]] == [("sign-in", ["SIGN_IN_FAILED"])]
    x = doc["examined"]
    # One day of two accounts (the named one and the management account): 2 objects each, plus at most one
    # object of the next day delivered within the hour after; never the other days or the other accounts.
    assert x["accounts"] == 2 and 4 <= x["objects_read"] <= 6 and x["objects_verified"] == x["objects_read"]
    # Listed: from the day the window's 15-minute lead falls on to the day after it; never the other seven days.
    assert x["objects_listed"] <= 2 * 3 * 2


def test_bad_windows_and_a_missing_trail_are_one_clear_error(org, tmp_path):
    org.account("member")
    before = snapshot(org.home.root)
    assert_clean_failure(root_use(org, "--since", "1h"), 2, "no organization trail")
    org.sim.enable_trail()
    assert_clean_failure(root_use(org, "--since", "1h", "--until", "2h"), 2, "--until is not after --since")
    assert_clean_failure(root_use(org, "--since", "yesterday"), 2, "neither Unix seconds nor ISO 8601")
    assert_clean_failure(root_use(org, "--since", "1h", "--prefix", "x"), 2, "--prefix goes with --bucket")
    assert_clean_failure(root_use(org, "--since", "1h", "--trail", "nope"), 2, "no trail named nope")
    assert_clean_failure(root_use(org, "--since", "1h", "--allow-principal", f"{OPERATOR}#DeleteEverything"), 2,
                         "names no root task")
    config = org.home.config.read_text()
    org.home.config.write_text(config + '\n[root_use]\nallowed_assume_root = ["rootkeeper-operator"]\n')
    assert_clean_failure(root_use(org, "--since", "1h"), 2, "not an ARN pattern")
    org.home.config.write_text(config)
    assert snapshot(org.home.root) == before


def test_the_audit_says_when_roots_password_and_access_keys_were_last_used(org):
    for name in ("signed-in", "never", "keys"):
        org.account(name)
    org.enroll("signed-in")
    org.enroll_password("never")
    password = org.home.rk("password", org.ids["signed-in"], "--reason", "CHG-3", "--show", check=True).out.split()[0]
    code = org.home.rk("code", org.ids["signed-in"], "--reason", "CHG-3", check=True).out.split()[0]
    assert org.sim.console_sign_in(org.ids["signed-in"], password, code)
    used = org.sim.plant_access_key(org.ids["keys"])
    unused = org.sim.plant_access_key(org.ids["keys"])
    org.sim.use_access_key(org.ids["keys"], used, "ec2", "eu-central-1")
    result = org.rk("org", "audit", "--json")
    rows = {a["account_name"]: a for a in json.loads(result.out)["accounts"]}
    assert rows["signed-in"]["password_last_used"][:10] == time.strftime("%Y-%m-%d", time.gmtime())
    assert rows["never"]["password_last_used"] == "never"
    assert rows["keys"]["password_last_used"] is None  # no password: nothing to ask
    keys = {k["access_key_id"]: k for k in rows["keys"]["access_keys_last_used"]}
    assert (keys[used]["service"], keys[used]["region"]) == ("ec2", "eu-central-1") and keys[used]["last_used"] != "never"
    assert (keys[unused]["last_used"], keys[unused]["service"]) == ("never", "N/A")
    management = next(a for a in rows.values() if a["management"])
    assert management["password_last_used"] is None  # own credentials: GetUser would be the caller's
    assert org.sim.actions["iam:GetAccessKeyLastUsed"] == 2
    table = list(csv.DictReader(io.StringIO(org.rk("org", "audit", "--csv").out)))
    row = next(r for r in table if r["account_name"] == "keys")
    assert f"{unused} (last used never)" in row["access_keys_last_used"]


def test_list_shows_each_accounts_last_break_glass_from_the_journal(org):
    org.account("used")
    org.account("untouched")
    org.enroll_password("used")
    org.enroll_password("untouched")
    org.home.rk("code", "--help", check=True)
    org.home.rk("password", org.ids["used"], "--reason", "CHG-11 billing", "--show", check=True)
    listing = json.loads(org.home.rk("list", "--json", check=True).out)
    accounts = {a["account_name"]: a for a in listing["accounts"]}
    last = accounts["used"]["last_retrieval"]
    assert (last["event"], last["reason"]) == ("password.show", "CHG-11 billing")
    journal = [json.loads(line) for line in org.home.journal.read_text().splitlines()]
    assert last["seq"] == journal[-1]["seq"] and last["time"] == journal[-1]["time"]
    # The enrollment's own 'password --reason enrollment' is a retrieval too (test_org.Org.vault_password).
    assert accounts["untouched"]["last_retrieval"]["reason"] == "enrollment"
    text = org.home.rk("list", check=True).out
    assert "LAST BREAK GLASS" in text and journal[-1]["time"][:10] in text


def test_a_root_session_begun_just_before_the_window_is_not_an_unseen_origin(org):
    member = org.account("member")
    trail = org.sim.enable_trail()
    from rootkeeper.sim import trail as simtrail

    start = (int(time.time()) // 86400 - 3) * 86400
    since = start + 86400 + 12 * 3600  # the window opens at noon on day 2
    began = simtrail.assume_root("123456789012", OPERATOR, member, "arn:aws:iam::aws:policy/root-task/"
                                 "IAMAuditRootUserCredentials", "us-east-1", since - 300, "ASIASESSIONBEFORE")
    call = simtrail.root_call(member, "GetAccountSummary", since + 60, "ASIASESSIONBEFORE", assumed=True)
    trail.write_history([member, "123456789012"], start, 3, per_day=1, extra={"123456789012": [began], member: [call]})
    code_, doc, err = as_json(org, member, "--since", str(since), "--until", str(since + 3600),
                              "--allow-principal", OPERATOR)
    assert code_ == 0, (err, doc["uses"], doc["trail_problems"], doc["not_examined"])
    assert doc["uses"] == []  # the session began before the window; its call in the window is its own
    # Without the session's start in the trail, the same call is a finding.
    org.sim.reset()
    org.sim.create_organization()
    member = org.sim.add_account("member", "aws+member@example.com")
    trail = org.sim.enable_trail()
    call = simtrail.root_call(member, "GetAccountSummary", since + 60, "ASIASESSIONBEFORE", assumed=True)
    trail.write_history([member, "123456789012"], start, 3, per_day=1, extra={member: [call]})
    code_, doc, err = as_json(org, member, "--since", str(since), "--until", str(since + 3600))
    assert code_ == 1 and [u["findings"] for u in doc["uses"]] == [["SESSION_ORIGIN_UNSEEN"]], err


def test_an_assume_root_by_a_delegated_administrator_is_found_for_the_account_named(org):
    member, delegate = org.account("member"), org.account("security-admin")
    key = org.sim.delegate(delegate)
    org.sim.enable_trail()
    sts = boto3.client("sts", endpoint_url=org.sim.url, region_name="eu-west-1", aws_access_key_id=key,
                       aws_secret_access_key="testing")
    creds = sts.assume_root(TargetPrincipal=member, TaskPolicyArn={
        "arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"})["Credentials"]
    boto3.client("iam", endpoint_url=org.sim.url, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
                 aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"]).get_account_summary()
    code_, doc, err = as_json(org, member, "--since", "1h")
    [session] = doc["uses"]
    assert (session["kind"], session["principal"], session["region"], session["calls"]) == (
        "assume-root", f"arn:aws:iam::{delegate}:user/rootkeeper-operator", "eu-west-1", 1)
    assert session["findings"] == ["ASSUME_ROOT_NOT_ALLOWED"] and code_ == 1
    assert doc["examined"]["accounts"] == 3  # the member, the management account and the delegate



def test_an_old_log_file_no_digest_names_is_a_finding_and_a_trail_without_validation_says_what_it_cannot_tell(org):
    member = org.account("member")
    trail = org.sim.enable_trail()
    start = (int(time.time()) // 86400 - 4) * 86400
    trail.write_history([member, "123456789012"], start, 4, per_day=1)
    since, until = str(start), str(start + 4 * 86400 - 1)
    code_, clean, err = as_json(org, member, "--since", since, "--until", until, "--allow-principal", OPERATOR)
    assert code_ == 0 and clean["trail_problems"] == [], err
    client = s3(org)
    digests = sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]
                     if f"/{member}/CloudTrail-Digest/" in o["Key"])
    client.delete_object(Bucket=BUCKET, Key=digests[-1])  # the chain's last: no later digest names it
    code_, doc, err = as_json(org, member, "--since", since, "--until", until)
    assert code_ == 1 and [p["kind"] for p in doc["trail_problems"]] == ["LOG_UNCOVERED"], err
    # A trail without validation: read, and the report says what it cannot tell (no digest is looked for).
    from moto.cloudtrail.models import cloudtrail_backends

    cloudtrail_backends["123456789012"]["us-east-1"].get_trail("org-trail").log_validation = False
    code_, off, err = as_json(org, member, "--since", since, "--until", until)
    assert off["trail"]["log_file_validation"] is False and off["trail_problems"] == [], err
    assert any("log file validation is off" in limit for limit in off["limits"])


def test_two_deliveries_in_one_second_keep_two_digests_in_the_simulated_trail(org):
    """The simulator names a digest by its end, to the second; two of one second must not overwrite each other
    (that made the chain test depend on how fast a run was)."""
    from rootkeeper.sim import trail as simtrail

    member = org.account("member")
    trail = org.sim.enable_trail()
    now = float(int(time.time()))
    for _ in range(2):
        trail.deliver(member, "us-east-1", [simtrail.console_login(member, now, success=False, mfa_used=False)])
    digests = [k for k in trail.s3.get_bucket(BUCKET).keys if "/CloudTrail-Digest/" in k]
    assert len(digests) == 2
