"""The organization trail's log files in S3: found, listed, read and checked against their digests.

An organization trail delivers every account's events to one bucket, under
``[prefix/]AWSLogs/<org id>/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<id>.json.gz``
(CloudTrail User Guide, "Finding your CloudTrail log files"), each a gzip JSON object ``{"Records": [...]}``.
With log file validation on, CloudTrail delivers every hour a digest file under ``CloudTrail-Digest/`` naming each
log file it delivered and the SHA-256 of its uncompressed content ("CloudTrail digest file structure").

Only the prefixes the window and the accounts need are listed (one listing per account for its regions, then
per account and region one listing from the window's first day to its last), the objects whose delivery time
can hold events of the window are read, with
bounded concurrency, and every object named by a digest is checked against it: an altered object, an object a
digest names that is gone, an object that cannot be read are problems, never skipped. Each digest's own
signature is verified with CloudTrail's public key for its region (``ListPublicKeys``), over the data signing
string AWS documents ("Custom implementations of CloudTrail log file integrity validation"): a digest rewritten
to match an altered log file is DIGEST_FORGED, not a pass.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..errors import InputError
from ..rules.rootuse import TrailEvent, classify
from .aws import Aws, aws_errors

_DELIVERED = re.compile(r"_(\d{8}T\d{4,6}Z)(?:_|\.json)")
LATE = 3600  # seconds after an event within which CloudTrail delivers it (AWS: "within 15 minutes on average")
MAX_OBJECT = 512 * 1024 * 1024  # an uncompressed log file larger than this is refused, not read into memory


@dataclass(frozen=True)
class Trail:
    name: str
    bucket: str
    prefix: str  # the trail's S3 key prefix ("" or ending in "/")
    org_id: str | None  # None: not an organization trail (then AWSLogs/<account>/...)
    home_region: str
    validation: bool
    multi_region: bool

    def base(self, account: str) -> str:
        org = f"{self.org_id}/" if self.org_id else ""
        return f"{self.prefix}AWSLogs/{org}{account}/"

    def as_dict(self) -> dict:
        return {"name": self.name, "bucket": self.bucket, "prefix": self.prefix, "organization_id": self.org_id,
                "home_region": self.home_region, "log_file_validation": self.validation,
                "multi_region": self.multi_region}


@dataclass
class Problem:
    kind: str  # LOG_ALTERED, LOG_MISSING, LOG_UNREADABLE, DIGEST_UNREADABLE, TRAIL_SILENT
    account_id: str
    key: str
    detail: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "account_id": self.account_id, "key": self.key or None, "detail": self.detail}


PROBLEMS = {
    "LOG_ALTERED": "a log file's content differs from the hash its digest holds: the record was changed",
    "LOG_MISSING": "a log file a digest names is not in the bucket: it was deleted",
    "LOG_UNREADABLE": "a log file could not be read or is not CloudTrail's gzip JSON",
    "DIGEST_UNREADABLE": "a digest file could not be read",
    "DIGEST_FORGED": "a digest's signature does not verify with CloudTrail's key: the digest was rewritten",
    "DIGEST_UNSIGNED": "a digest has no signature, or names a key CloudTrail does not list for its region",
    "DIGEST_MISSING": "a digest the next one names is gone: it was deleted, with the log files only it named",
    "LOG_UNCOVERED": "a log file older than two hours that no digest names: planted, or its digest deleted",
    "TRAIL_SILENT": "an active account has no log file in the window: its root use cannot be seen",
}


@dataclass
class Examined:
    accounts: int = 0
    regions: int = 0  # (account, region) pairs listed
    listings: int = 0  # ListObjectsV2 calls
    objects_listed: int = 0
    objects_read: int = 0
    bytes_read: int = 0
    records: int = 0
    root_events: int = 0
    digests_read: int = 0
    objects_verified: int = 0  # read, and its hash matched its digest's
    objects_not_covered: int = 0  # read, and no digest names it (validation off, or its digest not delivered yet)
    digest_signatures_verified: int = 0  # digests whose signature verified with CloudTrail's public key
    problems: list[Problem] = field(default_factory=list)
    unverifiable: list[str] = field(default_factory=list)  # regions whose public keys could not be had, and why

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("problems", "unverifiable")}


def find_trail(aws: Aws, name: str | None = None, bucket: str | None = None, prefix: str | None = None) -> Trail:
    """The organization trail (or the one named): DescribeTrails in the caller's account; ``bucket`` (and
    ``prefix``) instead read a bucket laid out as an organization trail's, without asking CloudTrail."""
    org_id, _management = aws.organization()
    if bucket:
        clean = (prefix or "").strip("/")
        return Trail(name or "(given bucket)", bucket, f"{clean}/" if clean else "", org_id, aws.region, True, True)
    with aws_errors("cloudtrail:DescribeTrails"):
        trails = aws.client("cloudtrail").describe_trails(includeShadowTrails=True).get("trailList", [])
    if name:
        chosen = [t for t in trails if name in (t.get("Name"), t.get("TrailARN"))]
        if not chosen:
            raise InputError(f"no trail named {name} in this account's DescribeTrails: give the name or ARN of the "
                             "organization trail, or --bucket")
    else:
        chosen = [t for t in trails if t.get("IsOrganizationTrail")]
        if not chosen:
            raise InputError("no organization trail found (DescribeTrails): create one (CloudTrail > Trails > "
                             "'Enable for all accounts in my organization'), or give --trail / --bucket")
        if len({t.get("S3BucketName") for t in chosen}) > 1:
            raise InputError("several organization trails write to different buckets ("
                             + ", ".join(sorted(str(t.get("Name")) for t in chosen)) + "): choose one with --trail")
    t = chosen[0]
    clean = str(t.get("S3KeyPrefix") or "").strip("/")
    return Trail(str(t.get("Name")), str(t["S3BucketName"]), f"{clean}/" if clean else "",
                 org_id if t.get("IsOrganizationTrail") else None, str(t.get("HomeRegion") or aws.region),
                 bool(t.get("LogFileValidationEnabled")), bool(t.get("IsMultiRegionTrail")))


def delivered_at(key: str) -> float | None:
    """The delivery time a CloudTrail object's name holds (``..._20261202T1205Z_...``)."""
    found = _DELIVERED.search(key.rsplit("/", 1)[-1])
    if not found:
        return None
    text = found.group(1)
    fmt = "%Y%m%dT%H%M%SZ" if len(text) == 16 else "%Y%m%dT%H%MZ"
    return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()


def _days(since: float, until: float) -> list[str]:
    day = datetime.fromtimestamp(since, UTC).date()
    last = datetime.fromtimestamp(until, UTC).date()
    out = []
    while day <= last:
        out.append(day.strftime("%Y/%m/%d"))
        day += timedelta(days=1)
    return out


class TrailReader:
    """Reads one trail's objects for some accounts and a window, concurrently; thread-safe counts."""

    def __init__(self, aws: Aws, trail: Trail, concurrency: int = 16) -> None:
        self.aws, self.trail, self.concurrency = aws, trail, max(1, concurrency)
        self.s3 = aws.client("s3")
        self.examined = Examined()
        self._lock = threading.Lock()
        self._keys: dict[str, dict[str, object] | None] = {}  # region -> fingerprint -> RSA key (None: not had)
        self.window = (0.0, 0.0)

    def _count(self, **deltas: int) -> None:
        with self._lock:
            for k, v in deltas.items():
                setattr(self.examined, k, getattr(self.examined, k) + v)

    def _problem(self, kind: str, account: str, key: str, detail: str) -> None:
        with self._lock:
            self.examined.problems.append(Problem(kind, account, key, detail))

    def _list(self, prefix: str, delimiter: str | None = None, first: str | None = None,
              last: str | None = None) -> tuple[list[dict], list[str]]:
        """Keys under ``prefix``; with ``first``/``last`` (day folders ``YYYY/MM/DD``), only those days': one listing
        from the first day on (``StartAfter``), stopped after the last, never one listing per day."""
        objects, prefixes = [], []
        params = {"Bucket": self.trail.bucket, "Prefix": prefix} | ({"Delimiter": delimiter} if delimiter else {})
        if first:
            params["StartAfter"] = f"{prefix}{first}"  # sorts before every key of that day
        end = f"{prefix}{last}/\uffff" if last else None
        with aws_errors(f"s3:ListObjectsV2 s3://{self.trail.bucket}/{prefix}"):
            for page in self.s3.get_paginator("list_objects_v2").paginate(**params):
                self._count(listings=1)
                contents = page.get("Contents", [])
                objects += [o for o in contents if end is None or o["Key"] <= end]
                prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
                if end is not None and contents and contents[-1]["Key"] > end:
                    break
        return objects, prefixes

    def _get(self, key: str, with_metadata: bool = False):
        with aws_errors(f"s3:GetObject s3://{self.trail.bucket}/{key}"):
            answer = self.s3.get_object(Bucket=self.trail.bucket, Key=key)
            data = answer["Body"].read()
        return (data, answer.get("Metadata") or {}) if with_metadata else data

    def _public_keys(self, region: str) -> dict[str, object] | None:
        """CloudTrail's digest-signing keys of ``region`` for the window (once per region); None when not had."""
        with self._lock:
            if region in self._keys:
                return self._keys[region]
        from Cryptodome.PublicKey import RSA

        from ..errors import AwsError

        since, until = self.window
        keys: dict[str, object] | None = {}
        try:
            with aws_errors(f"cloudtrail:ListPublicKeys ({region})"):
                client = self.aws.session.client("cloudtrail", region_name=region, config=self.aws.config)
                for page in client.get_paginator("list_public_keys").paginate(
                        StartTime=datetime.fromtimestamp(since - 86400, UTC), EndTime=datetime.fromtimestamp(until + 86400, UTC)):
                    for k in page.get("PublicKeyList", []):
                        keys[str(k.get("Fingerprint"))] = RSA.import_key(k["Value"])
        except (AwsError, ValueError, KeyError) as exc:
            keys = None
            with self._lock:
                self.examined.unverifiable.append(f"digest signatures of {region}: {exc}")
        with self._lock:
            self._keys.setdefault(region, keys)
            return self._keys[region]

    def _verify(self, account: str, key: str, digest: dict, content: bytes, metadata: dict) -> None:
        """The digest's signature, over CloudTrail's data signing string, with its region's key."""
        from Cryptodome.Hash import SHA256
        from Cryptodome.Signature import pkcs1_15

        region = key.split("/CloudTrail-Digest/", 1)[-1].split("/", 1)[0]
        keys = self._public_keys(region)
        if keys is None:
            return  # said once, in unverifiable
        signature = {k.lower(): v for k, v in metadata.items()}.get("signature")
        public = keys.get(str(digest.get("digestPublicKeyFingerprint")))
        if not signature or public is None:
            self._problem("DIGEST_UNSIGNED", account, key, "no signature in its metadata" if not signature else
                          f"key {digest.get('digestPublicKeyFingerprint')} is not one CloudTrail lists for {region}")
            return
        text = (f"{digest.get('digestEndTime')}\n{self.trail.bucket}/{key}\n{hashlib.sha256(content).hexdigest()}\n"
                f"{digest.get('previousDigestSignature') or 'null'}")
        try:
            pkcs1_15.new(public).verify(SHA256.new(text.encode()), bytes.fromhex(signature))
        except ValueError:
            self._problem("DIGEST_FORGED", account, key, "its signature does not verify with CloudTrail's public key")
            return
        self._count(digest_signatures_verified=1)

    @staticmethod
    def _gunzip(data: bytes) -> bytes:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(MAX_OBJECT + 1)
        if len(out) > MAX_OBJECT:
            raise ValueError(f"larger than {MAX_OBJECT // (1024 * 1024)} MiB uncompressed")
        return out

    def _plan(self, account: str, since: float, until: float) -> tuple[list[tuple[str, str]], dict[str, str]]:
        """The log objects of ``account`` that can hold events of [since, until], and the hashes its digests
        hold for its objects (key -> SHA-256 hex)."""
        base = self.trail.base(account)
        regions: list[str] = []
        # A region's digests name its log files even when every log file is gone: both trees give regions.
        for tree in ("CloudTrail/", "CloudTrail-Digest/") if self.trail.validation else ("CloudTrail/",):
            _objects, region_prefixes = self._list(f"{base}{tree}", "/")
            regions += [p[len(base + tree):].strip("/") for p in region_prefixes]
        regions = list(dict.fromkeys(regions))
        self._count(regions=len(regions))
        wanted: list[tuple[str, str]] = []
        days = _days(since, until + LATE)
        for region in regions:
            objects, _ = self._list(f"{base}CloudTrail/{region}/", first=days[0], last=days[-1])
            self._count(objects_listed=len(objects))
            for o in objects:
                at = delivered_at(o["Key"])
                if at is None or since <= at <= until + LATE:
                    wanted.append((account, o["Key"]))
        hashes: dict[str, str] = {}
        if self.trail.validation:
            days = _days(since, until + 2 * LATE)
            first = datetime.strptime(days[0], "%Y/%m/%d").replace(tzinfo=UTC).timestamp()
            for region in regions:
                digests, _ = self._list(f"{base}CloudTrail-Digest/{region}/", first=days[0], last=days[-1])
                present = {d["Key"] for d in digests}
                for d in digests:
                    previous = self._digest(account, d["Key"], hashes)
                    at = delivered_at(previous or "")
                    # The chain: a digest names the one before it. One of the days listed that is gone was deleted
                    # (with the log files it named, which no other digest names).
                    if previous and previous not in present and at is not None and at >= first:
                        self._problem("DIGEST_MISSING", account, previous, f"the digest {d['Key'].rsplit('/', 1)[-1]} "
                                      "names it as the one before it; it is not in the bucket")
        return wanted, hashes

    def _digest(self, account: str, key: str, hashes: dict[str, str]) -> str | None:
        """Read one digest: its log files' hashes into ``hashes``, its signature verified; the previous digest's key."""
        try:
            data, metadata = self._get(key, with_metadata=True)
            content = self._gunzip(data)
            digest = json.loads(content)
            files = digest.get("logFiles", [])
            named = {f["s3Object"]: str(f.get("hashValue", "")).lower() for f in files
                     if f.get("hashAlgorithm", "SHA-256") == "SHA-256" and f.get("s3Object")}
        except (ValueError, OSError, AttributeError, TypeError, KeyError) as exc:
            self._problem("DIGEST_UNREADABLE", account, key, str(exc)[:200])
            return None
        self._count(digests_read=1)
        self._verify(account, key, digest, content, metadata)
        hashes.update(named)
        previous = digest.get("previousDigestS3Object")
        return previous if isinstance(previous, str) and previous else None

    def _read(self, account: str, key: str, expected: str | None, keep: Callable[[TrailEvent], bool]) -> list[TrailEvent]:
        try:
            data = self._gunzip(self._get(key))
        except (ValueError, OSError, EOFError) as exc:
            self._problem("LOG_UNREADABLE", account, key, str(exc)[:200])
            return []
        self._count(objects_read=1, bytes_read=len(data))
        if expected is not None:
            if hashlib.sha256(data).hexdigest() != expected:
                self._problem("LOG_ALTERED", account, key, "its SHA-256 differs from its digest's")
            else:
                self._count(objects_verified=1)
        else:
            self._count(objects_not_covered=1)
            at = delivered_at(key)
            if self.trail.validation and at is not None and at < time.time() - 2 * LATE:
                # CloudTrail names every log file in the next hour's digest: one this old that no digest names was
                # put there by someone else, or its digest is gone (the last of a chain has no successor to say so).
                self._problem("LOG_UNCOVERED", account, key, "log file validation is on and no digest names it")
        try:
            records = json.loads(data).get("Records")
            if not isinstance(records, list):
                raise ValueError("no Records list")
        except (ValueError, AttributeError) as exc:
            self._problem("LOG_UNREADABLE", account, key, f"not CloudTrail JSON: {str(exc)[:160]}")
            return []
        events = [e for e in map(classify, records) if e is not None and keep(e)]
        self._count(records=len(records), root_events=len(events))
        return events

    def read(self, accounts: Iterable[str], since: float, until: float, *, keep: Callable[[TrailEvent], bool],
             silent_ok: set[str] = frozenset(), on_planned: Callable[[int], None] | None = None,
             on_read: Callable[[], None] | None = None) -> list[TrailEvent]:
        """The root events of ``accounts`` in [since, until] that ``keep`` keeps. An account with no object in
        the window is TRAIL_SILENT unless in ``silent_ok`` (accounts not active)."""
        accounts = list(dict.fromkeys(accounts))
        self.examined.accounts = len(accounts)
        self.window = (since, until)
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="trail")
        try:
            plans = list(pool.map(lambda a: self._plan(a, since, until), accounts))
            work, hashes = [], {}
            for account, (wanted, held) in zip(accounts, plans, strict=True):
                work += wanted
                hashes.update(held)
                if not wanted and account not in silent_ok:
                    self._problem("TRAIL_SILENT", account, self.trail.base(account) + "CloudTrail/",
                                  "no log file delivered in the window")
            listed = {key for _account, key in work}
            for account, (_wanted, held) in zip(accounts, plans, strict=True):
                base = self.trail.base(account)
                for key in held:
                    at = delivered_at(key)
                    if key.startswith(base) and key not in listed and at is not None and since <= at <= until + LATE:
                        self._problem("LOG_MISSING", account, key, "named by a digest, not in the bucket")
            if on_planned is not None:
                on_planned(len(work))

            def one(item: tuple[str, str]) -> list[TrailEvent]:
                found = self._read(item[0], item[1], hashes.get(item[1]), keep)
                if on_read is not None:
                    on_read()
                return found

            events = [e for found in pool.map(one, work) for e in found]
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        self.examined.problems.sort(key=lambda p: (p.kind, p.account_id, p.key))
        return [e for e in events if since <= e.time <= until]
