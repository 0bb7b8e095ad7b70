"""Proven seeds: a seed counts as working only once a sign-in with it has been recorded.

A seed in the store whose device ARN matches AWS's can still be stale (copied wrong, from
an older device, or from a store restored from an old copy): only the console accepting
one of its codes shows that it opens the account. So a code is handed out and recorded
(``rootkeeper code``, or the ceremony's two codes), the person signs in as root with it,
and then says how it went (``seeds prove``). This must happen within ``WINDOW`` of the
hand-out. The seed's row gets when and by whom it was proven, and the journal gets the
result with the record of the code used. A refused sign-in is recorded too: the seed
loses its proof and the audit shows it. ``org audit`` counts an unproven seed as
SEED_UNPROVEN, never CUSTODIED.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..errors import InputError
from ..rules import devices
from ..storage.journal import actor

if TYPE_CHECKING:
    from ..stores.seeds import SeedRow
    from ..workspace import Workspace

WINDOW = 15 * 60  # seconds between a code's hand-out and the sign-in it proves
HANDOUTS = ("code", "enroll.mfa")  # the records that hand out a code of a seed


def _instant(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except (AttributeError, ValueError):
        return None


def last_handout(ws: Workspace, row: SeedRow, now: float) -> dict | None:
    """The journal's last record, within ``WINDOW`` before ``now``, that handed out a code of ``row``'s
    seed: a ``code`` of its account after the seed was enrolled, or the ceremony that enrolled it."""
    enrolled = _instant(row.enrolled_at) if row.enrolled_at else None
    for record in reversed(ws.journal().records()):
        when = _instant(record.get("time", ""))
        if when is None:
            continue
        if now - when > WINDOW:
            break
        if record.get("account_id") != row.account_id or record.get("event") not in HANDOUTS:
            continue
        if record.get("device_arn", row.device_arn if record["event"] == "code" else None) != row.device_arn:
            continue  # a code of another device's seed (a code record before devices were named: this one)
        if enrolled is not None and when + 1 < enrolled:
            continue  # a code of the seed before this one
        return record
    return None


def check_by(by: str | None) -> str:
    """Who signed in: a name (default: this user at this host)."""
    name = (by or actor()).strip()
    if not name or len(name) > 128 or not name.isprintable():
        raise InputError("--by must be a name of 1-128 printable characters (who signed in)")
    return name


@dataclass
class Proof:
    row: SeedRow
    signed_in: bool
    by: str
    handout: int  # the journal record of the code used


def prove(ws: Workspace, ref: str, *, signed_in: bool, by: str | None = None, now: float | None = None,
          device: str | None = None) -> Proof:
    """Record how a sign-in with the code last handed out for ``ref`` (its seed of ``device``, a device name or
    ARN; needed when the account has several) went; the seed is proven when ``signed_in``, and loses any proof
    when not. Refused unless a code of this seed was handed out within ``WINDOW`` (nothing else ties the
    sign-in to this seed)."""
    by = check_by(by)
    now = time.time() if now is None else now
    store = ws.seeds()
    rows = store.find_all(ref)
    if device is None and len(rows) > 1:
        raise InputError(f"account {rows[0].account_id} has {len(rows)} seeds (MFA devices "
                         f"{', '.join(devices.device_name(r.device_arn) for r in rows)}): say which one signed in "
                         "with --device NAME")
    row = rows[0] if device is None else store.find(rows[0].account_id, device)
    handout = last_handout(ws, row, now)
    if handout is None:
        raise InputError(
            f"no code of account {row.account_id}'s seed was handed out in the last {WINDOW // 60} minutes, so "
            f"nothing ties a sign-in to this seed: get one with 'rootkeeper code {row.account_id} --reason "
            f"\"sign-in drill\"', sign in as root with it, then run this again")
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    store.set_proof(row.account_id, stamp if signed_in else "", by, row.device_arn or None)
    ws.commit([store], {"event": "seeds.prove", "account_id": row.account_id, "account_name": row.account_name,
                        "device_arn": row.device_arn, "result": "signed-in" if signed_in else "refused",
                        "by": by, "code_record": handout.get("seq")})
    return Proof(row, signed_in, by, handout.get("seq"))
