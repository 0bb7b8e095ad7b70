"""What every command-line file shares: the common options, the workspace, printing, revealing a secret."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import inputs
from .options import COMMON, DEBUG

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

GLOBAL_EPILOG = ("Global options (--config, --vault, --seeds, the secret files, --journal, --sync-folder, --profile, --region, "
                 "--debug) work before or after any command name: see 'rootkeeper --help'.")


def with_epilog(command: click.Command) -> click.Command:
    """Each command's help ends by pointing at the global options, listed once (on the root group)."""
    pending = [command]
    while pending:
        current = pending.pop()
        current.epilog = current.epilog or GLOBAL_EPILOG
        pending += getattr(current, "commands", {}).values()
    return command


class LazyGroup(click.Group):
    """The root group: the command groups in ``lazy`` (command name -> module of ``cli``, which defines
    a command of that name) are imported when first used, so that a break-glass command does not
    import every other command's module (and what those import)."""

    lazy: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy:
            import importlib

            module = importlib.import_module(f"{__package__}.{self.lazy[name]}")
            self.add_command(with_epilog(getattr(module, name)))
        return super().get_command(ctx, name)

    def load_all(self) -> LazyGroup:
        """Every command loaded (for walking the whole tree)."""
        for name in self.lazy:
            self.get_command(click.Context(self), name)
        return self


# ------------------------------------------------------------------ options given anywhere on the line
def remember(ctx: click.Context, param: click.Parameter, value):
    """Callback of options that may come before or after the command name: kept in the context's meta."""
    if value not in (None, False):
        ctx.meta[f"rk.{param.name}"] = value
        if param.name == "debug":
            from . import DEBUG

            DEBUG["on"] = True
    return value


def _common(func, *, hidden: bool):
    func = click.option(DEBUG[1], DEBUG[0], is_flag=True, expose_value=False, callback=remember, hidden=hidden,
                        help=DEBUG[2])(func)
    for name, flag, metavar, text in reversed(COMMON):
        func = click.option(flag, name, metavar=metavar, help=text, expose_value=False, callback=remember,
                            hidden=hidden)(func)
    return func


def common(func):
    """The global options (configuration, store paths, where secrets come from, AWS profile and
    region, --debug), accepted by every command and group; listed once, in the root's help."""
    return _common(func, hidden=True)


def global_options(func):
    """The same options, shown: for the root group."""
    return _common(func, hidden=False)


def reason_option(func):
    """``--reason TEXT`` of a change to custody or a bulk reveal: recorded; asked for on a terminal."""
    return click.option("--reason", metavar="TEXT",
                        help="Why (recorded in the journal). Asked for on a terminal; a script may leave it out.")(func)


def json_flag(text: str = "JSON for pipelines."):
    """``--json``, passed to the command as ``as_json``."""
    return click.option("--json", "as_json", is_flag=True, help=text)


def complete_account(ctx: click.Context, _param, incomplete: str):
    """Shell completion of ACCOUNT from what needs no secret: the account ids and names the journal
    records (the configuration says where it is), and those the stores held at their last write
    (``<journal>.accounts``, for accounts imported or migrated in bulk). A store is never opened to complete."""
    from click.shell_completion import CompletionItem

    from ..storage.journal import Journal
    from ..storage.settings import resolve

    try:
        journal = Journal(resolve(lambda name: ctx.meta.get(f"rk.{name}")).journal)
        seen: dict[str, str] = {}
        for record in journal.records():
            account_id, name = record.get("account_id"), record.get("account_name")
            if isinstance(account_id, str) and account_id:
                seen[account_id] = name if isinstance(name, str) else ""
        names = Path(str(journal.path) + ".accounts")  # what the stores held at their last write (bulk imports)
        if names.is_file():
            seen.update(line.split("\t", 1) for line in names.read_text().splitlines() if "\t" in line)
    except Exception:  # noqa: BLE001 - completion must never fail loudly
        return []
    words = sorted({*seen, *(n for n in seen.values() if n)})
    return [CompletionItem(w, help=seen.get(w)) for w in words if w.startswith(incomplete)]


def account_argument(func):
    """ACCOUNT (a 12-digit id or an exact name), completed from the journal."""
    return click.argument("account", shell_complete=complete_account)(func)


SCHEMA_VERSION = 1


def emit_json(name: str, payload: dict, *, one_per_line: str | None = None) -> None:
    """A --json output: one object, ``schema`` first (``rootkeeper.<name>/1``, documented by
    ``schemas/<name>.schema.json``), then the payload. ``one_per_line``: the key of a long list whose
    items are written one a line, compactly (json's C encoder; indenting 100,000 objects takes seconds)."""
    import json

    document = {"schema": f"rootkeeper.{name}/{SCHEMA_VERSION}", **payload}
    if one_per_line is None or not document.get(one_per_line):
        click.echo(json.dumps(document, indent=2))
        return
    items, marker = document[one_per_line], "\x00items\x00"
    document[one_per_line] = marker
    head, tail = json.dumps(document, indent=2).split(json.dumps(marker))
    encode = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": ")).encode
    click.echo(head + "[\n    " + ",\n    ".join(encode(item) for item in items) + "\n  ]" + tail)


def given(name: str):
    """The value of a remembered option (None when not given)."""
    return click.get_current_context().meta.get(f"rk.{name}")


def workspace(*, writer: bool = False, **overrides):
    """The stores and the journal of this command (``inputs.make_workspace`` from its options); the locks
    a writer holds are released when the command ends, however it ends."""
    ws = inputs.make_workspace(given, writer=writer, **overrides)
    click.get_current_context().call_on_close(lambda: told(ws))
    click.get_current_context().call_on_close(ws.release)
    return ws


# ------------------------------------------------------------------ printing
def note(text: str) -> None:
    """A line for the person (stderr); stdout carries only what a pipeline reads. On a terminal, a line
    wider than it is wrapped at word boundaries, its indentation kept (never a word broken in two)."""
    click.echo(inputs.wrapped(text), err=True)


def told(ws) -> None:
    """The workspace's warnings, each once (what it found that did not stop the command)."""
    warn_all(ws.warnings)
    ws.warnings.clear()


def stamps(ws) -> None:
    told(ws)
    for seq, digest in ws.stamps:
        note(f"journal: record {seq} sha256:{digest}")


def warn_all(messages) -> None:
    for message in messages:
        note(f"warning: {message}")


def print_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A rich table on a terminal; aligned plain columns for pipes and logs."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Column, Table

        # A table only where every column fits whole; on a narrower terminal each row is a record: its first
        # three cells (account, name, state or verdict) on one line, every other column below, wrapped at
        # word boundaries. Nothing is left out, nothing is broken mid-word.
        console = Console()
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
        if sum(w + 3 for w in widths) + 1 <= console.width:
            table = Table(*(Column(h, no_wrap=True, min_width=w) for h, w in zip(headers, widths, strict=True)))
            for row in rows:
                table.add_row(*row)
            console.print(table)
        else:
            for line in stacked(headers, rows, console.width):
                click.echo(line)
        return
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def stacked(headers: tuple[str, ...], rows: list[tuple[str, ...]], width: int) -> list[str]:
    """Rows as records for a narrow terminal: the first three cells on one line, then ``HEADER: value`` for
    every other non-empty cell, indented, wrapped at word boundaries (a long e-mail or ARN stays whole)."""
    import textwrap

    out = []
    for row in rows:
        out.append("  ".join(row[:3]))
        rest = "   ".join(f"{h.lower()}: {c}" for h, c in zip(headers[3:], row[3:], strict=True) if c)
        if rest:
            out += textwrap.wrap(rest, max(20, width - 1), initial_indent="    ", subsequent_indent="    ",
                                 break_long_words=False, break_on_hyphens=False)
    return out


def reveal(secret: str, how: str, seconds: int, label: str) -> None:
    """``show``: the secret alone on stdout. ``clip``: on the clipboard, cleared after ``seconds``."""
    from ..workflows import clipboard

    if how == "show":
        click.echo(secret)
        note(label)
        return
    def copied(held) -> None:
        note(f"copied to the clipboard ({label}); clearing it in {seconds}s (Ctrl-C clears it now)")
        if held.caveat:
            note(f"note: {held.caveat}")

    cleared, stopped_by = clipboard.hold(secret, seconds, copied)
    note("clipboard cleared" if cleared else "clipboard already holds something else; left alone")
    if stopped_by is not None:
        raise SystemExit(128 + stopped_by)
