"""The ``drill`` command: a recovery drill over every copy, with a dated report."""

from __future__ import annotations

from pathlib import Path

import click

from .common import CONTEXT, common, note, stamps, workspace


@click.command(context_settings=CONTEXT)
@common
@click.option("--copy", "copies", multiple=True, required=True, metavar="NAME=PATH",
              help="A copy to drill (repeatable): a medium written by 'media write', or a vault or seed-store file.")
@click.option("--report", "report_dir", default=".", show_default=True, metavar="DIR",
              help="Where the dated report goes (drill-YYYY-MM-DD-HHMMSS.md and .json).")
def drill(copies, report_dir):
    """Restore from every copy: verify each medium, open each vault and seed store, and cross-check them.

    All vault copies must hold the same entries (name, e-mail, password), all seed
    copies the same seeds (the same codes at the same instant), and every account both
    a password and a seed. Each copy is compared with the live store of its kind too
    (a copy older than a rotation is stale); a copy that is the live store or the same
    file as another copy is a difference, not a copy. Writes a Markdown and a JSON report (schema
    rootkeeper.drill/1, no secret in either); exit 1 on any difference, naming the copy
    and the account. Journaled.

    \b
    Example:
      rootkeeper drill --copy usb-1=/media/usb-vault-1 --copy usb-2=/media/usb-seeds-1 --copy share=/srv/copies/vault.kdbx
    """
    from ..custody.drill import run, write_report
    from ..errors import CheckFailed, InputError

    if not Path(report_dir).is_dir():
        raise InputError(f"report directory {report_dir} does not exist: create it first")
    ws = workspace()
    result = run(ws, list(copies))
    md, js = write_report(result, Path(report_dir))
    ws.record({"event": "drill", "copies": len(result.copies), "differences": len(result.differences),
               "ok": result.ok, "report": md.name})
    for copy in result.copies:
        click.echo(f"{'ok' if copy.ok else 'FAILED':<7} {copy.name:<16} {copy.kind:<6} {copy.accounts:>6} accounts  {copy.path}")
    for live in result.live:
        click.echo(f"compared with the live store {live}")
    for text in result.notes:
        note(text)
    for difference in result.differences:
        click.echo(f"DIFFERENCE {difference}")
    note(f"report: {md} and {js}")
    stamps(ws)
    if not result.ok:
        raise CheckFailed(f"{len(result.differences)} difference{'s' if len(result.differences) != 1 else ''} between "
                          "the copies: bring the stale copies up to date ('rootkeeper media write') and drill again")
