"""Commands. Each parses its options, gets secrets the safe way, calls the core, prints."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from . import inputs

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

COMMON = [
    ("config", "--config", "FILE", "Configuration file [env ROOTKEEPER_CONFIG; default ./rootkeeper.toml]."),
    ("vault", "--vault", "PATH", "Vault file, overriding the config [env ROOTKEEPER_VAULT]."),
    ("seeds", "--seeds", "PATH", "Seed store file, overriding the config [env ROOTKEEPER_SEEDS]."),
    ("vault_password_file", "--vault-password-file", "FILE",
     "Read the vault password from FILE's first line ('-': stdin) [env ROOTKEEPER_VAULT_PASSWORD]."),
    ("vault_key_file", "--vault-key-file", "FILE", "KeePass key file of the vault (init creates it if missing)."),
    ("seeds_passphrase_file", "--seeds-passphrase-file", "FILE",
     "Read the seed-store passphrase from FILE ('-': stdin) [env ROOTKEEPER_SEEDS_PASSPHRASE]."),
    ("seeds_identity", "--seeds-identity", "FILE",
     "age identity file that opens the seed store [env ROOTKEEPER_SEEDS_IDENTITY]."),
    ("journal", "--journal", "PATH", "Journal file, overriding the config [env ROOTKEEPER_JOURNAL]."),
]


def _store(ctx: click.Context, param: click.Parameter, value):
    if value not in (None, False):
        ctx.meta[f"rk.{param.name}"] = value
    return value


def common(func):
    func = click.option("--debug", "debug", is_flag=True, expose_value=False, callback=_store,
                        help="Show a traceback on failure (may reveal file contents; never use in CI logs).")(func)
    for name, flag, metavar, text in reversed(COMMON):
        func = click.option(flag, name, metavar=metavar, help=text, expose_value=False, callback=_store)(func)
    return func


def _get(name: str):
    return click.get_current_context().meta.get(f"rk.{name}")


def _path(name: str, env: str) -> Path | None:
    value = _get(name) or os.environ.get(env)
    return Path(value) if value else None


def workspace():
    from ..config import load
    from ..workspace import Credentials, Workspace

    cfg = load(_get("config"))
    creds = Credentials(
        vault_password=lambda: inputs.secret("vault password", _get("vault_password_file"),
                                             "--vault-password-file", "ROOTKEEPER_VAULT_PASSWORD"),
        seeds_passphrase=lambda: inputs.secret("seed-store passphrase", _get("seeds_passphrase_file"),
                                               "--seeds-passphrase-file", "ROOTKEEPER_SEEDS_PASSPHRASE"),
        seeds_identities=lambda: inputs.identities(_get("seeds_identity")),
    )
    return Workspace(cfg, creds, vault_path=_path("vault", "ROOTKEEPER_VAULT"),
                     seeds_path=_path("seeds", "ROOTKEEPER_SEEDS"),
                     key_file=_path("vault_key_file", "ROOTKEEPER_VAULT_KEY_FILE"),
                     journal_path=_path("journal", "ROOTKEEPER_JOURNAL"))


def note(text: str) -> None:
    click.echo(text, err=True)


def stamps(ws) -> None:
    for seq, digest in ws.stamps:
        note(f"journal: record {seq} sha256:{digest}")


def warn_all(messages) -> None:
    for message in messages:
        note(f"warning: {message}")


@click.group(context_settings=CONTEXT)
@common
@click.version_option(package_name="rootkeeper", message="rootkeeper %(version)s")
def cli() -> None:
    """Keep the root users of every AWS account recoverable and safe.

    Root passwords live in a dedicated KeePass vault, MFA seeds in a separate
    age-encrypted store; enrollment is a guided ceremony; every retrieval is
    recorded in a tamper-evident journal. Secrets are never taken as argument
    values: a prompt, a file (- for stdin) or an environment variable.

    \b
    Examples:
      rootkeeper init --vault /mnt/share/aws-root.kdbx --seeds /media/usb1/aws-root-mfa.csv.age
      rootkeeper enroll 123456789012 --name log-archive
      rootkeeper code log-archive --reason "close the account (CHG-1234)"
      rootkeeper password 123456789012 --reason "restore IAM admin (INC-42)" --clip
      AWS_PROFILE=management rootkeeper org audit
      rootkeeper demo

    Exit status: 0 success; 1 a check found problems; 2 the command stopped
    (bad input, missing file, wrong password); a failed command changes no file.
    """


# ------------------------------------------------------------------ init

@cli.command(context_settings=CONTEXT)
@common
@click.option("--seeds-recipient", "recipients", multiple=True, metavar="AGE1...",
              help="Encrypt the seed store to this age X25519 public key (repeat per custodian); "
                   "without it, to a passphrase.")
@click.option("--email-template", metavar="T", default=None,
              help="Root e-mail for accounts enrolled without --email; {name} and {id} "
                   "[default security+{name}@example.com].")
@click.option("--kdf-memory-mib", type=int, default=256, show_default=True, help="Argon2id memory.")
@click.option("--kdf-iterations", type=int, default=8, show_default=True, help="Argon2id iterations.")
@click.option("--kdf-parallelism", type=int, default=2, show_default=True, help="Argon2id lanes.")
@click.option("--allow-same-directory", is_flag=True,
              help="Allow vault and seed store in one directory (tests only: one stolen folder would hold both).")
def init(recipients, email_template, kdf_memory_mib, kdf_iterations, kdf_parallelism, allow_same_directory):
    """Create the vault, the seed store and rootkeeper.toml (never overwrites).

    The vault is KeePass KDBX 4 with Argon2id (256 MiB, 8 iterations, 2 lanes by
    default: about one second to unlock on a 2-core machine). The seed store is an
    age file, encrypted to a passphrase or to custodians' X25519 keys. Keep them on
    different media.

    \b
    Examples:
      rootkeeper init --vault /mnt/secure-share/aws-root.kdbx --seeds /media/usb-mfa/aws-root-mfa.csv.age
      rootkeeper init --vault v/aws-root.kdbx --seeds s/mfa.csv.age \\
          --seeds-recipient age1qy... --seeds-recipient age1zz... --email-template 'aws+{id}@corp.example'
    """
    from ..accounts import DEFAULT_EMAIL_TEMPLATE
    from ..config import DEFAULT_JOURNAL, DEFAULT_NAME
    from ..errors import InputError
    from ..provision import InitPlan, check_master
    from ..provision import init as do_init
    from ..vault import KdfParams

    vault = _path("vault", "ROOTKEEPER_VAULT")
    seeds = _path("seeds", "ROOTKEEPER_SEEDS")
    if vault is None or seeds is None:
        raise InputError("init needs both --vault PATH and --seeds PATH (on different media)")
    config_path = Path(_get("config") or os.environ.get("ROOTKEEPER_CONFIG") or DEFAULT_NAME)
    journal = _path("journal", "ROOTKEEPER_JOURNAL") or config_path.parent / DEFAULT_JOURNAL
    key_file = _path("vault_key_file", "ROOTKEEPER_VAULT_KEY_FILE")
    plan = InitPlan(config_path=config_path, vault=vault, seeds=seeds, journal=journal, key_file=key_file,
                    recipients=list(recipients), email_template=email_template or DEFAULT_EMAIL_TEMPLATE,
                    kdf=KdfParams(kdf_memory_mib, kdf_iterations, kdf_parallelism),
                    allow_same_directory=allow_same_directory)
    warnings = plan.check()  # refuse before asking for any secret
    password = inputs.secret("new vault password", _get("vault_password_file"), "--vault-password-file",
                             "ROOTKEEPER_VAULT_PASSWORD", confirm=True)
    check_master(password, "vault password")
    passphrase = None
    if not recipients:
        passphrase = inputs.secret("new seed-store passphrase", _get("seeds_passphrase_file"),
                                   "--seeds-passphrase-file", "ROOTKEEPER_SEEDS_PASSPHRASE", confirm=True)
    do_init(plan, password, passphrase)
    warn_all(warnings)
    note(f"created vault {vault} (KDBX 4, Argon2id {kdf_memory_mib} MiB x {kdf_iterations}, {kdf_parallelism} lanes)")
    if key_file:
        note(f"key file {key_file}: keep it apart from the vault, with copies")
    kind = f"{len(recipients)} recipient(s)" if recipients else "passphrase"
    note(f"created seed store {seeds} (age, {kind})")
    note(f"created {config_path}; journal will be {journal}")
    note("next: rootkeeper enroll ACCOUNT_ID --name NAME")


# ------------------------------------------------------------------ enroll

@cli.command(context_settings=CONTEXT)
@common
@click.argument("account_id")
@click.option("--name", metavar="NAME", help="Account name (required the first time).")
@click.option("--email", metavar="E", help="Root e-mail [default: the config's email_template].")
@click.option("--seed-file", metavar="F", help="Read the console's secret key from F ('-': stdin) instead of a prompt.")
@click.option("--device-arn", metavar="ARN",
              help="The virtual MFA device's ARN [default arn:aws:iam::ID:mfa/root-account-mfa-device].")
@click.option("--replace-seed", is_flag=True, help="Replace an existing seed (the old row is kept, marked replaced).")
@click.option("--step", type=click.Choice(["all", "password", "mfa"]), default="all", show_default=True,
              help="Do only the password step, or only the MFA step (e.g. after the reset e-mail came).")
def enroll(account_id, name, email, seed_file, device_arn, replace_seed, step):
    """Enroll one account's root user: password first, then the MFA seed, then two codes.

    The generated password is saved in the vault before it is shown; the secret key
    from the console's "Show secret key" is validated and saved in the seed store
    before any code is shown. The two consecutive codes go to stdout, one a line.
    Running it again resumes: an account already in the vault keeps its password.

    \b
    Examples:
      rootkeeper enroll 123456789012 --name log-archive
      rootkeeper enroll 123456789012 --name log-archive --step password
      pbpaste | rootkeeper enroll 123456789012 --step mfa --seed-file -
    """
    from .. import ceremony
    from ..accounts import Account, validate_account_id, validate_email, validate_name
    from ..errors import ExistsError, InputError
    from ..seeds import validate_seed

    account_id = validate_account_id(account_id)
    if name is not None:
        validate_name(name)
    if email is not None:
        validate_email(email)
    seed = None
    if seed_file is not None:
        if step == "password":
            raise InputError("--seed-file goes with the MFA step: drop it, or use --step all / mfa")
        text, source = inputs.read_input_file(seed_file, "seed file")
        seed, seed_warnings = validate_seed(text.strip(), source)
        warn_all(seed_warnings)
    if step in ("all", "mfa") and seed is None and not inputs.interactive():
        raise InputError(
            "no secret key: give --seed-file F (or - for stdin), run on a terminal, or use --step password "
            "to save only the password now"
        )
    ws = workspace()
    need_vault = step in ("all", "password") or name is None
    account = ceremony.resolve_account(ws, account_id, name, email, need_vault=need_vault)
    if device_arn is not None:
        ceremony.check_seed_input(account, seed or "A" * 32, device_arn)
    if step in ("all", "mfa"):
        store = ws.seeds()  # opened now: refuse before anything is written
        existing = store.active(account.id)
        if existing is not None and not replace_seed:
            raise ExistsError(
                f"account {account.id} already has an MFA seed (enrolled {existing.enrolled_at or 'earlier'}): "
                "give --replace-seed to replace it (the old row is kept, marked replaced)"
            )
    tty = inputs.interactive()
    if tty:
        note(f"Enrolling {account.id} ({account.name}, {account.email}).")
    if step in ("all", "password"):
        result = ceremony.save_password(ws, account)
        if result.created:
            note(f"password: generated and saved in the vault ({len(result.password)} characters)")
        else:
            note("password: already in the vault; keeping it (use 'rootkeeper rotate' for a new one)")
        if tty:
            note(f"  1. {ceremony.CONSOLE_STEPS[0].format(email=account.email)}")
            note(f"  2. {ceremony.CONSOLE_STEPS[1]}")
            click.pause("     Press any key to show the password (it is already saved)...", err=True)
            note(f"     {result.password}")
        else:
            note(f"  show it when setting it: rootkeeper password {account.id} --reason 'enrollment' --show")
    if step in ("all", "mfa"):
        if seed is None:
            if not tty:
                raise InputError("no secret key: give --seed-file F (or - for stdin), or run on a terminal")
            note(f"  3. {ceremony.CONSOLE_STEPS[2]}")
            for attempt in range(3):
                raw = click.prompt(f"  4. {ceremony.CONSOLE_STEPS[3]} (hidden)", hide_input=True, err=True)
                try:
                    seed, seed_warnings = validate_seed(raw)
                    warn_all(seed_warnings)
                    break
                except InputError as exc:
                    note(f"error: {exc.message}")
                    if attempt == 2:
                        raise
        result = ceremony.save_seed(ws, Account(account.id, account.name, account.email), seed, device_arn,
                                    replace_seed=replace_seed)
        warn_all(result.warnings)
        left = result.row.period - int(result.at) % result.row.period
        note(f"seed: saved in the seed store ({result.row.device_arn})")
        note(f"  5. {ceremony.CONSOLE_STEPS[4]} (code 1 is valid for {left}s more, code 2 for the {result.row.period}s after)")
        click.echo(result.codes[0])
        click.echo(result.codes[1])
    stamps(ws)


# ------------------------------------------------------------------ break glass

@cli.command(context_settings=CONTEXT)
@common
@click.argument("account")
@click.option("--reason", metavar="TEXT", help="Why root is needed (recorded). Prompted for on a terminal.")
@click.option("--at", "at", metavar="TIME", help="Code at this time: Unix seconds or ISO 8601 (default now).")
def code(account, reason, at):
    """Print the current MFA code of ACCOUNT (12-digit id or exact name).

    The first line of stdout is the code alone; the seconds it stays valid go to
    stderr. The retrieval is recorded in the journal before the code is shown.

    \b
    Examples:
      rootkeeper code log-archive --reason "close the account (CHG-1234)"
      rootkeeper code 123456789012 --reason "drill" --at 2026-11-28T12:00:00Z
    """
    from .. import breakglass, totp

    when = totp.parse_time(at)
    why = inputs.reason(reason)
    ws = workspace()
    result = breakglass.current_code(ws, account, why, when)
    click.echo(result.code)
    note(f"{result.seconds_left}s left ({result.row.account_id} {result.row.account_name})")
    stamps(ws)


@cli.command(context_settings=CONTEXT)
@common
@click.argument("account")
@click.option("--reason", metavar="TEXT", help="Why root is needed (recorded). Prompted for on a terminal.")
@click.option("--show", "how", flag_value="show", help="Print the password alone on stdout.")
@click.option("--clip", "how", flag_value="clip",
              help="Copy it to the clipboard and clear it after the configured seconds (default 30).")
def password(account, reason, how):
    """Retrieve the root password of ACCOUNT (12-digit id or exact name).

    Choose --show or --clip. The retrieval is recorded in the journal first.

    \b
    Examples:
      rootkeeper password log-archive --reason "restore IAM admin (INC-42)" --clip
      rootkeeper password 123456789012 --reason "close the account" --show
    """
    from .. import breakglass, clipboard
    from ..errors import InputError

    if how is None:
        raise InputError("say how to reveal the password: --show (print it) or --clip (copy, then clear)")
    if how == "clip":
        clipboard.require()
    why = inputs.reason(reason)
    ws = workspace()
    result = breakglass.retrieve_password(ws, account, why, how)
    _reveal(result.password, how, ws.config.clipboard_seconds,
            f"{result.entry.account_id} {result.entry.name}, sign in as {result.entry.email}")
    stamps(ws)


def _reveal(secret: str, how: str, seconds: int, label: str) -> None:
    from .. import clipboard

    if how == "show":
        click.echo(secret)
        note(label)
        return
    clipboard.copy(secret)
    note(f"copied to the clipboard ({label}); clearing it in {seconds}s (Ctrl-C clears it now)")
    try:
        time.sleep(seconds)
    except KeyboardInterrupt:
        pass
    finally:
        cleared = clipboard.clear_if_unchanged(secret)
        note("clipboard cleared" if cleared else "clipboard already holds something else; left alone")


# ------------------------------------------------------------------ list

@cli.command(name="list", context_settings=CONTEXT)
@common
@click.option("--json", "as_json", is_flag=True, help="JSON for pipelines.")
@click.option("--only", type=click.Choice(["vault", "seeds"]),
              help="Open only one store (for a custodian who holds only one).")
def list_(as_json, only):
    """List accounts and their custody state; no secrets.

    States: custodied (password and seed), mfa-pending (password only),
    password-missing (seed only), retired. Exit 1 if a seed is found in the vault
    or a password in the seed store.

    \b
    Examples:
      rootkeeper list
      rootkeeper list --json | jq '.accounts[] | select(.state != "custodied")'
    """
    from ..errors import CheckFailed
    from ..inventory import inventory

    ws = workspace()
    vault = ws.vault() if only in (None, "vault") else None
    store = ws.seeds() if only in (None, "seeds") else None
    inv = inventory(vault, store)
    if as_json:
        click.echo(json.dumps({"accounts": [a.as_dict() for a in inv.accounts], "problems": inv.problems}, indent=2))
    else:
        _table(inv.accounts)
    if inv.problems:
        raise CheckFailed("; ".join(inv.problems))


def print_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A rich table on a terminal; aligned plain columns for pipes and logs."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*headers)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _table(accounts) -> None:
    headers = ("ACCOUNT", "NAME", "STATE", "E-MAIL", "MFA DEVICE", "ENROLLED")
    rows = [(a.account_id, a.name, a.state + (" (drift)" if a.drift else ""), a.email,
             a.device_arn.rsplit("/", 1)[-1] if a.device_arn else "", a.enrolled_at[:10]) for a in accounts]
    print_table(headers, rows)
    for account in accounts:
        for drift in account.drift:
            note(f"drift: {account.account_id}: {drift}")
    click.echo(f"{len(accounts)} accounts", err=True)


# ------------------------------------------------------------------ seeds

@cli.group(context_settings=CONTEXT)
@common
def seeds():
    """Import and export the seed store.

    \b
    Examples:
      rootkeeper seeds import mfa-seeds.csv
      rootkeeper seeds export --format otpauth > /dev/shm/uris.txt
    """


@seeds.command(name="import", context_settings=CONTEXT)
@common
@click.argument("file")
@click.option("--replace", is_flag=True, help="Replace seeds of accounts that already have a different one.")
def seeds_import(file, replace):
    """Import seeds from FILE ('-': stdin), all or nothing.

    Formats, detected: a CSV whose first four columns are exactly
    Account #,Account Name,Account Email,MFA Seed (more may follow); the
    write-up's pipe-separated table; otpauth:// URIs one a line. One bad row and
    nothing is imported; the error names the row.

    \b
    Examples:
      rootkeeper seeds import legacy-mfa.csv
      rootkeeper seeds import - < otpauth-uris.txt
    """
    from ..seeds import parse_import

    text, source = inputs.read_input_file(file, "import file")
    ws = workspace()
    parsed = parse_import(text, source, ws.config.email_template)
    store = ws.seeds()
    before = len(store.active_rows())
    added = []
    for index, row in enumerate(parsed.rows, 1):
        if row.state != "active":
            continue
        existing = store.active(row.account_id)
        saved = store.add(row, replace_existing=replace, where=f"{source} row {index}")
        if saved is not existing:
            added.append(row.account_id)
    warn_all(parsed.warnings)
    if not added:
        note(f"nothing to import: all {len(parsed.rows)} seeds are already in the store")
        return
    ws.journal_ready()
    store.save()
    ws.record({"event": "seeds.import", "source": os.path.basename(source), "count": len(added),
               "accounts": added})
    note(f"imported {len(added)} seeds ({before} active before, {len(store.active_rows())} now) into {store.path}")
    stamps(ws)


@seeds.command(name="export", context_settings=CONTEXT)
@common
@click.option("--format", "fmt", type=click.Choice(["csv", "otpauth", "json"]), default="csv", show_default=True)
@click.option("--all", "include_all", is_flag=True, help="Include replaced and retired rows.")
def seeds_export(fmt, include_all):
    """Write the seeds in plaintext to stdout (an export you asked for; it is journaled).

    \b
    Examples:
      rootkeeper seeds export > /media/usb-mfa/plain.csv   (only onto encrypted media)
      rootkeeper seeds export --format otpauth | qrencode ...
    """
    from ..seeds import to_csv, to_json, to_otpauth

    ws = workspace()
    store = ws.seeds()
    rows = store.rows if include_all else store.active_rows()
    ws.record({"event": "seeds.export", "format": fmt, "count": len(rows)})
    if fmt == "csv":
        click.echo(to_csv(rows), nl=False)
    elif fmt == "json":
        click.echo(to_json(rows), nl=False)
    else:
        for row in rows:
            click.echo(to_otpauth(row))
    stamps(ws)


# ------------------------------------------------------------------ rotate / retire

@cli.command(context_settings=CONTEXT)
@common
@click.argument("account")
@click.option("--show", "how", flag_value="show", help="Print the new password alone on stdout.")
@click.option("--clip", "how", flag_value="clip", help="Copy the new password to the clipboard, then clear it.")
def rotate(account, how):
    """Give ACCOUNT a new root password; the old one stays in the entry's history.

    The new password is saved before it is shown. Set it in the console next.

    \b
    Examples:
      rootkeeper rotate log-archive --clip
      rootkeeper rotate 123456789012
    """
    from .. import breakglass, clipboard

    if how == "clip":
        clipboard.require()
    ws = workspace()
    entry, new = breakglass.rotate(ws, account)
    note(f"rotated {entry.account_id} ({entry.name}); the old password is in the entry's history")
    if how:
        _reveal(new, how, ws.config.clipboard_seconds, f"{entry.account_id} {entry.name}")
    else:
        note(f"set it in the console: rootkeeper password {entry.account_id} --reason 'rotation' --clip")
    stamps(ws)


@cli.command(context_settings=CONTEXT)
@common
@click.argument("account")
@click.option("--vault-only", is_flag=True, help="Retire the vault entry only (the seed custodian does the seeds).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on a terminal.")
def retire(account, vault_only, yes):
    """Retire ACCOUNT (closed or rootless): vault entry to 'Retired', seed rows marked retired.

    Nothing is deleted.

    \b
    Examples:
      rootkeeper retire sandbox
      rootkeeper retire 123456789012 --yes
    """
    from .. import breakglass

    ws = workspace()
    entry = ws.vault().find(account)
    if inputs.interactive() and not yes:
        click.confirm(f"Retire {entry.account_id} ({entry.name})?", abort=True, err=True)
    result = breakglass.retire(ws, entry.account_id, with_seeds=not vault_only)
    note(f"retired {result['account_id']} ({result['name']}): vault entry moved to 'Retired', "
         f"{result['seed_rows_retired']} seed row(s) marked retired")
    stamps(ws)


# ------------------------------------------------------------------ journal

@cli.group(context_settings=CONTEXT)
@common
def journal():
    """The break-glass record.

    \b
    Examples:
      rootkeeper journal show
      rootkeeper journal verify --anchor 42:3f1c...
    """


@journal.command(name="show", context_settings=CONTEXT)
@common
@click.option("--json", "as_json", is_flag=True, help="The records as JSON Lines, as stored.")
def journal_show(as_json):
    """Print the journal's records (no secret is ever in them).

    \b
    Example:
      rootkeeper journal show
    """
    ws = workspace()
    records = ws.journal().records()
    for record in records:
        if as_json:
            click.echo(json.dumps(record, sort_keys=True))
            continue
        who = record.get("account_id", "")
        name = record.get("account_name", "")
        reason = record.get("reason", "")
        extra = f"  reason: {reason}" if reason else ""
        if record.get("count") is not None:
            extra += f"  count: {record['count']}"
        click.echo(f"{record.get('seq')!s:>5}  {record.get('time', '')}  {record.get('actor', '')}  "
                   f"{record.get('event', '')}  {who} {name}{extra}".rstrip())
    note(f"{len(records)} records in {ws.journal().path}")


@journal.command(name="verify", context_settings=CONTEXT)
@common
@click.option("--anchor", "anchors", multiple=True, metavar="N:HASH",
              help="A record number and hash noted elsewhere (printed as 'journal: record N sha256:HASH').")
def journal_verify(anchors):
    """Check the hash chain: exit 1 if a record was edited, removed, reordered or cut off.

    \b
    Examples:
      rootkeeper journal verify
      rootkeeper journal verify --anchor 17:9b2e...   (a hash pasted into a ticket)
    """
    from ..errors import CheckFailed

    ws = workspace()
    result = ws.journal().verify(list(anchors))
    for problem in result.problems:
        note(f"problem: {problem}")
    warn_all(result.notes)
    if not result.ok:
        raise CheckFailed(f"journal {ws.journal().path} failed verification ({len(result.problems)} problem(s))")
    click.echo(f"ok: {result.count} records, head sha256:{result.head}")


# ------------------------------------------------------------------ demo

@cli.command(context_settings=CONTEXT)
@click.option("--accounts", "count", type=int, default=8, show_default=True,
              help="How many member accounts (every planted state appears from 6 up).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="A new directory for everything [default ./rootkeeper-demo-<time>].")
@click.option("--kdf-memory-mib", type=int, default=256, show_default=True, help="Argon2id memory of the demo vault.")
@click.option("--kdf-iterations", type=int, default=8, show_default=True, help="Argon2id iterations.")
@click.option("--debug", "debug", is_flag=True, expose_value=False, callback=_store, help="Show tracebacks.")
def demo(count, out, kdf_memory_mib, kdf_iterations):
    """Run the whole job end to end on a simulated AWS Organization; no AWS account needed.

    Enrollment through a simulated console, break glass, centralized root
    access, the audit, delete-root through AssumeRoot, the audit again.

    \b
    Examples:
      rootkeeper demo
      rootkeeper demo --accounts 50 --out /tmp/rk-demo
    """
    from ..demo import run
    from ..vault import KdfParams

    target = Path(out) if out else Path(f"rootkeeper-demo-{time.strftime('%Y%m%d-%H%M%S')}")
    run(target, count, click.echo, KdfParams(kdf_memory_mib, kdf_iterations, 2))
