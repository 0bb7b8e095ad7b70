"""The ``seeds`` command group: import into and export out of the seed store."""

from __future__ import annotations

import click

from . import inputs
from .common import CONTEXT, common, note, stamps, warn_all, workspace


@click.group(context_settings=CONTEXT)
@common
def seeds():
    """Import and export the seed store.

    \b
    Examples:
      rootkeeper seeds import mfa-seeds.csv
      rootkeeper seeds export --format otpauth > /dev/shm/uris.txt
    """


@seeds.command(name="import", context_settings=CONTEXT)
@common
@click.argument("file")
@click.option("--replace", is_flag=True, help="Replace seeds of accounts that already have a different one.")
def seeds_import(file, replace):
    """Import seeds from FILE ('-': stdin), all or nothing.

    Formats, detected: a CSV whose first four columns are exactly
    Account #,Account Name,Account Email,MFA Seed (more may follow); the
    write-up's pipe-separated table; otpauth:// URIs one a line. One bad row and
    nothing is imported; the error names the row.

    \b
    Examples:
      rootkeeper seeds import legacy-mfa.csv
      rootkeeper seeds import - < otpauth-uris.txt
    """
    from ..seeds.transfer import import_seeds

    text, source = inputs.read_input_file(file, "import file")
    ws = workspace()
    result = import_seeds(ws, text, source, replace=replace)
    warn_all(result.warnings)
    if not result.added:
        note(f"nothing to import: all {result.rows} seeds are already in the store")
        return
    note(f"imported {len(result.added)} seeds ({result.before} active before, {result.after} now) into {result.path}")
    stamps(ws)


@seeds.command(name="export", context_settings=CONTEXT)
@common
@click.option("--format", "fmt", type=click.Choice(["csv", "otpauth", "json"]), default="csv", show_default=True)
@click.option("--all", "include_all", is_flag=True, help="Include replaced and retired rows.")
def seeds_export(fmt, include_all):
    """Write the seeds in plaintext to stdout (an export you asked for; it is journaled).

    \b
    Examples:
      rootkeeper seeds export > /media/usb-mfa/plain.csv   (only onto encrypted media)
      rootkeeper seeds export --format otpauth | qrencode ...
    """
    from ..seeds.transfer import export_seeds

    ws = workspace()
    click.echo(export_seeds(ws, fmt, include_all=include_all), nl=False)
    stamps(ws)
