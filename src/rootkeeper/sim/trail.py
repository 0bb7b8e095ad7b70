"""The simulated organization trail: CloudTrail records of what the simulator serves, written into its S3.

Shapes as AWS documents them:

- root console sign-in: CloudTrail User Guide, "AWS Management Console sign-in events" (``ConsoleLogin``,
  ``eventType`` ``AwsConsoleSignIn``, ``userIdentity.type`` ``Root``, ``responseElements.ConsoleLogin``
  ``Success``/``Failure``, ``additionalEventData.MFAUsed``, ``errorMessage`` "Failed authentication");
- ``aws login``: AWS CLI 2.32 "Sign in with console credentials" (``signin:AuthorizeOAuth2Access``,
  ``signin:CreateOAuth2Token``);
- AssumeRoot and the calls of its session: IAM User Guide, "Track privileged tasks in AWS CloudTrail"
  (``requestParameters.targetPrincipal``, ``taskPolicyArn.arn``, ``responseElements.credentials.accessKeyId``;
  the member account's records carry that key and ``sessionContext.assumedRoot`` ``"true"``);
- the objects: "Finding your CloudTrail log files" (organization trail layout, gzip JSON ``{"Records": [...]}``)
  and "CloudTrail digest file structure" (``logFiles`` with the SHA-256 of each uncompressed log file).

Records are kept per (account, region) and delivered as one object each, with a digest, when anything reads
the bucket through the simulator (``flush``), or at once by ``write_history`` (the benchmarks' and tests' past
days). Each digest is signed as CloudTrail signs it ("Custom implementations of CloudTrail log file integrity
validation": SHA256withRSA over ``digestEndTime``, the digest's bucket/key, the SHA-256 of its content and the
previous digest's signature, hex in the object's ``signature`` metadata), with a key ``ListPublicKeys`` serves.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime

from ..rules.rootuse import iso as _iso
from ..rules.rootuse import parse_time
from .state import MANAGEMENT_ACCOUNT

TRAIL_NAME = "org-trail"
BUCKET = "rootkeeper-sim-org-trail"
HOME = "us-east-1"




def _stamp(seconds: float, with_seconds: bool = False) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%dT%H%M%SZ" if with_seconds else "%Y%m%dT%H%MZ")


def _day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y/%m/%d")


def _base(account: str, when: float, region: str, source: str, name: str, identity: dict, **rest) -> dict:
    record = {"eventVersion": "1.09", "userIdentity": identity, "eventTime": _iso(when), "eventSource": source,
              "eventName": name, "awsRegion": region, "sourceIPAddress": rest.pop("ip", "192.0.2.10"),
              "userAgent": rest.pop("agent", "aws-cli/2.32.0"), "requestParameters": rest.pop("request", None),
              "responseElements": rest.pop("response", None), "requestID": str(uuid.uuid4()),
              "eventID": str(uuid.uuid4()), "readOnly": rest.pop("read_only", False),
              "eventType": rest.pop("event_type", "AwsApiCall"), "managementEvent": True,
              "recipientAccountId": account, "eventCategory": "Management"}
    record.update(rest)
    return {k: v for k, v in record.items() if v is not None or k in ("requestParameters", "responseElements")}


@functools.cache
def signing_key():
    """The simulated CloudTrail's RSA key (2048 bits, made once per process: it takes a second or two)."""
    from Cryptodome.PublicKey import RSA

    return RSA.generate(2048)


def public_key() -> tuple[bytes, str]:
    """(DER of the public key in PKCS#1, as ListPublicKeys sends it; its fingerprint, as digests name it)."""
    from Cryptodome.Util.asn1 import DerSequence

    key = signing_key()
    der = DerSequence([key.n, key.e]).encode()
    return der, hashlib.md5(der, usedforsecurity=False).hexdigest()


def list_public_keys_answer(start: float, end: float) -> dict:
    der, fingerprint = public_key()
    return {"PublicKeyList": [{"Value": base64.b64encode(der).decode(), "ValidityStartTime": start - 86400 * 400,
                               "ValidityEndTime": end + 86400, "Fingerprint": fingerprint}]}


def sign(text: str) -> str:
    from Cryptodome.Hash import SHA256
    from Cryptodome.Signature import pkcs1_15

    return pkcs1_15.new(signing_key()).sign(SHA256.new(text.encode())).hex()


def root_identity(account: str, access_key: str | None = None, *, assumed: bool = False, mfa: bool = False) -> dict:
    identity = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account}
    if access_key:
        identity["accessKeyId"] = access_key
        identity["sessionContext"] = {"attributes": {"creationDate": _iso(time.time()),
                                                     "mfaAuthenticated": "true" if mfa else "false"}}
        if assumed:
            identity["sessionContext"]["assumedRoot"] = "true"
    return identity


def console_login(account: str, when: float, *, success: bool, mfa_used: bool, ip: str = "198.51.100.7") -> dict:
    rest = {"errorMessage": "Failed authentication"} if not success else {}
    return _base(account, when, HOME, "signin.amazonaws.com", "ConsoleLogin", root_identity(account), ip=ip,
                 agent="Mozilla/5.0 (X11; Linux x86_64)", response={"ConsoleLogin": "Success" if success else "Failure"},
                 additionalEventData={"LoginTo": "https://console.aws.amazon.com/console/home",
                                      "MobileVersion": "No", "MFAIdentifier": None, "MFAUsed": "Yes" if mfa_used else "No"},
                 event_type="AwsConsoleSignIn", **rest)


def cli_login(account: str, when: float, ip: str = "198.51.100.7") -> list[dict]:
    identity = root_identity(account)
    return [_base(account, when, HOME, "signin.amazonaws.com", name, identity, ip=ip, agent="aws-cli/2.32.0")
            for name in ("AuthorizeOAuth2Access", "CreateOAuth2Token")]


def assume_root(caller: str, caller_arn: str, target: str, task_arn: str, region: str, when: float,
                access_key: str | None, error: tuple[str, str] | None = None) -> dict:
    identity = {"type": "IAMUser", "principalId": "AIDA" + caller, "arn": caller_arn, "accountId": caller,
                "userName": caller_arn.rpartition("/")[2]}
    response = None if error else {"credentials": {"accessKeyId": access_key, "sessionToken": "<redacted>",
                                                   "expiration": _iso(when + 900)}}
    rest = {"errorCode": error[0], "errorMessage": error[1]} if error else {}
    return _base(caller, when, region, "sts.amazonaws.com", "AssumeRoot", identity,
                 request={"targetPrincipal": target, "taskPolicyArn": {"arn": task_arn}}, response=response,
                 read_only=True, **rest)


def root_call(account: str, action: str, when: float, access_key: str, *, assumed: bool,
              source: str = "iam.amazonaws.com", region: str = HOME, error: tuple[str, str] | None = None) -> dict:
    rest = {"errorCode": error[0], "errorMessage": error[1]} if error else {}
    return _base(account, when, region, source, action, root_identity(account, access_key, assumed=assumed),
                 read_only=action.startswith(("Get", "List")), **rest)


def background(account: str, when: float) -> dict:
    """An ordinary call by a role: every active account's trail has some."""
    identity = {"type": "AssumedRole", "principalId": "AROAEXAMPLE:ops", "accountId": account,
                "arn": f"arn:aws:sts::{account}:assumed-role/ops/ops"}
    return _base(account, when, HOME, "ec2.amazonaws.com", "DescribeRegions", identity, read_only=True)


class SimTrail:
    """The trail's pending records and its writes into moto's S3 (in-process, as CloudTrail delivers)."""

    def __init__(self, org_id: str, *, validation: bool = True, name: str = TRAIL_NAME, bucket: str = BUCKET) -> None:
        from moto.cloudtrail.models import cloudtrail_backends
        from moto.s3.models import s3_backends

        self.org_id, self.validation, self.name, self.bucket = org_id, validation, name, bucket
        self.s3 = s3_backends[MANAGEMENT_ACCOUNT]["aws"]
        self.s3.create_bucket(bucket, HOME)
        cloudtrail_backends[MANAGEMENT_ACCOUNT][HOME].create_trail(
            name, bucket, None, None, True, True, validation, True, None, None, None, [])
        self.pending: dict[tuple[str, str], list[dict]] = {}
        self.lock = threading.Lock()
        self.flushing = threading.Lock()
        signing_key()  # made now (once per process), not while a reader waits for a delivery
        self.objects = 0
        self.previous: dict[tuple[str, str], tuple[str, str, str]] = {}  # (account, region) -> last digest's key, hash, sig
        self.ends: dict[tuple[str, str], float] = {}  # (account, region) -> the last digest's end

    def add(self, *records: dict) -> None:
        with self.lock:
            for r in records:
                self.pending.setdefault((r["recipientAccountId"], r["awsRegion"]), []).append(r)

    def flush(self) -> None:
        """Deliver what is pending; a reader arriving meanwhile waits until it is in the bucket."""
        with self.flushing:
            with self.lock:
                pending, self.pending = self.pending, {}
            for (account, region), records in pending.items():
                self.deliver(account, region, records)

    def key(self, account: str, region: str, delivered: float) -> str:
        return (f"AWSLogs/{self.org_id}/{account}/CloudTrail/{region}/{_day(delivered)}/"
                f"{account}_CloudTrail_{region}_{_stamp(delivered)}_{secrets.token_hex(8).upper()}.json.gz")

    def deliver(self, account: str, region: str, records: list[dict], delivered: float | None = None,
                digest: bool = True) -> str:
        times = [_t(r) for r in records]
        delivered = max(times) + 60 if delivered is None else delivered
        key = self.key(account, region, delivered)
        plain = json.dumps({"Records": records}, separators=(",", ":")).encode()
        self.s3.put_object(self.bucket, key, gzip.compress(plain, compresslevel=6))
        with self.lock:
            self.objects += 1
        if digest and self.validation:
            self.write_digest(account, region, [(key, plain, min(times), max(times))], delivered + 60)
        return key

    def write_digest(self, account: str, region: str, files: list[tuple[str, bytes, float, float]], end: float) -> str:
        with self.lock:  # a digest's name is its end, to the second: two deliveries in one second must not share one
            end = max(float(int(end)), self.ends.get((account, region), -1.0) + 1)
            self.ends[(account, region)] = end
        key = (f"AWSLogs/{self.org_id}/{account}/CloudTrail-Digest/{region}/{_day(end)}/"
               f"{account}_CloudTrail-Digest_{region}_{self.name}_{HOME}_{_stamp(end, True)}.json.gz")
        with self.lock:
            before = self.previous.get((account, region))
        _der, fingerprint = public_key()
        body = {"awsAccountId": account, "digestStartTime": _iso(end - 3600), "digestEndTime": _iso(end),
                "digestS3Bucket": self.bucket, "digestS3Object": key, "digestPublicKeyFingerprint": fingerprint,
                "digestSignatureAlgorithm": "SHA256withRSA",
                "newestEventTime": _iso(max(f[3] for f in files)), "oldestEventTime": _iso(min(f[2] for f in files)),
                "previousDigestS3Bucket": self.bucket if before else None,
                "previousDigestS3Object": before[0] if before else None,
                "previousDigestHashValue": before[1] if before else None,
                "previousDigestHashAlgorithm": "SHA-256" if before else None,
                "previousDigestSignature": before[2] if before else None,
                "logFiles": [{"s3Bucket": self.bucket, "s3Object": k, "hashValue": hashlib.sha256(plain).hexdigest(),
                              "hashAlgorithm": "SHA-256", "newestEventTime": _iso(new), "oldestEventTime": _iso(old)}
                             for k, plain, old, new in files]}
        content = json.dumps(body).encode()
        digest = hashlib.sha256(content).hexdigest()
        signature = sign(f"{body['digestEndTime']}\n{self.bucket}/{key}\n{digest}\n{before[2] if before else 'null'}")
        stored = self.s3.put_object(self.bucket, key, gzip.compress(content))
        stored.set_metadata({"x-amz-meta-signature": signature, "x-amz-meta-signature-algorithm": "SHA256withRSA"})
        with self.lock:
            self.previous[(account, region)] = (key, digest, signature)
        return key

    def write_history(self, accounts: list[str], start: float, days: int, *, per_day: int = 1,
                      extra: dict[str, list[dict]] | None = None) -> int:
        """``days`` days from ``start`` of every account's trail: ``per_day`` objects a day of ordinary calls
        (and the records ``extra`` gives an account, each in the object of its day), each day's objects named in
        one digest. Returns the objects written."""
        written = 0
        extra = extra or {}
        for account in accounts:
            own = extra.get(account, [])
            for d in range(days):
                day0 = start + d * 86400
                files = []
                for i in range(per_day):
                    at = day0 + (i + 0.5) * 86400 / per_day
                    records = [background(account, at)]
                    records += [r for r in own if day0 + i * 86400 / per_day <= _t(r) < day0 + (i + 1) * 86400 / per_day]
                    newest = max(_t(r) for r in records)
                    key = self.key(account, HOME, newest + 300)
                    plain = json.dumps({"Records": records}, separators=(",", ":")).encode()
                    self.s3.put_object(self.bucket, key, gzip.compress(plain, compresslevel=6))
                    files.append((key, plain, min(_t(r) for r in records), newest))
                    written += 1
                if self.validation:
                    self.write_digest(account, HOME, files, day0 + 86400 - 1)
        with self.lock:
            self.objects += written
        return written


def _t(record: dict) -> float:
    return parse_time(record["eventTime"])
