"""The thin command-line layer: parse, prompt, print, and map typed errors to exit codes.

- ``common``: the options every command shares, the workspace, table printing, revealing a secret;
- ``inputs``: where secrets and input files come from (a file, ``-`` for stdin, the environment, a prompt);
- ``app``: the root group and the top-level commands;
- one file per command group: ``seeds``, ``journal``, ``paper``, ``custody``, ``media``, ``drill``, ``shares``,
  ``org``, ``demo``.

Every command is registered here, in one list. The commands only ask, confirm and print;
every decision and every write is a library call.
"""

from __future__ import annotations

import sys


def build():
    """The ``rootkeeper`` group with every command registered."""
    from . import app, custody, demo, drill, journal, media, org, paper, seeds, shares
    from .common import GLOBAL_EPILOG

    commands = [app.init, app.enroll, app.code, app.password, app.list_, app.rotate, app.retire, app.adopt,
                seeds.seeds, journal.journal, paper.paper, custody.custody, media.media, drill.drill,
                shares.shares, org.org, demo.demo]
    for command in commands:
        app.cli.add_command(command)
    pending = list(commands)
    while pending:  # each command's help ends by pointing at the global options, listed once
        command = pending.pop()
        command.epilog = command.epilog or GLOBAL_EPILOG
        pending += getattr(command, "commands", {}).values()
    return app.cli


def main(argv: list[str] | None = None) -> None:
    import click

    from ..errors import RootkeeperError
    from ..hygiene import no_core_dumps

    no_core_dumps()  # before any secret is read
    cli = build()

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="rootkeeper", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        code = 2
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        message = exc.format_message().replace("\n", " ")
        click.echo(f"error: {message}{hint}", err=True)
        code = 2
    except click.Abort:
        click.echo("error: interrupted; nothing further was written", err=True)
        code = 2
    except RootkeeperError as exc:
        if debug:
            raise
        click.echo(f"error: {exc.message}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("error: interrupted; nothing further was written", err=True)
        code = 2
    except OSError as exc:
        if debug:
            raise
        where = f" {exc.filename}" if exc.filename else ""
        click.echo(f"error: cannot use{where}: {exc.strerror or exc.__class__.__name__}: check the path and its permissions", err=True)
        code = 2
    except Exception as exc:  # never print a message that might carry a secret
        if debug:
            raise
        click.echo(
            f"error: unexpected {exc.__class__.__name__}; nothing was printed of it, to keep secrets out of "
            "logs: run again with --debug for a traceback, and report it",
            err=True,
        )
        code = 2
    sys.exit(code if isinstance(code, int) else 0)
