"""The ``completion`` command: the shell's completion script (click's), to source or to save."""

from __future__ import annotations

import click

from .common import CONTEXT, common


@click.command(context_settings=CONTEXT)
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@common
def completion(shell):
    """Print the completion script of SHELL: commands, options, and the ACCOUNT of code, password, rotate
    and retire (from the account ids and names the journal records; no store is opened, no secret asked).

    \b
    Examples:
      eval "$(rootkeeper completion bash)"        (in ~/.bashrc)
      eval "$(rootkeeper completion zsh)"         (in ~/.zshrc)
      rootkeeper completion fish > ~/.config/fish/completions/rootkeeper.fish
    """
    from click.shell_completion import get_completion_class

    from . import build

    script = get_completion_class(shell)(build(load_all=False), {}, "rootkeeper", "_ROOTKEEPER_COMPLETE").source()
    click.echo(script)
