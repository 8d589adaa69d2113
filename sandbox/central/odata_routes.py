"""Central's OData feed of a form: the service document and `Submissions`.

Rows are built from each submission's current XML; `$filter`/`$orderby` parsing lives in
`sandbox.central.odata`. Paging links carry `%24skiptoken=01<base64>` as Central's do.
"""

from __future__ import annotations

import base64
import hashlib
import json
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict

from sandbox.central.auth import current_state, get_form
from sandbox.central.odata import mentions_deleted_at, parse_filter, parse_orderby
from sandbox.central.responses import CentralProblem, ok
from sandbox.central.state import FormDef, Submission, iso, local_name

bp = Blueprint("odata", __name__)


def _typed(value: str | None, kind: str) -> Any:
    if value is None or value == "":
        return None
    try:
        if kind == "int":
            return int(value)
        if kind == "decimal":
            return float(value)
    except ValueError:
        return value
    if kind == "geopoint":
        parts = value.split()
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            return value
        coords = [lon, lat] + ([float(parts[2])] if len(parts) > 2 else [])
        props = {"accuracy": float(parts[3])} if len(parts) > 3 else None
        point: dict[str, Any] = {"type": "Point", "coordinates": coords}
        if props:
            point["properties"] = props
        return point
    return value


def _element_json(
    elem: ET.Element, path: str, definition: FormDef, expand: bool, nav: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    repeats_seen: dict[str, list[dict[str, Any]]] = {}
    for child in elem:
        name = local_name(child.tag)
        child_path = f"{path}/{name}"
        if child_path in definition.repeats:
            row = _element_json(child, child_path, definition, expand, nav)
            repeats_seen.setdefault(name, []).append(row)
            continue
        if len(child):
            out[name] = _element_json(child, child_path, definition, expand, nav)
        else:
            out[name] = _typed(child.text, definition.types.get(child_path, "string"))
    for name, rows in repeats_seen.items():
        if expand:
            for i, row in enumerate(rows):
                row["__id"] = hashlib.sha1(f"{nav}/{name}/{i}".encode()).hexdigest()
            out[name] = rows
        else:
            out[f"{name}@odata.navigationLink"] = f"{nav}/{name}"
    return out


def odata_row(sub: Submission, definition: FormDef, expand: bool) -> dict[str, Any]:
    """A submission as an OData `Submissions` row, with its `__system` block."""
    doc = ET.fromstring(sub.current.xml)
    nav = f"Submissions('{quote(sub.id, safe='')}')"
    data = _element_json(doc, "/" + local_name(doc.tag), definition, expand, nav)
    row: dict[str, Any] = {"__id": sub.id}
    row.update(data)
    row["__system"] = {
        "submissionDate": iso(sub.created_at),
        "updatedAt": iso(sub.updated_at),
        "submitterId": str(sub.submitter_id),
        "submitterName": "pantau",
        "attachmentsPresent": 0,
        "attachmentsExpected": 0,
        "status": None,
        "reviewState": sub.review_state,
        "deviceId": None,
        "edits": sub.edits,
        "formVersion": sub.current.form_version,
        "deletedAt": iso(sub.deleted_at),
    }
    return row


def _skiptoken(instance_id: str) -> str:
    payload = json.dumps({"instanceId": instance_id}, separators=(",", ":")).encode()
    return "01" + base64.b64encode(payload).decode()


def _read_skiptoken(token: str) -> str:
    try:
        if not token.startswith("01"):
            raise ValueError(token)
        return json.loads(base64.b64decode(token[2:]))["instanceId"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CentralProblem(400, 400.34, "The $skiptoken you provided is invalid.") from exc


def _project(row: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in wanted:
        head, _, rest = path.partition("/")
        if head not in row:
            continue
        if not rest:
            out[head] = row[head]
        elif isinstance(row[head], dict) and rest in row[head]:
            out.setdefault(head, {})[rest] = row[head][rest]
    return out


@bp.get("/v1/projects/<int:p>/forms/<form_id>.svc")
def service_document(p: int, form_id: str) -> Response:
    """The OData service document: one entity set, `Submissions`."""
    with current_state().lock:
        get_form(p, form_id)
    base = request.base_url
    return ok(
        {
            "@odata.context": f"{base}/$metadata",
            "value": [{"name": "Submissions", "kind": "EntitySet", "url": "Submissions"}],
        }
    )


def _check_expand(expand: str | None, select: str | None) -> None:
    if expand is not None and expand != "*":
        raise CentralProblem(
            501,
            501.1,
            f"The requested feature $expand={expand} is not supported by this server.",
        )
    if select is not None and expand is not None:
        raise CentralProblem(
            501,
            501.11,
            "The given query combines $select with $expand, which is not supported.",
        )


def _sort(rows: list[Submission], order: list[tuple[str, bool]] | None) -> None:
    if order:
        # Stable sorts, last key first; nulls sort last ascending, first descending
        # (PostgreSQL's default); the creation order breaks ties.
        rows.sort(key=lambda r: r.seq, reverse=order[0][1])
        for fld, desc in reversed(order):
            rows.sort(
                key=lambda r, f=fld: (
                    r.filter_values()[f] is None,
                    r.filter_values()[f] if r.filter_values()[f] is not None else 0,
                ),
                reverse=desc,
            )
    else:
        # Central's default: newest first.
        rows.sort(key=lambda r: r.seq, reverse=True)


def _after_token(rows: list[Submission], token: str | None) -> list[Submission]:
    if not token:
        return rows
    after = _read_skiptoken(token)
    index = next((i for i, r in enumerate(rows) if r.id == after), None)
    return rows[index + 1 :] if index is not None else []


def _next_link(args: MultiDict[str, str], last: Submission) -> str:
    params = [(k, v) for k, v in args.items(multi=True) if k not in ("$skiptoken", "$skip")]
    params.append(("$skiptoken", _skiptoken(last.id)))
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
    return f"{request.base_url}?{query}"


def _matching(
    subs: list[Submission], args: MultiDict[str, str], skip: int
) -> tuple[int, list[Submission]]:
    """The rows the query selects, sorted, from the skip token on; and how many match in all."""
    text = args.get("$filter")
    predicate = parse_filter(text) if text else None
    # As Central: the trash stays out unless the filter names `__system/deletedAt`.
    with_trash = bool(text) and mentions_deleted_at(text or "")

    def keep(r: Submission) -> bool:
        return (with_trash or r.deleted_at is None) and (
            predicate is None or predicate(r.filter_values())
        )

    rows = list(subs)
    _sort(rows, parse_orderby(args["$orderby"]) if args.get("$orderby") else None)
    total = sum(1 for r in rows if keep(r))
    # The skip token is found among every row, so a row deleted between pages loses nothing.
    rows = _after_token(rows, args.get("$skiptoken"))
    return total, [r for r in rows if keep(r)][skip:]


@bp.get("/v1/projects/<int:p>/forms/<form_id>.svc/Submissions")
def odata_submissions(p: int, form_id: str) -> Response:
    """The `Submissions` feed with `$filter`, `$orderby`, `$top`/`$skip`/`$skiptoken`, ..."""
    args = request.args
    if args.get("$orderby") and args.get("$skiptoken"):
        # As Central, even on the next link it wrote itself for an ordered first page.
        feature = "using $orderby and $skiptoken together"
        raise CentralProblem(
            501,
            501.1,
            f"The requested feature {feature} is not supported by this server.",
            {"feature": feature},
        )
    expand = args.get("$expand")
    select = args.get("$select")
    _check_expand(expand, select)
    try:
        top = int(args["$top"]) if "$top" in args else None
        skip = int(args.get("$skip", 0))
    except ValueError as exc:
        raise CentralProblem(400, 400.18, "$top and $skip must be integers.") from exc
    state = current_state()
    with state.lock:
        form = get_form(p, form_id)
        definition = form.current or form.draft
        total, rows = _matching(state.submissions.get((p, form_id), []), args, skip)
        # `$top=0` answers the count alone, without a next link.
        more = top is not None and top > 0 and len(rows) > top
        page = rows[:top] if top is not None else rows
        assert definition is not None
        values = [odata_row(r, definition, expand == "*") for r in page]
    if select:
        wanted = [s.strip() for s in select.split(",") if s.strip()]
        values = [_project(v, wanted) for v in values]
    body: dict[str, Any] = {
        "@odata.context": f"{request.url_root.rstrip('/')}/v1/projects/{p}/forms/"
        f"{quote(form_id, safe='')}.svc/$metadata#Submissions",
    }
    if args.get("$count") == "true":
        body["@odata.count"] = total
    body["value"] = values
    if more:
        body["@odata.nextLink"] = _next_link(args, page[-1])
    return ok(body)
