"""The ``media`` command group: artefacts onto a mounted medium with a manifest, and verifying it."""

from __future__ import annotations

from pathlib import Path

import click

from .common import CONTEXT, common, note, stamps, workspace

ARTEFACTS = ["vault", "vault-key", "seeds", "seeds-identity", "emergency-sheet", "seed-sheet"]


@click.group(context_settings=CONTEXT)
@common
def media():
    """Copies on media (USB drives, a share's folder), each with a manifest, and their verification.

    \b
    Examples:
      rootkeeper media write vault /media/usb-vault-1
      rootkeeper media verify /media/usb-vault-1 --deep
    """


@media.command(name="write", context_settings=CONTEXT)
@common
@click.argument("artefact", type=click.Choice(ARTEFACTS), metavar="ARTEFACT")
@click.argument("dest", metavar="DEST")
@click.option("--plan", metavar="PLAN", help="The custody plan: DEST may then be one of its media by name (its path), "
                                             "and ARTEFACT must be one the plan puts on that medium.")
def media_write(artefact, dest, plan):
    """Copy ARTEFACT (vault, vault-key, seeds, seeds-identity, emergency-sheet, seed-sheet) onto the medium
    mounted at DEST, read it back, and record it in DEST's manifest.

    A medium carries one side: a seed artefact is refused on a medium that holds a
    password artefact (by its manifest or its files), and the reverse. The sheets are
    printed to the medium as PDFs. Journaled (artefact, medium, SHA-256, and with --plan
    the medium's name in the plan).

    \b
    Examples:
      rootkeeper media write vault /media/usb-vault-1
      rootkeeper media write seeds /media/usb-seeds-1 --seeds-identity custodian.agekey
      rootkeeper media write seeds usb-seeds-2 --plan custody-plan.toml
    """
    from ..custody.media import destination, write

    directory, medium = Path(dest), None
    if plan is not None:
        from ..custody.plan import read_plan

        directory, medium = destination(read_plan(Path(plan)), dest, artefact)
    ws = workspace()
    written = write(ws, artefact, directory, medium=medium)
    note(f"wrote {written.path} ({written.size:,} bytes, SHA-256 {written.sha256[:16]}...), read back and "
         f"listed in {directory / 'rootkeeper-manifest.json'}" + (f" (medium {medium} of the plan)" if medium else ""))
    if artefact in ("seeds-identity", "vault-key"):  # a key in the clear: say who else may read it
        from ..storage import fsutil

        told = fsutil.privacy(written.path)
        if told:
            note(f"warning: {told}")
    stamps(ws)


@media.command(name="verify", context_settings=CONTEXT)
@common
@click.argument("dest", metavar="DEST")
@click.option("--deep", is_flag=True, help="Also open the vault and decrypt the seed store (with the usual secrets) "
                                           "and list their accounts.")
def media_verify(dest, deep):
    """Check every file on the medium at DEST against its manifest: any changed, missing or extra file
    (exit 1).

    \b
    Examples:
      rootkeeper media verify /media/usb-vault-1
      rootkeeper media verify /media/usb-seeds-1 --deep --seeds-identity custodian.agekey
    """
    from ..custody.media import verify
    from ..errors import CheckFailed

    result = verify(Path(dest), workspace() if deep else None)
    bad = {p.file for p in result.problems}
    for entry in result.entries:
        if entry["file"] not in bad:
            click.echo(f"ok       {entry['artefact']:<16} {entry['file']}  sha256 {entry['sha256'][:16]}...")
    for problem in result.problems:
        click.echo(f"{problem.kind.upper():<8} {problem.file}: {problem.detail}")
    if result.metadata:
        note(f"not copies, left alone: {len(result.metadata)} file(s) the operating system wrote there "
             f"({', '.join(result.metadata[:4])}{', ...' if len(result.metadata) > 4 else ''})")
    for file, accounts in result.accounts.items():
        click.echo(f"{file} opens: {len(accounts)} accounts")
        for account_id, name in accounts:
            click.echo(f"  {account_id}  {name}")
    if result.problems:
        raise CheckFailed(f"{len(result.problems)} problem{'s' if len(result.problems) != 1 else ''} on {dest}: restore "
                          "the medium from another copy ('rootkeeper media write' again)")
