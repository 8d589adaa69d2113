"""The IMP rubric: read and validate config/rules/imp_rubric.toml into an ImpRules."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from core.domain.registry import KINDS as IMP_KINDS
from core.domain.scoring.imp.forms import PROFILE_YES_FIELDS, REPORT_COUNTS, SERVICE_SOURCES
from core.domain.scoring.periods import PERIOD_KINDS
from core.domain.scoring.rules_file import Table, read_sections, read_toml

ROLLUP_ALLOWED = ("pertemuan", "kie_konseling", "pelayanan")
DEFAULT_IMP_RULES = "imp_rubric.toml"


@dataclass(frozen=True)
class ImpRules:
    """A validated IMP rubric (see config/rules/imp_rubric.toml for the meaning of each key)."""

    version: str
    period_kind: str
    utc_offset_hours: float
    rollup_roles: tuple[str, ...]
    profile_max_age_months: int
    org_b_kepengurusan: tuple[str, ...]
    org_b_single_manager_kinds: tuple[str, ...]
    org_b_required_yes: tuple[str, ...]
    org_m_required_yes: tuple[str, ...]
    meet_evaluation_types: tuple[str, ...]
    meet_follow_up_done: tuple[str, ...]
    meet_b_min_meetings: dict[str, int]
    meet_b_min_share_rencana_kerja: float
    meet_b_min_share_notulen: float
    meet_m_every_month: bool
    meet_m_min_share_rencana_kerja: float
    meet_m_min_share_notulen: float
    meet_m_min_follow_up_or_evaluation: int
    kie_kinds: tuple[str, ...]
    kie_counselling_kinds: tuple[str, ...]
    kie_b_min_kie: int
    kie_b_min_konseling: int
    kie_m_required_kinds: tuple[str, ...]
    kie_m_participants_recorded: bool
    rec_b_deadline_day: int
    rec_m_required_counts: tuple[str, ...]
    rec_m_require_peta_sasaran: bool
    svc_sources: tuple[str, ...]
    svc_b_min_pelayanan_ulang_per_month: int
    svc_b_min_rujukan: int
    svc_m_min_poktan: int
    svc_m_min_pertemuan_poktan: int
    self_b_min_upaya: int
    self_m_min_upaya: int
    self_m_dana_sendiri_atau_sekretariat: tuple[str, ...]
    source: str = field(default="", compare=False)


def default_imp_rules_path() -> Path:
    """Return the path of the rubric shipped in config/rules."""
    return Path(str(resources.files("config") / "rules" / DEFAULT_IMP_RULES))


def load_imp_rules(path: str | Path | None = None) -> ImpRules:
    """Read and validate an IMP rubric file; raise RulesError naming the bad key."""
    data, source = read_toml(path or default_imp_rules_path())
    top = Table(data, "", source)
    version = top.string("version")
    sections = (
        _period,
        _rollup,
        _profile,
        _organisation,
        _meetings,
        _kie_konseling,
        _records,
        _services,
        _self_reliance,
    )
    return ImpRules(version=version, **read_sections(top, sections), source=source)


def _role_tables(top: Table, role: str) -> tuple[Table, Table, Table]:
    """Return a role's table and its berkembang and mandiri sub-tables."""
    table = top.table(role)
    return table, table.table("berkembang"), table.table("mandiri")


def _done(*tables: Table) -> None:
    for table in tables:
        table.done()


def _period(top: Table) -> dict[str, Any]:
    period = top.table("period")
    values = {
        "period_kind": period.string("kind", PERIOD_KINDS),
        "utc_offset_hours": period.number("utc_offset_hours", -12, 14),
    }
    period.done()
    return values


def _rollup(top: Table) -> dict[str, Any]:
    rollup = top.table("rollup")
    values = {"rollup_roles": rollup.strings("roles", ROLLUP_ALLOWED, allow_empty=True)}
    rollup.done()
    return values


def _profile(top: Table) -> dict[str, Any]:
    profile = top.table("profile")
    values = {"profile_max_age_months": profile.integer("max_age_months", 0)}
    profile.done()
    return values


def _organisation(top: Table) -> dict[str, Any]:
    org, org_b, org_m = _role_tables(top, "pengorganisasian")
    values = {
        "org_b_kepengurusan": org_b.strings("kepengurusan"),
        "org_b_single_manager_kinds": org_b.strings(
            "single_manager_kinds", IMP_KINDS, allow_empty=True
        ),
        "org_b_required_yes": org_b.strings("required_yes", PROFILE_YES_FIELDS, allow_empty=True),
        "org_m_required_yes": org_m.strings("required_yes", PROFILE_YES_FIELDS, allow_empty=True),
    }
    _done(org_b, org_m, org)
    return values


def _meetings(top: Table) -> dict[str, Any]:
    meet, meet_b, meet_m = _role_tables(top, "pertemuan")
    mins = meet_b.table("min_meetings")
    min_meetings = {k: mins.integer(k, 0) for k in PERIOD_KINDS}
    mins.done()
    values = {
        "meet_evaluation_types": meet.strings("evaluation_types", allow_empty=True),
        "meet_follow_up_done": meet.strings("follow_up_done", allow_empty=True),
        "meet_b_min_meetings": min_meetings,
        "meet_b_min_share_rencana_kerja": meet_b.number("min_share_rencana_kerja", 0, 1),
        "meet_b_min_share_notulen": meet_b.number("min_share_notulen", 0, 1),
        "meet_m_every_month": meet_m.boolean("every_month"),
        "meet_m_min_share_rencana_kerja": meet_m.number("min_share_rencana_kerja", 0, 1),
        "meet_m_min_share_notulen": meet_m.number("min_share_notulen", 0, 1),
        "meet_m_min_follow_up_or_evaluation": meet_m.integer("min_follow_up_or_evaluation", 0),
    }
    _done(meet_b, meet_m, meet)
    return values


def _kie_konseling(top: Table) -> dict[str, Any]:
    kie, kie_b, kie_m = _role_tables(top, "kie_konseling")
    kie_kinds = kie.strings("kie_kinds")
    counselling = kie.strings("counselling_kinds")
    values = {
        "kie_kinds": kie_kinds,
        "kie_counselling_kinds": counselling,
        "kie_b_min_kie": kie_b.integer("min_kie", 0),
        "kie_b_min_konseling": kie_b.integer("min_konseling", 0),
        "kie_m_required_kinds": kie_m.strings(
            "required_kinds", kie_kinds + counselling, allow_empty=True
        ),
        "kie_m_participants_recorded": kie_m.boolean("participants_recorded"),
    }
    _done(kie_b, kie_m, kie)
    return values


def _records(top: Table) -> dict[str, Any]:
    rec, rec_b, rec_m = _role_tables(top, "pencatatan")
    values = {
        "rec_b_deadline_day": rec_b.integer("deadline_day", 1, 31),
        "rec_m_required_counts": rec_m.strings("required_counts", REPORT_COUNTS, allow_empty=True),
        "rec_m_require_peta_sasaran": rec_m.boolean("require_peta_sasaran"),
    }
    _done(rec_b, rec_m, rec)
    return values


def _services(top: Table) -> dict[str, Any]:
    svc, svc_b, svc_m = _role_tables(top, "pelayanan")
    values = {
        "svc_sources": svc.strings("sources", SERVICE_SOURCES),
        "svc_b_min_pelayanan_ulang_per_month": svc_b.integer("min_pelayanan_ulang_per_month", 0),
        "svc_b_min_rujukan": svc_b.integer("min_rujukan", 0),
        "svc_m_min_poktan": svc_m.integer("min_poktan", 0),
        "svc_m_min_pertemuan_poktan": svc_m.integer("min_pertemuan_poktan", 0),
    }
    _done(svc_b, svc_m, svc)
    return values


def _self_reliance(top: Table) -> dict[str, Any]:
    own, own_b, own_m = _role_tables(top, "kemandirian")
    values = {
        "self_b_min_upaya": own_b.integer("min_upaya", 0),
        "self_m_min_upaya": own_m.integer("min_upaya", 0),
        "self_m_dana_sendiri_atau_sekretariat": own_m.strings("dana_sendiri_atau_sekretariat"),
    }
    _done(own_b, own_m, own)
    return values
