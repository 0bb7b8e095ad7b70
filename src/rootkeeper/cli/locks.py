"""``unlock``: show the locks of the team's files, and clear the names killed holders left in them."""

from __future__ import annotations

import click

from .common import CONTEXT, common, emit_json, json_flag, note


@click.command(name="unlock", context_settings=CONTEXT)
@common
@json_flag("The locks as one JSON object (schema rootkeeper.locks/1).")
def unlock(as_json):
    """Show who holds the locks of the vault, the seed store, the journal and the configuration, and for how long.

    A lock is the operating system's: it ends with the process that holds it, even when that process is killed,
    its console closed or its machine switched off, so there is never a lock to delete by hand. A lock held now
    belongs to a running rootkeeper: wait for it, or end that process. The name a killed holder left in a lock
    file is cleared. Exit status 1 while a lock is held.

    \b
    Example:
      rootkeeper unlock
    """
    from ..errors import CheckFailed
    from ..workflows import locks
    from .common import given
    from .inputs import settings

    chosen = settings(given)
    found = locks.inspect(chosen.vault, chosen.seeds, chosen.journal,
                          chosen.config.path if chosen.config.path else None)
    held = [state for state in found if state.held]
    untried = [state for state in found if state.held is None]
    if as_json:
        emit_json("locks", {"locks": [{"file": str(s.file), "lock": str(s.sidecar), "held": s.held,
                                       "holder": s.holder or None, "since": s.since, "cleared": s.cleared}
                                      for s in found]})
    else:
        for state in found:
            if state.held is None:
                click.echo(f"?     {state.file}: its lock {state.holder}")
            elif state.held:
                age = locks.age(state)
                click.echo(f"held  {state.file}: by {state.holder or 'a process that has not named itself'}"
                           + (f" (for {age})" if age else ""))
            else:
                click.echo(f"free  {state.file}" + (f" (cleared the name of a holder that ended: {state.holder})"
                                                    if state.cleared else ""))
    note(f"{len(found)} lock(s) looked at, {len(held)} held, {len(untried)} could not be tried")
    if untried and not held:
        raise CheckFailed(f"{len(untried)} lock(s) could not be tried (see above): whether they are held is not known; "
                          "run as a user who can open them")
    if held:
        raise CheckFailed(f"{len(held)} lock(s) held by a running rootkeeper: wait for it to finish, or end that "
                          "process (its lock ends with it); never delete a lock file")
