"""The organization's accounts: every page of the listing, the OU tree, and ACCOUNT arguments."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

from ..errors import AwsError, NotFoundError
from ..rules.accounts import is_account_id, lookup
from .aws import Aws, aws_errors

# AWS's retired ``Status`` had these values; ``status`` in our JSON is derived from ``State`` for scripts
# written against it (ACTIVE, SUSPENDED, PENDING_CLOSURE; null for the states it never had).
LEGACY_STATUS = ("ACTIVE", "SUSPENDED", "PENDING_CLOSURE")


@dataclass
class OrgAccount:
    account_id: str
    name: str
    email: str
    state: str | None  # AWS's AccountState; None: the answer did not say (never read as ACTIVE)
    joined: str = ""
    ou_path: str = ""
    management: bool = False

    @classmethod
    def from_api(cls, a: dict, management: str) -> OrgAccount:
        """From an Organizations ``Account`` structure; ``management`` is the management account's id.

        Only ``State`` is read: ``Status`` is retired (botocore's model: "will be retired on September
        9, 2026"), and an answer without ``State`` leaves the state unknown.
        """
        joined = a.get("JoinedTimestamp")
        return cls(a["Id"], a.get("Name", ""), a.get("Email", ""), a.get("State") or None,
                   joined.strftime("%Y-%m-%dT%H:%M:%SZ") if joined else "", "", a["Id"] == management)

    @property
    def active(self) -> bool:
        return self.state == "ACTIVE"

    @property
    def state_text(self) -> str:
        return self.state or "state unknown (AWS's answer has no State)"

    def as_dict(self) -> dict:
        return {"account_id": self.account_id, "account_name": self.name, "email": self.email, "state": self.state,
                "status": self.state if self.state in LEGACY_STATUS else None,
                "ou_path": self.ou_path, "joined": self.joined or None, "management": self.management}


def by_state(accounts: Iterable[OrgAccount]) -> dict[str, int]:
    """How many accounts are in each state ("unknown" for an answer without State)."""
    counts: dict[str, int] = {}
    for a in accounts:
        counts[a.state or "unknown"] = counts.get(a.state or "unknown", 0) + 1
    return counts


def listed_order(account: OrgAccount) -> tuple:
    """The management account first, then by name."""
    return (not account.management, account.name.lower(), account.account_id)


def not_in_org(ref: str) -> NotFoundError:
    return NotFoundError(f"account {ref} is not in the organization: check the id with 'rootkeeper org accounts'")


def iter_accounts(aws: Aws, management: str) -> Iterator[OrgAccount]:
    """Every account, page by page (ListAccounts pages hold at most 20), as the pages arrive."""
    pages = aws.client("organizations").get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 20})
    with aws_errors("organizations:ListAccounts"):
        for page in pages:
            for a in page["Accounts"]:
                yield OrgAccount.from_api(a, management)


def accounts_with_paths(aws: Aws, workers: int = 8) -> list[OrgAccount]:
    """Every account with its OU path: the tree walked from the root, every page of every level,
    OUs visited concurrently (each OU's pages are sequential by nature)."""
    _org_id, management = aws.organization()
    orgs = aws.client("organizations")

    def pages(operation: str, key: str, **params) -> Iterator[dict]:
        for page in orgs.get_paginator(operation).paginate(**params, PaginationConfig={"PageSize": 20}):
            yield from page[key]

    def visit(parent: str, path: str) -> tuple[list[OrgAccount], list[tuple[str, str]]]:
        found = []
        for a in pages("list_accounts_for_parent", "Accounts", ParentId=parent):
            account = OrgAccount.from_api(a, management)
            account.ou_path = path
            found.append(account)
        children = [(ou["Id"], f"{path}/{ou['Name']}")
                    for ou in pages("list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent)]
        return found, children

    out: list[OrgAccount] = []
    with aws_errors("listing the organization"):
        roots = [r for page in orgs.get_paginator("list_roots").paginate() for r in page["Roots"]]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="walk") as pool:
            pending = {pool.submit(visit, r["Id"], "/" + r.get("Name", "Root")) for r in roots}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    found, children = future.result()
                    out += found
                    pending |= {pool.submit(visit, child, path) for child, path in children}
    return sorted(out, key=listed_order)


def find_accounts(aws: Aws, refs: list[str], management: str, workers: int = 1) -> list[OrgAccount]:
    """ACCOUNT arguments to accounts: one DescribeAccount per id (``workers`` at a time), the whole
    listing only for names."""
    if not all(is_account_id(r) for r in refs):
        return resolve(list(iter_accounts(aws, management)), refs)

    def describe(ref: str) -> OrgAccount:
        try:
            with aws_errors("organizations:DescribeAccount"):
                account = aws.client("organizations").describe_account(AccountId=ref)["Account"]
        except AwsError as exc:
            if exc.code == "AccountNotFoundException":
                raise not_in_org(ref) from None
            raise
        return OrgAccount.from_api(account, management)

    ids = list(dict.fromkeys(refs))
    if workers <= 1 or len(ids) <= 1:
        return [describe(ref) for ref in ids]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="describe") as pool:
        return list(pool.map(describe, ids))


def resolve(accounts: list[OrgAccount], refs: Iterable[str]) -> list[OrgAccount]:
    """ACCOUNT arguments (12-digit ids or exact names) to organization accounts."""
    by_id = {a.account_id: a for a in accounts}
    out: list[OrgAccount] = []
    for ref in refs:
        found = lookup(ref, by_id, lambda a: a.name, "account in the organization")
        if found is None:
            if is_account_id(ref):
                raise not_in_org(ref)
            raise NotFoundError(f"no account named {ref!r} in the organization: give its 12-digit id, or check "
                                "'rootkeeper org accounts'")
        if found not in out:
            out.append(found)
    return out


class Selection:
    """ACCOUNT arguments matched while the listing streams in; ``check()`` afterwards says what was not found."""

    def __init__(self, refs: Iterable[str]) -> None:
        self.refs = list(refs)
        self._ids = {r for r in self.refs if is_account_id(r)}
        self._names = {r for r in self.refs if not is_account_id(r)}
        self.matched: list[OrgAccount] = []

    def __call__(self, accounts: Iterable[OrgAccount]) -> Iterator[OrgAccount]:
        for account in accounts:
            if account.account_id in self._ids or account.name in self._names:
                self.matched.append(account)
                yield account

    def check(self) -> None:
        resolve(self.matched, self.refs)
