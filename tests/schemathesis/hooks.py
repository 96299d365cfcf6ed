"""Schemathesis hooks for incidentd's schema-driven API check (tests/tests/schemathesis.rs).

Authentication: the run passes placeholder credentials with `-H` (so schemathesis knows the
operations are called with explicit credentials and can probe them without); a request that
still carries a placeholder when it is sent is signed here over its final bytes, as its route
demands: the dashboard's HMAC (README, "The API"), the operator's bearer token, Slack's v0
signature. A probe that removed or replaced the credentials goes out unsigned, so the server
must refuse it.

Test data: generated values are kept within rules the schema cannot state (a service id the
tenant knows, an override that ends after it starts, the operator never reconfiguring the
tenant the dashboard requests act as), and some generated incident ids are swapped for a real
incident's so that operations reach a live incident, not only 404s. Every swap keeps a valid
value valid and leaves an invalid one alone.

Configuration comes from the environment the Rust test sets: INCIDENTD_BASE_URL,
INCIDENTD_SIGNING_SECRET, INCIDENTD_ADMIN_TOKEN, INCIDENTD_SLACK_SIGNING_SECRET.
"""

import hashlib
import hmac
import json
import os
import re
import time
import uuid
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

import requests
import schemathesis

BASE_URL = os.environ["INCIDENTD_BASE_URL"]
SIGNING_SECRET = os.environ["INCIDENTD_SIGNING_SECRET"].encode()
ADMIN_TOKEN = os.environ["INCIDENTD_ADMIN_TOKEN"]
SLACK_SECRET = os.environ["INCIDENTD_SLACK_SIGNING_SECRET"].encode()

# The dashboard acts as the seeded demo tenant (its services: api, checkout, payments).
TENANT = "demo"
USER = "schemathesis"
KNOWN_SERVICES = ["api", "checkout", "payments"]
AFFECTION_PATHS = ("/dashboard/incidents/{id}/affection", "/dashboard/incidents/{id}/affection/updates")
PLACEHOLDER = "sign-me"
# What the run passes with -H: every credential header, as a placeholder.
PLACEHOLDER_HEADERS = {
    "x-incidentd-client": TENANT,
    "x-incidentd-user": USER,
    "x-incidentd-timestamp": PLACEHOLDER,
    "x-incidentd-nonce": PLACEHOLDER,
    "x-incidentd-signature": PLACEHOLDER,
    "Authorization": "Bearer " + PLACEHOLDER,
    "X-Slack-Request-Timestamp": PLACEHOLDER,
    "X-Slack-Signature": PLACEHOLDER,
}

def _body_bytes(request):
    body = request.body or b""
    return body.encode() if isinstance(body, str) else body


def _sign_dashboard(request):
    timestamp = str(int(time.time()))
    nonce = uuid.uuid4().hex
    canonical = "\n".join(
        [
            "v1",
            timestamp,
            nonce,
            request.method.upper(),
            request.path_url,
            request.headers["x-incidentd-client"],
            request.headers["x-incidentd-user"],
            hashlib.sha256(_body_bytes(request)).hexdigest(),
        ]
    )
    request.headers["x-incidentd-timestamp"] = timestamp
    request.headers["x-incidentd-nonce"] = nonce
    request.headers["x-incidentd-signature"] = (
        "v1=" + hmac.new(SIGNING_SECRET, canonical.encode(), hashlib.sha256).hexdigest()
    )


def _sign_slack(request):
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + _body_bytes(request)
    request.headers["X-Slack-Request-Timestamp"] = timestamp
    request.headers["X-Slack-Signature"] = (
        "v0=" + hmac.new(SLACK_SECRET, base, hashlib.sha256).hexdigest()
    )


class Credentials(requests.auth.AuthBase):
    """Replaces the placeholders still on a prepared request (final method, path, body)."""

    def __call__(self, request):
        # A probe may have removed or replaced any credential header: sign only a request that
        # still has every one of them as the run passed it.
        if all(
            request.headers.get(name) == value
            for name, value in PLACEHOLDER_HEADERS.items()
            if name.startswith("x-incidentd-")
        ):
            _sign_dashboard(request)
        if request.headers.get("Authorization") == "Bearer " + PLACEHOLDER:
            request.headers["Authorization"] = "Bearer " + ADMIN_TOKEN
        if all(request.headers.get(name) == PLACEHOLDER for name in ("X-Slack-Request-Timestamp", "X-Slack-Signature")):
            _sign_slack(request)
        return request


def _send(method, path, body=None):
    """A request of this module's own, signed like the run's."""
    headers = dict(PLACEHOLDER_HEADERS)
    if body is not None:
        headers["content-type"] = "application/json"
    request = requests.Request(
        method, BASE_URL + path, headers=headers, data=None if body is None else json.dumps(body)
    ).prepare()
    Credentials()(request)
    with requests.Session() as session:
        return session.send(request, timeout=30)


def _live_incident():
    """A real incident of the dashboard tenant, declared once for the whole run."""
    reply = _send(
        "POST",
        "/dashboard/incidents",
        {"prompt": "schemathesis: a live incident", "idempotency_key": "schemathesis-live"},
    )
    reply.raise_for_status()
    return reply.json()["incident"]["id"]


LIVE_INCIDENT = _live_incident()
# A few more, so that the list has pages to follow.
for n in range(3):
    _send("POST", "/dashboard/incidents", {"prompt": f"schemathesis: listed {n}"}).raise_for_status()

INCIDENT_ID = re.compile(r"^[0-9a-f]{64}$")
CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,512}$")
OVERRIDES = "/admin/tenants/{tenant}/rotations/{rotation}/overrides"
ENTRY_POINTS = "/admin/tenants/{tenant}/entry-points/{entry_point}"
ADMIN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _instant(text):
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def _genuine_cursor(query):
    """A cursor the server issued for these filters, or None (no second page, or filters the
    server refuses)."""
    filters = [(k, v) for k, values in query.items() if k not in ("cursor", "limit")
               for v in (values if isinstance(values, list) else [values])]
    reply = _send("GET", "/dashboard/incidents?" + urlencode(filters + [("limit", 1)]))
    return reply.json().get("next_cursor") if reply.status_code == 200 else None


def _keep_within_unstated_rules(case):
    path, method = case.operation.path, case.operation.method.upper()
    parameters = case.path_parameters or {}
    incident = parameters.get("id")
    # Half of the valid incident ids become the live incident's (a stable choice per value).
    if isinstance(incident, str) and INCIDENT_ID.match(incident) and int(incident[-1], 16) % 2:
        parameters["id"] = LIVE_INCIDENT
    # The operator's routes never reconfigure the tenant the dashboard requests act as.
    if parameters.get("tenant") == TENANT:
        parameters["tenant"] = TENANT + "-x"
    body, query = case.body, case.query
    # No schema can say which strings are cursors (they are checksummed): a generated one the
    # schema calls valid becomes a real one for the same filters; an invalid one stays.
    if path == "/dashboard/incidents" and method == "GET" and isinstance(query, dict):
        cursor = query.get("cursor")
        if isinstance(cursor, str) and CURSOR.match(cursor):
            genuine = _genuine_cursor(query)
            if genuine:
                query["cursor"] = genuine
            else:
                del query["cursor"]
    # Opening a status-page incident and updating one name services of the tenant's catalog.
    if path in AFFECTION_PATHS and isinstance(body, dict):
        services = body.get("services")
        if isinstance(services, list):
            for n, service in enumerate(services):
                if isinstance(service, dict) and isinstance(service.get("id"), str):
                    service["id"] = KNOWN_SERVICES[n % len(KNOWN_SERVICES)]
    if path == OVERRIDES and isinstance(body, dict):
        start, end = _instant(body.get("from")), _instant(body.get("to"))
        if start is not None and end is not None:
            if end < start:
                body["from"], body["to"] = body["to"], body["from"]
            elif end == start:
                body["to"] = (end + timedelta(hours=1)).isoformat()
    # An entry point may page a rotation of its tenant only (else 422): make the one a valid
    # request names exist first (for a tenant that does not, the server answers 404 anyway).
    if path == ENTRY_POINTS and method == "PUT" and isinstance(body, dict):
        rotation, tenant = body.get("rotation_id"), parameters.get("tenant")
        if body.get("kind") == "rotation" and isinstance(rotation, str) and ADMIN_ID.match(rotation) \
                and isinstance(tenant, str) and ADMIN_ID.match(tenant):
            _send("PUT", f"/admin/tenants/{quote(tenant, safe='')}/rotations/{quote(rotation, safe='')}", {
                "members": ["schemathesis"], "shift_hours": 24, "handoff_time": "09:00",
                "time_zone": "UTC", "starts_on": "2026-01-01"})
    # Slack sends the interaction payload as a JSON string in the form.
    if path == "/slack/interactions" and isinstance(body, dict):
        if isinstance(body.get("payload"), (dict, list)):
            body["payload"] = json.dumps(body["payload"])


@schemathesis.hook
def before_call(ctx, case, kwargs):
    _keep_within_unstated_rules(case)
    kwargs["auth"] = Credentials()
