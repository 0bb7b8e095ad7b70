"""The simulator held to AWS's published contract, by machine: every answer it sends is checked
against botocore's service model for its operation.

The contract is botocore's ``service-2.json`` (installed with boto3), not this project's idea of
AWS. An answer passes when, read member by member off the wire (not through botocore's parser,
which drops what it does not know):

- every member it holds is one the model defines (an invented member fails);
- every value has the model's type and constraints, and every member the model marks
  required is present (botocore's own ``ParamValidator``), except the omissions AWS is
  documented to make, listed once below with their source;
- every enumerated value is one the model lists (ParamValidator does not check enums);
- an error's code is one the operation declares, or one of AWS's common errors.

``retired_members`` walks the same models for members their documentation retires or
deprecates; the tests prove the product never reads one.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from xml.etree import ElementTree  # noqa: S405 - parses the simulator's own answers, never outside input

_ASSUMED = "assumed as for GetUser (the root user has no user name); not checked against a capture"

# Where AWS's answers differ from its own model (a required member left out, a value outside the
# model's constraints): (service, operation, member path) -> the source. A path names members from
# the operation's output; "[]" steps into a list. Nothing else is excused.
DOCUMENTED_OMISSIONS = {
    ("iam", "GetUser", "User.UserName"):
        "a root session's GetUser answers only UserId, Arn and CreateDate (published captures of "
        "AssumeRoot sessions; IAM API reference GetUser: without UserName, IAM answers for the caller)",
    ("iam", "GetUser", "User.Path"): "as above: a root session's GetUser has no Path",
    ("iam", "ListVirtualMFADevices", "VirtualMFADevices[].User.UserName"):
        "the root user in a device's User has no UserName or Path (IAM API reference ListVirtualMFADevices: "
        "the User of a root-assigned device is the account's root ARN)",
    ("iam", "ListVirtualMFADevices", "VirtualMFADevices[].User.Path"): "as above",
    ("iam", "ListVirtualMFADevices", "VirtualMFADevices[].User.UserId"):
        "the root user's UserId is its 12-digit account id, shorter than the model's 16-character minimum "
        "(IAM User Guide, 'Unique identifiers': the root user's id is the account id)",
    ("iam", "GetUser", "User.UserId"): "as above: the root user's UserId is the account id",
    ("iam", "CreateLoginProfile", "LoginProfile.UserName"):
        "in a root session CreateLoginProfile answers no UserName and PasswordResetRequired false "
        "(IAM User Guide, 'Perform a privileged task on a member account': allow password recovery)",
    ("iam", "ListMFADevices", "MFADevices[].UserName"): _ASSUMED,
    ("iam", "ListSigningCertificates", "Certificates[].UserName"): _ASSUMED,
    ("iam", "GetLoginProfile", "LoginProfile.UserName"): _ASSUMED,
}

# AWS's common errors, any operation may answer them (AWS API references, "Common Errors"), in both
# the query protocol's spelling (IAM, STS) and the JSON protocol's (Organizations).
COMMON_ERRORS = {
    "AccessDenied", "AccessDeniedException", "IncompleteSignature", "InternalFailure", "InvalidAction",
    "InvalidClientTokenId", "NotAuthorized", "OptInRequired", "RequestExpired", "ServiceUnavailable",
    "Throttling", "ThrottlingException", "ValidationError", "ValidationException", "UnrecognizedClientException",
    "ExpiredTokenException", "ExpiredToken", "SignatureDoesNotMatch",
}

_models: dict[str, object] = {}
_lock = threading.Lock()


def service_model(service: str):
    with _lock:
        if service not in _models:
            import botocore.session

            session = botocore.session.get_session()
            from botocore.model import ServiceModel

            _models[service] = ServiceModel(session.get_service_data(service), service)
        return _models[service]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _wire_name(member_name: str, shape) -> str:
    return shape.serialization.get("name", member_name)


def _from_xml(element, shape):
    """The element as the model's Python value, keeping what the model does not define (so that
    ParamValidator names it), and a raw text where a scalar does not parse (so that it fails)."""
    kind = shape.type_name
    if kind == "structure":
        by_wire = {_wire_name(name, member): (name, member) for name, member in shape.members.items()}
        out: dict = {}
        for child in element:
            tag = _local(child.tag)
            if tag in by_wire:
                name, member = by_wire[tag]
                out[name] = _from_xml(child, member)
            else:
                out[tag] = child.text or ""
        return out
    if kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        return [_from_xml(child, shape.member) for child in element if _local(child.tag) == item_name]
    if kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        out = {}
        for entry in element:
            key = next((c.text for c in entry if _local(c.tag) == key_name), None)
            value = next((c for c in entry if _local(c.tag) == value_name), None)
            if key is not None and value is not None:
                out[key] = _from_xml(value, shape.value)
        return out
    text = element.text or ""
    if kind in ("integer", "long"):
        return int(text) if re.fullmatch(r"-?[0-9]+", text) else text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind == "blob":
        return base64.b64decode(text)
    return text


_REPORT_PATH = (re.compile(r'^Missing required parameter in (\S*): "(\w+)"'),
                re.compile(r"^Invalid \w+ for parameter ([^,\s]+)"))


def _reported_path(line: str) -> str:
    """The member path a ParamValidator line is about, list indices as "[]"."""
    missing = _REPORT_PATH[0].match(line)
    path = (f"{missing.group(1)}.{missing.group(2)}".lstrip(".") if missing
            else (m.group(1) if (m := _REPORT_PATH[1].match(line)) else ""))
    return re.sub(r"\[\d+\]", "[]", path)


def _enums(value, shape, where: str) -> list[str]:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return [p for name, member in shape.members.items() if name in value
                for p in _enums(value[name], member, f"{where}.{name}")]
    if kind == "list" and isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _enums(item, shape.member, f"{where}[{i}]")]
    if kind == "map" and isinstance(value, dict):
        return [p for k, v in value.items() for p in _enums(v, shape.value, f"{where}.{k}")]
    if kind == "string" and shape.enum and isinstance(value, str) and value not in shape.enum:
        return [f"{where.lstrip('.')}: {value!r} is not one of {shape.enum}"]
    return []


def check_answer(service: str, action: str, status: int, body: bytes) -> list[str]:
    """What in one answer breaks botocore's model for ``service``'s ``action`` ([] when nothing)."""
    from botocore.validate import ParamValidator

    model = service_model(service)
    try:
        operation = model.operation_model(action)
    except Exception:
        return [f"{service}:{action} is not an operation of AWS's model"]
    protocol = model.metadata["protocol"]
    if status >= 300:
        return _check_error(operation, protocol, body)
    shape = operation.output_shape
    if shape is None:
        return []
    if protocol == "json":
        try:
            value = json.loads(body or b"{}")
        except ValueError:
            return [f"{service}:{action}: the answer is not JSON"]
    else:
        try:
            # The simulator's own answer, never outside input.
            root = ElementTree.fromstring(body)  # noqa: S314 # nosec B314
        except ElementTree.ParseError:
            return [f"{service}:{action}: the answer is not XML"]
        wrapper = shape.serialization.get("resultWrapper") or f"{action}Result"
        result = next((c for c in root if _local(c.tag) == wrapper), None)
        value = {} if result is None else _from_xml(result, shape)
    excused = {path for (svc, op, path) in DOCUMENTED_OMISSIONS if (svc, op) == (service, action)}
    problems = []
    report = ParamValidator().validate(value, shape)
    if report.has_errors():
        problems += [f"{service}:{action}: {line.strip()}" for line in report.generate_report().splitlines()
                     if line.strip() and _reported_path(line.strip()) not in excused]
    problems += [f"{service}:{action}: {p}" for p in _enums(value, shape, "")]
    return problems


def _check_error(operation, protocol: str, body: bytes) -> list[str]:
    name = f"{operation.metadata['endpointPrefix']}:{operation.name}"
    if protocol == "json":
        try:
            code = str(json.loads(body).get("__type", "")).rpartition("#")[2]
        except (ValueError, AttributeError):
            return [f"{name}: the error is not JSON"]
    else:
        try:
            # The simulator's own answer, never outside input.
            root = ElementTree.fromstring(body)  # noqa: S314 # nosec B314
        except ElementTree.ParseError:
            return [f"{name}: the error is not XML"]
        code = next((e.text or "" for e in root.iter() if _local(e.tag) == "Code"), "")
    declared = {s.error_code for s in operation.error_shapes} | {s.name for s in operation.error_shapes}
    if not code:
        return [f"{name}: an error without a code"]
    if code not in declared and code not in COMMON_ERRORS:
        return [f"{name}: error code {code!r} is neither declared for the operation ({sorted(declared)}) "
                "nor one of AWS's common errors"]
    return []


def retired_members(service: str) -> dict[tuple[str, str], str]:
    """(structure shape, member) -> the model's words, for every member the model retires or deprecates.

    A member's documentation that announces another member's retirement (``The <code>Status</code>
    parameter ... will be retired``) marks that member of the structure it holds.
    """
    model = service_model(service)
    out: dict[tuple[str, str], str] = {}
    retire = re.compile(r"retire|deprecat|do not use", re.I)
    for shape_name in model.shape_names:
        shape = model.shape_for(shape_name)
        if shape.type_name != "structure" or shape_name.endswith("Request"):  # answers only
            continue
        for member_name, member in shape.members.items():
            doc = member.documentation or ""
            if not (retire.search(doc) or member.metadata.get("deprecated")):
                continue
            target = member.member if member.type_name == "list" else member
            # The sentences that retire something, and the members they name in <code>.
            sentences = [t for t in re.split(r"(?<=\.)\s+", doc) if retire.search(t)]
            named = {n for t in sentences for n in re.findall(r"<code>(\w+)</code>", t)}
            inner = {n for n in named if n != member_name and target.type_name == "structure" and n in target.members}
            words = " ".join(re.sub(r"<[^>]+>", "", doc).split())[:200]
            for n in inner:
                out[(target.name, n)] = words
            if member_name in named or not inner:
                out[(shape_name, member_name)] = words
    return out


# Which operation a request calls, read off the wire by the models (the simulator counts every call by it).
# The SigV4 signing name of a service -> botocore's name for its model, where they differ.
_MODELS = {"monitoring": "cloudwatch", "execute-api": "apigateway"}
_ROUTES: dict[str, list] = {}


def _routes(service: str) -> list:
    """(method, path regex, query keys and headers it requires, operation) of every REST operation of a
    service, from botocore's model: its ``http.requestUri`` and the required members its input puts in the
    query string or a header (CopyObject is PutObject's route with an x-amz-copy-source header). The most
    specific first."""
    if service not in _ROUTES:
        import botocore.session

        model = botocore.session.get_session().get_service_model(_MODELS.get(service, service))
        routes = []
        for name in model.operation_names:
            op = model.operation_model(name)
            path, _, query = op.http.get("requestUri", "/").partition("?")
            pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.sub(r"\\\{[^}+]+\\\}", "[^/]+", re.escape(path)))
            keys = {q.partition("=")[0] for q in query.split("&") if q}
            headers = set()
            shape = op.input_shape
            for member in (shape.required_members if shape is not None else []):
                where = shape.members[member].serialization
                if where.get("location") == "querystring":
                    keys.add(where.get("name", member))
                elif where.get("location") == "header":
                    headers.add("HTTP_" + where.get("name", member).upper().replace("-", "_"))
            rank = (len(keys) + len(headers), len(path.replace("{", "").split("/")), -path.count("+"))
            routes.append((op.http.get("method", "POST"), re.compile(pattern.rstrip("/") + "/?"), keys, headers, name,
                           rank))
        _ROUTES[service] = sorted(routes, key=lambda r: r[5], reverse=True)
    return _ROUTES[service]


def operation(service: str, environ: dict, body: bytes) -> str:
    """The API operation a request calls, whatever the protocol: the X-Amz-Target (JSON), the Action
    parameter (query), or the method, path and query keys matched against the model's routes (REST)."""
    from urllib.parse import parse_qs

    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rpartition(".")[2]
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if "Action" in query:
        return query["Action"][0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded") and body:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/") or "/"
    for want, pattern, keys, headers, name, _rank in _routes(service):
        if want == method and pattern.fullmatch(path) and keys <= set(query) and all(h in environ for h in headers):
            return name
    return f"{method} {path}"
