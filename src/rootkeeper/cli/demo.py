"""The ``demo`` command: the whole job on a simulated organization (the only product code that uses ``sim``)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from .common import CONTEXT, common


@click.command(context_settings=CONTEXT)
@click.option("--accounts", "count", type=int, default=8, show_default=True,
              help="How many member accounts (every planted state appears from 6 up).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="A new directory for everything [default ./rootkeeper-demo-<time>].")
@click.option("--kdf-memory-mib", type=int, default=256, show_default=True, help="Argon2id memory of the demo vault.")
@click.option("--kdf-iterations", type=int, default=8, show_default=True, help="Argon2id iterations.")
@common
def demo(count, out, kdf_memory_mib, kdf_iterations):
    """Run the whole job end to end on a simulated AWS Organization; no AWS account needed.

    Enrollment through a simulated console, break glass, centralized root
    access, the audit, delete-root through AssumeRoot, the audit again.

    \b
    Examples:
      rootkeeper demo
      rootkeeper demo --accounts 50 --out /tmp/rk-demo
    """
    from ..sim.demo import run
    from ..stores.vault import KdfParams

    target = Path(out) if out else Path(f"rootkeeper-demo-{time.strftime('%Y%m%d-%H%M%S')}")
    run(target, count, click.echo, KdfParams(kdf_memory_mib, kdf_iterations, 2))
