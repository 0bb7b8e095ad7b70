"""AWS's wire format, as the simulator answers it: query-protocol XML for IAM and STS
(with their namespaces and ``ErrorResponse``), JSON ``__type`` errors for Organizations."""

from __future__ import annotations

import json
import re
import uuid
from xml.sax.saxutils import escape

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
# The credential scope of a SigV4 Authorization header: (access key id, region, service).
SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
STATUS = {"AccessDenied": 403, "NoSuchEntity": 404, "EntityAlreadyExists": 409, "Throttling": 400,
          "LimitExceeded": 409, "InvalidAuthenticationCode": 403, "ValidationError": 400, "RegionDisabledException": 403}


class Reply:
    def __init__(self, service: str, action: str, start_response) -> None:
        self.service, self.action, self.start_response = service, action, start_response

    def start(self, status: str, headers: list) -> None:
        self.start_response(status, headers)

    def _send(self, status: int, body: str, content_type: str) -> list[bytes]:
        data = body.encode()
        reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}.get(status, "Error")
        self.start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(data))),
                                                   ("x-amzn-RequestId", str(uuid.uuid4()))])
        return [data]

    def ok(self, result: str) -> list[bytes]:
        ns = STS_NS if self.service == "sts" else IAM_NS
        inner = f"<{self.action}Result>{result}</{self.action}Result>" if result else ""
        return self._send(200, f'<{self.action}Response xmlns="{ns}">{inner}<ResponseMetadata><RequestId>'
                               f"{uuid.uuid4()}</RequestId></ResponseMetadata></{self.action}Response>", "text/xml")

    def json(self, payload: dict) -> list[bytes]:
        return self._send(200, json.dumps(payload), "application/x-amz-json-1.1")

    def error(self, code: str, message: str, status: int | None = None) -> list[bytes]:
        status = status or STATUS.get(code, 400)
        if self.service == "organizations":
            name = code if code.endswith("Exception") else f"{code}Exception"
            return self._send(status, json.dumps({"__type": name, "Message": message}), "application/x-amz-json-1.1")
        ns = STS_NS if self.service == "sts" else IAM_NS
        return self._send(status, f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>{code}</Code>'
                                  f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
                                  f"</ErrorResponse>", "text/xml")


def call_app(app, environ) -> tuple[str, list, bytes]:
    captured: list = []

    def start_response(status, headers, exc_info=None):
        captured[:] = [status, headers]

    chunks = app(environ, start_response)
    body = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return captured[0], [(k, v) for k, v in captured[1] if k.lower() != "content-length"] + [
        ("Content-Length", str(len(body)))], body

