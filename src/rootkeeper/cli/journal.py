"""The ``journal`` command group: show and verify the break-glass record."""

from __future__ import annotations

import click

from .common import CONTEXT, common, emit_json, json_flag, note, warn_all, workspace


@click.group(context_settings=CONTEXT)
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
@json_flag("The records as one JSON object (schema rootkeeper.journal/1), each record as stored.")
def journal_show(as_json):
    """Print the journal's records (no secret is ever in them).

    \b
    Example:
      rootkeeper journal show
    """
    from ..storage.journal import printable

    ws = workspace()
    records = ws.journal().records()
    if as_json:  # JSON escapes control characters itself
        emit_json("journal", {"path": str(ws.journal().path), "records": records})
        return
    for record in records:
        who = record.get("account_id", "")
        name = record.get("account_name", "")
        reason = record.get("reason", "")
        extra = f"  reason: {reason}" if reason else ""
        if record.get("count") is not None:
            extra += f"  count: {record['count']}"
        for key in ("artefact", "medium", "enabled"):  # what a record of media or of AWS says it changed
            if record.get(key):
                value = record[key]
                extra += f"  {key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
        if record.get("interrupted"):
            extra += "  (recorded late: the command was interrupted)"
        line = (f"{record.get('seq')!s:>5}  {record.get('time', '')}  {record.get('actor', '')}  "
                f"{record.get('event', '')}  {who} {name}{extra}".rstrip())
        click.echo(printable(line))
    note(f"{len(records)} records in {ws.journal().path}")


@journal.command(name="verify", context_settings=CONTEXT)
@common
@click.option("--anchor", "anchors", multiple=True, metavar="N:HASH",
              help="A record number and hash noted elsewhere (printed as 'journal: record N sha256:HASH'); "
                   "the hash may be shortened to 16 hex digits or more.")
def journal_verify(anchors):
    """Check the hash chain: exit 1 if a record was edited, removed, reordered or cut off.

    With the stores' secrets given (files or environment, never a prompt) it also opens them: each names
    the journal it belongs to and the last record its last write saw, so a journal deleted with its head,
    cut back, or another directory's is found. A journal with no record beside stores it cannot open is
    a problem, never "ok: 0 records".

    \b
    Examples:
      rootkeeper journal verify
      rootkeeper journal verify --anchor 17:9b2e41c07d1a66f3   (16+ hex digits of a hash from a ticket)
    """
    from ..errors import CheckFailed
    from ..workflows import journal as workflow

    ws = workspace()
    result = workflow.verify(ws, list(anchors))
    for problem in result.problems:
        note(f"problem: {problem}")
    warn_all(result.notes)
    if not result.ok:
        raise CheckFailed(f"journal {ws.journal().path} failed verification ({len(result.problems)} problem(s))")
    click.echo(f"ok: {result.count} records, head sha256:{result.head}")
    if result.count:
        note(f"anchor for a ticket: rootkeeper journal verify --anchor {result.count}:{result.head}")
