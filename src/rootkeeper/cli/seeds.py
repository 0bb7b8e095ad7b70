"""The ``seeds`` command group: import, export, and the store's recipients."""

from __future__ import annotations

import shlex

import click

from . import inputs
from .common import CONTEXT, common, note, reason_option, stamps, warn_all, workspace
from .options import DEVICE


@click.group(context_settings=CONTEXT)
@common
def seeds():
    """Import and export the seed store; list and change who can decrypt it.

    \b
    Examples:
      rootkeeper seeds import mfa-seeds.csv
      rootkeeper seeds export --format otpauth > E:\\uris.txt   (encrypted stick)
      rootkeeper seeds recipients list
      rootkeeper seeds prove payments-prod --signed-in
    """


@seeds.command(name="import", context_settings=CONTEXT)
@common
@click.argument("file")
@click.option("--replace", is_flag=True,
              help="Replace seeds of accounts that already have a different one (of the same device).")
@click.option("--another-device", "another", is_flag=True,
              help="Keep a seed of another virtual MFA device beside the account's seed(s) (each row with its own "
                   "Device ARN).")
@click.option("--names", "names_file", metavar="FILE",
              help="Account names for otpauth URIs that name none (AWS's own form): lines 'account id,name'. "
                   "Without it, the vault entry with that account id gives the name.")
def seeds_import(file, replace, another, names_file):
    """Import seeds from FILE ('-': stdin), all or nothing.

    Formats, detected: a CSV whose first four columns are exactly
    Account #,Account Name,Account Email,MFA Seed (more may follow); the
    write-up's pipe-separated table; otpauth:// URIs one a line, including AWS's
    own form as authenticator apps export it
    (otpauth://totp/Amazon%20Web%20Services:DEVICE@ACCOUNT_ID?secret=...), whose
    device name gives the device ARN and whose account name comes from --names
    or the vault. One bad row and nothing is imported; the error names the row.
    Rows of one account, each with its own Device ARN, are the seeds of several
    virtual MFA devices of its root (AWS allows up to 8).

    \b
    Examples:
      rootkeeper seeds import legacy-mfa.csv
      rootkeeper seeds import - < otpauth-uris.txt
      rootkeeper seeds import authenticator-export.txt --names account-names.csv
      rootkeeper seeds import site-b-device.txt --another-device
    """
    from ..workflows.seeds import import_seeds, read_names

    names = None
    if names_file is not None:
        names_text, names_source = inputs.read_input_file(names_file, "names file")
        names = read_names(names_text, names_source)
    text, source = inputs.read_input_file(file, "import file")
    ws = workspace(writer=True)
    result = import_seeds(ws, text, source, replace=replace, another=another, names=names)
    warn_all(result.warnings)
    if not result.added:
        note(f"nothing to import: all {result.rows} seeds are already in the store")
        return
    note(f"imported {len(result.added)} seeds ({result.before} active before, {result.after} now) into {result.path}")
    stamps(ws)


@seeds.command(name="export", context_settings=CONTEXT)
@common
@click.option("--format", "fmt", type=click.Choice(["csv", "otpauth", "json"]), default="csv", show_default=True,
              help="csv: the store's own columns; otpauth: one URI a line (for an authenticator app); json: a list of rows.")
@click.option("--all", "include_all", is_flag=True, help="Include replaced and retired rows.")
@reason_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on a terminal.")
def seeds_export(fmt, include_all, reason, yes):
    """Write the seeds in plaintext to stdout (an export you asked for; it is journaled).

    \b
    Examples:
      rootkeeper seeds export > /media/usb-mfa/plain.csv   (only onto encrypted media)
      rootkeeper seeds export --format otpauth | qrencode ...
    """
    from ..workflows.seeds import export_seeds

    why = inputs.why(reason, "export every seed in plaintext")
    if inputs.interactive() and not yes:  # like one code, a bulk reveal is said and confirmed on a terminal
        click.confirm("Write every seed in plaintext to standard output?", abort=True, err=True)
    ws = workspace()
    click.echo(export_seeds(ws, fmt, include_all=include_all, reason=why), nl=False)
    stamps(ws)


@seeds.command(name="prove", context_settings=CONTEXT)
@common
@click.argument("account")
@click.option("--signed-in", "result", flag_value="signed-in",
              help="The console accepted the code and you signed in as root.")
@click.option("--refused", "result", flag_value="refused", help="The console refused the code.")
@click.option("--by", metavar="NAME", help="Who signed in [default: this user@host].")
@click.option(DEVICE[1], DEVICE[0], metavar=DEVICE[2],
              help="The MFA device whose code you signed in with (needed when the account has several).")
def seeds_prove(account, result, by, device):
    """Record a sign-in with ACCOUNT's seed: proven only then (a sign-in drill).

    First get a code ('rootkeeper code ACCOUNT --reason ...') and sign in as root
    with it; within 15 minutes of that code, record how it went. A seed is proven
    only by a recorded sign-in: 'org audit' says SEED_UNPROVEN, never CUSTODIED,
    for a seed never proven, and 'list' shows when each seed was proven. The
    ceremony on a terminal records the console's acceptance of its two codes.
    A refused sign-in is recorded, takes the seed's proof away and exits 1.

    \b
    Examples:
      rootkeeper code payments-prod --reason "sign-in drill (CHG-77)"
      rootkeeper seeds prove payments-prod --signed-in --by alice
      rootkeeper seeds prove payments-prod --signed-in --device rootkeeper-site-b
    """
    from ..errors import CheckFailed, InputError
    from ..workflows.proof import check_by, prove

    check_by(by)
    if result is None:
        if not inputs.interactive():
            raise InputError("say how the sign-in went: --signed-in (the console accepted the code) or --refused")
        result = "signed-in" if click.confirm(f"Did the console accept the code and sign you in as root of {account}?",
                                              err=True) else "refused"
    ws = workspace(writer=True)
    proof = prove(ws, account, signed_in=result == "signed-in", by=by, device=device)
    stamps(ws)
    row = proof.row
    if not proof.signed_in:
        raise CheckFailed(f"the seed of {row.account_id} ({row.account_name}) did not open its account: find which "
                          f"device AWS has ('rootkeeper org audit {row.account_id}'), then enroll a new one "
                          f"('rootkeeper enroll {row.account_id} --step mfa --replace-seed')")
    note(f"proven: {proof.by} signed in as root of {row.account_id} ({row.account_name}) with its seed (the code of "
         f"journal record {proof.handout})")


@seeds.group(name="recipients", context_settings=CONTEXT)
@common
def seeds_recipients():
    """Who can decrypt the seed store (age X25519 recipients, pinned inside the store).

    The store names the fingerprint of the recipients it is encrypted to, so a key
    added to rootkeeper.toml by hand is refused at the next write. Change the set
    here: the store is re-encrypted, the configuration rewritten, the change journaled.

    \b
    Examples:
      rootkeeper seeds recipients list
      rootkeeper seeds recipients add age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
      rootkeeper seeds recipients remove age1... --yes
    """


@seeds_recipients.command(name="list", context_settings=CONTEXT)
@common
def recipients_list():
    """List the configured recipients and check them against the store's pin (exit 1 if they differ).

    \b
    Example:
      rootkeeper seeds recipients list --seeds-identity ~/.age/custodian.key
    """
    from ..errors import CheckFailed
    from ..workflows.recipients import recipients

    ws = workspace()
    view = recipients(ws)
    for recipient in view.configured:
        click.echo(recipient)
    note(f"configured: sha256:{view.configured_fingerprint}; the store pins: "
         f"{'sha256:' + view.pinned if view.pinned else 'nothing yet (pinned at the next write)'}")
    if not view.matches:
        raise CheckFailed("the configured recipients are not the ones the seed store is encrypted to: "
                          "rootkeeper.toml was changed by hand (restore its [seeds] recipients), or a 'seeds "
                          "recipients add|remove' was interrupted (run it again: it finishes)")


@seeds_recipients.command(name="add", context_settings=CONTEXT)
@common
@click.argument("recipient", nargs=-1, required=True, metavar="AGE1...")
@reason_option
def recipients_add(recipient, reason):
    """Encrypt the seed store to RECIPIENT too (a custodian's public key, from age-keygen -y).

    \b
    Example:
      rootkeeper seeds recipients add age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
    """
    _change(list(recipient), [], yes=True, reason=reason)


@seeds_recipients.command(name="remove", context_settings=CONTEXT)
@common
@click.argument("recipient", nargs=-1, required=True, metavar="AGE1...")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on a terminal.")
@reason_option
def recipients_remove(recipient, yes, reason):
    """Stop encrypting the seed store to RECIPIENT (copies made before still open with its key).

    \b
    Example:
      rootkeeper seeds recipients remove age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --yes
    """
    _change([], list(recipient), yes=yes, reason=reason)


def _change(add: list[str], remove: list[str], *, yes: bool, reason: str | None) -> None:
    from ..workflows.recipients import change_recipients

    why = inputs.why(reason, "change who can read the seeds")
    if remove and inputs.interactive() and not yes:
        click.confirm(f"Remove {len(remove)} recipient(s) from the seed store?", abort=True, err=True)
    ws = workspace(writer=True)
    result = change_recipients(ws, add, remove, why)
    for r in result.added:
        note(f"added {r}")
    for r in result.removed:
        note(f"removed {r} (older copies of the store still open with its key: replace them)")
    note(f"the seed store is now encrypted to {len(result.configured)} recipient(s), pinned sha256:{result.pinned}")
    for path, name in result.stale_media:
        again = f"{shlex.quote(name)} --plan PLAN" if name else shlex.quote(path)
        note(f"stale: the seed store's copy on {f'medium {name} ({path})' if name else path} is encrypted to the old "
             f"recipients: write it again (rootkeeper media write seeds {again}), then drill")
    stamps(ws)
