"""Component schemas of the OpenAPI document (the shapes core.usecases.browse returns)."""

from __future__ import annotations

from typing import Any

from core.domain.scoring.imp.results import ROLES

STR: dict[str, Any] = {"type": "string"}
NSTR: dict[str, Any] = {"type": "string", "nullable": True}
INT: dict[str, Any] = {"type": "integer"}
NINT: dict[str, Any] = {"type": "integer", "nullable": True}
BOOL: dict[str, Any] = {"type": "boolean"}
TIER = {"type": "string", "enum": ["dasar", "berkembang", "mandiri"]}
REFERRAL = {"type": "string", "enum": ["dirujuk", "diterima", "ditindaklanjuti"]}
WILAYAH_CODE = {"type": "string", "pattern": r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"}


def ref(name: str) -> dict[str, Any]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """An object schema whose `required` properties must be present."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **optional},
    }


def arr(items: dict[str, Any]) -> dict[str, Any]:
    """An array schema."""
    return {"type": "array", "items": items}


def page(item: str) -> dict[str, Any]:
    """A listing: items and the URL of the next page."""
    return obj({"items": arr(ref(item)), "next": NSTR})


PLACE = {"desa": STR, "desa_name": NSTR, "kecamatan": STR, "kecamatan_name": NSTR}
CRITERION = obj({"code": STR, "text_id": STR, "text_en": STR}, evidence=arr(INT))
CHILD = obj(
    {"sex": NSTR, "age_days": NINT, "haz": {"type": "number", "nullable": True}, "category": NSTR},
    flagged=BOOL,
)
ALERT = obj(
    {
        "id": INT,
        "ref": STR,
        "kind": STR,
        "urgent": BOOL,
        "desa": STR,
        "desa_name": STR,
        "kecamatan": STR,
        "rw": NSTR,
        "rt": NSTR,
        "imp": NSTR,
        "family": NSTR,
        "status": {"type": "string", "enum": ["open", "closed"]},
        "referral": {**REFERRAL, "nullable": True},
        "referral_by": NSTR,
        "referral_at": NSTR,
        "created_at": STR,
    }
)
FAMILY = obj(
    {
        "family": STR,
        **PLACE,
        "rw": NSTR,
        "rt": NSTR,
        "krs": BOOL,
        "factors": arr(STR),
        "last_survey": NSTR,
        "stunted_children": INT,
        "children": arr(ref("Child")),
    }
)
SURVEY = obj(
    {
        "survey_date": NSTR,
        "target": BOOL,
        "krs": BOOL,
        "factors": arr(STR),
        "children": arr(ref("Child")),
    },
    target_groups=arr(STR),
    pregnancy={"type": "object", "nullable": True},
)
IMP = obj(
    {
        "code": STR,
        "name": STR,
        "kind": {"type": "string", "enum": ["ppkbd", "sub_ppkbd", "kelompok_kb"]},
        **PLACE,
        "rw": NSTR,
        "rt": NSTR,
        "parent": NSTR,
        "active": BOOL,
        "tier": {**TIER, "nullable": True},
        "period": NSTR,
    }
)
ROLE = obj(
    {
        "role": {"type": "string", "enum": list(ROLES)},
        "level": {"type": "integer", "minimum": 1, "maximum": 3},
        "tier": TIER,
        "evidence": arr(INT),
        "met": arr(ref("Criterion")),
        "not_met": arr(ref("Criterion")),
        "next_tier_missing": arr(ref("Criterion")),
    },
    no_evidence=BOOL,
)
WILAYAH = obj(
    {"code": STR, "name": STR, "level": INT, "level_name": STR, "kind": STR, "parent": NSTR}
)
UNIT = obj(
    {
        "code": STR,
        "name": NSTR,
        "tiers": {"type": "object", "additionalProperties": INT},
        "krs": INT,
        "open_alerts": INT,
    }
)
PUBLICATION = obj({"version": STR, "server": STR, "server_form_id": STR, "status": STR})

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {"error": obj({"code": STR, "message": STR})},
        request_id={"type": "string", "nullable": True},
    ),
    "Me": obj(
        {
            "name": STR,
            "role": {"type": "string", "enum": ["admin", "supervisor", "tpps"]},
            "wilayah": arr(STR),
            "sees_families": BOOL,
        }
    ),
    "Wilayah": WILAYAH,
    "WilayahDetail": {"allOf": [ref("Wilayah"), obj({"children": arr(ref("Wilayah"))})]},
    "Overview": obj(
        {
            "scope": arr(obj({"code": STR, "name": NSTR})),
            "families_visible": BOOL,
            "level": INT,
            "units": arr(ref("Unit")),
            "tiers": {"type": "object", "additionalProperties": INT},
            "krs_families": INT,
            "stunted_children": INT,
            "krs_factors": arr(obj({"factor": STR, "families": INT})),
            "open_alerts": INT,
        }
    ),
    "Unit": UNIT,
    "Imp": IMP,
    "Criterion": CRITERION,
    "Role": ROLE,
    "ImpDetail": {
        "allOf": [
            ref("Imp"),
            obj(
                {
                    "history": arr(
                        obj(
                            {
                                "period": STR,
                                "tier": TIER,
                                "roles": {"type": "object"},
                                "computed_at": STR,
                            }
                        )
                    ),
                    "assessment": {
                        **obj(
                            {
                                "period": STR,
                                "tier": TIER,
                                "rules_version": STR,
                                "limited_by": arr(STR),
                                "roles": arr(ref("Role")),
                            }
                        ),
                        "nullable": True,
                    },
                }
            ),
        ]
    },
    "Child": CHILD,
    "Family": FAMILY,
    "Survey": SURVEY,
    "FamilyDetail": {
        "allOf": [
            ref("Family"),
            obj({"first_seen": STR, "history": arr(ref("Survey")), "alerts": arr(ref("Alert"))}),
        ]
    },
    "Alert": ALERT,
    "AlertDetail": {
        "allOf": [
            ref("Alert"),
            obj(
                {
                    "text_id": STR,
                    "text_en": STR,
                    "history": arr(obj({"status": REFERRAL, "by": STR, "note": NSTR, "at": STR})),
                }
            ),
        ]
    },
    "ReferralUpdate": {
        "type": "object",
        "required": ["referral"],
        "properties": {"referral": REFERRAL, "note": {"type": "string", "maxLength": 500}},
    },
    "FormSummary": obj(
        {
            "form_id": STR,
            "versions": INT,
            "latest_version": NSTR,
            "latest_publication": {**PUBLICATION, "nullable": True},
        }
    ),
    "FormDetail": obj(
        {
            "form_id": STR,
            "versions": arr(obj({"version": STR, "built_at": STR, "publications": arr({})})),
            "publications": arr(PUBLICATION),
        }
    ),
    "IntakeHealth": obj(
        {
            "last_webhook_at": NSTR,
            "pulls": arr(obj({"server": STR, "asset_uid": STR, "form_id": NSTR})),
            "submissions": {"type": "object", "additionalProperties": INT},
            "dead_letters": INT,
            "problems": INT,
        }
    ),
    "DeadLetter": obj({"id": INT, "received_at": STR, "source": STR, "reason": STR, "bytes": INT}),
    "Problem": obj({"id": INT, "instance_id": STR, "status": STR, "problem": NSTR}),
}
for _name in ("Wilayah", "Imp", "Family", "Alert", "FormSummary", "DeadLetter", "Problem"):
    SCHEMAS[f"{_name}Page"] = page(_name)
