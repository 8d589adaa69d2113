"""The OpenAPI 3 document of `/api/v1`, written by hand next to the routes it describes."""

from __future__ import annotations

from typing import Any

from service.api.schemas import SCHEMAS, STR, WILAYAH_CODE, ref


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


ERRORS = {
    "400": _json("Error", "a filter, cursor or body that cannot be read"),
    "401": _json("Error", "no token, or an unknown or revoked one"),
    "503": _json("Error", "the database is unavailable; try again later"),
}
NOT_FOUND = {"404": _json("Error", "absent, or outside the wilayah the user may see")}
ADMIN_ONLY = {"403": _json("Error", "only an admin may use this")}


def _param(name: str, where: str, schema: dict[str, Any], text: str, required: bool = False):
    return {"name": name, "in": where, "required": required, "schema": schema, "description": text}


LIST_PARAMS = [
    _param("cursor", "query", STR, "the `next` cursor of the previous page"),
    _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200}, "page size (50)"),
]
WILAYAH_FILTER = _param(
    "wilayah", "query", WILAYAH_CODE, "only inside this dotted wilayah (404 outside your own)"
)


def _op(
    summary: str,
    schema: str,
    *,
    params: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    tag: str,
) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": [tag],
        "parameters": params or [],
        "responses": {"200": _json(schema, "OK"), **ERRORS, **(extra or {})},
    }


CODE = _param("code", "path", STR, "dotted wilayah code", True)
ALERT_ID = _param(
    "alert_id",
    "path",
    {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    "alert id",
    True,
)


def _enum(values: Any) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _general_paths() -> dict[str, Any]:
    """Who is asking, the overview and the wilayah tree."""
    return {
        "/me": {"get": _op("Who the token belongs to", "Me", tag="users")},
        "/overview": {
            "get": _op(
                "Tiers per kecamatan/kelurahan, KRS families by factor",
                "Overview",
                params=[WILAYAH_FILTER],
                extra=NOT_FOUND,
                tag="overview",
            )
        },
        "/wilayah": {
            "get": _op(
                "Regions inside your scope, by code",
                "WilayahPage",
                params=[
                    *LIST_PARAMS,
                    WILAYAH_FILTER,
                    _param("parent", "query", STR, "children of this code"),
                    _param("level", "query", {"type": "integer", "minimum": 1, "maximum": 4}, ""),
                ],
                extra=NOT_FOUND,
                tag="wilayah",
            )
        },
        "/wilayah/{code}": {
            "get": _op(
                "One region and its children",
                "WilayahDetail",
                params=[CODE],
                extra=NOT_FOUND,
                tag="wilayah",
            )
        },
    }


def _imp_paths() -> dict[str, Any]:
    """IMPs: current tier, history, the six roles explained."""
    return {
        "/imps": {
            "get": _op(
                "IMPs with their current tier, by code",
                "ImpPage",
                params=[
                    *LIST_PARAMS,
                    WILAYAH_FILTER,
                    _param("kind", "query", _enum(("ppkbd", "sub_ppkbd", "kelompok_kb")), ""),
                    _param("tier", "query", _enum(("dasar", "berkembang", "mandiri", "none")), ""),
                    _param("active", "query", {"type": "boolean"}, "active IMPs (default true)"),
                ],
                extra=NOT_FOUND,
                tag="imps",
            )
        },
        "/imps/{code}": {
            "get": _op(
                "One IMP: tier history and the six roles with explanation and evidence",
                "ImpDetail",
                params=[
                    _param("code", "path", STR, "IMP code", True),
                    _param("period", "query", STR, "the period to explain (default: latest)"),
                ],
                extra=NOT_FOUND,
                tag="imps",
            )
        },
    }


def _family_paths() -> dict[str, Any]:
    """Families at risk of stunting, by pseudonymous key only."""
    return {
        "/families": {
            "get": _op(
                "Families at risk of stunting (pseudonymous keys); audited",
                "FamilyPage",
                params=[
                    *LIST_PARAMS,
                    WILAYAH_FILTER,
                    _param("factor", "query", {"type": "string", "pattern": "^[a-z_]{1,40}$"}, ""),
                    _param(
                        "child",
                        "query",
                        _enum(("stunted", "sangat_pendek", "pendek", "normal", "tinggi")),
                        "a child of this height-for-age status",
                    ),
                    _param("krs", "query", _enum(("true", "false", "all")), "default true"),
                ],
                extra=NOT_FOUND,
                tag="families",
            )
        },
        "/families/{key}": {
            "get": _op(
                "One family's surveys and alerts; audited",
                "FamilyDetail",
                params=[_param("key", "path", STR, "the pseudonymous family key", True)],
                extra=NOT_FOUND,
                tag="families",
            )
        },
    }


def _alert_paths() -> dict[str, Any]:
    """Alerts and their referral status."""
    return {
        "/alerts": {
            "get": _op(
                "Alerts, newest first",
                "AlertPage",
                params=[
                    *LIST_PARAMS,
                    WILAYAH_FILTER,
                    _param("status", "query", _enum(("open", "closed")), ""),
                    _param(
                        "referral",
                        "query",
                        _enum(("dirujuk", "diterima", "ditindaklanjuti", "none")),
                        "",
                    ),
                    _param("kind", "query", {"type": "string", "pattern": "^[a-z0-9_]{1,40}$"}, ""),
                    _param("urgent", "query", {"type": "boolean"}, ""),
                ],
                extra=NOT_FOUND,
                tag="alerts",
            )
        },
        "/alerts/{alert_id}": {
            "get": _op(
                "One alert with its texts and referral history",
                "AlertDetail",
                params=[ALERT_ID],
                extra=NOT_FOUND,
                tag="alerts",
            ),
            "patch": {
                **_op(
                    "Set the referral status",
                    "AlertDetail",
                    params=[ALERT_ID],
                    extra=NOT_FOUND,
                    tag="alerts",
                ),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("ReferralUpdate")}},
                },
            },
        },
    }


def _admin_paths() -> dict[str, Any]:
    """Forms and intake health: admins only."""
    return {
        "/forms": {
            "get": _op(
                "Forms with their latest version and publication (admins)",
                "FormSummaryPage",
                params=LIST_PARAMS,
                extra=ADMIN_ONLY,
                tag="forms",
            )
        },
        "/forms/{form_id}": {
            "get": _op(
                "One form's versions and publications (admins)",
                "FormDetail",
                params=[_param("form_id", "path", STR, "our form id", True)],
                extra={**ADMIN_ONLY, **NOT_FOUND},
                tag="forms",
            )
        },
        "/intake": {
            "get": _op(
                "Last webhook, last pull per form, counts (admins)",
                "IntakeHealth",
                extra=ADMIN_ONLY,
                tag="intake",
            )
        },
        "/intake/dead-letters": {
            "get": _op(
                "Payloads refused at the door (admins)",
                "DeadLetterPage",
                params=LIST_PARAMS,
                extra=ADMIN_ONLY,
                tag="intake",
            )
        },
        "/intake/problems": {
            "get": _op(
                "Submissions that failed or are of an unknown form version (admins)",
                "ProblemPage",
                params=LIST_PARAMS,
                extra=ADMIN_ONLY,
                tag="intake",
            )
        },
    }


def _paths() -> dict[str, Any]:
    return {
        **_general_paths(),
        **_imp_paths(),
        **_family_paths(),
        **_alert_paths(),
        **_admin_paths(),
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.0 document."""
    paths = _paths()
    paths["/openapi.json"] = {
        "get": {
            "summary": "This document",
            "tags": ["meta"],
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3 document"}},
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Pantau API",
            "version": "1",
            "description": (
                "IMP tiers, families at risk of stunting and their alerts, scoped to the wilayah "
                "of the token's user. Families appear only by their pseudonymous key: Pantau "
                "holds no KK number, NIK or name. Lists answer {items, next}; follow `next`."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": paths,
    }
