"""The root group and the top-level commands: init, enroll, code, password, list, rotate, retire.

Each parses its options, gets secrets the safe way, calls one library workflow, prints.
The command groups live in their own files; ``cli/__init__.py`` registers them all.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import inputs
from .common import (
    CONTEXT,
    LazyGroup,
    account_argument,
    common,
    emit_json,
    given,
    global_options,
    json_flag,
    note,
    print_table,
    reason_option,
    reveal,
    stamps,
    told,
    warn_all,
    workspace,
)
from .options import AT, DEVICE, REASON


@click.group(cls=LazyGroup, context_settings=CONTEXT)
@global_options
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

    The options below are global: they work before or after any command name.
    Shell completion: see the README (bash, zsh, fish).
    """


# ------------------------------------------------------------------ init

@click.command(context_settings=CONTEXT)
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
    from ..errors import InputError
    from ..rules.accounts import DEFAULT_EMAIL_TEMPLATE
    from ..stores.vault import KdfParams
    from ..workflows.init import InitPlan, check_master
    from ..workflows.init import init as do_init

    chosen = inputs.settings(given, read_config=False)  # init writes the configuration
    vault, seeds, key_file = chosen.vault, chosen.seeds, chosen.vault_key_file
    if vault is None or seeds is None:
        raise InputError("init needs both --vault PATH and --seeds PATH (on different media)")
    config_path, journal = chosen.config_path, chosen.journal
    plan = InitPlan(config_path=config_path, vault=vault, seeds=seeds, journal=journal, key_file=key_file,
                    recipients=list(recipients), email_template=email_template or DEFAULT_EMAIL_TEMPLATE,
                    kdf=KdfParams(kdf_memory_mib, kdf_iterations, kdf_parallelism),
                    allow_same_directory=allow_same_directory)
    warnings = plan.check()  # refuse before asking for any secret
    password = inputs.secret("new vault password", chosen.vault_password_file, "--vault-password-file", confirm=True)
    check_master(password, "vault password")
    passphrase = None
    if not recipients:
        passphrase = inputs.secret("new seed-store passphrase", chosen.seeds_passphrase_file,
                                   "--seeds-passphrase-file", confirm=True)
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

@click.command(context_settings=CONTEXT)
@common
@click.argument("account_id")
@click.option("--name", metavar="NAME", help="Account name (required the first time).")
@click.option("--email", metavar="E", help="Root e-mail [default: the config's email_template].")
@click.option("--seed-file", metavar="F", help="Read the console's secret key from F ('-': stdin) instead of a prompt.")
@click.option("--device-name", metavar="NAME",
              help="What you type in the console's 'Device name' field [default rootkeeper-YYYY-MM-DD, today]; "
                   "the device ARN recorded is arn:aws:iam::ID:mfa/NAME.")
@click.option("--device-arn", metavar="ARN", help="The device's whole ARN, instead of --device-name.")
@click.option("--replace-seed", is_flag=True, help="Replace an existing seed (the old row is kept, marked replaced).")
@click.option("--another-device", is_flag=True,
              help="Keep this seed beside the account's seed(s): another virtual MFA device of root (at another "
                   "site, say), with a device name of its own.")
@click.option("--step", type=click.Choice(["all", "password", "mfa"]), default="all", show_default=True,
              help="Do only the password step, or only the MFA step (e.g. after the reset e-mail came).")
def enroll(account_id, name, email, seed_file, device_name, device_arn, replace_seed, another_device, step):
    """Enroll one account's root user: password first, then the MFA seed, then two codes.

    The generated password is saved in the vault before it is shown; the secret key
    from the console's "Show secret key" is validated and saved in the seed store
    before any code is shown. The two consecutive codes go to stdout, one a line.
    Running it again resumes: an account already in the vault keeps its password.

    \b
    Examples:
      rootkeeper enroll 123456789012 --name log-archive
      rootkeeper enroll 123456789012 --name log-archive --step password
      pbpaste | rootkeeper enroll 123456789012 --step mfa --seed-file - --device-name rootkeeper-2026-11-28
      rootkeeper enroll 123456789012 --step mfa --another-device --device-name rootkeeper-site-b

    AWS lets root hold up to 8 MFA devices and advises more than one: with
    --another-device the seed of a second virtual device is kept beside the first
    (each with its device ARN; 'code --device NAME' gives its code).
    """
    from ..errors import InputError
    from ..stores.seeds import validate_seed
    from ..workflows import enroll as workflow

    account_id = workflow.check_fields(account_id, name, email)
    if device_name is not None and device_arn is not None:
        raise InputError("give --device-name or --device-arn, not both (the ARN ends with the name)")
    if another_device and replace_seed:
        raise InputError("give --another-device (keep both seeds) or --replace-seed (replace it), not both")
    if another_device and step == "password":
        raise InputError("--another-device goes with the MFA step: use --step mfa")
    device = device_name or (device_arn.rsplit("/", 1)[-1] if device_arn else workflow.proposed_device_name())
    device_arn = device_arn or workflow.device_arn(account_id, device)
    seed = None
    if seed_file is not None:
        if step == "password":
            raise InputError("--seed-file goes with the MFA step: drop it, or use --step all / mfa")
        text, source = inputs.read_input_file(seed_file, "seed file", limit=4096)
        seed, seed_warnings = validate_seed(text.strip(), source)
        warn_all(seed_warnings)
    if workflow.wants_seed(step) and seed is None and not inputs.interactive():
        raise InputError(
            "no secret key: give --seed-file F (or - for stdin), run on a terminal, or use --step password "
            "to save only the password now"
        )
    ws = workspace(writer=True)
    account = workflow.begin(ws, account_id, name, email, step=step, seed=seed, device_arn=device_arn,
                             replace_seed=replace_seed, another=another_device)
    tty = inputs.interactive()
    if tty:
        note(f"Enrolling {account.id} ({account.name}, {account.email}).")
    if workflow.wants_password(step):
        result = workflow.save_password(ws, account)
        if result.created:
            note(f"password: generated and saved in the vault ({len(result.password)} characters)")
        else:
            note("password: already in the vault; keeping it (use 'rootkeeper rotate' for a new one)")
        if tty:
            note(f"  1. {workflow.CONSOLE_STEPS[0].format(email=account.email)}")
            note(f"  2. {workflow.CONSOLE_STEPS[1]}")
            click.pause("     Press any key to show the password (it is already saved)...", err=True)
            note(f"     {result.password}")
        else:
            note(f"  show it when setting it: rootkeeper password {account.id} --reason 'enrollment' --show")
    if workflow.wants_seed(step):
        if seed is None:
            if not tty:
                raise InputError("no secret key: give --seed-file F (or - for stdin), or run on a terminal")
            note(f"  3. {workflow.CONSOLE_STEPS[2].format(device=device)}")
            for attempt in range(3):
                raw = click.prompt(f"  4. {workflow.CONSOLE_STEPS[3]} (hidden)", hide_input=True, err=True)
                try:
                    seed, seed_warnings = validate_seed(raw)
                    warn_all(seed_warnings)
                    break
                except InputError as exc:
                    note(f"error: {exc.message}")
                    if attempt == 2:
                        raise
        result = workflow.save_seed(ws, account, seed, device_arn, replace_seed=replace_seed, another=another_device,
                                    fresh=workflow.CONSOLE_FRESH if tty else 0)
        warn_all(result.warnings)
        note(f"seed: saved in the seed store, device {result.row.device_arn}")
        note(f"     the console's 'Device name' must be {device} (else the audit will not recognise the device)")
        codes, at = result.codes, result.at
        while True:
            left = result.row.period - int(at) % result.row.period
            note(f"  5. {workflow.CONSOLE_STEPS[4]} (code 1 is valid for {left}s more, code 2 for the "
                 f"{result.row.period}s after)")
            click.echo(codes[0])
            click.echo(codes[1])
            answer = "" if not tty else click.prompt(
                "     Did the console accept them? y: yes (the seed is proven), n: two new codes, Enter: later",
                default="", show_default=False, err=True).strip().lower()
            if not answer.startswith("n"):
                break
            note("     waiting for two codes not shown yet (up to a minute)...")
            codes, at = workflow.console_codes(result.row, after=at, fresh=workflow.CONSOLE_FRESH)
        if answer.startswith("y"):
            from ..workflows.proof import prove

            prove(ws, account.id, signed_in=True, device=result.row.device_arn)
            note("     proven: the console accepted the seed's codes (recorded)")
        else:
            several = f" --device {device}" if len(ws.seeds().seeds_of(account.id)) > 1 else ""
            note(f"     once the console accepted them: rootkeeper seeds prove {account.id} --signed-in{several} "
                 f"(within 15 minutes; until then the audit says SEED_UNPROVEN)")
    stamps(ws)


# ------------------------------------------------------------------ break glass

def retrieval(func):
    """ACCOUNT and --reason, besides the common options: what every break-glass retrieval takes."""
    func = click.option(REASON[1], metavar=REASON[2], help=REASON[3])(func)
    return common(account_argument(func))


@click.command(context_settings=CONTEXT)
@retrieval
@click.option(AT[1], AT[0], metavar=AT[2], help=AT[3])
@click.option("--fresh", type=click.IntRange(0, 300), default=0, metavar="SECONDS",
              help="If the current code has fewer SECONDS left, wait for the next one (while typing it in); "
                   "one with less than 3 s left is never shown.")
@click.option(DEVICE[1], DEVICE[0], metavar=DEVICE[2], help=DEVICE[3])
def code(account, reason, at, fresh, device):
    """Print the current MFA code of ACCOUNT (12-digit id or exact name).

    The first line of stdout is the code alone; the seconds it stays valid go to
    stderr. The retrieval is recorded in the journal before the code is shown.

    \b
    Examples:
      rootkeeper code log-archive --reason "close the account (CHG-1234)"
      rootkeeper code 123456789012 --reason "drill" --at 2026-11-28T12:00:00Z
      rootkeeper code log-archive --reason "close the account (CHG-1234)" --fresh 10
      rootkeeper code log-archive --reason "site B drill" --device rootkeeper-site-b

    An account whose root has several virtual MFA devices has a seed for each:
    the code is its first seed's unless --device names another, and stderr says
    which device to choose in the console.
    """
    from .quick import code_body  # the same body runs without click for plain arguments (cli/quick.py)

    code_body(workspace(), account, reason, at, fresh, out=click.echo, note=note, device=device)


@click.command(context_settings=CONTEXT)
@retrieval
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
    from ..errors import InputError
    from ..workflows import breakglass, clipboard

    if how is None:
        raise InputError("say how to reveal the password: --show (print it) or --clip (copy, then clear)")
    if how == "clip":
        clipboard.require()
    why = inputs.reason(reason)
    ws = workspace()
    result = breakglass.retrieve_password(ws, account, why, how)
    if not result.entry.account_id:
        note(f"vault entry {result.entry.name!r} has no AccountId (added by hand): record it with "
             f"{_adopt_line(result.entry.name)}")
    told(ws)  # before a --clip copy waits to be cleared
    reveal(result.password, how, ws.config.clipboard_seconds,
            f"{result.entry.account_id} {result.entry.name}, sign in as {result.entry.email}")
    stamps(ws)


# ------------------------------------------------------------------ list

@click.command(name="list", context_settings=CONTEXT)
@common
@json_flag()
@click.option("--only", type=click.Choice(["vault", "seeds"]),
              help="Open only one store (for a custodian who holds only one).")
def list_(as_json, only):
    """List accounts and their custody state; no secrets.

    States: custodied (password and seed), mfa-pending (password only),
    password-missing (seed only), retired, half-retired (the vault entry is retired
    but the seed is not: finish with 'rootkeeper retire'). With --only, the other
    store is not opened and nothing is guessed about it: seed-present or
    password-present, and null for the store not read in --json. Exit 1 on a
    half-retired account, a seed found in the vault or a password in the seed store.

    \b
    Examples:
      rootkeeper list
      rootkeeper list --json | jq '.accounts[] | select(.state != "custodied")'
    """
    from ..errors import CheckFailed
    from ..workflows.listing import CustodyIndex, inventory, last_retrievals

    ws = workspace()
    vault = ws.vault(segregation=False, with_seeds=only is None) if only in (None, "vault") else None
    store = ws.seeds() if only in (None, "seeds") else None
    inv = inventory(CustodyIndex.build(vault, store))
    last = last_retrievals(ws.journal())
    for account in inv.accounts:
        account.last_retrieval = last.get(account.account_id)
    unrecognised = vault.unrecognised() if vault is not None else []
    if as_json:
        emit_json("list", {"accounts": [a.as_dict() for a in inv.accounts], "problems": inv.problems,
                           "advice": inv.advice,
                           "unrecognised": [{"title": u.name, "fix": _adopt_line(u.name)} for u in unrecognised]},
                  one_per_line="accounts")
    else:
        _table(inv.accounts)
    for u in unrecognised:
        note(f"unrecognised vault entry {u.name!r} (no AccountId, or outside 'AWS root users'): "
             f"{_adopt_line(u.name)}, or add the AccountId attribute in KeePassXC")
    for text in inv.advice:
        note(f"advice: {text}")
    if inv.problems:
        raise CheckFailed("; ".join(inv.problems))


def _adopt_line(title: str) -> str:
    import shlex

    return f"rootkeeper adopt {shlex.quote(title)} --account-id ID"


def _table(accounts) -> None:
    from ..rules.devices import device_name

    headers = ("ACCOUNT", "NAME", "STATE", "E-MAIL", "MFA DEVICE", "ENROLLED", "PROVEN", "LAST BREAK GLASS")
    rows = [(a.account_id, a.name, a.state + (" (drift)" if a.drift else ""), a.email,  # the first device; list --json
             device_name(a.device_arn) + (f" (+{len(a.seeds) - 1})" if len(a.seeds) > 1 else ""),  # names them all
             a.enrolled_at[:10], a.proven_at[:10] if a.proven_at else ("no" if a.seed else ""),
             (a.last_retrieval or {}).get("time", "")[:10]) for a in accounts]
    print_table(headers, rows)
    for account in accounts:
        for drift in account.drift:
            note(f"drift: {account.account_id}: {drift}")
    unproven = sum(not r.proven_at for a in accounts for r in a.seeds)
    click.echo(f"{len(accounts)} accounts" + (f"; {unproven} seeds never proven by a sign-in (rootkeeper seeds prove "
                                              "--help)" if unproven else ""), err=True)


# ------------------------------------------------------------------ rotate / retire

@click.command(context_settings=CONTEXT)
@retrieval
@click.option("--show", "how", flag_value="show", help="Print the new password alone on stdout.")
@click.option("--clip", "how", flag_value="clip", help="Copy the new password to the clipboard, then clear it.")
def rotate(account, reason, how):
    """Give ACCOUNT a new root password; the old one stays in the entry's history.

    The new password is saved (and the rotation journaled, with its reason: asked
    for on a terminal, recorded when given) before it is shown. Without --show or --clip it is not shown: the command says how to
    retrieve it when you set it in the console.

    \b
    Examples:
      rootkeeper rotate log-archive --reason "yearly rotation (CHG-77)" --clip
      rootkeeper rotate 123456789012 --reason "after an offboarding"
    """
    from ..workflows import breakglass, clipboard

    if how == "clip":
        clipboard.require()
    # Asked for on a terminal, recorded when given; a script may still run 'rotate ACCOUNT' (the contract).
    why = inputs.reason(reason) if reason is not None or inputs.interactive() else None
    ws = workspace(writer=True)
    entry, new = breakglass.rotate(ws, account, why)
    note(f"rotated {entry.account_id} ({entry.name}); the old password is in the entry's history")
    if how:
        reveal(new, how, ws.config.clipboard_seconds, f"{entry.account_id} {entry.name}")
    else:
        note(f"the new password is in the vault; set it in the console: "
             f"rootkeeper password {entry.account_id} --reason 'rotation' --clip")
    stamps(ws)


@click.command(context_settings=CONTEXT)
@common
@account_argument
@click.option("--vault-only", is_flag=True, help="Retire the vault entry only (the seed custodian does the seeds).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on a terminal.")
@reason_option
def retire(account, vault_only, yes, reason):
    """Retire ACCOUNT (closed or rootless): vault entry to 'Retired', seed rows marked retired.

    Nothing is deleted. Running it again finishes a retirement that was interrupted
    or done with --vault-only.

    \b
    Examples:
      rootkeeper retire sandbox
      rootkeeper retire 123456789012 --yes
    """
    from ..workflows.retire import retire as retire_account

    ws = workspace(writer=True)
    entry = ws.vault(with_seeds=not vault_only).find_any(account)
    why = inputs.why(reason, f"retire {entry.account_id} ({entry.name})")
    if inputs.interactive() and not yes:
        click.confirm(f"Retire {entry.account_id} ({entry.name})?", abort=True, err=True)
    result = retire_account(ws, entry.account_id, with_seeds=not vault_only, reason=why)
    if result.already:
        where = "the vault" if vault_only else "the vault and the seed store"
        note(f"{result.account_id} ({result.name}) is already retired in {where}: nothing to do")
        return
    done = "vault entry moved to 'Retired'" if result.vault_entry else "vault entry was already retired"
    note(f"retired {result.account_id} ({result.name}): {done}, {result.seed_rows_retired} seed row(s) marked retired")
    stamps(ws)


# ------------------------------------------------------------------ adopt

@click.command(context_settings=CONTEXT)
@common
@click.argument("entry", metavar="[ENTRY_TITLE]", required=False)
@click.option("--account-id", metavar="ID", help="The 12-digit AWS account id the entry is for.")
@click.option("--email", metavar="E", help="Root e-mail [default: the entry's Email field, else the config's template].")
@click.option("--accounts", "accounts_file", metavar="FILE",
              help="Adopt many: a CSV, or the write-up's pipe table, with the columns 'Account #', 'Account Name' "
                   "(the entries' titles) and 'Account Email' ('-': stdin); a seed column is not read, a password "
                   "column is refused.")
@click.option("--from", "from_db", metavar="OLD.kdbx",
              help="With --accounts: copy the matching entries' passwords from this KeePass database (KDBX 3.1 or 4, "
                   "left unchanged) into the vault.")
@click.option("--from-password-file", metavar="FILE",
              help="Read OLD.kdbx's password from FILE ('-': stdin) [env ROOTKEEPER_FROM_PASSWORD; else a prompt].")
@click.option("--from-key-file", metavar="FILE", help="OLD.kdbx's key file, if it has one.")
@click.option("--from-group", metavar="GROUP", help="With --from: take entries only from this group of OLD.kdbx (and "
                                                    "its subgroups), e.g. 'AWS/roots'.")
def adopt(entry, account_id, email, accounts_file, from_db, from_password_file, from_key_file, from_group):
    """Adopt vault entries added by hand in KeePassXC, or migrate a KeePass database kept by hand.

    One entry: record its AccountId and Email; it moves to the 'AWS root users'
    group and keeps its password ('rootkeeper list' shows such entries as
    unrecognised). Many: --accounts FILE matches each row's account name to
    exactly one entry title. With --from OLD.kdbx the entries come from that
    database, which is only read (its matching entries must sit in one group, or
    give --from-group); without it, from the vault's unrecognised entries. An
    account already in the vault under the same name is skipped, so a re-run
    finishes what is left. All or nothing; one vault write; journaled.

    \b
    Examples:
      rootkeeper adopt "legacy payments" --account-id 123456789012
      rootkeeper adopt --accounts mfa-seeds.md --from root-passwords.kdbx --from-group AWS
    """
    from ..errors import InputError
    from ..workflows import adopt as workflow

    if accounts_file is None:
        if from_db or from_password_file or from_key_file or from_group:
            raise InputError("--from goes with --accounts FILE (which accounts to take from it)")
        if entry is None or account_id is None:
            raise InputError("give ENTRY_TITLE --account-id ID (one entry), or --accounts FILE (many)")
        ws = workspace(writer=True)
        account = workflow.adopt_entry(ws, entry, account_id, email)
        note(f"adopted {entry!r} as account {account.id} ({account.email})")
        stamps(ws)
        return
    if entry is not None or account_id is not None or email is not None:
        raise InputError("--accounts FILE adopts many: drop ENTRY_TITLE, --account-id and --email (the file gives them)")
    from ..storage.settings import SECRETS
    from ..stores.vault import read_keepass

    if from_group is not None and from_db is None:
        raise InputError("--from-group goes with --from OLD.kdbx")
    text, source = inputs.read_input_file(accounts_file, "accounts file")
    table = workflow.read_accounts(text, source)
    for column in table.skipped_columns:
        note(f"the column {column!r} of {source} is not read (seeds go in with 'rootkeeper seeds import')")
    old = None
    if from_db is not None:
        secret = inputs.secret(f"password of {Path(from_db).name}", from_password_file, "--from-password-file",
                               env=SECRETS["migrated database's password"])
        old = read_keepass(Path(from_db), secret, Path(from_key_file) if from_key_file else None)
    ws = workspace(writer=True)
    done = workflow.adopt_accounts(ws, table.rows, source, old=old, old_name=Path(from_db).name if from_db else "",
                                   group=from_group.strip("/") if from_group else None)
    already = f"; {done.already} already in the vault, skipped" if done.already else ""
    if not done.count:
        note(f"nothing to adopt: all {done.already} accounts of {source} are already in the vault")
        return
    note(f"{'migrated' if from_db else 'adopted'} {done.count} accounts{f' from {done.source}' if done.source else ''}"
         f"{already}")
    stamps(ws)
