"""Schemathesis hooks of the OSB conformance run (`.ci/schemathesis`).

The official `swagger.yaml` and `openapi.yaml` (conformance/spec/) say themselves
that `spec.md` is the authority where they disagree with it. Every failure
Schemathesis reports goes through `filter_failure` below and is classified as:

* an exception (`EXCEPTIONS`): the yaml file contradicts or under-specifies
  spec.md, and the broker did what spec.md says. The failure is dropped, and
  counted. Each exception names one check, the statuses it covers, the operations
  or files it applies to, and a predicate on the actual request and response;
  docs/conformance-schemathesis.md quotes the spec.md text behind it.
* a known bug (`KNOWN_BUGS`, active only when `.ci/schemathesis` lists its id):
  the failure is kept (Schemathesis reports it and exits non-zero), but
  `summary.py` does not fail CI for it.
* unclassified: kept, and CI fails.

Every decision is appended to the JSON-lines file `$OSB_ST_LOG` for `summary.py`.

Positive data: the yaml files describe every id and header as a bare `string`
and `parameters` as any object, so Schemathesis thinks every such request is
valid. spec.md does not: ids are those of the catalog, headers have a format,
plan parameters follow the plan's JSON schema, and instances must exist.
`request_violations` implements those spec.md rules (independently of the
runtime), and a rejection is excused only when the request really breaks one.

Environment: OSB_ST_SPEC (swagger | openapi), OSB_ST_BASE_URL (http://127.0.0.1:PORT),
OSB_ST_AUTH (user:password), OSB_ST_LOG, OSB_ST_KNOWN_BUGS (comma-separated ids).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable

import jsonschema_rs
import schemathesis

SPEC_NAME = os.environ.get("OSB_ST_SPEC", "unknown")
BASE_URL = os.environ.get("OSB_ST_BASE_URL", "")
AUTH = os.environ.get("OSB_ST_AUTH", "admin:admin")
LOG_PATH = os.environ.get("OSB_ST_LOG")
ACTIVE_KNOWN_BUGS = {b for b in os.environ.get("OSB_ST_KNOWN_BUGS", "").split(",") if b}
API_VERSION = "2.17"

# Traffic of the hooks themselves (catalog and state look-ups) goes to the broker
# under test only, and that broker listens on loopback.
_parsed_base = urllib.parse.urlsplit(BASE_URL)
if BASE_URL and _parsed_base.hostname != "127.0.0.1":
    raise RuntimeError(f"OSB_ST_BASE_URL must be on 127.0.0.1, got {BASE_URL!r}")

_log_lock = threading.Lock()

# Operation labels, as Schemathesis names them.
CATALOG = "GET /v2/catalog"
PROVISION = "PUT /v2/service_instances/{instance_id}"
UPDATE = "PATCH /v2/service_instances/{instance_id}"
DEPROVISION = "DELETE /v2/service_instances/{instance_id}"
FETCH_INSTANCE = "GET /v2/service_instances/{instance_id}"
INSTANCE_LAST_OP = "GET /v2/service_instances/{instance_id}/last_operation"
BIND = "PUT /v2/service_instances/{instance_id}/service_bindings/{binding_id}"
UNBIND = "DELETE /v2/service_instances/{instance_id}/service_bindings/{binding_id}"
FETCH_BINDING = "GET /v2/service_instances/{instance_id}/service_bindings/{binding_id}"
BINDING_LAST_OP = (
    "GET /v2/service_instances/{instance_id}/service_bindings/{binding_id}/last_operation"
)
ALL_OPERATIONS = (
    CATALOG,
    PROVISION,
    UPDATE,
    DEPROVISION,
    FETCH_INSTANCE,
    INSTANCE_LAST_OP,
    BIND,
    UNBIND,
    FETCH_BINDING,
    BINDING_LAST_OP,
)


# --------------------------------------------------------------------------------------
# The broker under test: its catalog, and read-only look-ups of its state.


def _broker_get(path: str) -> tuple[int, Any]:
    """GET `path` on the broker under test, with credentials and the version header."""
    request = urllib.request.Request(BASE_URL + path, method="GET")
    request.add_header("Authorization", "Basic " + base64.b64encode(AUTH.encode()).decode())
    request.add_header("X-Broker-API-Version", API_VERSION)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, None


_catalog: dict[str, Any] | None = None


def catalog() -> dict[str, Any]:
    """The broker's catalog, fetched once: {service_id: {plan_id: plan}}."""
    global _catalog
    if _catalog is None:
        status, body = _broker_get("/v2/catalog")
        if status != 200 or not isinstance(body, dict):
            raise RuntimeError(f"cannot read the broker's catalog: {status}")
        _catalog = {
            service["id"]: {plan["id"]: plan for plan in service.get("plans", [])}
            for service in body.get("services", [])
        }
    return _catalog


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def instance_state(instance_id: str) -> tuple[str, str | None]:
    """("ready" | "creating" | "updating" | "absent", plan_id or None).

    «Fetching a Service Instance»: 404 while the instance does not exist or is
    being provisioned, 422 while it is being updated. The last operation tells
    the first two apart.
    """
    status, body = _broker_get(f"/v2/service_instances/{_quote(instance_id)}")
    if status == 200 and isinstance(body, dict):
        return "ready", body.get("plan_id")
    if status == 422:
        return "updating", None
    status, body = _broker_get(f"/v2/service_instances/{_quote(instance_id)}/last_operation")
    if status == 200 and isinstance(body, dict) and body.get("state") == "in progress":
        return "creating", None
    return "absent", None


def binding_exists(instance_id: str, binding_id: str) -> bool:
    """Whether the binding exists or is being created or deleted."""
    base = f"/v2/service_instances/{_quote(instance_id)}/service_bindings/{_quote(binding_id)}"
    status, _ = _broker_get(base)
    if status == 200:
        return True
    status, body = _broker_get(base + "/last_operation")
    return status == 200 and isinstance(body, dict) and body.get("state") == "in progress"


# Status of every DELETE sent, by test case id: tells a synchronous delete (200)
# from an asynchronous one (202) when a later check refers to it.
_delete_statuses: dict[str, int] = {}


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    if case.operation.method.upper() == "DELETE":
        _delete_statuses[case.id] = response.status_code


# --------------------------------------------------------------------------------------
# The request as it was sent.


@dataclass
class Sent:
    operation: str
    method: str
    path_parameters: dict[str, str]
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: Any  # decoded JSON, or the raw text when it is not JSON
    body_is_json: bool
    case: Any = None  # the Schemathesis test case (its generation metadata)

    @classmethod
    def from_response(cls, case: Any, response: Any) -> Sent:
        request = response.request
        url = urllib.parse.urlsplit(request.url)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        headers = {str(k).lower(): _text(v) for k, v in request.headers.items()}
        raw = request.body
        body: Any = None
        is_json = False
        if raw not in (None, b"", ""):
            try:
                body = json.loads(raw)
                is_json = True
            except (ValueError, UnicodeDecodeError):
                body = _text(raw)
        names = [n for n in ("instance_id", "binding_id") if n in case.operation.path]
        segments = [urllib.parse.unquote(s) for s in url.path.split("/")]
        path_parameters = {}
        if names:
            # /v2/service_instances/{instance_id}[/service_bindings/{binding_id}][/last_operation]
            path_parameters["instance_id"] = segments[3] if len(segments) > 3 else ""
            if "binding_id" in names:
                path_parameters["binding_id"] = segments[5] if len(segments) > 5 else ""
        return cls(
            operation=case.operation.label,
            method=request.method,
            path_parameters=path_parameters,
            query=query,
            headers=headers,
            body=body,
            body_is_json=is_json,
            case=case,
        )

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def accepts_incomplete(self) -> bool:
        return self.query_value("accepts_incomplete") == "true"



def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


# --------------------------------------------------------------------------------------
# spec.md rules a request can break. Each returns the broken rules, as short texts
# that start with the spec.md section they come from.


def _identity_header_violations(sent: Sent) -> list[str]:
    out = []
    identity = sent.headers.get("x-broker-api-originating-identity")
    if identity is not None:
        problem = _originating_identity_problem(identity)
        if problem:
            out.append(f"Originating Identity: {problem}")
        elif isinstance(sent.body, dict) and isinstance(sent.body.get("context"), dict):
            platform = sent.body["context"].get("platform")
            if platform is not None and platform != identity.split(" ", 1)[0]:
                out.append(
                    "Originating Identity: the Platform of the header MUST be the same as context.platform"
                )
    request_identity = sent.headers.get("x-broker-api-request-identity")
    if request_identity is not None and request_identity == "":
        out.append("Request Identity: the value MUST be a non-empty string")
    return out


def _originating_identity_problem(header: str) -> str | None:
    """Why `header` is not `Platform value` with value a Base64 serialized JSON object."""
    if not header.isascii():
        return "the header is not ASCII"
    platform, sep, value = header.partition(" ")
    if not sep:
        return "the format MUST be `Platform value`"
    if not platform:
        return "Platform MUST be a non-empty string"
    try:
        padded = value + "=" * (-len(value) % 4)
        decoded = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return "value MUST be a Base64 encoded string"
    try:
        parsed = json.loads(decoded)
    except (ValueError, UnicodeDecodeError):
        return "value MUST be a serialized JSON object"
    if not isinstance(parsed, dict):
        return "value MUST be a serialized JSON object"
    return None


def _duplicate_query_violations(sent: Sent, names: tuple[str, ...]) -> list[str]:
    return [
        f"Request (malformed): query parameter {name} given {len(sent.query[name])} times"
        for name in names
        if len(sent.query.get(name, [])) > 1
    ]


def _optional_query_id_violations(sent: Sent, section: str) -> list[str]:
    """service_id / plan_id / operation hints of fetch and last_operation requests."""
    out = []
    services = catalog()
    service_id = sent.query_value("service_id")
    plan_id = sent.query_value("plan_id")
    if service_id is not None and service_id not in services:
        out.append(f"{section}: service_id, if present, MUST be the ID of a Service Offering from the catalog")
    if plan_id is not None and not any(plan_id in plans for plans in services.values()):
        out.append(f"{section}: plan_id, if present, MUST be the ID of a Service Plan from the catalog")
    operation = sent.query_value("operation")
    if operation is not None and operation == "":
        out.append(f"{section}: operation, if present, MUST be a non-empty string")
    return out


def _parameters_violation(section: str, plan: dict[str, Any], kind: str, parameters: Any) -> list[str]:
    """kind: service_instance.create | service_instance.update | service_binding.create"""
    group, action = kind.split(".")
    schema = ((((plan.get("schemas") or {}).get(group) or {}).get(action) or {}).get("parameters"))
    if schema is None or parameters is None:
        return []
    if not jsonschema_rs.validator_for(schema).is_valid(parameters):
        return [
            f"{section}: parameters MUST be valid configuration parameters for the plan "
            f"(its schemas.{kind}.parameters in the catalog)"
        ]
    return []


def _body_object(sent: Sent, section: str) -> tuple[dict[str, Any] | None, list[str]]:
    if not sent.body_is_json or not isinstance(sent.body, dict):
        return None, [f"{section}: the body is not a JSON object (malformed)"]
    return sent.body, []


def _non_empty(body: dict[str, Any], field: str) -> bool:
    return isinstance(body.get(field), str) and body[field] != ""


def request_violations(sent: Sent) -> list[str]:
    """The spec.md rules the request breaks (empty when it is valid per spec.md)."""
    out = _identity_header_violations(sent)
    services = catalog()
    op = sent.operation
    if op == PROVISION:
        section = "Provisioning"
        body, out_body = _body_object(sent, section)
        out += out_body + _duplicate_query_violations(sent, ("accepts_incomplete",))
        if body is None:
            return out
        service_id, plan_id = body.get("service_id"), body.get("plan_id")
        if service_id not in services:
            out.append(f"{section}: service_id MUST be the ID of a Service Offering from the catalog")
        elif plan_id not in services[service_id]:
            out.append(f"{section}: plan_id MUST be the ID of a Service Plan from the Service Offering")
        else:
            plan = services[service_id][plan_id]
            out += _parameters_violation(section, plan, "service_instance.create", body.get("parameters"))
        for field in ("organization_guid", "space_guid"):
            if not _non_empty(body, field):
                out.append(f"{section}: {field} MUST be a non-empty string")
    elif op == UPDATE:
        section = "Updating a Service Instance"
        body, out_body = _body_object(sent, section)
        out += out_body + _duplicate_query_violations(sent, ("accepts_incomplete",))
        if body is None:
            return out
        service_id, plan_id = body.get("service_id"), body.get("plan_id")
        previous = body.get("previous_values") if isinstance(body.get("previous_values"), dict) else {}
        state, current_plan = instance_state(sent.path_parameters["instance_id"])
        if state in ("absent", "creating"):
            out.append(f"{section}: :instance_id MUST be the ID of a previously provisioned Service Instance")
        if service_id not in services:
            out.append(f"{section}: service_id MUST be the ID of a Service Offering from the catalog")
            return out
        plans = services[service_id]
        if "plan_id" in body and plan_id not in plans:
            out.append(f"{section}: plan_id, if present, MUST be the ID of a Service Plan from the Service Offering")
        if "plan_id" in previous and (
            previous["plan_id"] not in plans or (current_plan is not None and previous["plan_id"] != current_plan)
        ):
            out.append(f"{section}: previous_values.plan_id, if present, MUST be the ID of the Service Plan prior to the update")
        if "service_id" in previous and previous["service_id"] != service_id:
            out.append(f"{section}: previous_values.service_id, if present, MUST be the ID of the Service Offering for the Service Instance")
        target = plan_id if plan_id in plans else current_plan
        if target in plans:
            out += _parameters_violation(section, plans[target], "service_instance.update", body.get("parameters"))
    elif op == DEPROVISION:
        section = "Deprovisioning"
        out += _duplicate_query_violations(sent, ("service_id", "plan_id", "accepts_incomplete"))
        service_id, plan_id = sent.query_value("service_id"), sent.query_value("plan_id")
        if service_id not in services:
            out.append(f"{section}: service_id (REQUIRED) MUST be the ID of the Service Offering associated with the Service Instance")
        elif plan_id not in services[service_id]:
            out.append(f"{section}: plan_id (REQUIRED) MUST be the ID of the Service Plan associated with the Service Instance")
        else:
            state, current_plan = instance_state(sent.path_parameters["instance_id"])
            if current_plan is not None and current_plan != plan_id:
                out.append(f"{section}: plan_id MUST be the ID of the Service Plan associated with the Service Instance being deleted")
    elif op == BIND:
        section = "Binding"
        body, out_body = _body_object(sent, section)
        out += out_body + _duplicate_query_violations(sent, ("accepts_incomplete",))
        if body is None:
            return out
        state, current_plan = instance_state(sent.path_parameters["instance_id"])
        if state != "ready":
            out.append(f"{section}: :instance_id MUST be the ID of a previously provisioned Service Instance")
        service_id, plan_id = body.get("service_id"), body.get("plan_id")
        if service_id not in services:
            out.append(f"{section}: service_id MUST be the ID of the Service Offering that is being used")
        elif plan_id not in services[service_id] or (current_plan is not None and plan_id != current_plan):
            out.append(f"{section}: plan_id MUST be the ID of the Service Plan from the service that is being used")
        else:
            plan = services[service_id][plan_id]
            out += _parameters_violation(section, plan, "service_binding.create", body.get("parameters"))
            if "predecessor_binding_id" in body:
                predecessor = body["predecessor_binding_id"]
                if not plan.get("binding_rotatable", False):
                    out.append(
                        "Binding Rotation: the plan is not binding_rotatable, so the Platform MUST NOT "
                        "attempt to rotate a Service Binding (predecessor_binding_id is present)"
                    )
                elif not isinstance(predecessor, str) or not binding_exists(
                    sent.path_parameters["instance_id"], predecessor
                ):
                    out.append(
                        "Binding: predecessor_binding_id MUST be the ID of non-expired Service "
                        "Binding of the same Service Instance"
                    )
        if "app_guid" in body and not _non_empty(body, "app_guid"):
            out.append(f"{section}: app_guid, if present, MUST be a non-empty string")
        resource = body.get("bind_resource")
        if isinstance(resource, dict) and "app_guid" in resource and not _non_empty(resource, "app_guid"):
            # bind_resource.app_guid replaces app_guid ("Deprecated in favor of
            # bind_resource.app_guid"): the GUID of an application, never empty.
            out.append(f"{section}: bind_resource.app_guid is the GUID of an application (app_guid: MUST be a non-empty string)")
    elif op == UNBIND:
        section = "Unbinding"
        out += _duplicate_query_violations(sent, ("service_id", "plan_id", "accepts_incomplete"))
        service_id, plan_id = sent.query_value("service_id"), sent.query_value("plan_id")
        if service_id not in services:
            out.append(f"{section}: service_id (REQUIRED) MUST be the ID of the Service Offering associated with the Service Binding")
        elif plan_id not in services[service_id]:
            out.append(f"{section}: plan_id (REQUIRED) MUST be the ID of the Service Plan associated with the Service Binding")
        else:
            state, current_plan = instance_state(sent.path_parameters["instance_id"])
            if current_plan is not None and current_plan != plan_id:
                out.append(f"{section}: plan_id MUST be the ID of the Service Plan associated with the Service Binding being deleted")
    elif op in (FETCH_INSTANCE, FETCH_BINDING):
        section = "Fetching a Service Instance" if op == FETCH_INSTANCE else "Fetching a Service Binding"
        out += _duplicate_query_violations(sent, ("service_id", "plan_id"))
        out += _optional_query_id_violations(sent, section)
    elif op in (INSTANCE_LAST_OP, BINDING_LAST_OP):
        section = (
            "Polling Last Operation for Service Instances"
            if op == INSTANCE_LAST_OP
            else "Polling Last Operation for Service Bindings"
        )
        out += _duplicate_query_violations(sent, ("service_id", "plan_id", "operation"))
        out += _optional_query_id_violations(sent, section)
    return out


# --------------------------------------------------------------------------------------
# Exceptions: where a yaml file contradicts or under-specifies spec.md.


@dataclass
class Exception_:
    id: str
    check: str  # the one Schemathesis check this exception is for
    failure: str  # the Schemathesis failure class it drops
    statuses: tuple[int, ...]
    operations: tuple[str, ...]
    files: tuple[str, ...]  # swagger and/or openapi
    spec: str  # the spec.md section(s) that win over the yaml
    when: Callable[[Sent, Any, Any], tuple[bool, list[str]]]  # (applies, reasons)


def _invalid_request(sent: Sent, response: Any, failure: Any) -> tuple[bool, list[str]]:
    reasons = request_violations(sent)
    return bool(reasons), reasons


def _error_code(response: Any) -> str | None:
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def _gone(sent: Sent, response: Any, failure: Any) -> tuple[bool, list[str]]:
    if sent.operation == DEPROVISION:
        state, _ = instance_state(sent.path_parameters["instance_id"])
        return state == "absent", [f"Deprovisioning: the Service Instance does not exist ({state})"]
    exists = binding_exists(sent.path_parameters["instance_id"], sent.path_parameters["binding_id"])
    return not exists, ["Unbinding: the Service Binding does not exist"]


def _spec_422(sent: Sent, response: Any, failure: Any) -> tuple[bool, list[str]]:
    code = _error_code(response)
    if code == "AsyncRequired":
        # «Asynchronous Operations»: only without accepts_incomplete=true.
        return not sent.accepts_incomplete(), ["AsyncRequired without accepts_incomplete=true"]
    if code == "ConcurrencyError":
        return True, ["ConcurrencyError («Blocking Operations»)"]
    if code == "MaintenanceInfoConflict" and sent.operation in (PROVISION, UPDATE):
        body = sent.body if isinstance(sent.body, dict) else {}
        info = body.get("maintenance_info")
        if not isinstance(info, dict):
            return False, []
        services = catalog()
        plans = services.get(body.get("service_id"), {})
        plan_id = body.get("plan_id")
        if plan_id not in plans and sent.operation == UPDATE:
            _, plan_id = instance_state(sent.path_parameters["instance_id"])
        plan = plans.get(plan_id, {})
        expected = (plan.get("maintenance_info") or {}).get("version")
        return info.get("version") != expected, [
            f"MaintenanceInfoConflict: maintenance_info.version {info.get('version')!r} != catalog {expected!r}"
        ]
    if code == "RequiresApp" and sent.operation == BIND:
        body = sent.body if isinstance(sent.body, dict) else {}
        return "app_guid" not in body, ["RequiresApp without app_guid"]
    if code is None and sent.operation == UPDATE:
        return _unsupported_change(sent)
    return False, []


def _unsupported_change(sent: Sent) -> tuple[bool, list[str]]:
    """«Updating a Service Instance», 422: "MUST be returned if the requested change
    is not supported". The change is not supported when the instance's parameters,
    with the request's applied, break the target plan's update schema (a plan
    change to a plan too small for the instance, say)."""
    body = sent.body if isinstance(sent.body, dict) else {}
    instance_id = sent.path_parameters["instance_id"]
    status, current = _broker_get(f"/v2/service_instances/{_quote(instance_id)}")
    if status != 200 or not isinstance(current, dict):
        return False, []
    plans = catalog().get(body.get("service_id"), {})
    target = body.get("plan_id") if body.get("plan_id") in plans else current.get("plan_id")
    if target not in plans:
        return False, []
    merged = dict(current.get("parameters") or {})
    if isinstance(body.get("parameters"), dict):
        merged.update(body["parameters"])
    broken = _parameters_violation("Updating a Service Instance", plans[target], "service_instance.update", merged)
    return bool(broken), [
        f"the requested change is not supported: parameters {merged} do not fit plan {plans[target].get('name')}"
    ]


def _version_missing(sent: Sent, response: Any, failure: Any) -> tuple[bool, list[str]]:
    return sent.headers.get("x-broker-api-version", "") == "", ["X-Broker-API-Version is missing"]


def _version_missing_412(sent: Sent, response: Any, failure: Any) -> tuple[bool, list[str]]:
    """A 412 for a request without X-Broker-API-Version, with a message (the runtime's
    default, `MissingVersion::PreconditionFailed`; spec.md's 400 is a MAY)."""
    missing = sent.headers.get("x-broker-api-version", "") == ""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        body = None
    message = isinstance(body, dict) and isinstance(body.get("description"), str) and body["description"] != ""
    return missing and message, [
        "X-Broker-API-Version is missing; 412 with a message (API Version Header: the 400 is a MAY)"
    ]


def _concurrency_error(sent: Sent, response: Any, failure: Any) -> tuple[bool, list[str]]:
    return _error_code(response) == "ConcurrencyError", ["ConcurrencyError"]


def _ignored_accepts_incomplete(sent: Sent, response: Any, failure: Any) -> tuple[bool, list[str]]:
    """A negative case whose only schema violation is a non-boolean accepts_incomplete,
    answered synchronously: the broker ignored the parameter, as spec.md allows."""
    meta = getattr(sent.case, "meta", None)
    if meta is None:
        return False, []
    negative = {
        str(getattr(location, "value", location)).lower()
        for location, info in (meta.components or {}).items()
        if getattr(info.mode, "is_negative", False)
    }
    values = sent.query.get("accepts_incomplete", [])
    malformed = any(value not in ("true", "false") for value in values)
    return negative == {"query"} and malformed and response.status_code in (200, 201), [
        f"accepts_incomplete={values!r} ignored by a synchronous {response.status_code}"
    ]


def _delete_status(failure: Any) -> int | None:
    deleted = getattr(failure, "deleted_case_id", None)
    return _delete_statuses.get(deleted) if deleted else None


def _remembered_async_delete(sent: Sent, response: Any, failure: Any) -> tuple[bool, list[str]]:
    status = _delete_status(failure)
    return status == 202, [f"the delete was asynchronous ({status}); its state is remembered"]


EXCEPTIONS: list[Exception_] = [
    # positive_data_acceptance assumes that a request matching the yaml is valid.
    # spec.md restricts ids, headers and parameters far beyond "type: string".
    Exception_(
        id="E1-positive-400-invalid-per-spec",
        check="positive_data_acceptance",
        failure="RejectedPositiveData",
        statuses=(400,),
        operations=ALL_OPERATIONS,
        files=("swagger", "openapi"),
        spec="each operation's 400 row; Originating Identity; Request Identity; request field tables",
        when=_invalid_request,
    ),
    Exception_(
        id="E2-positive-410-gone",
        check="positive_data_acceptance",
        failure="RejectedPositiveData",
        statuses=(410,),
        operations=(DEPROVISION, UNBIND),
        files=("swagger", "openapi"),
        spec="Deprovisioning / Unbinding: 410 Gone MUST be returned if the resource does not exist",
        when=_gone,
    ),
    Exception_(
        id="E3-positive-422-spec-error-codes",
        check="positive_data_acceptance",
        failure="RejectedPositiveData",
        statuses=(422,),
        operations=(PROVISION, UPDATE, DEPROVISION, BIND, UNBIND, FETCH_INSTANCE),
        files=("swagger", "openapi"),
        spec="Asynchronous Operations; Blocking Operations; 422 rows of the operations",
        when=_spec_422,
    ),
    # openapi.yaml lists fewer statuses than spec.md (swagger.yaml has `default`).
    # (Its missing 401s need no exception here: `ignored_auth` checks those answers.)
    Exception_(
        id="E4-openapi-400-invalid-request",
        check="status_code_conformance",
        failure="UndefinedStatusCode",
        statuses=(400,),
        operations=(CATALOG, FETCH_INSTANCE, FETCH_BINDING),
        files=("openapi",),
        spec="Originating Identity; Fetching: service_id/plan_id 'If present, MUST be a non-empty string'",
        when=_invalid_request,
    ),
    Exception_(
        id="E5-openapi-400-missing-version",
        check="status_code_conformance",
        failure="UndefinedStatusCode",
        statuses=(400,),
        operations=(CATALOG, FETCH_INSTANCE, FETCH_BINDING),
        files=("openapi",),
        spec="API Version Header: MAY reject the request with 400 Bad Request",
        when=_version_missing,
    ),
    Exception_(
        id="E6-openapi-422-fetch-concurrency",
        check="status_code_conformance",
        failure="UndefinedStatusCode",
        statuses=(422,),
        operations=(FETCH_INSTANCE,),
        files=("openapi",),
        spec="Fetching a Service Instance: 422 ... MUST be returned if the Service Instance is being updated",
        when=_concurrency_error,
    ),
    # negative_data_rejection: a synchronous broker may ignore accepts_incomplete.
    Exception_(
        id="E7-negative-accepts-incomplete-ignored",
        check="negative_data_rejection",
        failure="AcceptedNegativeData",
        statuses=(200, 201),
        operations=(PROVISION, UPDATE, DEPROVISION, UNBIND),
        files=("swagger", "openapi"),
        spec="Synchronous Operations: brokers ... can ignore the accepts_incomplete=true query parameter",
        when=_ignored_accepts_incomplete,
    ),
    # use_after_free: after an asynchronous delete the operation's state stays pollable.
    Exception_(
        id="E8-last-operation-after-async-delete",
        check="use_after_free",
        failure="UseAfterFree",
        statuses=(200,),
        operations=(INSTANCE_LAST_OP, BINDING_LAST_OP),
        files=("swagger", "openapi"),
        spec="Polling Last Operation: SHOULD NOT forget the state of an operation ...; 410 only for async deletes",
        when=_remembered_async_delete,
    ),
    # A request without X-Broker-API-Version: spec.md says the broker MAY answer 400;
    # the runtime answers 412 by default (MissingVersion::PreconditionFailed, what
    # osb-checker and Go's brokerapi expect). Schemathesis's check wants a 4xx from
    # its own list, and openapi.yaml documents no 412.
    Exception_(
        id="E9-missing-version-412",
        check="missing_required_header",
        failure="MissingHeaderNotRejected",
        statuses=(412,),
        operations=ALL_OPERATIONS,
        files=("swagger", "openapi"),
        spec="API Version Header: ... MAY reject the request with 400 Bad Request (a MAY, not a MUST)",
        when=_version_missing_412,
    ),
    Exception_(
        id="E10-openapi-412-missing-version",
        check="status_code_conformance",
        failure="UndefinedStatusCode",
        statuses=(412,),
        operations=ALL_OPERATIONS,
        files=("openapi",),
        spec="API Version Header: ... MAY reject the request with 400 Bad Request (a MAY, not a MUST)",
        when=_version_missing_412,
    ),
]


# --------------------------------------------------------------------------------------
# Known bugs: reported, not excused. `.ci/schemathesis` lists the active ids.


@dataclass
class KnownBug:
    id: str
    failures: tuple[str, ...]
    where: str
    when: Callable[[Sent, Any, Any], bool]


# None today. An entry looks like
#
#     KnownBug(
#         id="KB4-short-name",            # also listed in .ci/schemathesis (KNOWN_BUGS)
#         failures=("RejectedPositiveData",),
#         where="file and function at fault",
#         when=lambda sent, response, failure: ...,  # True for the failures it explains
#     ),
#
# KB1 (a 412 for a missing X-Broker-API-Version) became exception E9/E10: the 400 of
# spec.md is a MAY. KB2 (an update naming no plan got 400) and KB3 (last_operation
# answered 200 after a synchronous delete) were fixed by the reference broker's move
# to the state layer (osb/src/router/stateful/). Their ids are not reused.
KNOWN_BUGS: dict[str, KnownBug] = {}


# --------------------------------------------------------------------------------------


def _check_of(failure: Any) -> str:
    checks = getattr(type(failure), "checks", ()) or ()
    return checks[0] if checks else getattr(failure, "title", type(failure).__name__)


def classify(failure: Any, case: Any, response: Any) -> tuple[str, list[str]]:
    """("exception:<id>" | "known-bug:<id>" | "unclassified", reasons)."""
    sent = Sent.from_response(case, response)
    kind = type(failure).__name__
    for exc in EXCEPTIONS:
        if (
            kind == exc.failure
            and SPEC_NAME in exc.files
            and sent.operation in exc.operations
            and response.status_code in exc.statuses
        ):
            applies, reasons = exc.when(sent, response, failure)
            if applies:
                return f"exception:{exc.id}", reasons
    for bug_id in sorted(ACTIVE_KNOWN_BUGS):
        bug = KNOWN_BUGS.get(bug_id)
        # Reached only when no exception applies: for RejectedPositiveData, the
        # request is valid per spec.md (E1 would have excused it otherwise).
        if bug is not None and kind in bug.failures and bug.when(sent, response, failure):
            return f"known-bug:{bug.id}", []
    return "unclassified", request_violations(sent) if kind == "RejectedPositiveData" else []


def _record(entry: dict[str, Any]) -> None:
    if not LOG_PATH:
        return
    line = json.dumps(entry, ensure_ascii=True, default=repr)
    with _log_lock, open(LOG_PATH, "a", encoding="utf-8") as log:
        log.write(line + "\n")


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    try:
        classification, reasons = classify(failure, case, response)
    except Exception as err:  # a hook bug must never hide a failure
        classification, reasons = "unclassified", [f"hook error: {err!r}"]
    request = response.request
    headers = {k: _text(v) for k, v in request.headers.items() if k.lower() != "authorization"}
    body = request.body
    _record(
        {
            "spec": SPEC_NAME,
            "case_id": case.id,
            "operation": case.operation.label,
            "phase": str(getattr(getattr(getattr(case, "meta", None), "phase", None), "name", "") or ""),
            "check": _check_of(failure),
            "failure": type(failure).__name__,
            "title": failure.title,
            "status": response.status_code,
            "classification": classification,
            "reasons": reasons,
            "request": {
                "method": request.method,
                "url": request.url,
                "headers": headers,
                "authorization": "present" if "authorization" in {k.lower() for k in request.headers} else "absent",
                "body": _text(body)[:2000] if body is not None else None,
            },
            "response": {
                "status": response.status_code,
                "body": (response.content or b"")[:2000].decode("utf-8", "replace"),
            },
        }
    )
    return not classification.startswith("exception:")
