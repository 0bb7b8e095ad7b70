"""The ``org`` command group: the organization, its audit, and acting through AssumeRoot."""

from __future__ import annotations

import csv
import sys

import click

from . import inputs
from .common import CONTEXT, common, emit_json, given, json_flag, note, print_table, reason_option, stamps, workspace
from .formats import FINDING_FORMATS, emit, format_options, guard


def _aws(concurrency: int = 16):
    from ..org.aws import Aws

    chosen = inputs.settings(given, read_config=False)  # profile, region and timeouts: no configuration
    return Aws(chosen.profile, chosen.region, concurrency, settings=chosen)


@click.group(context_settings=CONTEXT)
@common
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
@common
@json_flag()
def org_accounts(as_json):
    """Every account of the organization (every page), with OU path, state and root e-mail.

    The state is AWS's account State (PENDING_ACTIVATION, ACTIVE, SUSPENDED,
    PENDING_CLOSURE, CLOSED); AWS retired the older Status on 9 September 2026.
    The JSON keeps "status" for older scripts, derived from the state.

    \b
    Examples:
      rootkeeper org accounts
      rootkeeper org accounts --json | jq -r '.accounts[] | select(.state=="ACTIVE") | .account_id'
    """
    from ..org.accounts import accounts_with_paths, by_state

    accounts = accounts_with_paths(_aws())
    if as_json:
        emit_json("org-accounts", {"accounts": [a.as_dict() for a in accounts], "by_state": by_state(accounts)})
    else:
        print_table(("ACCOUNT", "NAME", "STATE", "OU PATH", "ROOT E-MAIL"),
                    [(a.account_id + (" *" if a.management else ""), a.name, a.state or "-", a.ou_path, a.email)
                     for a in accounts])
        note(f"{len(accounts)} accounts ({_states(by_state(accounts))}; * the management account)")


def _states(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {state}" for state, n in sorted(counts.items(), key=lambda kv: kv[0] != "ACTIVE"))


@org.command(name="reconcile", context_settings=CONTEXT)
@common
@json_flag()
def org_reconcile(as_json):
    """The organization against the vault and the seed store; exit 1 on findings.

    Finds accounts with no vault entry or no seed (and prints the 'rootkeeper
    enroll' line for each), entries and seeds of accounts that are gone or
    closed, names and e-mails that drifted, and half-retired accounts. Accounts
    whose root credentials were deleted with 'org delete-root' need no custody,
    if the journal that says so verifies (a journal that does not is a finding).

    Kinds: journal-unverified, not-enrolled, half-retired, no-password, no-seed,
    name-drift, email-drift, gone, closed (custodied, CLOSED or PENDING_CLOSURE),
    not-active (custodied, SUSPENDED or PENDING_ACTIVATION), state-unknown
    (AWS did not say the state: never read as active or closed).

    \b
    Examples:
      rootkeeper org reconcile
      rootkeeper org reconcile --json | jq '.findings[] | .fix'
    """
    from ..errors import CheckFailed
    from ..org.accounts import by_state, iter_accounts
    from ..org.reconcile import reconcile
    from ..org.rootops import rootless_by_record
    from ..workflows.listing import CustodyIndex

    ws = workspace()
    custody = CustodyIndex.build(ws.vault(with_seeds=True), ws.seeds())  # prompts (if any) before any AWS call
    rootless = rootless_by_record(ws.journal())
    aws = _aws()
    _org_id, management = aws.organization()
    accounts = list(iter_accounts(aws, management))
    findings = reconcile(accounts, custody, rootless)
    counts = by_state(accounts)
    if as_json:
        emit_json("org-reconcile", {"accounts_in_organization": len(accounts), "by_state": counts,
                                    "findings": [f.as_dict() for f in findings]})
    else:
        for f in findings:
            click.echo(f"{f.kind:<13} {f.account_id}  {f.name}: {f.detail}")
            if f.fix:
                click.echo(f"{'':<13} fix: {f.fix}")
    note(f"{len(accounts)} accounts in the organization ({_states(counts)}), {len(findings)} finding(s)")
    if findings:
        raise CheckFailed(f"{len(findings)} reconciliation finding(s)")


@org.command(name="audit", context_settings=CONTEXT)
@common
@click.argument("accounts", nargs=-1, metavar="[ACCOUNT...]")
@click.option("--via", default="assume-root", show_default=True, metavar="assume-root|role:NAME",
              help="How to reach member accounts: centralized root access, or a cross-account role.")
@click.option("--concurrency", type=int, default=16, show_default=True, help="Accounts audited at once.")
@json_flag()
@click.option("--csv", "as_csv", is_flag=True, help="CSV for spreadsheets.")
@click.option("--record-devices", is_flag=True,
              help="For DEVICE_UNRECORDED accounts, record the virtual root MFA device AWS answered in the seed store.")
@click.option("--plan", "plan", metavar="PLAN", type=click.Path(dir_okay=False),
              help="Custody plan whose security-key and hardware-token media name root MFA devices custody holds.")
@format_options()
@click.option("--to-security-hub", "to_hub", is_flag=True,
              help="Also send every result to Security Hub CSPM (BatchImportFindings, 100 a call) in --region, "
                   "updated in place; passing results and, after a whole-organization run, findings no longer "
                   "produced are archived. Journaled.")
def org_audit(accounts, via, concurrency, as_json, as_csv, record_devices, plan, fmt, output, to_hub):
    """Audit every account's root user against custody; exit 1 unless all are ROOTLESS or CUSTODIED.

    Member accounts are reached through sts:AssumeRoot with the read-only task
    policy IAMAuditRootUserCredentials (or --via role:NAME); the management
    account with the caller's own credentials. One GetAccountSummary answers
    password, MFA, access keys and certificates; MFA serials, keys and
    certificates are listed only where it says they exist.

    \b
    Verdicts: ROOTLESS, CUSTODIED, NO_MFA, ROOT_ACCESS_KEYS (keys or signing
    certificates), SEED_MISSING, SEED_MISMATCH, DEVICE_UNKNOWN (a root MFA
    device custody does not know: not a seed's, not a key or token of the
    --plan), DEVICE_UNRECORDED (a seed kept without its device ARN:
    --record-devices records AWS's), DEVICE_GONE (a plan's key AWS no longer
    has), SEED_UNPROVEN, NOT_IN_VAULT, INCOMPLETE (AWS's answer lacked a fact,
    or a role cannot see FIDO keys and tokens), NOT_ACTIVE (the account is
    SUSPENDED, PENDING_CLOSURE, CLOSED...: not audited, its root user still
    exists), UNREACHABLE (with AWS's error code and why: a feature off, an SCP,
    the caller's policy, Throttling after retries, ...). An audit that reaches
    none of the active member accounts is an error (exit 2).

    \b
    Examples:
      rootkeeper org audit
      rootkeeper org audit --json | jq '.accounts[] | select(.verdict != "CUSTODIED")'
      rootkeeper org audit --via role:OrganizationAccountAccessRole --csv > audit.csv
      rootkeeper org audit 111122223333 log-archive
      rootkeeper org audit --record-devices
      rootkeeper org audit --plan custody-plan.toml
      rootkeeper org audit --format ocsf -o audit.ocsf.json
      rootkeeper org audit --format html -o audit.html
      rootkeeper org audit --to-security-hub --region eu-west-1

    \b
    Findings (--format ocsf|asff|html, --to-security-hub): per account,
    rootkeeper's verdict (ROOTLESS and CUSTODIED pass, INCOMPLETE a warning,
    UNREACHABLE unknown, the rest fail) and the controls it answers: no root
    access key (CIS v5 1.4, IAM.4), MFA (CIS v5 1.5, v6 2.4, v7 2.5, IAM.9),
    hardware MFA (CIS v5 1.6, v6 2.5, v7 2.6, IAM.6). A root user without
    credentials passes them.
    """
    from ..org import audit
    from ..workflows.listing import CustodyIndex
    from .formats import chosen

    fmt = chosen(fmt, as_json, output, as_csv)
    audit.check_options(via, concurrency)
    ws = workspace(writer=record_devices or to_hub)
    guard(ws, output)
    custody = CustodyIndex.build(ws.vault(with_seeds=True), ws.seeds())  # prompts (if any) before any AWS call
    planned = {}
    if plan is not None:
        from pathlib import Path

        from ..custody.plan import read_plan

        planned = read_plan(Path(plan)).mfa_devices()
    auditor = audit.Auditor(_aws(concurrency), custody, via, concurrency, planned)
    rows = _audit_with_progress(auditor, accounts)
    if record_devices:
        for row in audit.record_devices(ws, rows):
            note(f"recorded {row.seed_device_arn} as the MFA device of {row.account.account_id} ({row.account.name})")
    payload = {"accounts": [r.as_dict() for r in rows], "summary": audit.summary(rows)}
    if fmt in FINDING_FORMATS or to_hub:
        import time

        from ..rules.rootuse import iso

        run = audit.findings_run(rows, iso(time.time()), ws.anchor())
        if to_hub:
            _to_security_hub(ws, auditor.aws, run, complete=not accounts)
        if fmt in FINDING_FORMATS:
            emit(run, fmt, output, **_asff_place(auditor.aws) if fmt == "asff" else {})
    if fmt == "json":
        emit_json("org-audit", payload)
    elif fmt == "csv":
        _write_csv(rows, audit.FIELDS)
    elif fmt == "text" or output:
        shared = audit.shared_refusals(rows)
        for (error, fix), count in shared.items():  # once, up front, with the fix
            note(f"{count} accounts unreachable with {error}: {fix}")
        print_table(("ACCOUNT", "NAME", "VERDICT", "PASSWORD", "MFA", "KEYS/CERTS", "VAULT", "SEED", "DETAIL"),
                    [_audit_cells(r, shared) for r in rows])
    for name, count in audit.summary(rows).items():
        note(f"{name:<16} {count:>6}  {audit.EXPLAIN[name]}")
    for name, count in audit.advised(rows).items():
        note(f"advice: {count} account(s): {audit.ADVICE[name]}")
    seen = audit.coverage(rows)
    note(f"examined {seen['accounts']} account(s): {seen['members_reached']} of {seen['active_members']} active member "
         f"account(s) reached, {seen['not_active']} not active")
    audit.outcome(rows, named=bool(accounts))


def _asff_place(aws) -> dict:
    return {"account": aws.caller_account(), "partition": aws.partition, "region": aws.region}


def _to_security_hub(ws, aws, run, *, complete: bool) -> None:
    """Send the run's results; journal what was sent (also when Security Hub refused some)."""
    import time

    from ..org import securityhub

    sent = securityhub.send(ws, aws, run, complete=complete, now=time.time())
    note(f"Security Hub {sent.region}: {sent.imported} finding(s) imported in {sent.calls} call(s) "
         f"({sent.resolved} passing, sent archived; {sent.archived} earlier finding(s) archived)"
         + ("" if complete else "; named accounts only: no earlier finding archived"))
    stamps(ws)
    securityhub.check_sent(sent)


def _yes(value) -> str:
    return "-" if value is None else ("yes" if value else "no")


def _audit_cells(r, shared: dict | None = None) -> tuple[str, ...]:
    f = r.facts
    mfa = "-" if f is None else (", ".join(s.rsplit("/", 1)[-1] for s in f.mfa) or ("yes" if f.mfa_enabled else "no"))
    keys = "-" if f is None else str(len(f.access_keys) + len(f.certificates)
                                     or int(bool(f.access_keys_present)) + int(bool(f.certificates_present)))
    said = r.error and (r.error, r.fix or r.message) in (shared or {})
    detail = (f"{r.error} (said above)" if said else f"{r.error}: {r.fix or r.message}"[:200] if r.error
              else r.message if r.verdict == "NOT_ACTIVE" else ", ".join(r.findings[1:]))
    return (r.account.account_id + (" *" if r.account.management else ""), r.account.name, r.verdict,
            _yes(None if f is None else f.password), mfa, keys, _yes(r.vault),
            "no" if r.seed_device_arn is None else (r.seed_device_arn.rsplit("/", 1)[-1] or "(no device)"), detail)


def _write_csv(rows, fields: list[str]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        d = r.as_dict()
        writer.writerow({k: _csv_cell(v) for k, v in d.items()})


def _csv_cell(value) -> str:
    """Lists joined by ';', booleans as true/false (as in the JSON), unknown as an empty cell."""
    if isinstance(value, list):  # a device: serial, kind, what of custody knows it; a seed: device, proof; a key's use
        return ";".join(v if isinstance(v, str) else f"{v['serial']} ({v['kind']}, {v['known'] or 'unknown'})"
                        if "serial" in v else f"{v['access_key_id']} (last used {v['last_used']})"
                        if "access_key_id" in v else f"{v['device_arn'] or '(no device)'} (proven {v['proven_at'] or 'never'})"
                        for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _audit_with_progress(auditor, refs):
    if not sys.stderr.isatty():
        return auditor.audit(refs)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("audit", total=None)
        return auditor.audit(refs, on_listed=lambda n: progress.update(task, total=n),
                             on_done=lambda _row: progress.advance(task))


def _confirm(what: str, yes: bool, dry_run: bool) -> None:
    from ..errors import InputError

    if yes or dry_run:
        return
    if not inputs.interactive():
        raise InputError(f"{what} changes AWS and cannot be undone: pass --yes (or try --dry-run first)")
    click.confirm(f"{what}?", abort=True, err=True)


@org.command(name="delete-root", context_settings=CONTEXT)
@common
@click.argument("accounts", nargs=-1, required=True, metavar="ACCOUNT...")
@click.option("--dry-run", is_flag=True, help="Change nothing: assume root read-only and print what would be done.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--only-keys", is_flag=True,
              help="Delete only the root access keys and signing certificates (the fix for ROOT_ACCESS_KEYS); "
                   "the password, the MFA devices and custody stay.")
@click.option("--mfa-device", "devices", multiple=True, metavar="SERIAL",
              help="Deactivate only this root MFA device (repeatable; a stray device beside the one in custody, "
                   "never the seed's own); the rest and custody stay.")
@reason_option
def org_delete_root(accounts, dry_run, yes, only_keys, devices, reason):
    """Delete member accounts' root credentials through AssumeRoot, then retire their custody.

    With the task policy IAMDeleteRootUserCredentials: the root password (login
    profile) is deleted, MFA devices deactivated, access keys and signing
    certificates deleted, and the account re-listed to prove nothing is left.
    Then the vault entry goes to 'Retired' and the seed rows are marked retired
    (nothing is deleted locally) and the journal records it. --dry-run assumes
    root with the read-only audit policy and changes nothing, locally or in AWS.
    With --only-keys or --mfa-device only those are deleted (and re-listed to
    prove they are gone); the account keeps its password, its seed and its
    custody, and is not rootless.

    \b
    Examples:
      rootkeeper org delete-root sandbox --dry-run
      rootkeeper org delete-root 111122223333 444455556666 --yes
      rootkeeper org delete-root payments-prod --only-keys --yes
      rootkeeper org delete-root payments-prod --mfa-device arn:aws:iam::111122223333:mfa/old-phone --yes
    """
    from ..org import rootops

    part = rootops.Part(only_keys, tuple(dict.fromkeys(d.strip() for d in devices)))
    ws = workspace(writer=True)
    aws = _aws()
    targets = rootops.delete_root_targets(ws, aws, list(accounts))
    what = "the root credentials" if part.whole else " and ".join(part.public()["only"])
    why = None if dry_run else inputs.why(reason, f"delete {what} of {len(targets)} account(s)")
    _confirm(f"Delete {what} of {len(targets)} account(s): "
             + ", ".join(f"{t.account_id} ({t.name})" for t in targets), yes, dry_run)

    def show(outcome: rootops.Deletion) -> None:
        for line in outcome.lines():
            click.echo(line)
        if outcome.problem():
            note(outcome.problem())

    try:
        rootops.delete_root(ws, aws, targets, dry_run=dry_run, report=show, reason=why, part=part)
    finally:
        stamps(ws)


@org.command(name="allow-recovery", context_settings=CONTEXT)
@common
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
    from ..org.rootops import allow_recovery

    ws = workspace()
    result = allow_recovery(ws, _aws(), account)
    target = result.account
    if result.created:
        click.echo(f"{target.account_id} ({target.name}): root password recovery allowed")
    else:
        click.echo(f"{target.account_id} ({target.name}): the root user already has a password; nothing changed")
    note(f"next: 'Forgot password?' for {target.email} at https://signin.aws.amazon.com/console, then "
         f"rootkeeper enroll {target.account_id} --name '{target.name}' --email {target.email}")
    stamps(ws)


@org.command(name="enable-central-root", context_settings=CONTEXT)
@common
@click.option("--dry-run", is_flag=True, help="Say what would be enabled; change nothing.")
def org_enable_central_root(dry_run):
    """Turn on centralized root access for the organization; says what was already on.

    Trusted access for iam.amazonaws.com, then the IAM features
    RootCredentialsManagement (it gates the IAM root tasks: audit, delete-root,
    allow-recovery) and RootSessions (the S3 and SQS unlock tasks). Run with the
    management account's credentials: a delegated administrator for IAM sees
    what is on and is told so. AWS takes up to a few minutes to apply a change
    everywhere: the command waits, bounded (ROOTKEEPER_AWS_PROPAGATION_WAIT).

    \b
    Examples:
      rootkeeper org enable-central-root --dry-run
      rootkeeper org enable-central-root
    """
    from ..org.rootops import GATES, enable_central_root

    ws = workspace()
    state = enable_central_root(ws, _aws(), dry_run=dry_run, say=note)
    for name, was_on in state.report():
        if was_on:
            click.echo(f"already on: {name}")
        else:
            click.echo(f"{'would enable' if dry_run else 'enabled'}: {name}")
    for feature, gated in GATES.items():
        note(f"{feature} gates {gated}")
    if state.delegated:
        note(f"these credentials are account {state.caller}'s, not the management account {state.management}'s: "
             "only the management account can enable")
    elif state.changed and not dry_run:
        note("AWS may take a few minutes to apply this in every region: an AssumeRoot refused with 'feature is not "
             "enabled' right now goes away; re-run the audit shortly")


def _window_time(text: str | None, now: float) -> float:
    """--since / --until: Unix seconds, ISO 8601, or a time ago (30d, 12h, 90m)."""
    import re

    from ..rules.totp import parse_time

    if text is None:
        return now
    found = re.fullmatch(r"\s*([0-9]{1,5})([dhm])\s*", text)
    if found:
        return now - int(found.group(1)) * {"d": 86400, "h": 3600, "m": 60}[found.group(2)]
    return parse_time(text)


USE_FIELDS = ["time", "account_id", "account_name", "kind", "event_name", "success", "mfa_used", "source_ip",
              "principal", "task", "calls", "last_call", "region", "event_id", "explained_by_seq",
              "explained_by_event", "explained_by_time", "explained_by_actor", "explained_by_reason", "findings",
              "detail"]


@org.command(name="root-use", context_settings=CONTEXT)
@common
@click.argument("accounts", nargs=-1, metavar="[ACCOUNT...]")
@click.option("--since", required=True, metavar="TIME", help="Start of the window: ISO 8601, Unix seconds, or 30d/12h/90m ago.")
@click.option("--until", metavar="TIME", help="End of the window (default: now).")
@click.option("--window", "window_minutes", type=click.IntRange(1, 1440), metavar="MINUTES",
              help="How long after a retrieval a root use counts as explained by it (default 60, or [root_use] "
                   "window_minutes).")
@click.option("--allow-principal", "allow", multiple=True, metavar="ARN[#TASK,...]",
              help="A principal (ARN, * allowed) whose AssumeRoot needs no journal record; with #TASK only for those "
                   "root tasks (repeatable; added to [root_use] allowed_assume_root).")
@click.option("--trail", metavar="NAME", help="The organization trail (name or ARN; default: the one DescribeTrails finds).")
@click.option("--bucket", metavar="BUCKET", help="Read this bucket (an organization trail's layout) without asking CloudTrail.")
@click.option("--prefix", metavar="PREFIX", help="The trail's S3 key prefix, with --bucket.")
@click.option("--concurrency", type=click.IntRange(1, 128), default=16, show_default=True,
              help="S3 listings and objects read at once.")
@click.option("--via", type=click.Choice(["s3", "athena"]), default="s3", show_default=True,
              help="Read the trail's S3 objects (digests checked), or send the question as SQL to Athena.")
@click.option("--athena-table", metavar="DATABASE.TABLE", help="With --via athena: the CloudTrail table (AWS's layout).")
@click.option("--athena-workgroup", metavar="NAME", default="primary", show_default=True, help="With --via athena.")
@click.option("--athena-output", metavar="S3_URI", help="With --via athena: where Athena writes results, if the "
                                                        "workgroup does not say.")
@json_flag()
@click.option("--csv", "as_csv", is_flag=True, help="CSV for spreadsheets.")
@format_options()
@click.option("--to-security-hub", "to_hub", is_flag=True,
              help="Also send the results to Security Hub CSPM in --region (as org audit does; journaled).")
def org_root_use(accounts, since, until, window_minutes, allow, trail, bucket, prefix, concurrency, via, athena_table,
                 athena_workgroup, athena_output, as_json, as_csv, fmt, output, to_hub):
    """Every root use in the organization trail, matched with the break-glass journal; exit 1 on findings.

    Root console sign-ins (success or failure, MFA or not, source IP), 'aws
    login' root sessions, the root user's own calls, and AssumeRoot sessions
    (who, into which account, with which task, how many calls), read from the
    organization trail's S3 objects of the window (only the prefixes it needs,
    each object checked against its digest where log file validation is on,
    each digest's signature against CloudTrail's public key).

    A sign-in or root call is explained by a retrieval of that account's
    password or code (or an enroll or rotate) recorded in the journal within
    --window minutes before it; an AssumeRoot session by a journal record of
    an org command for that account (delete-root, allow-recovery), or by a
    principal allowed in [root_use] allowed_assume_root or --allow-principal.
    A journal that does not verify explains nothing.

    \b
    Findings (exit 1): UNEXPLAINED, SIGN_IN_FAILED, NO_MFA,
    ASSUME_ROOT_NOT_ALLOWED, SESSION_ORIGIN_UNSEEN; and the trail's:
    LOG_ALTERED, LOG_MISSING, LOG_UNREADABLE, DIGEST_UNREADABLE,
    DIGEST_FORGED (its signature does not verify with CloudTrail's public
    key), DIGEST_UNSIGNED, DIGEST_MISSING (the next digest names it),
    LOG_UNCOVERED (older than two hours, named by no digest), TRAIL_SILENT
    (an active account with no log file in the window).
    Informational: RETRIEVAL_UNUSED, ASSUME_ROOT_REFUSED.

    For a trail too large to read object by object, --via athena sends the
    same question as SQL to Athena over the team's CloudTrail table; only
    root's rows come back (the log files and their digests are then not
    checked: said in the report).

    \b
    Examples:
      rootkeeper org root-use --since 30d
      rootkeeper org root-use --since 90d --via athena --athena-table ct.trail
      rootkeeper org root-use log-archive --since 2026-10-01 --until 2026-12-31
      rootkeeper org root-use --since 7d --json | jq .summary
      rootkeeper org root-use --since 90d --csv > root-use.csv
      rootkeeper org root-use --since 30d --format ocsf -o root-use.ocsf.json
      rootkeeper org root-use --since 1d --to-security-hub
      rootkeeper org root-use --since 1d --allow-principal \\
          'arn:aws:sts::123456789012:assumed-role/a/*#IAMAuditRootUserCredentials'
    """
    import time

    from ..errors import CheckFailed, InputError
    from ..org import rootuse
    from .formats import chosen

    fmt = chosen(fmt, as_json, output, as_csv)
    if prefix is not None and not bucket:
        raise InputError("--prefix goes with --bucket: give the bucket too")
    athena = None
    if via == "athena":
        if trail or bucket:
            raise InputError("--trail and --bucket choose the S3 path: leave them out with --via athena")
        if not athena_table:
            raise InputError("--via athena needs --athena-table DATABASE.TABLE (the CloudTrail table Athena queries)")
        athena = {"table": athena_table, "workgroup": athena_workgroup, "output": athena_output}
    elif athena_table or athena_output:
        raise InputError("--athena-table and --athena-output go with --via athena")
    now = time.time()
    start, end = _window_time(since, now), _window_time(until, now)
    ws = workspace(writer=to_hub)
    guard(ws, output)
    cfg = ws.config
    window = 60 * (window_minutes or cfg.root_use_window_minutes)
    from ..rules.rootuse import allowance_problem

    for entry in allow:
        problem = allowance_problem(entry)
        if problem:
            raise InputError(f"--allow-principal: {problem}")
    allowed = list(cfg.allowed_assume_root) + [a.strip() for a in allow]
    aws = _aws(concurrency)
    report = _root_use_with_progress(lambda **kw: rootuse.root_use(
        ws, aws, list(accounts), start, end, window=window, allowed=allowed, trail_name=trail or cfg.trail,
        bucket=bucket, prefix=prefix, concurrency=concurrency, athena=athena, **kw))
    if fmt in FINDING_FORMATS or to_hub:
        from ..rules.rootuse import iso

        run = rootuse.findings_run(report, iso(now), ws.anchor())
        if to_hub:
            _to_security_hub(ws, aws, run, complete=not accounts)
        if fmt in FINDING_FORMATS:
            emit(run, fmt, output, **_asff_place(aws) if fmt == "asff" else {})
    if fmt == "json":
        emit_json("org-root-use", report.as_dict())
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=USE_FIELDS, lineterminator="\n")
        writer.writeheader()
        for u in report.uses:
            d = u.as_dict(report.names)
            by = d.pop("explained_by") or {}
            d.update({f"explained_by_{k}": v for k, v in by.items()})
            for k in ("allowed_principal",):
                d.pop(k)
            writer.writerow({k: _csv_cell(d.get(k)) for k in USE_FIELDS})
    elif fmt == "text" or output:
        print_table(("TIME", "ACCOUNT", "KIND", "NAME", "RESULT", "EXPLAINED BY", "FINDINGS"),
                    [_use_cells(u, report.names) for u in report.uses])
    for p in report.examined.problems:
        note(f"{p.kind}: {p.account_id} {p.key}: {p.detail}")
    for name, count in {**report.as_dict()["summary"], **_problem_counts(report)}.items():
        note(f"{name:<24} {count:>6}  {rootuse.EXPLAIN[name]}")
    if report.journal_problems:
        note("the journal does not verify, so it explains nothing: " + "; ".join(report.journal_problems[:3]))
    for what in report.not_examined:
        note(f"not examined: {what}")
    x = report.examined
    if report.source["via"] == "athena":
        note(f"examined {x.accounts} account(s) through Athena query {report.source['query_execution_id']} over "
             f"{report.source['table']}: {x.records} row(s), {x.root_events} root event(s), "
             f"{report.source['data_scanned_bytes']} bytes scanned")
    else:
        note(f"examined {x.accounts} account(s), {x.regions} account-region(s), {x.objects_read} of {x.objects_listed} "
             f"log file(s) listed ({x.bytes_read} bytes, {x.records} records, {x.root_events} root events), "
             f"{x.digests_read} digest(s), {x.digest_signatures_verified} signature(s) verified: {x.objects_verified} "
             f"file(s) matched their digest, {x.objects_not_covered} named by no digest (validation off, or delivered "
             "in the last hour)")
    for limit in report.limits:
        note(f"not seen by this path: {limit}")
    failing = report.findings()
    if failing:
        raise CheckFailed(f"{failing} root-use finding(s)")


def _problem_counts(report) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in report.examined.problems:
        out[p.kind] = out.get(p.kind, 0) + 1
    return out


def _use_cells(u, names: dict[str, str]) -> tuple[str, ...]:
    from ..rules.rootuse import ASSUME_ROOT, iso

    if u.kind == ASSUME_ROOT:
        who = (u.principal or "?").split(":", 5)[-1]  # user/NAME, assumed-role/ROLE/SESSION
        result = f"{u.task or '?'} by {who}, {u.calls} call(s)"
    elif u.kind == "retrieval":
        result = "-"
    else:
        result = ("ok" if u.success else "FAILED") + ("" if u.mfa_used is None else
                                                      (", MFA" if u.mfa_used else ", no MFA"))
        result += f", {u.source_ip}" if u.source_ip else ""
        result += f", {u.calls} call(s)" if u.calls else ""
    by = u.explained_by
    explained = "-" if by is None else f"#{by.seq} {by.event} {by.actor}".strip()
    if u.allowed and by is None:
        explained = "allowed principal"
    account = u.account_id + (f" {names[u.account_id]}" if names.get(u.account_id) else "")
    return (iso(u.time), account, u.kind, u.name or "-", result, explained, " ".join(u.findings) or "-")


def _root_use_with_progress(run):
    if not sys.stderr.isatty():
        return run()
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("reading the trail"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("trail", total=None)
        return run(on_planned=lambda n: progress.update(task, total=n), on_read=lambda: progress.advance(task))


def _unlock(kind: str, account: str, resource: str, reason, dry_run: bool, yes: bool) -> None:
    from ..errors import InputError
    from ..org.unlock import unlock

    if not (dry_run or yes or inputs.interactive()):  # before any AWS call: a root session is in CloudTrail
        raise InputError(f"deleting the policy of a {kind} changes AWS and cannot be undone: pass --yes "
                         "(or try --dry-run first)")
    ws = workspace()
    why = None if dry_run else inputs.why(reason, f"delete the policy of {kind} {resource}")

    def confirm(found) -> None:
        click.echo(f"{found.account.account_id} ({found.account.name}): the policy of {kind} {resource} "
                   f"(sha256 {found.digest[:16]}):")
        click.echo(found.pretty())
        if not dry_run:
            _confirm(f"Delete this policy of {kind} {resource} in {found.account.account_id}", yes, dry_run)

    try:
        result = unlock(ws, _aws(), account, kind, resource, why, dry_run=dry_run, confirm=confirm)
        if dry_run:
            note("dry run: the policy above would be deleted; nothing changed (the root session is in CloudTrail)")
        else:
            note(f"deleted the policy of {kind} {resource} in {result.account.account_id}; the journal keeps its text")
    finally:
        stamps(ws)


@org.command(name="unlock-bucket-policy", context_settings=CONTEXT)
@common
@click.argument("account")
@click.argument("bucket")
@click.option("--dry-run", is_flag=True, help="Show the policy that would be deleted; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@reason_option
def org_unlock_bucket_policy(account, bucket, dry_run, yes, reason):
    """Delete the bucket policy of BUCKET in ACCOUNT that locks everyone out, without signing in as root.

    AssumeRoot with the task policy S3UnlockBucketPolicy (it needs the
    RootSessions feature: 'rootkeeper org enable-central-root'): the policy
    is shown, confirmed, deleted, read again to prove it gone, and journaled
    with the reason and its text (to put it back, fixed). --dry-run shows it
    and changes nothing.

    \b
    Examples:
      rootkeeper org unlock-bucket-policy log-archive trail-logs --dry-run
      rootkeeper org unlock-bucket-policy 111122223333 payments-data \\
          --reason "deny-all policy (INC-88)" --yes
    """
    _unlock("bucket", account, bucket, reason, dry_run, yes)


@org.command(name="unlock-queue-policy", context_settings=CONTEXT)
@common
@click.argument("account")
@click.argument("queue_url", metavar="QUEUE_URL")
@click.option("--dry-run", is_flag=True, help="Show the policy that would be deleted; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@reason_option
def org_unlock_queue_policy(account, queue_url, dry_run, yes, reason):
    """Delete the policy of the SQS queue QUEUE_URL in ACCOUNT that locks everyone out, without root's password.

    AssumeRoot with the task policy SQSUnlockQueuePolicy (RootSessions): the
    policy is shown, confirmed, removed (SetQueueAttributes with an empty
    Policy), read again to prove it gone, and journaled with the reason and
    its text. --dry-run shows it and changes nothing.

    \b
    Examples:
      Q=https://sqs.eu-west-1.amazonaws.com/111122223333/orders
      rootkeeper org unlock-queue-policy payments "$Q" --dry-run
      rootkeeper org unlock-queue-policy payments "$Q" --reason INC-91 --yes
    """
    _unlock("queue", account, queue_url, reason, dry_run, yes)
