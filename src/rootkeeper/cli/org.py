"""The ``org`` command group: the organization, its audit, and acting through AssumeRoot."""

from __future__ import annotations

import csv
import json
import sys

import click

from . import inputs
from .app import CONTEXT, _get, _store, cli, common, note, print_table, stamps, workspace


def aws_options(func):
    func = click.option("--region", "region", metavar="REGION", expose_value=False, callback=_store,
                        help="AWS region of the STS endpoint [env AWS_REGION; default: the profile's, else us-east-1].")(func)
    func = click.option("--profile", "profile", metavar="NAME", expose_value=False, callback=_store,
                        help="AWS profile [env AWS_PROFILE; default: the standard credential chain].")(func)
    return common(func)


def _aws(concurrency: int = 16):
    from ..org import Aws

    return Aws(_get("profile"), _get("region"), concurrency)


@cli.group(context_settings=CONTEXT)
@aws_options
def org():
    """The AWS Organization: accounts, reconciliation, the root audit, centralized root access.

    Credentials come the boto3 way: --profile / AWS_PROFILE, the standard chain,
    AWS_ENDPOINT_URL; run with the management account's (or a delegated
    administrator's) credentials.

    \b
    Examples:
      rootkeeper org accounts
      rootkeeper org reconcile
      rootkeeper org audit --json > audit.json
      rootkeeper org enable-central-root --dry-run
      rootkeeper org delete-root sandbox --dry-run
    """


@org.command(name="accounts", context_settings=CONTEXT)
@aws_options
@click.option("--json", "as_json", is_flag=True, help="JSON for pipelines.")
def org_accounts(as_json):
    """Every account of the organization (every page), with OU path, status and root e-mail.

    \b
    Examples:
      rootkeeper org accounts
      rootkeeper org accounts --json | jq -r '.accounts[] | select(.status=="ACTIVE") | .account_id'
    """
    accounts = _aws().accounts_with_paths()
    if as_json:
        click.echo(json.dumps({"accounts": [a.as_dict() for a in accounts]}, indent=2))
    else:
        print_table(("ACCOUNT", "NAME", "STATUS", "OU PATH", "ROOT E-MAIL"),
                     [(a.account_id + (" *" if a.management else ""), a.name, a.status, a.ou_path, a.email)
                      for a in accounts])
        note(f"{len(accounts)} accounts (* the management account)")


def _rootless_by_record(ws) -> set[str]:
    return {r["account_id"] for r in ws.journal().records()
            if r.get("event") == "org.delete-root" and not r.get("error")}


@org.command(name="reconcile", context_settings=CONTEXT)
@aws_options
@click.option("--json", "as_json", is_flag=True, help="JSON for pipelines.")
def org_reconcile(as_json):
    """The organization against the vault and the seed store; exit 1 on findings.

    Finds accounts with no vault entry or no seed (and prints the 'rootkeeper
    enroll' line for each), entries and seeds of accounts that are gone or
    closed, and names and e-mails that drifted. Accounts whose root credentials
    were deleted with 'org delete-root' (the journal says so) need no custody.

    \b
    Examples:
      rootkeeper org reconcile
      rootkeeper org reconcile --json | jq '.findings[] | .fix'
    """
    from ..errors import CheckFailed
    from ..org import reconcile

    ws = workspace()
    vault, store = ws.vault(), ws.seeds()
    rootless = _rootless_by_record(ws)
    aws = _aws()
    _org_id, management = aws.organization()
    accounts = list(aws.iter_accounts(management))
    findings = reconcile(accounts, vault, store, rootless)
    if as_json:
        click.echo(json.dumps({"accounts": len(accounts), "findings": [f.as_dict() for f in findings]}, indent=2))
    else:
        for f in findings:
            click.echo(f"{f.kind:<13} {f.account_id}  {f.name}: {f.detail}")
            if f.fix:
                click.echo(f"{'':<13} fix: {f.fix}")
    note(f"{len(accounts)} accounts in the organization, {len(findings)} finding(s)")
    if findings:
        raise CheckFailed(f"{len(findings)} reconciliation finding(s)")


@org.command(name="audit", context_settings=CONTEXT)
@aws_options
@click.argument("accounts", nargs=-1, metavar="[ACCOUNT...]")
@click.option("--via", default="assume-root", show_default=True, metavar="assume-root|role:NAME",
              help="How to reach member accounts: centralized root access, or a cross-account role.")
@click.option("--concurrency", type=int, default=16, show_default=True, help="Accounts audited at once.")
@click.option("--json", "as_json", is_flag=True, help="JSON for pipelines.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for spreadsheets.")
def org_audit(accounts, via, concurrency, as_json, as_csv):
    """Audit every account's root user against custody; exit 1 unless all are ROOTLESS or CUSTODIED.

    Member accounts are reached through sts:AssumeRoot with the read-only task
    policy IAMAuditRootUserCredentials (or --via role:NAME); the management
    account with the caller's own credentials. One GetAccountSummary answers
    password, MFA, access keys and certificates; MFA serials, keys and
    certificates are listed only where it says they exist.

    \b
    Verdicts: ROOTLESS, CUSTODIED, NO_MFA, ROOT_ACCESS_KEYS (keys or signing
    certificates), SEED_MISSING, SEED_MISMATCH, NOT_IN_VAULT, UNREACHABLE (with
    AWS's error code: AccessDenied, Throttling after retries, ...).

    \b
    Examples:
      rootkeeper org audit
      rootkeeper org audit --json | jq '.accounts[] | select(.verdict != "CUSTODIED")'
      rootkeeper org audit --via role:OrganizationAccountAccessRole --csv > audit.csv
      rootkeeper org audit 111122223333 log-archive
    """
    from ..errors import InputError
    from ..org import EXPLAIN, Auditor, Custody, Selection, audit_outcome

    if as_json and as_csv:
        raise InputError("--json and --csv exclude each other: choose one")
    ws = workspace()
    custody = Custody.load(ws.vault(), ws.seeds())  # prompts (if any) before the first AWS call
    aws = _aws(concurrency)
    auditor = Auditor(aws, custody, via, concurrency)
    _org_id, management = aws.organization()
    caller = aws.caller_account()
    listing = aws.iter_accounts(management)
    selection = Selection(accounts) if accounts else None
    if selection is not None:
        listing = selection(listing)  # audited as the pages arrive
    rows = _run_with_progress(auditor, listing, caller)
    if selection is not None:
        selection.check()
    if as_json:
        click.echo(json.dumps({"accounts": [r.as_dict() for r in rows],
                               "summary": _counts(rows)}, indent=2))
    elif as_csv:
        _write_csv(rows)
    else:
        print_table(("ACCOUNT", "NAME", "VERDICT", "PASSWORD", "MFA", "KEYS/CERTS", "VAULT", "SEED", "DETAIL"),
                     [_audit_cells(r) for r in rows])
    counts = _counts(rows)
    for name, count in counts.items():
        note(f"{name:<16} {count:>6}  {EXPLAIN[name]}")
    audit_outcome(rows)


def _counts(rows) -> dict[str, int]:
    from ..org import VERDICTS

    return {v: n for v in VERDICTS if (n := sum(r.verdict == v for r in rows))}


def _yes(value) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _audit_cells(r) -> tuple[str, ...]:
    f = r.facts
    mfa = "-" if f is None else (", ".join(s.rsplit("/", 1)[-1] for s in f.mfa) or ("yes" if f.mfa_enabled else "no"))
    keys = "-" if f is None else str(len(f.access_keys) + len(f.certificates)
                                     or int(f.access_keys_present) + int(f.certificates_present))
    detail = f"{r.error}: {r.message}"[:120] if r.error else ", ".join(r.findings[1:])
    return (r.account.account_id + (" *" if r.account.management else ""), r.account.name, r.verdict,
            _yes(None if f is None else f.password), mfa, keys, _yes(r.vault),
            r.seed_device_arn.rsplit("/", 1)[-1] if r.seed_device_arn else "no", detail)


def _write_csv(rows) -> None:
    from ..org import audit_fields

    writer = csv.DictWriter(sys.stdout, fieldnames=audit_fields(), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        d = r.as_dict()
        writer.writerow({k: ";".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in d.items()})


def _run_with_progress(auditor, listing, caller):
    if not sys.stderr.isatty():
        return auditor.run(listing, caller)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("audit", total=None)
        return auditor.run(listing, caller, on_listed=lambda n: progress.update(task, total=n),
                           on_done=lambda _row: progress.advance(task))


def _confirm(what: str, yes: bool, dry_run: bool) -> None:
    from ..errors import InputError

    if yes or dry_run:
        return
    if not inputs.interactive():
        raise InputError(f"{what} changes AWS and cannot be undone: pass --yes (or try --dry-run first)")
    click.confirm(f"{what}?", abort=True, err=True)


@org.command(name="delete-root", context_settings=CONTEXT)
@aws_options
@click.argument("accounts", nargs=-1, required=True, metavar="ACCOUNT...")
@click.option("--dry-run", is_flag=True, help="Change nothing: assume root read-only and print what would be done.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def org_delete_root(accounts, dry_run, yes):
    """Delete member accounts' root credentials through AssumeRoot, then retire their custody.

    With the task policy IAMDeleteRootUserCredentials: the root password (login
    profile) is deleted, MFA devices deactivated, access keys and signing
    certificates deleted, and the account re-listed to prove nothing is left.
    Then the vault entry goes to 'Retired' and the seed rows are marked retired
    (nothing is deleted locally) and the journal records it. --dry-run assumes
    root with the read-only audit policy and changes nothing, locally or in AWS.

    \b
    Examples:
      rootkeeper org delete-root sandbox --dry-run
      rootkeeper org delete-root 111122223333 444455556666 --yes
    """
    from .. import breakglass
    from ..errors import InputError, RootkeeperError
    from ..org import delete_root_credentials, error_code

    ws = workspace()
    vault, store = ws.vault(), ws.seeds()
    aws = _aws()
    _org_id, management = aws.organization()
    targets = aws.find_accounts(list(accounts), management)
    for target in targets:
        if target.management:
            raise InputError(f"{target.account_id} is the management account: AssumeRoot cannot reach it; "
                             "delete its root credentials signed in as root")
        if target.status != "ACTIVE":
            raise InputError(f"{target.account_id} is {target.status}: only active accounts can be changed")
    _confirm(f"Delete the root credentials of {len(targets)} account(s): "
             + ", ".join(f"{t.account_id} ({t.name})" for t in targets), yes, dry_run)
    if not dry_run:
        ws.journal_ready()
    failed = []
    for target in targets:
        label = f"{target.account_id} ({target.name})"
        entry, seed = vault.get(target.account_id), store.active(target.account_id)
        try:
            result = delete_root_credentials(aws, target, dry_run=dry_run)
        except Exception as exc:
            if not aws.failed(exc):
                raise
            code, message = error_code(exc)
            note(f"{label}: nothing changed: {code}: {message}")
            failed.append(target.account_id)
            continue
        custody = []
        if entry is not None:
            custody.append(f"retire vault entry {entry.name!r}")
        if seed is not None:
            custody.append("retire its seed row(s)")
        if dry_run:
            steps = result.planned.steps() or ["nothing to delete in AWS: the root user has no credentials"]
            for step in steps + custody:
                click.echo(f"{label}: would {step}" if not step.startswith("nothing") else f"{label}: {step}")
            continue
        ws.record({"event": "org.delete-root", "account_id": target.account_id, "account_name": target.name,
                   "deleted": result.done, "error": result.error})
        for done in result.done or ["nothing to delete: the root user had no credentials"]:
            click.echo(f"{label}: {done}")
        if result.error:
            note(f"{label}: stopped: {result.error}; custody left as it was; re-run to finish")
            failed.append(target.account_id)
            continue
        if entry is not None:
            breakglass.retire(ws, target.account_id)
        elif seed is not None:
            retired = store.retire(target.account_id)
            store.save()
            ws.record({"event": "retire", "account_id": target.account_id, "account_name": target.name,
                       "seed_rows_retired": retired})
        for item in custody:
            click.echo(f"{label}: {item.replace('retire', 'retired', 1)}")
        click.echo(f"{label}: rootless")
    stamps(ws)
    if failed:
        raise RootkeeperError(f"{len(failed)} account(s) not finished: {', '.join(failed)}: see the lines above, "
                              "fix the cause and re-run for them")


@org.command(name="allow-recovery", context_settings=CONTEXT)
@aws_options
@click.argument("account")
def org_allow_recovery(account):
    """Allow ACCOUNT's root password to be recovered through its e-mail (AssumeRoot).

    With the task policy IAMCreateRootUserPassword, a root login profile is
    created with no password anyone knows; the root e-mail's owner then resets
    it ('Forgot password?') and enrolls it with rootkeeper.

    \b
    Example:
      rootkeeper org allow-recovery sandbox
    """
    from ..errors import InputError
    from ..org import allow_recovery

    ws = workspace()
    aws = _aws()
    _org_id, management = aws.organization()
    (target,) = aws.find_accounts([account], management)
    if target.management:
        raise InputError(f"{target.account_id} is the management account: AssumeRoot cannot reach it")
    ws.journal_ready()
    try:
        created = allow_recovery(aws, target)
    except Exception as exc:
        from ..org import describe_error

        if aws.failed(exc):
            raise describe_error(exc, f"allowing password recovery for {target.account_id}") from exc
        raise
    if created:
        ws.record({"event": "org.allow-recovery", "account_id": target.account_id, "account_name": target.name})
        click.echo(f"{target.account_id} ({target.name}): root password recovery allowed")
    else:
        click.echo(f"{target.account_id} ({target.name}): the root user already has a password; nothing changed")
    note(f"next: 'Forgot password?' for {target.email} at https://signin.aws.amazon.com/console, then "
         f"rootkeeper enroll {target.account_id} --name '{target.name}' --email {target.email}")
    stamps(ws)


@org.command(name="enable-central-root", context_settings=CONTEXT)
@aws_options
@click.option("--dry-run", is_flag=True, help="Say what would be enabled; change nothing.")
def org_enable_central_root(dry_run):
    """Turn on centralized root access for the organization; says what was already on.

    Trusted access for iam.amazonaws.com, then the IAM features
    RootCredentialsManagement and RootSessions. Run with the management
    account's credentials.

    \b
    Examples:
      rootkeeper org enable-central-root --dry-run
      rootkeeper org enable-central-root
    """
    from ..org import FEATURES, enable_central_root

    state = enable_central_root(_aws(), dry_run=dry_run)
    items = [("trusted access for iam.amazonaws.com", state.trusted_access)] + [
        (feature, feature in state.features) for feature in FEATURES]
    for name, was_on in items:
        if was_on:
            click.echo(f"already on: {name}")
        else:
            click.echo(f"{'would enable' if dry_run else 'enabled'}: {name}")
