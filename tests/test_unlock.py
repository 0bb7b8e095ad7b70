"""org unlock-bucket-policy / unlock-queue-policy against the simulator: AssumeRoot with the S3 or SQS unlock
task (RootSessions), the task policy enforced on every S3 and SQS call of the root session, moto's S3 and SQS
of the member account as the oracle, the journal's records, and the trail's record of the session."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import assert_clean_failure, snapshot
from test_org import Org

DENY_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "LockedOut", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::locked-bucket", "arn:aws:s3:::locked-bucket/*"]}]})


@pytest.fixture
def org(home, sim):
    o = Org(home, sim)
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    sim.change("TrustedAccess", True)
    o.account("member")
    return o


def locked_bucket(account: str, name: str = "locked-bucket") -> object:
    from moto.s3.models import s3_backends

    backend = s3_backends[account]["aws"]
    backend.create_bucket(name, "us-east-1")
    backend.put_bucket_policy(name, DENY_ALL.encode())
    return backend


def locked_queue(account: str, name: str = "orders") -> tuple[object, str]:
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[account]["us-east-1"]
    queue = backend.create_queue(name)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": queue.queue_arn}]})
    backend.set_queue_attributes(name, {"Policy": policy})
    return backend, f"https://sqs.us-east-1.amazonaws.com/{account}/{name}"


def test_a_deny_all_bucket_policy_is_shown_then_deleted_in_a_root_session_and_journaled(org):
    member = org.ids["member"]
    backend = locked_bucket(member)
    trail = org.sim.enable_trail()
    dry = org.rk("org", "unlock-bucket-policy", "member", "locked-bucket", "--dry-run")
    assert dry.returncode == 0, dry.err
    assert '"Sid": "LockedOut"' in dry.out and backend.get_bucket_policy("locked-bucket") is not None
    journal_before = org.home.journal.read_text() if org.home.journal.exists() else ""
    assert "unlock" not in journal_before  # a dry run records nothing
    done = org.rk("org", "unlock-bucket-policy", member, "locked-bucket", "--reason", "deny-all policy (INC-88)", "--yes")
    assert done.returncode == 0, done.err
    assert backend.get_bucket_policy("locked-bucket") is None  # moto's S3 of the member account
    records = [json.loads(line) for line in org.home.journal.read_text().splitlines()]
    intent, result = records[-2:]
    assert intent["event"] == "org.unlock-bucket-policy.intent" and result["event"] == "org.unlock-bucket-policy"
    assert (result["account_id"], result["bucket"], result["reason"], result["error"]) == (
        member, "locked-bucket", "deny-all policy (INC-88)", None)
    assert json.loads(result["policy"]) == json.loads(DENY_ALL)
    assert org.sim.actions["s3:DeleteBucketPolicy"] == 1
    # The session is in the trail, its calls counted, explained by the journal's record.
    assert trail is org.sim.trail
    report = json.loads(org.rk("org", "root-use", member, "--since", "1h", "--json").out)
    sessions = [u for u in report["uses"] if u["kind"] == "assume-root" and u["task"] == "S3UnlockBucketPolicy"]
    assert len(sessions) == 2  # the dry run's and the deletion's
    # Both are explained by the deletion's records (the dry run is the minute before it: one change, one window).
    assert all(u["explained_by"]["event"].startswith("org.unlock-bucket-policy") and u["findings"] == []
               for u in sessions)
    assert sorted(u["calls"] for u in sessions) == [1, 3]  # GetBucketPolicy; then Delete and Get again


def test_the_unlock_tasks_allow_nothing_but_their_policy(org):
    member = org.ids["member"]
    locked_bucket(member)
    kw = {"endpoint_url": org.sim.url, "region_name": "us-east-1"}
    sts = boto3.client("sts", aws_access_key_id="AKIDMANAGEMENT", aws_secret_access_key="testing", **kw)

    def session(task: str, service: str):
        creds = sts.assume_root(TargetPrincipal=member, TaskPolicyArn={
            "arn": f"arn:aws:iam::aws:policy/root-task/{task}"})["Credentials"]
        return boto3.client(service, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], **kw)

    s3 = session("S3UnlockBucketPolicy", "s3")
    assert json.loads(s3.get_bucket_policy(Bucket="locked-bucket")["Policy"]) == json.loads(DENY_ALL)
    for call in (lambda: s3.get_object(Bucket="locked-bucket", Key="x"), lambda: s3.put_object(
            Bucket="locked-bucket", Key="x", Body=b"x"), lambda: s3.delete_bucket(Bucket="locked-bucket"),
                 lambda: s3.get_bucket_acl(Bucket="locked-bucket")):
        with pytest.raises(ClientError) as refused:
            call()
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as refused:
        session("S3UnlockBucketPolicy", "iam").get_account_summary()
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as refused:  # the S3 task's session is no SQS session
        session("S3UnlockBucketPolicy", "sqs").list_queues()
    assert "AccessDenied" in refused.value.response["Error"]["Code"]
    _backend, url = locked_queue(member)
    sqs = session("SQSUnlockQueuePolicy", "sqs")
    assert "Policy" in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
    with pytest.raises(ClientError) as refused:
        sqs.send_message(QueueUrl=url, MessageBody="x")
    assert "AccessDenied" in refused.value.response["Error"]["Code"]


def test_a_deny_all_queue_policy_is_removed_and_journaled(org):
    member = org.ids["member"]
    backend, url = locked_queue(member)
    assert '"Deny"' in backend.get_queue("orders").attributes["Policy"]
    done = org.rk("org", "unlock-queue-policy", "member", url, "--reason", "deny-all queue policy (INC-91)", "--yes")
    assert done.returncode == 0, done.err
    assert '"Effect": "Deny"' in done.out
    assert not backend.get_queue("orders").attributes.get("Policy")  # moto's SQS of the member account
    result = json.loads(org.home.journal.read_text().splitlines()[-1])
    assert (result["event"], result["queue"], result["error"]) == ("org.unlock-queue-policy", url, None)


def test_unlock_refusals_are_one_clear_error_and_change_nothing(org):
    member = org.ids["member"]
    backend = locked_bucket(member)
    before = snapshot(org.home.root)
    cases = [
        (("org", "unlock-bucket-policy", member, "arn:aws:s3:::locked-bucket", "--dry-run"), "is not an S3 bucket name"),
        (("org", "unlock-bucket-policy", member, "locked-bucket", "--yes"), "needs --reason"),
        (("org", "unlock-bucket-policy", member, "no-such-bucket", "--dry-run"), "there is no bucket no-such-bucket"),
        (("org", "unlock-bucket-policy", "123456789012", "locked-bucket", "--dry-run"), "management account"),
        (("org", "unlock-queue-policy", member, "https://sqs.us-east-1.amazonaws.com/999999999999/orders", "--dry-run"),
         "names account 999999999999"),
        (("org", "unlock-bucket-policy", member, "locked-bucket", "--reason", "INC-1"), "pass --yes"),
    ]
    for args, message in cases:
        assert_clean_failure(org.rk(*args), 2, message)
    backend.put_bucket_policy("locked-bucket", b"")
    backend.get_bucket("locked-bucket").policy = None
    assert_clean_failure(org.rk("org", "unlock-bucket-policy", member, "locked-bucket", "--dry-run"), 2, "has no policy")
    locked_bucket(member, "second-bucket")
    org.sim.features.discard("RootSessions")
    refused = org.rk("org", "unlock-bucket-policy", member, "second-bucket", "--reason", "INC-2", "--yes")
    assert_clean_failure(refused, 2, "root sessions")
    assert backend.get_bucket_policy("second-bucket") is not None
    assert snapshot(org.home.root) == before
