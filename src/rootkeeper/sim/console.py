"""The simulated console, from another process: the steps AWS offers only in its console (a root password
set after 'Forgot password?', a virtual MFA device assigned and enabled with two codes, a root sign-in),
asked of a running ``rootkeeper sim serve`` over HTTP (JSON; 127.0.0.1 only). The simulator's own
secrets (the secret key a device shows) are simulated; rootkeeper's (a root password) are sent in the
request body, never in a URL or an argument.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ..errors import InputError, RootkeeperError
from .server import CONSOLE_PATH


def endpoint(url: str | None) -> str:
    """The simulator's URL: ``--endpoint``, else ``AWS_ENDPOINT_URL`` (as 'sim serve' printed it)."""
    import os

    url = url or os.environ.get("AWS_ENDPOINT_URL", "")
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise InputError("no simulated organization: run 'rootkeeper sim serve' and export the AWS_ENDPOINT_URL it "
                         "prints (a local http://127.0.0.1:PORT), or give --endpoint URL")
    return url.rstrip("/")


def step(url: str, action: str, **fields) -> dict:
    """One console step; its answer (a refusal is an error naming why)."""
    request = urllib.request.Request(endpoint(url) + CONSOLE_PATH + action, data=json.dumps(fields).encode(),  # noqa: S310
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310  # nosec B310 - a local http URL, checked
            return json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            why = json.loads(exc.read() or b"{}").get("error", exc.reason)
        except ValueError:
            why = exc.reason
        raise InputError(f"the simulated console refused {action}: {why}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RootkeeperError(f"the simulated organization at {endpoint(url)} does not answer ({exc}): is "
                              "'rootkeeper sim serve' still running?") from None
