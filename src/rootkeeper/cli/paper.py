"""The ``paper`` command group: the emergency sheet, the seed sheet, and restore from a scan.

reportlab, segno, pypdfium2 and zxing-cpp are imported by the commands' library calls only, so
``--help`` loads none of them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..paper import emergency, seedsheet
from ..paper.pdf import PAPERS
from . import inputs
from .common import CONTEXT, common, note, stamps, warn_all, workspace

PAPER = click.option("--paper", type=click.Choice(PAPERS), default=PAPERS[0], show_default=True,
                     help="Paper size.")
OUTPUT = click.option("-o", "--output", "output", metavar="FILE.pdf",
                      help="Write the PDF to a new file (created 0600, never overwritten); '-' for stdout, e.g. "
                           "'-o - | lp' (Linux, macOS). Default: stdout when it is not a terminal.")


@click.group(context_settings=CONTEXT)
@common
def paper():
    """Printed backups: the vault's emergency sheet, the seed sheet, restore from a scan.

    Both sheets are secrets (the seed sheet holds every seed in plaintext): print them
    straight from stdout, or write a new 0600 file and delete it once printed. Every
    printing and every restore is journaled. Needs the optional packages:
    pip install 'rootkeeper[paper]'.

    \b
    Examples:
      rootkeeper paper emergency-sheet --location "USB drive 1, safe" -o - | lp
      rootkeeper paper seeds -o E:\\seeds.pdf   (Windows has no lp: print, delete)
      rootkeeper paper restore seed-sheet-scan.pdf --into restored-seeds.age
    """


def _target(output: str | None) -> Path | None:
    """Where the PDF goes: None for stdout. Refused before anything is rendered or journaled."""
    from ..errors import ExistsError, InputError

    if output in (None, "-"):
        if output is None and sys.stdout.isatty():
            raise InputError("a PDF is not for the terminal: give -o FILE.pdf, or -o - and a pipe (-o - | lp)")
        return None
    path = Path(output)
    if path.exists() or path.is_symlink():
        raise ExistsError(f"{output} already exists: a sheet never overwrites a file; choose a new name")
    if not path.parent.is_dir():
        raise InputError(f"directory {path.parent} does not exist: create it first")
    return path


def _print(output: str | None, command: str, what: str, make):
    """Check the packages and the target, render and journal (``make(workspace)``), then write the PDF to
    stdout or a new 0600 file. Returns the sheet; the journal stamps are printed."""
    from ..paper import PRINTING, require

    require(PRINTING, command)
    target = _target(output)
    ws = workspace()
    sheet = make(ws)
    if target is None:  # a printing that cannot be recorded does not happen: recorded, then sent
        ws.record(sheet.event)
        stream = click.get_binary_stream("stdout")
        stream.write(sheet.pdf)
        stream.flush()
    else:  # written, then recorded: a disk that is full or read-only gets no record
        from ..storage import fsutil

        ws.write_files([(target, sheet.pdf, None, 0o600)], sheet.event)
        told = fsutil.privacy(target)
        note(f"wrote {target} ({'' if told else '0600, owner only, '}{len(sheet.pdf):,} bytes): {what}"
             + (f"; warning: {told}" if told else ""))
    stamps(ws)
    return sheet


@paper.command(name="emergency-sheet", context_settings=CONTEXT)
@common
@OUTPUT
@PAPER
@click.option("--location", "locations", multiple=True, metavar="TEXT",
              help="Where a copy of the vault lives (repeatable), e.g. 'network share \\\\fs1\\root-vault'. "
                   "Without it the sheet has blanks to fill in by hand.")
@click.option("--plan", "plan", metavar="PLAN",
              help="A custody plan: the media that carry the vault (label, kind, place, site) are where its copies live.")
@click.option("--classification", default=emergency.DEFAULT_CLASSIFICATION, show_default=True,
              help="The marking in the banners.")
def emergency_sheet(output, paper, locations, plan, classification):
    """Print the vault's emergency sheet (one page; it holds no secret and no seed).

    Which database this is (file name, creation date, database id, SHA-256), what it
    is for and what must never be stored in it, where its copies live (from --plan
    and --location; else blanks), blanks for the master password and key file to be
    written by hand, and how to recover. It says
    that the MFA seeds are held apart, never where. Opens the vault to read its facts.

    \b
    Examples:
      rootkeeper paper emergency-sheet -o - | lp   (Linux, macOS)
      rootkeeper paper emergency-sheet --location "USB 1, safe" -o e.pdf (Windows)
      rootkeeper paper emergency-sheet --plan custody-plan.toml -o - | lp
    """
    places, keys = list(locations), []
    if plan is not None:
        from ..custody.plan import device_lines, read_plan, vault_locations

        places = vault_locations(Path(plan), emergency.MAX_LOCATIONS) + places
        keys = device_lines(read_plan(Path(plan)), where=False)  # the seed side's whereabouts are not the vault's

    def make(ws):
        from ..paper.emergency import print_emergency_sheet

        return print_emergency_sheet(ws, paper=paper, classification=classification, locations=places,
                                     devices=keys)

    sheet = _print(output, "paper emergency-sheet", "the vault's emergency sheet; fill in its blanks by hand once "
                   "printed", make)
    note(f"emergency sheet of vault {sheet.facts.file_name} ({sheet.facts.entries} entries, SHA-256 "
         f"{sheet.facts.sha256[:16]}...)")


@paper.command(name="seeds", context_settings=CONTEXT)
@common
@OUTPUT
@PAPER
@click.option("--classification", default=seedsheet.DEFAULT_CLASSIFICATION, show_default=True,
              help="The marking in the banners.")
@click.option("--plan", "plan", metavar="PLAN",
              help="A custody plan: its FIDO keys and hardware tokens (and where they live) are named on the sheet.")
@click.argument("accounts", nargs=-1, metavar="[ACCOUNT]...")
def seeds_sheet(output, paper, classification, plan, accounts):
    """Print the seed sheet: every active seed (or the ACCOUNTs named), with QR codes.

    Per account: a QR code of its otpauth:// URI (an authenticator app shows Amazon Web
    Services and NAME (ACCOUNT_ID)), and its id, name, e-mail, device and seed in groups
    of four, each line with a 3-character check. Every page: a classification banner,
    page x of y, the record count and the sheet's checksum, and a marker code. It never
    holds a password. The typed-line format is in the README ('Paper').

    \b
    Examples:
      rootkeeper paper seeds -o - | lp        (Linux, macOS: never on a disk)
      rootkeeper paper seeds -o sheet.pdf     (Windows: print it, delete it)
      rootkeeper paper seeds 123456789012 prod-payments -o - | lp
    """
    keys = []
    if plan is not None:
        from ..custody.plan import device_lines, read_plan

        keys = device_lines(read_plan(Path(plan)), where=True)

    def make(ws):
        from ..paper.seedsheet import print_seed_sheet

        return print_seed_sheet(ws, list(accounts), paper=paper, classification=classification, devices=keys)

    sheet = _print(output, "paper seeds", "the seeds in plaintext; print it, then delete it", make)
    note(f"seed sheet: {sheet.count} seeds on {sheet.pages} page{'s' if sheet.pages > 1 else ''}, "
         f"checksum {sheet.checksum}")


@paper.command(name="restore", context_settings=CONTEXT)
@common
@click.argument("scans", nargs=-1, metavar="[SCAN]...")
@click.option("--typed", "typed_file", metavar="FILE",
              help="Typed lines for the codes that cannot be read ('-': stdin), exactly as printed: "
                   "ACCOUNT_ID TAG VALUE CHECK; and 'sheet COUNT CHECKSUM' when no page marker is readable.")
@click.option("--into", "into", metavar="STORE",
              help="The seed store to write: a new file is created (encrypted to the configured recipients, "
                   "else a passphrase), an existing one is merged into. Default: the configured store.")
@click.option("--replace", is_flag=True, help="Replace an account's different seed in an existing store.")
@click.option("--allow-incomplete", is_flag=True,
              help="Restore the records read even when some are missing (they are named), if a page marker of this "
                   "printing lists each; without it, nothing.")
def restore(scans, typed_file, into, replace, allow_incomplete):
    """Restore seeds from scans of a seed sheet (PDF pages, PNG or JPEG), all or nothing.

    The QR codes are decoded; where one is unreadable, its typed lines fill in, and a
    line whose check fails is named. The records are compared with the sheet's record
    count and checksum before anything is written: a missing page is named, and so
    is each account whose code could not be read on a page that was. Typed lines
    alone (no SCAN) restore too.

    \b
    Examples:
      rootkeeper paper restore scan.pdf --into restored-seeds.age
      rootkeeper paper restore page1.png page2.jpg --typed unreadable.txt
      rootkeeper paper restore --typed whole-sheet.txt --into restored-seeds.age
    """
    from ..errors import InputError
    from ..paper import READING, require

    if not scans and typed_file is None:
        raise InputError("give the scans (PDF, PNG or JPEG files), or --typed FILE: nothing to restore from")
    if scans:
        require(READING, "paper restore")
    typed = inputs.read_input_file(typed_file, "typed lines file") if typed_file is not None else None
    from ..paper.restore import restore as run

    ws = workspace(writer=True, **({"seeds": Path(into)} if into is not None else {}))
    result = run(ws, [Path(s) for s in scans], typed, replace=replace, allow_incomplete=allow_incomplete)
    warn_all(result.warnings)
    state = "created" if result.created else "merged into"
    note(f"read {result.read} records ({result.typed} from typed lines), sheet checksum "
         f"{'verified' if result.complete else 'NOT verified: incomplete'}; {len(result.added)} added; "
         f"{state} {result.path}")
    stamps(ws)
