"""The ``custody`` command group: write, check and draw the custody plan."""

from __future__ import annotations

from pathlib import Path

import click

from .common import CONTEXT, common, emit_json, json_flag, note, stamps, workspace
from .formats import FINDING_FORMATS, format_options, guard


@click.group(context_settings=CONTEXT)
@common
def custody():
    """The custody plan: where every copy lives and who can reach it, checked against the threat model.

    \b
    Examples:
      rootkeeper custody init custody-plan.toml
      rootkeeper custody check custody-plan.toml
      rootkeeper custody diagram custody-plan.toml -o custody.svg
      rootkeeper custody add-device custody-plan.toml yubikey-1 111122223333 --place bank-box-b
    """


@custody.command(name="init", context_settings=CONTEXT)
@common
@click.argument("plan", default="custody-plan.toml", metavar="[PLAN]")
def custody_init(plan):
    """Write a commented plan of the write-up's layout (network share, four USB drives, printed
    sets, two sites) to PLAN (default custody-plan.toml); it passes 'custody check'. Never overwrites.

    \b
    Example:
      rootkeeper custody init custody-plan.toml && $EDITOR custody-plan.toml
    """
    from ..custody.layout import WRITE_UP_PLAN
    from ..errors import ExistsError
    from ..storage import fsutil

    path = Path(plan)
    if path.exists() or path.is_symlink():
        raise ExistsError(f"{plan} already exists: choose another name, or edit it")
    fsutil.write_new(path, WRITE_UP_PLAN.encode("utf-8"), mode=0o644)
    note(f"wrote {plan}: the write-up's layout; edit the names and labels, then run 'rootkeeper custody check {plan}'")


@custody.command(name="check", context_settings=CONTEXT)
@common
@click.argument("plan", metavar="PLAN")
@json_flag("The findings as one JSON object (schema rootkeeper.custody-check/1).")
@format_options(("ocsf", "html"))
def custody_check(plan, as_json, fmt, output):
    """Prove PLAN against the threat model; every finding names its rule and its chain (exit 1 on any).

    Passwords need a vault copy and its master password (and key file, if set); seeds a seed
    sheet, or a seed-store copy and its key. No single medium, place or custodian (or site,
    when the policy keeps sites apart) may recover both; losing any one site must leave both
    recoverable; every artefact needs an off-site copy and the policy's number of copies; no
    custodian alone may reach the key-share threshold. Where a seed store is configured,
    the plan is compared with it: every recipient the store is encrypted to must be placed
    (a medium's recipient = ..., or [stores] shares_recipient), every key the plan places
    must be a recipient, and the plan must open the stores as they are opened (passphrase
    or identities; the vault's key file). The store's pin is checked when its identity is
    given (--seeds-identity, --seeds-shares), never asked for.

    \b
    \b
    Examples:
      rootkeeper custody check custody-plan.toml --json | jq '.findings[].message'
      rootkeeper custody check custody-plan.toml --format html -o custody.html
      rootkeeper custody check custody-plan.toml --format ocsf > custody.ocsf.json
    """
    from ..custody.check import RULES, check, summary
    from ..custody.plan import read_plan
    from ..custody.stores import compare, gather
    from ..errors import CheckFailed
    from .formats import chosen

    fmt = chosen(fmt, as_json, output)
    parsed = read_plan(Path(plan))
    findings = check(parsed)
    ws = workspace()
    guard(ws, output)
    facts = gather(ws)
    if facts is not None:
        findings += compare(parsed, facts)
        stores = (f"compared with seed store {facts.seeds} ({'a passphrase' if facts.passphrase else f'{len(facts.recipients)} recipients'}"
                  + ("" if facts.passphrase else ", its pin checked" if facts.pin_checked else f"; {facts.not_opened}")
                  + (f") and the vault's key file ({'one' if facts.vault_key_file else 'none'})"
                     if facts.vault_key_file is not None else ")"))
    elif ws.settings.seeds is not None:
        stores = (f"not compared with the stores: the configured seed store {ws.settings.seeds} does not exist "
                  "here (check the path, or run where the stores are)")
    else:
        stores = ("not compared with the stores: no seed store is configured here (run where rootkeeper.toml is, or "
                  "give --config)")
    payload = {"plan": plan, "ok": not findings, **summary(parsed),
               "stores": facts.public() if facts is not None else None, "stores_note": stores,
               "findings": [f.public() for f in findings]}
    if fmt in FINDING_FORMATS:
        _emit_check(ws, parsed, payload, findings, fmt, output, compared=facts is not None)
    if fmt == "json":
        emit_json("custody-check", payload)
    elif fmt == "text" or output:
        counts = summary(parsed)
        click.echo(f"custody plan {plan}: {counts['sites']} sites, {counts['places']} places, {counts['media']} media, "
                   f"{counts['custodians']} custodians; {stores}")
        for finding in findings:
            click.echo(f"FINDING {finding.rule} ({RULES[finding.rule]}):\n  {finding.message}")
        if not findings:
            click.echo("no findings; every rule holds:")
            for rule, text in RULES.items():
                if rule != "one-site-both" or parsed.policy.keep_sites_apart:
                    click.echo(f"  {rule}: {text}")
    if findings:
        raise CheckFailed(f"{len(findings)} finding{'s' if len(findings) != 1 else ''} in {plan}: change the plan "
                          "(or the layout it describes) until check passes")


def _emit_check(ws, parsed, payload, findings, fmt, output, *, compared: bool) -> None:
    import time

    from ..custody.check import findings_run
    from ..custody.diagram import svg_or_why
    from ..rules.rootuse import iso
    from .formats import emit

    svg, why = svg_or_why(parsed, findings) if fmt == "html" else (None, "")
    emit(findings_run(parsed, payload, iso(time.time()), ws.anchor(), compared=compared, svg=svg, no_svg=why),
         fmt, output)


@custody.command(name="diagram", context_settings=CONTEXT)
@common
@click.argument("plan", metavar="PLAN")
@click.option("-o", "--output", required=True, metavar="FILE.svg|png|dot",
              help="The picture to write (a new file; the format follows the name).")
def custody_diagram(plan, output):
    """Draw PLAN: sites, places, media, what they carry, custodians; findings' chains in red.

    SVG and PNG need Graphviz's dot program (Debian package graphviz); .dot needs nothing.

    \b
    Examples:
      rootkeeper custody diagram custody-plan.toml -o custody.svg
      rootkeeper custody diagram custody-plan.toml -o custody.dot && dot -Tpdf custody.dot > custody.pdf
    """
    from ..custody import require
    from ..custody.check import check
    from ..custody.diagram import render
    from ..custody.plan import read_plan
    from ..errors import ExistsError, InputError
    from ..storage import fsutil

    target = Path(output)
    if target.exists() or target.is_symlink():
        raise ExistsError(f"{output} already exists: choose another name")
    if not target.parent.is_dir():
        raise InputError(f"directory {target.parent} does not exist: create it first")
    require(("graphviz",), "custody diagram")
    parsed = read_plan(Path(plan))
    findings = check(parsed)
    data = render(parsed, findings, target.suffix.lstrip(".").lower())
    fsutil.write_new(target, data, mode=0o644)
    note(f"wrote {output}: {len(findings)} finding{'s' if len(findings) != 1 else ''} drawn in red")


@custody.command(name="add-device", context_settings=CONTEXT)
@common
@click.argument("plan", metavar="PLAN")
@click.argument("medium", metavar="MEDIUM")
@click.argument("account", metavar="ACCOUNT_ID")
@click.option("--kind", type=click.Choice(["security-key", "hardware-token"]), default="security-key",
              show_default=True, help="A FIDO security key (or passkey) or a hardware TOTP token.")
@click.option("--serial", metavar="SERIAL", help="The identifier the console's MFA list shows for it (asked for on a "
                                                 "terminal, after the console's steps).")
@click.option("--place", metavar="PLACE", help="Where a new key lives (a place of the plan).")
@click.option("--holder", metavar="NAME", help="The custodian who carries a new key.")
def custody_add_device(plan, medium, account, kind, serial, place, holder):
    """Record a FIDO key or hardware token registered for ACCOUNT_ID's root user as MEDIUM of PLAN.

    Prints the console's steps (the device name to type is MEDIUM), then takes the serial the console
    shows (arn:aws:iam::ID:u2f/root/NAME-... for a key; the printed serial for a token). The plan gains
    the account in MEDIUM's devices table (or a new [[medium]] at --place or with --holder); its comments
    stay. Journaled. 'org audit --plan PLAN' then counts the key as custody.

    \b
    Examples:
      rootkeeper custody add-device custody-plan.toml yubikey-1 111122223333 --place bank-box-b
      rootkeeper custody add-device custody-plan.toml token-7 111122223333 --kind hardware-token --serial GAKT12345678 --holder bob
    """
    from ..custody import devices
    from ..errors import InputError
    from ..rules.accounts import is_account_id
    from . import inputs

    if not is_account_id(account):
        raise InputError(f"ACCOUNT_ID {account!r} is not a 12-digit AWS account id")
    if serial is None:
        if not inputs.interactive():
            raise InputError("give --serial SERIAL (the identifier the console's MFA list shows), or run on a terminal")
        for number, step in enumerate(devices.steps(kind, account, medium), 1):
            note(f"  {number}. {step}")
        serial = click.prompt("The identifier the console shows for it", err=True).strip()
    ws = workspace()
    added = devices.add_device(ws, Path(plan), medium, account, serial, kind, place=place, holder=holder)
    note(f"{'added' if added.created else 'recorded in'} {added.medium}: root MFA device {added.serial} of "
         f"{added.account_id}; check it with 'rootkeeper org audit {added.account_id} --plan {plan}'")
    stamps(ws)
