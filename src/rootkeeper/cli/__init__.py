"""The thin command-line layer: parse, prompt, print, and map typed errors to exit codes.

- ``common``: the options every command shares, the workspace, table printing, revealing a secret;
- ``inputs``: where secrets and input files come from (a file, ``-`` for stdin, the environment, a prompt);
- ``app``: the root group and the top-level commands;
- one file per command group: ``seeds``, ``journal``, ``paper``, ``custody``, ``media``, ``drill``, ``shares``,
  ``org``, ``demo``, ``completion``, ``sim``, ``policies``; ``locks`` (the ``unlock`` command); ``formats``
  (``--format`` and ``-o`` of the checking commands).

Every command is registered here, in one list (the groups are imported when first used). The commands only ask, confirm and print;
every decision and every write is a library call.
"""

from __future__ import annotations

import sys

# The command groups, each in its own file (command name -> module): imported only when used.
GROUPS = {"seeds": "seeds", "journal": "journal", "paper": "paper", "custody": "custody", "media": "media",
          "drill": "drill", "shares": "shares", "org": "org", "demo": "demo", "completion": "completion", "sim": "sim", "unlock": "locks",
          "policies": "policies"}


def build(*, load_all: bool = True):
    """The ``rootkeeper`` group with every command registered; ``load_all=False``: the command
    groups are imported when first used (what the console script does)."""
    from . import app
    from .common import with_epilog

    for command in (app.init, app.enroll, app.code, app.password, app.list_, app.rotate, app.retire, app.adopt):
        app.cli.add_command(with_epilog(command))
    app.cli.lazy = GROUPS
    return app.cli.load_all() if load_all else app.cli


# --debug as the command line's parser read it (quick's, or click's callback): never a bare "--debug" found
# anywhere among the arguments, which may be the value of an option (--reason --debug).
DEBUG = {"on": False}


def main(argv: list[str] | None = None) -> None:
    from ..hygiene import no_core_dumps
    from . import quick

    no_core_dumps()  # before any secret is read
    for stream in (sys.stdout, sys.stderr):  # a Windows code page or an ASCII locale: no UnicodeEncodeError
        if getattr(stream, "errors", "") == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = sys.argv[1:] if argv is None else argv
    DEBUG["on"] = False
    request = quick.parse(args)
    if request is not None:  # break glass with plain arguments: the same command, without importing click
        DEBUG["on"] = bool(request.get("debug"))
        code = _guarded(lambda: quick.run(request))
    else:
        code = _guarded(lambda: _click_main(args))
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head): nothing more can be said there
            code = code or 2
            _to_devnull(stream)
    sys.exit(code)


def _to_devnull(stream) -> None:
    """What is left in ``stream``'s buffer goes nowhere at exit (Python would report the closed pipe)."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    except (OSError, ValueError):
        pass


def _click_main(args: list[str]) -> int:
    import click

    cli = build(load_all=False)
    try:
        code = cli.main(args=args, prog_name="rootkeeper", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 2
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        message = exc.format_message().replace("\n", " ")
        click.echo(f"error: {message}{hint}", err=True)
        return 2
    except click.Abort:
        click.echo("error: interrupted; nothing further was written", err=True)
        return 2
    return code if isinstance(code, int) else 0


def _guarded(body) -> int:
    """Run a command; map a failure to one ``error:`` line and its exit code (a traceback only with --debug)."""
    from ..errors import RootkeeperError

    def error(text: str) -> None:
        print(f"error: {text}", file=sys.stderr, flush=True)

    try:
        return body()
    except RootkeeperError as exc:
        if DEBUG["on"]:
            raise
        error(exc.message)
        return exc.exit_code
    except KeyboardInterrupt:
        error("interrupted; nothing further was written")
        return 2
    except OSError as exc:
        if DEBUG["on"]:
            raise
        where = f" {exc.filename}" if exc.filename else ""
        error(f"cannot use{where}: {exc.strerror or exc.__class__.__name__}: check the path and its permissions")
        return 2
    except Exception as exc:  # never print a message that might carry a secret
        if DEBUG["on"]:
            raise
        error(f"unexpected {exc.__class__.__name__}; nothing was printed of it, to keep secrets out of "
              "logs: run again with --debug for a traceback, and report it")
        return 2
