"""``--format`` and ``-o``: a check's results as OCSF, ASFF or an HTML page (shared by the checking commands)."""

from __future__ import annotations

import click

FINDING_FORMATS = ("ocsf", "asff", "html")


def format_options(formats: tuple[str, ...] = FINDING_FORMATS):
    """``--format`` (text, json, and the finding formats) and ``-o/--output FILE``."""
    def decorate(func):
        func = click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False),
                            help="Write the --format output to FILE (atomically) instead of standard output.")(func)
        return click.option("--format", "fmt", type=click.Choice(("text", "json", *formats)), default=None,
                            help="text (default), json (as --json), ocsf (OCSF 1.5 Compliance Findings, a JSON array)"
                                 + (", asff (Security Hub's format, a JSON array)" if "asff" in formats else "")
                                 + ", html (a self-contained page).")(func)
    return decorate


def chosen(fmt: str | None, as_json: bool, output: str | None, as_csv: bool = False) -> str:
    """The one output asked for: --json and --csv are --format json and csv; -o needs a finding format."""
    from ..errors import InputError

    if sum(bool(x) for x in (fmt, as_json, as_csv)) > 1:
        raise InputError("--format, --json and --csv exclude each other: choose one")
    fmt = fmt or ("json" if as_json else "csv" if as_csv else "text")
    if output and fmt not in FINDING_FORMATS:
        raise InputError(f"-o/--output writes a --format ocsf, asff or html output, not {fmt}: add --format, or "
                         "redirect standard output")
    if output:  # said before any work (an audit of thousands of accounts), not after it
        from pathlib import Path

        target = Path(output)
        if not target.parent.is_dir():
            raise InputError(f"-o {output}: directory {target.parent} does not exist: create it first")
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise InputError(f"-o {output} is not a regular file: give a new file's name (a report is replaced "
                             "whole, never written through a link)")
    return fmt


def guard(ws, output: str | None) -> None:
    """A report never replaces the team's files: the vault, the seed store, the journal, the configuration
    (checked as soon as the command knows them, before any work)."""
    from pathlib import Path

    if output is None:
        return

    from ..errors import InputError
    from ..storage import fsutil

    target = fsutil.real(Path(output))
    settings = ws.settings
    for what, path in (("the vault", settings.vault), ("the seed store", settings.seeds),
                       ("the journal", settings.journal), ("the configuration", settings.config_path)):
        if path is not None and fsutil.real(Path(path)) == target:
            raise InputError(f"-o {output} is {what}: write the report to a file of its own")
    if target.name.startswith(fsutil.real(Path(settings.journal)).name):
        raise InputError(f"-o {output} is one of the journal's files: write the report to a file of its own")


def emit(run, fmt: str, output: str | None, *, account: str = "", partition: str = "aws", region: str = "") -> None:
    """Write ``run`` (findings.results.Run) in ``fmt``: to ``output`` atomically, or to standard output."""
    if fmt == "ocsf":
        from ..findings.ocsf import document

        text = document(run)
    elif fmt == "asff":
        from ..findings import asff

        text = asff.document(run.results, account=account, partition=partition, region=region, now=run.at)
    else:
        from ..findings.html import page

        text = page(run)
    if output is None:
        click.echo(text)
        return
    from pathlib import Path

    from ..storage import fsutil

    fsutil.atomic_write(Path(output), (text if text.endswith("\n") else text + "\n").encode("utf-8"), mode=0o644)
    from .common import note

    note(f"wrote {output} ({fmt}, {len(run.results)} result(s))")
