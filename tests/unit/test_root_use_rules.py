"""The root-use rule (rules/rootuse.py) on CloudTrail records of the shapes AWS documents
(tests/data/cloudtrail/documented.json), joined with journal records."""

from __future__ import annotations

import json
from pathlib import Path

from rootkeeper.rules import rootuse

DOCUMENTED = json.loads((Path(__file__).resolve().parents[1] / "data" / "cloudtrail" / "documented.json").read_text())
RECORDS = DOCUMENTED["Records"]
MEMBER, CALLER = "222222222222", "111111111111"


def at(text: str) -> float:
    return rootuse.parse_time(text)


def journal(*entries: tuple[int, str, str, str]) -> list[rootuse.Record]:
    """(seq, event, time, account) -> the records rules.rootuse reads from a journal."""
    return rootuse.journal_records([{"seq": s, "event": e, "time": t, "account_id": a, "actor": "alice@laptop",
                                     "reason": "CHG-1"} for s, e, t, a in entries])


def test_the_documented_records_are_read_as_the_root_uses_they_are():
    events = [rootuse.classify(r) for r in RECORDS]
    ok, failed, assume, call, cli, iam_user = events
    assert (ok.kind, ok.account_id, ok.success, ok.mfa_used, ok.source_ip) == (
        rootuse.SIGN_IN, MEMBER, True, True, "192.0.2.0")
    assert (failed.kind, failed.success, failed.mfa_used) == (rootuse.SIGN_IN, False, False)
    assert "Failed authentication" in failed.error
    assert (assume.kind, assume.account_id, assume.caller_account, assume.task, assume.access_key) == (
        rootuse.ASSUME_ROOT, MEMBER, CALLER, "S3UnlockBucketPolicy", "ASIAI44QH8DHBEXAMPLE")
    assert assume.principal == "arn:aws:sts::111111111111:assumed-role/John/JohnRole1"
    assert assume.issuer == "arn:aws:iam::111111111111:role/John"
    assert (call.kind, call.account_id, call.access_key) == ("session-call", MEMBER, "ASIAI44QH8DHBEXAMPLE")
    assert (cli.kind, cli.account_id) == (rootuse.CLI_LOGIN, MEMBER)
    assert iam_user is None  # an IAM user's sign-in is not root's


def test_a_root_sign_in_is_explained_only_by_a_retrieval_of_that_account_shortly_before():
    sign_in = rootuse.classify(RECORDS[0])
    before = journal((7, "password.clip", "2024-10-25T17:50:00Z", MEMBER))
    [use] = rootuse.join([sign_in], before)
    assert use.findings == [] and use.explained_by.seq == 7
    for records in (journal((7, "code", "2024-10-25T16:50:00Z", MEMBER)),  # two hours before
                    journal((7, "code", "2024-10-25T17:59:00Z", "333333333333")),  # another account
                    journal((7, "paper.seeds", "2024-10-25T17:59:00Z", MEMBER)),  # paper is no retrieval
                    journal((7, "drill", "2024-10-25T17:59:00Z", MEMBER)),
                    journal((7, "code", "2024-10-25T18:10:00Z", MEMBER))):  # after it
        [use] = [u for u in rootuse.join([sign_in], records) if u.kind == rootuse.SIGN_IN]
        assert use.findings == [rootuse.UNEXPLAINED] and use.explained_by is None, records
    # A wider window explains the retrieval two hours before.
    [use] = rootuse.join([sign_in], journal((7, "code", "2024-10-25T16:50:00Z", MEMBER)), window=3 * 3600)
    assert use.findings == []


def test_a_journal_that_does_not_verify_explains_nothing():
    [use] = [u for u in rootuse.join([rootuse.classify(RECORDS[0])],
                                     journal((7, "code", "2024-10-25T17:59:00Z", MEMBER)), trusted=False)]
    assert use.findings == [rootuse.UNEXPLAINED]


def test_a_failed_sign_in_and_a_sign_in_without_mfa_are_findings_even_when_explained():
    records = journal((3, "password.show", "2024-10-25T17:55:00Z", MEMBER))
    failed = rootuse.classify(RECORDS[1])
    [use] = rootuse.join([failed], records)
    assert use.findings == [rootuse.SIGN_IN_FAILED]
    no_mfa = rootuse.classify({**RECORDS[0], "additionalEventData": {"MFAUsed": "No"}})
    [use] = [u for u in rootuse.join([no_mfa], records) if u.kind == rootuse.SIGN_IN]
    assert use.findings == [rootuse.NO_MFA] and use.explained_by.seq == 3
    assert rootuse.failing([use]) == 1


def test_an_assume_root_session_carries_its_calls_and_needs_an_org_record_or_an_allowed_principal():
    events = [rootuse.classify(r) for r in RECORDS[2:4]]
    [use] = rootuse.join(events, [])
    assert use.kind == rootuse.ASSUME_ROOT and use.calls == 1 and use.task == "S3UnlockBucketPolicy"
    assert use.findings == [rootuse.ASSUME_ROOT_NOT_ALLOWED]
    [use] = rootuse.join(events, [], allowed_principals=["arn:aws:iam::111111111111:role/John"])  # the role
    assert use.findings == [] and use.allowed
    [use] = rootuse.join(events, [], allowed_principals=["arn:aws:sts::111111111111:assumed-role/John/*"])
    assert use.findings == []
    [use] = rootuse.join(events, [], allowed_principals=["arn:aws:iam::111111111111:role/Jo"])  # no prefix match
    assert use.findings == [rootuse.ASSUME_ROOT_NOT_ALLOWED]
    [use] = rootuse.join(events, journal((9, "org.delete-root", "2024-10-25T20:52:40Z", MEMBER)))
    assert use.findings == [] and use.explained_by.event == "org.delete-root"


def test_calls_of_a_root_session_whose_assume_root_was_not_read_are_a_finding():
    [use] = rootuse.join([rootuse.classify(RECORDS[3])], [])
    assert use.findings == [rootuse.SESSION_ORIGIN_UNSEEN] and use.calls == 1


def test_a_refused_assume_root_is_informational():
    refused = {**RECORDS[2], "errorCode": "AccessDenied", "errorMessage": "not authorized", "responseElements": None}
    [use] = rootuse.join([rootuse.classify(refused)], [])
    assert use.findings == [rootuse.ASSUME_ROOT_REFUSED] and rootuse.failing([use]) == 0


def test_root_calls_after_an_explained_sign_in_are_its_console_session_and_long_term_key_calls_are_not():
    sign_in = rootuse.classify(RECORDS[0])
    console_call = rootuse.classify({**RECORDS[3], "eventTime": "2024-10-25T19:30:00Z", "userIdentity": {
        "type": "Root", "accountId": MEMBER, "arn": f"arn:aws:iam::{MEMBER}:root", "accessKeyId": "ASIACONSOLE"}})
    records = journal((5, "code", "2024-10-25T17:58:00Z", MEMBER))
    uses = rootuse.join([sign_in, console_call], records)
    assert [u.findings for u in uses] == [[], []] and uses[1].kind == rootuse.ROOT_CALLS
    # Without the sign-in, the same calls 90 minutes after the retrieval are unexplained.
    [use] = [u for u in rootuse.join([console_call], records) if u.kind == rootuse.ROOT_CALLS]
    assert use.findings == [rootuse.UNEXPLAINED]


def test_an_aws_login_needs_a_retrieval_like_a_sign_in():
    cli = rootuse.classify(RECORDS[4])
    [use] = [u for u in rootuse.join([cli], []) if u.kind == rootuse.CLI_LOGIN]
    assert use.findings == [rootuse.UNEXPLAINED]
    [use] = rootuse.join([cli], journal((2, "code", "2025-11-20T09:14:00Z", MEMBER)))
    assert use.findings == []


def test_a_retrieval_never_followed_by_a_sign_in_is_informational_only():
    records = journal((4, "code", "2024-10-25T10:00:00Z", MEMBER), (5, "enroll.password", "2024-10-25T10:00:00Z", MEMBER))
    uses = rootuse.join([], records)
    assert [(u.kind, u.findings, u.explained_by.seq) for u in uses] == [("retrieval", [rootuse.RETRIEVAL_UNUSED], 4)]
    assert rootuse.failing(uses) == 0
    followed = rootuse.join([rootuse.classify(RECORDS[0])], journal((4, "code", "2024-10-25T17:40:00Z", MEMBER)))
    assert [u.kind for u in followed] == [rootuse.SIGN_IN]


def test_an_allowance_for_some_tasks_allows_only_those():
    events = [rootuse.classify(r) for r in RECORDS[2:4]]  # an S3UnlockBucketPolicy session
    role = "arn:aws:iam::111111111111:role/John"
    [use] = rootuse.join(events, [], allowed_principals=[f"{role}#IAMAuditRootUserCredentials"])
    assert use.findings == [rootuse.ASSUME_ROOT_NOT_ALLOWED] and not use.allowed
    [use] = rootuse.join(events, [], allowed_principals=[f"{role}#IAMAuditRootUserCredentials,S3UnlockBucketPolicy"])
    assert use.findings == [] and use.allowed
    assert rootuse.allowance_problem(f"{role}#IAMAuditRootUserCredentials") is None
    assert rootuse.allowance_problem(role) is None
    assert "names no root task" in rootuse.allowance_problem(f"{role}#AdministratorAccess")
    assert "names no root task" in rootuse.allowance_problem(f"{role}#")
    assert "not an ARN pattern" in rootuse.allowance_problem("rootkeeper-audit")
