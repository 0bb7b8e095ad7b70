"""The ``drill`` command: a recovery drill over every copy, with a dated report."""

from __future__ import annotations

from pathlib import Path

import click

from .common import CONTEXT, common, note, stamps, workspace
from .formats import FINDING_FORMATS, format_options, guard


@click.command(context_settings=CONTEXT)
@common
@click.option("--copy", "copies", multiple=True, metavar="NAME=PATH",
              help="A copy to drill (repeatable): a medium written by 'media write', or a vault or seed-store file; "
                   "with --plan, a medium's name.")
@click.option("--plan", metavar="PLAN", help="The custody plan: its media by name, every copy it declares when no "
                                             "--copy is given, and each key it places tried against each seed copy.")
@click.option("--report", "report_dir", default=".", show_default=True, metavar="DIR",
              help="Where the dated report goes (drill-YYYY-MM-DD-HHMMSS.md and .json).")
@format_options(("ocsf", "html"))
def drill(copies, report_dir, plan, fmt, output):
    """Restore from every copy: verify each medium, open each vault and seed store, and cross-check them.

    All vault copies must hold the same entries (name, e-mail, password), all seed
    copies the same seeds (the same codes at the same instant), and every account both
    a password and a seed. Each copy is compared with the live store of its kind too
    (a copy older than a rotation is stale); a copy that is the live store or the same
    file as another copy is a difference, not a copy. Writes a Markdown and a JSON report (schema
    rootkeeper.drill/1, no secret in either); exit 1 on any difference, naming the copy
    and the account. Journaled.

    With --plan, the drill proves the recovery paths the plan declares: every copy it
    puts on a medium (a copy not mounted at its path is a difference), and each key it
    places against each seed copy: a key whose identity is given (--seeds-identity, a
    file of several; --seeds-shares) must decrypt the copy alone, a key that is not one
    of the copy's recipients is a difference, a key not given is reported untried.

    \b
    Examples:
      rootkeeper drill --copy usb-1=/media/usb-vault-1 --copy usb-2=/media/usb-seeds-1 --copy share=/srv/copies/vault.kdbx
      rootkeeper drill --plan custody-plan.toml --seeds-identity keys.txt
      rootkeeper drill --plan custody-plan.toml --format html -o drill.html

    With --format ocsf or html, the results (one per copy, pass or fail) also go
    to -o FILE or standard output, with the journal record of the drill.
    """
    from ..custody.drill import run, write_report
    from ..errors import CheckFailed, InputError
    from .formats import chosen

    fmt = chosen(fmt, False, output)
    if fmt == "json":
        raise InputError("drill writes its JSON report into --report DIR: use --format ocsf or html for findings")
    if not Path(report_dir).is_dir():
        raise InputError(f"report directory {report_dir} does not exist: create it first")
    parsed = None
    if plan is not None:
        from ..custody.plan import read_plan

        parsed = read_plan(Path(plan))
    elif not copies:
        raise InputError("a drill needs copies: --copy NAME=PATH (repeatable), or --plan PLAN for every copy it declares")
    ws = workspace()
    guard(ws, output)
    result = run(ws, list(copies), plan=parsed)
    md, js = write_report(result, Path(report_dir))
    ws.record({"event": "drill", "copies": len(result.copies), "differences": len(result.differences),
               "ok": result.ok, "report": md.name})
    # With a finding format on standard output, the lines a person reads go to stderr: stdout stays one document.
    echo = click.echo if fmt == "text" or output else note
    for copy in result.copies:
        echo(f"{'ok' if copy.ok else 'FAILED':<7} {copy.name:<16} {copy.kind:<6} {copy.accounts:>6} accounts  {copy.path}")
    for live in result.live:
        echo(f"compared with the live store {live}")
    for key in result.keys:
        echo(f"{key['result']:<15} {key['copy']:<16} {key['where']} ({key['key'][:16]}...)")
    for text in result.notes:
        note(text)
    for difference in result.differences:
        echo(f"DIFFERENCE {difference}")
    note(f"report: {md} and {js}")
    if fmt in FINDING_FORMATS:
        from ..custody.drill import findings_run
        from .formats import emit

        emit(findings_run(result, ws.anchor()), fmt, output)
    stamps(ws)
    if not result.ok:
        raise CheckFailed(f"{len(result.differences)} difference{'s' if len(result.differences) != 1 else ''} between "
                          "the copies: bring the stale copies up to date ('rootkeeper media write') and drill again")
