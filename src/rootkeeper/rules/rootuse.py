"""Root use in CloudTrail, matched with the break-glass journal: the rule (pure).

What AWS records (CloudTrail User Guide and IAM User Guide):

- a root console sign-in is ``ConsoleLogin`` from ``signin.amazonaws.com`` with ``userIdentity.type``
  ``Root``, ``responseElements.ConsoleLogin`` ``Success`` or ``Failure`` and
  ``additionalEventData.MFAUsed`` ``Yes``/``No`` ("AWS Management Console sign-in events");
- ``aws login`` (AWS CLI 2.32+) gives root CLI credentials through ``signin:AuthorizeOAuth2Access`` and
  ``signin:CreateOAuth2Token``, again with ``userIdentity.type`` ``Root``;
- ``sts:AssumeRoot`` is logged in the calling account (the management account or a delegated administrator
  for IAM) with ``requestParameters.targetPrincipal`` and ``taskPolicyArn.arn``, and the credentials' access
  key in ``responseElements``; the calls made with them are logged in the member account with
  ``userIdentity.type`` ``Root``, that access key, and ``sessionContext.assumedRoot`` ``"true"``
  ("Track privileged tasks in AWS CloudTrail");
- any other call whose ``userIdentity.type`` is ``Root`` is the root user's own (long-term keys, or the
  console session after a sign-in).

A root use is explained by the journal when a retrieval of that account's password or code (or an enrollment
or rotation, which sign in as root) was recorded within ``window`` seconds before it; an AssumeRoot session by
a rootkeeper ``org`` record of that account within the window either side, or by a principal named as allowed.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

SIGN_IN = "sign-in"  # ConsoleLogin as root
CLI_LOGIN = "cli-login"  # aws login as root (signin OAuth2)
ROOT_CALLS = "root-calls"  # the root user's own calls, one use per access key (a console or key session)
ASSUME_ROOT = "assume-root"  # sts:AssumeRoot into a member account, with the calls of its session
KINDS = (SIGN_IN, CLI_LOGIN, ROOT_CALLS, ASSUME_ROOT)

# Findings: exit 1. The first is the worst.
UNEXPLAINED = "UNEXPLAINED"  # root used and no record explains it
SIGN_IN_FAILED = "SIGN_IN_FAILED"  # a failed root sign-in: someone trying the password
NO_MFA = "NO_MFA"  # a root sign-in without MFA
ASSUME_ROOT_NOT_ALLOWED = "ASSUME_ROOT_NOT_ALLOWED"  # by a principal not allowed, no org record of it
SESSION_ORIGIN_UNSEEN = "SESSION_ORIGIN_UNSEEN"  # a root session's calls whose AssumeRoot was not in what was read
# Informational: no exit status.
RETRIEVAL_UNUSED = "RETRIEVAL_UNUSED"  # a password or code handed out and never followed by a root use
ASSUME_ROOT_REFUSED = "ASSUME_ROOT_REFUSED"  # AWS refused an AssumeRoot: no session was made
FINDINGS = (UNEXPLAINED, SIGN_IN_FAILED, NO_MFA, ASSUME_ROOT_NOT_ALLOWED, SESSION_ORIGIN_UNSEEN)
INFORMATIONAL = (RETRIEVAL_UNUSED, ASSUME_ROOT_REFUSED)
EXPLAIN = {
    UNEXPLAINED: "root was used and no break-glass record explains it",
    SIGN_IN_FAILED: "a root sign-in failed: someone tried the password (or the code)",
    NO_MFA: "a root sign-in without MFA",
    ASSUME_ROOT_NOT_ALLOWED: "AssumeRoot by a principal not allowed, with no rootkeeper org record of it",
    SESSION_ORIGIN_UNSEEN: "calls in a root session whose AssumeRoot is not in the trail read",
    RETRIEVAL_UNUSED: "a password or code handed out and never followed by a root sign-in (informational)",
    ASSUME_ROOT_REFUSED: "AWS refused an AssumeRoot (informational)",
}

# Journal events that hand out what a root sign-in needs, or sign in as root themselves.
RETRIEVALS = ("password.show", "password.clip", "code", "enroll.password", "enroll.mfa", "rotate")
HANDED_OUT = ("password.show", "password.clip", "code")  # the ones RETRIEVAL_UNUSED is about
# Journal events of rootkeeper's own AssumeRoot sessions (org delete-root, allow-recovery).
ORG_RECORDS = ("org.delete-root", "org.delete-root.intent", "org.delete-root.part", "org.allow-recovery",
               "seeds.retire-device", "org.unlock-bucket-policy", "org.unlock-bucket-policy.intent",
               "org.unlock-queue-policy", "org.unlock-queue-policy.intent")
SKEW = 120  # seconds a CloudTrail time may precede the journal's (two clocks)
DEFAULT_WINDOW = 3600  # a retrieval explains root uses up to an hour after it
CONSOLE_SESSION = 12 * 3600  # the root user's calls after an explained sign-in are that sign-in's (console session)

_ACCOUNT = re.compile(r"(?<![0-9])([0-9]{12})(?![0-9])")


def parse_time(text: str | None) -> float | None:
    """CloudTrail's and the journal's times (ISO 8601, UTC): Unix seconds; None when absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _get(record: dict, *path: str):
    value = record
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


@dataclass(frozen=True)
class TrailEvent:
    """One CloudTrail record that is root's: what the rule needs of it."""

    kind: str  # SIGN_IN, CLI_LOGIN, ROOT_CALLS (one call), ASSUME_ROOT, or "session-call"
    account_id: str  # whose root: the signed-in account, the AssumeRoot target
    time: float
    event_id: str
    name: str  # eventName
    region: str
    source_ip: str | None = None
    success: bool = True
    mfa_used: bool | None = None
    access_key: str | None = None  # the credentials' key: ties a root session's calls to its AssumeRoot
    principal: str | None = None  # AssumeRoot: who called it (its ARN) ...
    issuer: str | None = None  # ... and, for a role session, the role's ARN
    caller_account: str | None = None  # AssumeRoot: the account that called it
    task: str | None = None  # AssumeRoot: the task policy's name
    error: str | None = None  # errorCode (and errorMessage) when AWS refused


def classify(record: dict) -> TrailEvent | None:
    """The root use a CloudTrail record shows, or None when it is not root's."""
    if not isinstance(record, dict):
        return None
    name, source = str(record.get("eventName") or ""), str(record.get("eventSource") or "")
    when = parse_time(record.get("eventTime"))
    if when is None:
        return None
    identity = record.get("userIdentity") if isinstance(record.get("userIdentity"), dict) else {}
    error = record.get("errorCode") or record.get("errorMessage")
    error = None if error is None else " ".join(str(v) for v in (record.get("errorCode"), record.get("errorMessage")) if v)
    common = {"time": when, "event_id": str(record.get("eventID") or ""), "name": name,
              "region": str(record.get("awsRegion") or ""), "source_ip": record.get("sourceIPAddress")}
    if name == "AssumeRoot" and source.startswith("sts."):
        found = _ACCOUNT.search(str(_get(record, "requestParameters", "targetPrincipal") or ""))
        if found is None:
            return None
        task = str(_get(record, "requestParameters", "taskPolicyArn", "arn") or "").rpartition("/")[2] or None
        return TrailEvent(ASSUME_ROOT, found.group(1), success=error is None, error=error, task=task,
                          access_key=_get(record, "responseElements", "credentials", "accessKeyId"),
                          principal=identity.get("arn"), issuer=_get(identity, "sessionContext", "sessionIssuer", "arn"),
                          caller_account=str(record.get("recipientAccountId") or identity.get("accountId") or "") or None,
                          **common)
    if identity.get("type") != "Root":
        return None
    account = str(identity.get("accountId") or record.get("recipientAccountId") or "")
    if not _ACCOUNT.fullmatch(account):
        return None
    if name == "ConsoleLogin":
        outcome = _get(record, "responseElements", "ConsoleLogin")
        mfa = _get(record, "additionalEventData", "MFAUsed")
        return TrailEvent(SIGN_IN, account, success=outcome == "Success" and error is None, error=error,
                          mfa_used=None if mfa is None else mfa == "Yes", **common)
    if source.startswith("signin.") and (name == "CreateOAuth2Token" or (name == "AuthorizeOAuth2Access" and error)):
        # One aws login is both calls: the token is the credentials; a refused authorization, a failed attempt.
        return TrailEvent(CLI_LOGIN, account, success=error is None, error=error, **common)
    if source.startswith("signin."):
        return None  # the sign-in's own steps (CheckMfa, CredentialVerification...): the ConsoleLogin says it
    assumed = str(_get(identity, "sessionContext", "assumedRoot") or "").lower() == "true"
    mfa = _get(identity, "sessionContext", "attributes", "mfaAuthenticated")
    return TrailEvent("session-call" if assumed else ROOT_CALLS, account, success=error is None, error=error,
                      access_key=identity.get("accessKeyId") or None,
                      mfa_used=None if mfa is None else str(mfa).lower() == "true", **common)


@dataclass(frozen=True)
class Record:
    """A journal record that can explain a root use."""

    seq: int
    event: str
    time: float
    account_id: str
    actor: str = ""
    reason: str | None = None

    def as_dict(self) -> dict:
        return {"seq": self.seq, "event": self.event, "time": iso(self.time), "actor": self.actor or None,
                "reason": self.reason}


def journal_records(records: list[dict]) -> list[Record]:
    """The journal's retrievals and org records, with their times."""
    out = []
    for r in records:
        event = r.get("event")
        when = parse_time(r.get("time"))
        if event not in RETRIEVALS + ORG_RECORDS or when is None or not isinstance(r.get("seq"), int):
            continue
        account = str(r.get("account_id") or "")
        if not _ACCOUNT.fullmatch(account):
            continue
        out.append(Record(r["seq"], event, when, account, str(r.get("actor") or ""), r.get("reason")))
    return out


@dataclass
class Use:
    """One root use (or one informational item), with what explains it and what is wrong with it."""

    kind: str
    account_id: str
    time: float
    name: str = ""
    region: str = ""
    source_ip: str | None = None
    success: bool = True
    mfa_used: bool | None = None
    principal: str | None = None
    task: str | None = None
    calls: int = 0  # a session's calls seen (ROOT_CALLS, ASSUME_ROOT)
    last: float | None = None  # a session's last call
    event_id: str = ""
    explained_by: Record | None = None
    allowed: bool = False  # AssumeRoot by a principal the configuration allows
    findings: list[str] = field(default_factory=list)
    detail: str = ""

    def as_dict(self, names: dict[str, str] | None = None) -> dict:
        return {"kind": self.kind, "account_id": self.account_id,
                "account_name": (names or {}).get(self.account_id), "time": iso(self.time),
                "event_name": self.name or None, "region": self.region or None, "source_ip": self.source_ip,
                "success": self.success, "mfa_used": self.mfa_used, "principal": self.principal,
                "task": self.task, "calls": self.calls, "last_call": None if self.last is None else iso(self.last),
                "event_id": self.event_id or None,
                "explained_by": None if self.explained_by is None else self.explained_by.as_dict(),
                "allowed_principal": self.allowed, "findings": list(self.findings), "detail": self.detail}


TASKS = ("IAMAuditRootUserCredentials", "IAMCreateRootUserPassword", "IAMDeleteRootUserCredentials",
         "S3UnlockBucketPolicy", "SQSUnlockQueuePolicy")  # AWS's five root-task policies


def allowance_problem(entry: str) -> str | None:
    """What is wrong with an allowance: ``ARN-PATTERN`` or ``ARN-PATTERN#TASK[,TASK...]`` (None: nothing)."""
    pattern, _, tasks = entry.strip().partition("#")
    if not pattern.startswith("arn:"):
        return f"{entry!r} is not an ARN pattern (arn:..., * allowed)"
    unknown = [t for t in tasks.split(",") if tasks and t.strip() not in TASKS]
    if unknown or (tasks == "" and entry.strip().endswith("#")):
        return f"{entry!r} names no root task after '#' ({', '.join(TASKS)})"
    return None


def allowed(patterns: list[str], task: str | None, *arns: str | None) -> bool:
    """Is any of ``arns`` (a caller and its role) matched by an allowance (``*`` and ``?`` as in a shell) that
    covers ``task``? ``ARN#TASK,TASK`` allows only those tasks; a bare pattern, every task."""
    for entry in patterns:
        pattern, _, tasks = entry.strip().partition("#")
        if tasks and task not in {t.strip() for t in tasks.split(",")}:
            continue
        if any(arn and fnmatch.fnmatchcase(arn, pattern) for arn in arns):
            return True
    return False


def _retrieval_before(records: list[Record], account: str, when: float, window: float, events: tuple) -> Record | None:
    """The latest record of ``events`` for ``account`` in [when - window, when + SKEW]."""
    best = None
    for r in records:
        if r.account_id == account and r.event in events and when - window <= r.time <= when + SKEW:
            if best is None or (r.time, r.seq) > (best.time, best.seq):
                best = r
    return best


def join(events: list[TrailEvent], records: list[Record], *, window: float = DEFAULT_WINDOW,
         allowed_principals: list[str] = (), since: float | None = None, until: float | None = None,
         trusted: bool = True) -> list[Use]:
    """Every root use in ``events``, explained or not, with its findings; then the informational items.

    ``trusted`` False (the journal did not verify): nothing is explained by it.
    """
    by_account: dict[str, list[Record]] = {}
    for r in records if trusted else []:
        by_account.setdefault(r.account_id, []).append(r)
    uses: list[Use] = []
    sessions: dict[tuple[str, str], Use] = {}  # (account, access key) -> the use its calls belong to
    signed_in: dict[str, Use] = {}  # account -> its last explained sign-in: the console session's calls are its
    # AssumeRoot first: its session's calls are logged in the same second or later, in another account's files.
    for e in sorted(events, key=lambda e: (e.kind != ASSUME_ROOT, e.time)):
        if e.kind == ASSUME_ROOT:
            use = Use(ASSUME_ROOT, e.account_id, e.time, e.name, e.region, e.source_ip, e.success,
                      principal=e.principal, task=e.task, event_id=e.event_id)
            if e.success and e.access_key:
                sessions[(e.account_id, e.access_key)] = use
            uses.append(use)
            use.allowed = allowed(list(allowed_principals), e.task, e.principal, e.issuer)
            if not e.success:
                use.findings.append(ASSUME_ROOT_REFUSED)
                use.detail = e.error or ""
                continue
            mine = by_account.get(e.account_id, [])
            use.explained_by = next((r for r in sorted(mine, key=lambda r: abs(r.time - e.time))
                                     if r.event in ORG_RECORDS and abs(r.time - e.time) <= window), None)
            if use.explained_by is None and not use.allowed:
                use.findings.append(ASSUME_ROOT_NOT_ALLOWED)
                use.detail = f"by {e.principal or 'an unnamed principal'} with {e.task or 'no task policy'}"
            continue
        if e.kind in ("session-call", ROOT_CALLS) and e.access_key and (e.account_id, e.access_key) in sessions:
            session = sessions[(e.account_id, e.access_key)]
            session.calls += 1
            session.last = e.time
            continue
        if e.kind == "session-call":  # its AssumeRoot was not read: one use per key
            use = Use(ASSUME_ROOT, e.account_id, e.time, e.name, e.region, e.source_ip, calls=1, last=e.time,
                      event_id=e.event_id, findings=[SESSION_ORIGIN_UNSEEN],
                      detail=f"calls with access key {e.access_key or '(none)'}: no AssumeRoot of it was read")
            if e.access_key:
                sessions[(e.account_id, e.access_key)] = use
            uses.append(use)
            continue
        use = Use(e.kind, e.account_id, e.time, e.name, e.region, e.source_ip, e.success, e.mfa_used,
                  event_id=e.event_id, calls=1 if e.kind == ROOT_CALLS else 0,
                  last=e.time if e.kind == ROOT_CALLS else None)
        if e.kind == ROOT_CALLS and e.access_key:
            sessions[(e.account_id, e.access_key)] = use
        uses.append(use)
        if not e.success and e.kind in (SIGN_IN, CLI_LOGIN):
            use.findings.append(SIGN_IN_FAILED)
            use.detail = e.error or "Failure"
            continue
        use.explained_by = _retrieval_before(by_account.get(e.account_id, []), e.account_id, e.time, window,
                                             RETRIEVALS)
        session = signed_in.get(e.account_id)
        if use.explained_by is None and e.kind == ROOT_CALLS and session and e.time - session.time <= CONSOLE_SESSION:
            use.explained_by = session.explained_by
            use.detail = f"after the sign-in of {iso(session.time)}"
        if use.explained_by is None:
            use.findings.append(UNEXPLAINED)
            use.detail = (f"no retrieval of this account's password or code recorded in the {int(window // 60)} "
                          "minute(s) before")
        elif e.kind in (SIGN_IN, CLI_LOGIN):
            signed_in[e.account_id] = use
        if e.kind == SIGN_IN and e.mfa_used is False:
            use.findings.append(NO_MFA)
    # Informational: a password or code handed out in the window and followed by no root use of that account.
    used: dict[str, list[Use]] = {}  # account -> its sign-ins and root calls (a failed attempt follows a retrieval too)
    for u in uses:
        if u.kind in (SIGN_IN, CLI_LOGIN, ROOT_CALLS):
            used.setdefault(u.account_id, []).append(u)
    for r in records if trusted else []:
        if r.event not in HANDED_OUT or (since is not None and r.time < since) or (until is not None and r.time > until):
            continue
        if any(u.explained_by == r or r.time - SKEW <= u.time <= r.time + window for u in used.get(r.account_id, ())):
            continue
        uses.append(Use("retrieval", r.account_id, r.time, r.event, explained_by=r, findings=[RETRIEVAL_UNUSED],
                        detail=f"{r.event} by {r.actor or 'someone'}"
                               + (f" ({r.reason})" if r.reason else "") + ": no root sign-in followed"))
    uses.sort(key=lambda u: (u.time, u.account_id))
    return uses


def counts(uses: list[Use]) -> dict[str, int]:
    """How many uses carry each finding (findings first, then the informational ones)."""
    out = {}
    for kind in FINDINGS + INFORMATIONAL:
        n = sum(kind in u.findings for u in uses)
        if n:
            out[kind] = n
    return out


def failing(uses: list[Use]) -> int:
    return sum(any(f in FINDINGS for f in u.findings) for u in uses)
