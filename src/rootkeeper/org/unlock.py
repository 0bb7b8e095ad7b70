"""org unlock-bucket-policy / unlock-queue-policy: a resource policy that locks everyone out, deleted in a root
session (AssumeRoot with S3UnlockBucketPolicy or SQSUnlockQueuePolicy, which need the RootSessions feature),
without anyone signing in as root.

The policy is read and shown first; once confirmed, the intent is journaled, the policy deleted
(DeleteBucketPolicy; SetQueueAttributes with an empty Policy, as AWS's own console does), read again to prove it
is gone, and the result journaled with the reason and the deleted policy's text (so it can be put back, fixed).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import AwsError, InputError
from ..workspace import Workspace
from .accounts import OrgAccount, find_accounts
from .aws import Aws, aws_errors
from .rootops import reachable

S3_TASK, SQS_TASK = "S3UnlockBucketPolicy", "SQSUnlockQueuePolicy"
BUCKET_EVENT, QUEUE_EVENT = "org.unlock-bucket-policy", "org.unlock-queue-policy"
EVENTS = (BUCKET_EVENT, QUEUE_EVENT, BUCKET_EVENT + ".intent", QUEUE_EVENT + ".intent")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_QUEUE_URL = re.compile(r"https?://[^/]+/([0-9]{12})/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)/?")


@dataclass
class Unlock:
    account: OrgAccount
    kind: str  # "bucket" or "queue"
    resource: str  # the bucket's name or the queue's URL
    policy: str | None = None  # the policy found (None: none)
    deleted: bool = False
    stamps: list[tuple[int, str]] = field(default_factory=list)

    @property
    def digest(self) -> str | None:
        return None if self.policy is None else hashlib.sha256(self.policy.encode()).hexdigest()

    def pretty(self) -> str:
        try:
            return json.dumps(json.loads(self.policy or ""), indent=2)
        except ValueError:
            return self.policy or ""


def _target(aws: Aws, ref: str) -> OrgAccount:
    _org_id, management = aws.organization()
    [target] = find_accounts(aws, [ref], management)
    reachable(target, "; change its policy signed in as root")
    return target


def queue_region(url: str, fallback: str) -> str:
    host = url.split("//", 1)[-1].split("/", 1)[0]
    found = re.match(r"sqs\.([a-z0-9-]+)\.", host)
    return found.group(1) if found else fallback


def check_resource(kind: str, resource: str) -> None:
    if kind == "bucket" and not _BUCKET.fullmatch(resource):
        raise InputError(f"{resource!r} is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens): "
                         "give the bucket's name, not an ARN or URL")
    if kind == "queue" and not _QUEUE_URL.fullmatch(resource):
        raise InputError(f"{resource!r} is not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME): "
                         "copy it from the console or 'aws sqs get-queue-url'")


def unlock(ws: Workspace, aws: Aws, ref: str, kind: str, resource: str, reason: str | None, *, dry_run: bool,
           confirm: Callable[[Unlock], None]) -> Unlock:
    """Find the policy, show it (``confirm`` raises to stop), delete it and prove it gone; journaled."""
    from ..workflows.breakglass import check_reason

    check_resource(kind, resource)
    why = {"reason": check_reason(reason)} if reason is not None else {}
    if not dry_run and not why:
        raise InputError("a deletion needs --reason TEXT (it goes into the journal with the policy deleted)")
    target = _target(aws, ref)
    if kind == "queue":
        owner = _QUEUE_URL.fullmatch(resource).group(1)
        if owner != target.account_id:
            raise InputError(f"the queue URL names account {owner}, not {target.account_id}: give the queue's own account")
    task, event = (S3_TASK, BUCKET_EVENT) if kind == "bucket" else (SQS_TASK, QUEUE_EVENT)
    with aws_errors(f"assuming root in {target.account_id} with {task}"):
        creds = aws.assume_root(target.account_id, task)
    result = Unlock(target, kind, resource)
    if kind == "bucket":
        client = aws.session_client("s3", creds)
        result.policy = _bucket_policy(client, resource)
    else:
        client = aws.session_client("sqs", creds, queue_region(resource, aws.region))
        result.policy = _queue_policy(client, resource)
    if result.policy is None:
        raise InputError(f"{kind} {resource} in {target.account_id} has no policy: nothing to unlock")
    confirm(result)
    if dry_run:
        return result
    base = {"account_id": target.account_id, "account_name": target.name, kind: resource, **why,
            "policy_sha256": result.digest}
    result.stamps += ws.record({"event": event + ".intent", **base})
    error = None
    try:
        with aws_errors(f"deleting the policy of {kind} {resource}"):
            if kind == "bucket":
                client.delete_bucket_policy(Bucket=resource)
                left = _bucket_policy(client, resource)
            else:
                client.set_queue_attributes(QueueUrl=resource, Attributes={"Policy": ""})
                left = _queue_policy(client, resource)
        if left is not None:
            error = "the policy is still there after its deletion"
    except AwsError as exc:
        error = f"{exc.code}: {exc.detail}"
    result.deleted = error is None
    result.stamps += ws.record({"event": event, **base, "policy": result.policy, "error": error})
    if error:
        raise AwsError(f"{kind} {resource}: {error}", "UnlockFailed")
    return result


def _bucket_policy(client, bucket: str) -> str | None:
    try:
        with aws_errors(f"s3:GetBucketPolicy {bucket}"):
            return client.get_bucket_policy(Bucket=bucket)["Policy"]
    except AwsError as exc:
        if exc.code == "NoSuchBucketPolicy":
            return None
        if exc.code == "NoSuchBucket":
            raise InputError(f"there is no bucket {bucket} in this account: check the name and the account") from None
        raise


def _queue_policy(client, url: str) -> str | None:
    try:
        with aws_errors(f"sqs:GetQueueAttributes {url}"):
            found = client.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
    except AwsError as exc:
        if "NonExistentQueue" in exc.code or "QueueDoesNotExist" in exc.code:
            raise InputError(f"there is no queue {url}: check the URL") from None
        raise
    return found.get("Policy") or None
