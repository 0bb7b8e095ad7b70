"""The simulated AWS Organization and the demo that drives it: for the tests, the demo, the benchmarks
and trying the commands. Nothing in the product imports this package except the ``demo`` and ``sim``
commands.

- ``org``: ``SimOrg``, the organization, its root users and a console;
- ``server``: its AWS API, a WSGI layer in front of moto's server, and the console's steps over HTTP;
- ``console``: those steps asked of a running simulator (``rootkeeper sim console``);
- ``state`` and ``wire``: the records it keeps and AWS's wire format;
- ``demo``: the whole job, end to end, on a simulated organization (and ``populate``, its organization,
  which ``rootkeeper sim serve`` keeps running).

Needs moto's server (``pip install 'rootkeeper[sim]'``); ``missing()`` says what is absent.
"""

from __future__ import annotations

import importlib
import importlib.util


def missing() -> list[str]:
    """The modules the simulator needs and this Python lacks (empty: it can run).

    Checked before the demo creates anything: the packages first, then an import of moto's
    server itself (a partial install can have moto without what its server needs).
    """
    absent = [name for name in ("moto", "werkzeug", "flask", "flask_cors") if importlib.util.find_spec(name) is None]
    if absent:
        return absent
    try:
        importlib.import_module("moto.moto_server.werkzeug_app")
    except ImportError as exc:
        return [exc.name or "moto[server]"]
    return []
