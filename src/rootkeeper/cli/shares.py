"""The ``shares`` command group: the seed store's identity split into M-of-N SLIP-39 key shares."""

from __future__ import annotations

from pathlib import Path

import click

from . import inputs
from .common import CONTEXT, common, given, note, stamps, workspace


@click.group(context_settings=CONTEXT)
@common
def shares():
    """Key shares: the seed store's age identity split M-of-N (SLIP-39), rebuilt in memory only.

    Give enough shares to any seed-reading command with --seeds-shares FILE (the
    'mnemonic:' lines of the share files, one a line); a SLIP-39 passphrase goes in
    ROOTKEEPER_SHARES_PASSPHRASE.

    \b
    Examples:
      rootkeeper shares split --threshold 3 --shares 5 -o /media/shares --seeds-identity custodian.agekey
      rootkeeper code prod --reason drill --seeds-shares three-shares.txt
    """


@shares.command(name="split", context_settings=CONTEXT)
@common
@click.option("--threshold", type=int, required=True, metavar="M", help="How many shares rebuild the identity.")
@click.option("--shares", "count", type=int, required=True, metavar="N", help="How many shares to make (at most 16).")
@click.option("-o", "--output", "output", required=True, metavar="DIR",
              help="Directory for share-K-of-N.txt (each 0600, never overwritten): one page per share.")
@click.option("--passphrase-file", metavar="FILE",
              help="A SLIP-39 passphrase for the shares ('-': stdin) [env ROOTKEEPER_SHARES_PASSPHRASE]; default none.")
def shares_split(threshold, count, output, passphrase_file):
    """Split the seed store's age identity (from --seeds-identity) into N shares, any M of which rebuild it.

    Each share names the identity's public key: a rebuild that yields another one (a
    wrong passphrase, shares of another split) is refused. The identity must be one of
    the store's recipients. The split is journaled (threshold, count, recipient).

    \b
    Example:
      rootkeeper shares split --threshold 2 --shares 3 -o shares/ --seeds-identity ~/.age/seeds.agekey
    """
    from ..custody import require
    from ..custody.shares import recipient_of, share_files, split
    from ..errors import InputError
    from ..storage.settings import secret_from_environment

    require(("shamir_mnemonic",), "shares split")
    found = inputs.identities(inputs.settings(given))
    if not found:
        raise InputError("give the identity to split with --seeds-identity FILE (or ROOTKEEPER_SEEDS_IDENTITY)")
    passphrase = (inputs.read_file_secret(passphrase_file, "SLIP-39 passphrase") if passphrase_file
                  else secret_from_environment("key shares' passphrase") or "")
    ws = workspace()
    identity = found[0]
    recipient = recipient_of(identity)
    if ws.config.recipients and recipient not in ws.config.recipients:
        raise InputError(f"the identity given ({recipient}) is not a recipient of the seed store: split the one "
                         "that opens it")
    from ..storage import fsutil

    result = split(identity, threshold, count, passphrase.encode("utf-8"))
    directory = Path(output)
    files = share_files(result, directory)  # refused if a share file exists
    ws.write_files(files, {"event": "shares.split", "threshold": threshold, "shares": count, "recipient": recipient,
                           "passphrase": bool(passphrase)})
    for path, *_rest in files:
        told = fsutil.privacy(path)
        note(f"wrote {path}" + (f"; warning: {told}" if told else " (0600, owner only)"))
    note(f"{count} shares of the identity of {recipient}; any {threshold} rebuild it. Print each on its own page, "
         "give each to its custodian, and delete these files")
    stamps(ws)
