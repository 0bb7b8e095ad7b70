"""org root-use: every root use in the organization trail, joined with the break-glass journal.

The accounts (the whole organization, or those named, plus the accounts that can call AssumeRoot: the
management account and the delegated administrators for IAM), the trail's objects of the window
(``trail.py``), the journal's retrievals and org records (verified first: a journal that does not verify
explains nothing), and the rule (``rules/rootuse.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..rules import rootuse
from ..storage import transaction
from ..workspace import Workspace
from .accounts import OrgAccount, find_accounts, iter_accounts
from .aws import Aws, aws_errors
from .trail import PROBLEMS, Examined, Trail, TrailReader, find_trail

MAX_DAYS = 400  # CloudTrail keeps what the bucket keeps; a window longer than this is a typing error
LEAD = 900  # read this much before the window: a root session (at most 900 s) begun before it has calls in it


@dataclass
class Report:
    trail: Trail | None  # None: the Athena path (no trail objects read)
    since: float
    until: float
    window: float
    uses: list[rootuse.Use]
    examined: Examined
    names: dict[str, str]
    journal_problems: list[str] = field(default_factory=list)
    not_examined: list[str] = field(default_factory=list)  # what could not be looked at, said once each
    source: dict = field(default_factory=lambda: {"via": "s3"})  # where the events came from
    limits: list[str] = field(default_factory=list)  # what the chosen path cannot see at all (said, not findings)

    def findings(self) -> int:
        """Uses with a finding, trail problems, a journal that does not verify, what could not be examined."""
        return (rootuse.failing(self.uses) + len(self.examined.problems) + bool(self.journal_problems)
                + len(self.not_examined))

    def as_dict(self) -> dict:
        return {"since": rootuse.iso(self.since), "until": rootuse.iso(self.until),
                "window_minutes": int(self.window // 60),
                "trail": None if self.trail is None else self.trail.as_dict(), "source": dict(self.source),
                "limits": list(self.limits),
                "uses": [u.as_dict(self.names) for u in self.uses],
                "summary": rootuse.counts(self.uses),
                "trail_problems": [p.as_dict() for p in self.examined.problems],
                "journal_verified": not self.journal_problems, "journal_problems": list(self.journal_problems),
                "examined": self.examined.as_dict(), "not_examined": list(self.not_examined),
                "accounts": [{"account_id": a, "account_name": n} for a, n in sorted(self.names.items())]}


def check_window(since: float, until: float) -> None:
    from ..errors import InputError

    if until <= since:
        raise InputError("--until is not after --since: give a window that ends after it starts")
    if until - since > MAX_DAYS * 86400:
        raise InputError(f"the window is longer than {MAX_DAYS} days: give a shorter one (or several runs)")


def delegated_administrators(aws: Aws) -> list[str]:
    """The delegated administrators for IAM: they can call AssumeRoot too."""
    with aws_errors("organizations:ListDelegatedAdministrators"):
        pages = aws.client("organizations").get_paginator("list_delegated_administrators").paginate(
            ServicePrincipal="iam.amazonaws.com")
        return [a["Id"] for page in pages for a in page.get("DelegatedAdministrators", [])]


def root_use(ws: Workspace, aws: Aws, refs: list[str], since: float, until: float, *, window: float,
             allowed: list[str], trail_name: str | None = None, bucket: str | None = None, prefix: str | None = None,
             concurrency: int = 16, on_planned: Callable[[int], None] | None = None,
             on_read: Callable[[], None] | None = None, athena: dict | None = None) -> Report:
    """``athena``: {table, workgroup, output}: the question sent as SQL (org/athena.py) instead of reading the
    trail's objects."""
    from ..errors import AwsError

    check_window(since, until)
    if athena:
        from . import athena as sql

        sql.check_table(athena["table"])
    journal = ws.journal()
    verification = transaction.verify(journal)
    records = rootuse.journal_records(journal.records())
    trail = None if athena else find_trail(aws, trail_name, bucket, prefix)
    _org_id, management = aws.organization()
    not_examined: list[str] = []
    if refs:
        accounts: list[OrgAccount] = find_accounts(aws, refs, management, workers=concurrency)
        callers = [management]
        try:
            callers += delegated_administrators(aws)
        except AwsError as exc:
            not_examined.append(f"AssumeRoot by delegated administrators for IAM: {exc}")
        every = {a.account_id: a for a in accounts}
        read = list(every) + [c for c in callers if c not in every]
    else:
        accounts = list(iter_accounts(aws, management))
        every = {a.account_id: a for a in accounts}
        read = list(every)
    wanted = set(every)
    if athena:
        query = sql.query(athena["table"], since - LEAD, until, read if refs else None)
        rows, source = sql.run(aws, athena["table"], athena.get("workgroup") or "primary", athena.get("output"), query)
        events = [e for e in sql.events(rows) if e.account_id in wanted]
        examined = Examined(accounts=len(read), records=len(rows), root_events=len(events))
        source, limits = {"via": "athena", **source}, list(sql.LIMITS)
    else:
        quiet = {a.account_id for a in accounts if a.state != "ACTIVE"}
        reader = TrailReader(aws, trail, concurrency)
        events = reader.read(read, since - LEAD, until, keep=lambda e: e.account_id in wanted, silent_ok=quiet,
                             on_planned=on_planned, on_read=on_read)
        examined, source, limits = reader.examined, {"via": "s3"}, []
        if not trail.validation:
            limits.append(f"log file validation is off for trail {trail.name}: an altered or deleted log file cannot "
                          "be told (turn it on: CloudTrail > Trails > Log file validation)")
        not_examined += examined.unverifiable
        if not trail.multi_region:
            not_examined.append(f"trail {trail.name} is not multi-region: root calls in other regions are not in it")
    uses = rootuse.join(events, records, window=window, allowed_principals=allowed, since=since, until=until,
                        trusted=verification.ok)
    # The lead's uses are not the window's (a session begun in it only takes its calls in the window along).
    uses = [u for u in uses if u.account_id in wanted and u.time >= since]
    return Report(trail, since, until, window, uses, examined, {a: every[a].name for a in every},
                  list(verification.problems), not_examined, source, limits)


EXPLAIN = {**rootuse.EXPLAIN, **PROBLEMS}


def findings_run(report: Report, at: str, anchor: str):
    """The root-use report's results for the finding formats: per account examined, and the trail's."""
    from ..findings.results import Run, from_root_use

    return Run("root-use", "Root use matched with the journal: rootkeeper org root-use", at,
               from_root_use(report.as_dict(), EXPLAIN), dict(report.examined.as_dict()),
               list(report.not_examined) + [f"not seen by this path: {t}" for t in report.limits], anchor)
