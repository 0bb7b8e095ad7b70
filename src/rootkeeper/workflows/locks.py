"""``unlock``: the locks of the team's files, who holds them and for how long.

A lock is the operating system's (``fsutil.file_lock``): it ends with its holder, killed or not, so nothing is
ever broken by hand. What is left to look at is a lock held now (by whom, since when: a command waiting for a
person, or one that hangs) and the name a killed holder left in its sidecar, which is cleared here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ..storage import fsutil


def folders(*paths: Path | None) -> list[Path]:
    """The folders of the team's files (the stores, the journal, the configuration): where their locks are."""
    return sorted({fsutil.real(p).parent for p in paths if p is not None})


def inspect(*paths: Path | None) -> list[fsutil.LockState]:
    """Every lock sidecar beside these files, tried without waiting."""
    return [fsutil.lock_state(sidecar) for sidecar in fsutil.lock_sidecars(folders(*paths))]


def age(state: fsutil.LockState, now: datetime | None = None) -> str:
    """How long the holder has held it ("3m 12s"), or "" when its sidecar does not say."""
    if not state.since:
        return ""
    try:
        since = datetime.strptime(state.since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return ""
    seconds = max(0, int(((now or datetime.now(UTC)) - since).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}h {rest // 60}m" if hours else f"{rest // 60}m {rest % 60}s" if rest >= 60 else f"{rest}s")
