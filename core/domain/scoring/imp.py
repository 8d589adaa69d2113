"""IMP tiers: rate the six roles (6 Peran Bhakti) 1-3 per period; the tier is the lowest role.

The thresholds live in config/rules/imp_rubric.toml; this module interprets them and explains
each level with the criteria met and not met, the submissions used and what the next tier needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from core.domain.facts import Facts
from core.domain.scoring.periods import (
    PERIOD_KINDS,
    local_date,
    period_kind,
    period_months,
    period_of,
    report_deadline,
)
from core.domain.scoring.rules_file import Table, read_toml

ROLES = (
    "pengorganisasian",
    "pertemuan",
    "kie_konseling",
    "pencatatan",
    "pelayanan",
    "kemandirian",
)
TIERS = {1: "dasar", 2: "berkembang", 3: "mandiri"}
ROLLUP_ALLOWED = ("pertemuan", "kie_konseling", "pelayanan")

# Contract form ids and the answers scoring reads (xlsforms/contract.toml).
PERTEMUAN = "pertemuan_imp"
KIE = "kie_konseling"
PROFIL = "profil_imp"
LAPORAN = "laporan_bulanan_imp"
IMP_FORMS = (PERTEMUAN, KIE, PROFIL, LAPORAN)
_DATE_FIELDS = {PERTEMUAN: "tgl_pertemuan", KIE: "tgl_kegiatan"}
_YA = "ya"
PROFILE_YES_FIELDS = {
    "pembagian_tugas_tertulis": ("pembagian tugas tertulis", "written task division"),
    "ada_seksi": ("ada seksi-seksi", "has sections"),
    "ada_sk": ("ada SK (surat keputusan)", "has a decree (SK)"),
    "ada_peta_sasaran": ("ada peta sasaran", "has a target map"),
}
REPORT_COUNTS = (
    "jumlah_kelompok",
    "jumlah_anggota",
    "peserta_kb_aktif",
    "jumlah_pelayanan_ulang",
    "jumlah_rujukan",
    "pertemuan_poktan",
)
_SOURCES = (LAPORAN, KIE)

DEFAULT_IMP_RULES = "imp_rubric.toml"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Criterion:
    """One rubric criterion, worded for admins (Indonesian) and developers (English)."""

    code: str
    text_id: str
    text_en: str
    evidence: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {
            "code": self.code,
            "text_id": self.text_id,
            "text_en": self.text_en,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class RoleScore:
    """The level of one role with the reasons behind it."""

    level: int
    met: list[Criterion]
    not_met: list[Criterion]
    evidence: list[int]
    next_tier_missing: list[Criterion]
    no_evidence: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict with the full explanation."""
        return {
            "level": self.level,
            "tier": TIERS[self.level],
            "no_evidence": self.no_evidence,
            "evidence": list(self.evidence),
            "met": [c.to_dict() for c in self.met],
            "not_met": [c.to_dict() for c in self.not_met],
            "next_tier_missing": [c.to_dict() for c in self.next_tier_missing],
        }


@dataclass(frozen=True)
class ImpAssessment:
    """The tier of one IMP for one period, with each role's score."""

    imp: str
    period: str
    tier: str
    roles: dict[str, RoleScore]
    rules_version: str

    def to_dict(self) -> dict[str, Any]:
        """Return the compact JSON shape: {imp, period, tier, roles: {role: level}}."""
        return {
            "imp": self.imp,
            "period": self.period,
            "tier": self.tier,
            "roles": {role: score.level for role, score in self.roles.items()},
            "rules_version": self.rules_version,
        }

    def explain(self) -> dict[str, Any]:
        """Return the full explanation: per role the criteria, evidence and what is missing."""
        lowest = [role for role, score in self.roles.items() if TIERS[score.level] == self.tier]
        return {
            "imp": self.imp,
            "period": self.period,
            "tier": self.tier,
            "rules_version": self.rules_version,
            "limited_by": lowest,
            "roles": {role: score.to_dict() for role, score in self.roles.items()},
        }


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class ImpRules:
    """A validated IMP rubric (see config/rules/imp_rubric.toml for the meaning of each key)."""

    version: str
    period_kind: str
    utc_offset_hours: float
    rollup_roles: tuple[str, ...]
    profile_max_age_months: int
    org_b_kepengurusan: tuple[str, ...]
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

    period = top.table("period")
    kind = period.string("kind", PERIOD_KINDS)
    offset = period.number("utc_offset_hours", -12, 14)
    period.done()

    rollup = top.table("rollup")
    rollup_roles = rollup.strings("roles", ROLLUP_ALLOWED, allow_empty=True)
    rollup.done()

    profile = top.table("profile")
    max_age = profile.integer("max_age_months", 0)
    profile.done()

    org = top.table("pengorganisasian")
    org_b, org_m = org.table("berkembang"), org.table("mandiri")
    org_b_kep = org_b.strings("kepengurusan")
    org_b_yes = org_b.strings("required_yes", PROFILE_YES_FIELDS, allow_empty=True)
    org_m_yes = org_m.strings("required_yes", PROFILE_YES_FIELDS, allow_empty=True)
    for t in (org_b, org_m, org):
        t.done()

    meet = top.table("pertemuan")
    meet_b, meet_m = meet.table("berkembang"), meet.table("mandiri")
    mins = meet_b.table("min_meetings")
    min_meetings = {k: mins.integer(k, 0) for k in PERIOD_KINDS}
    mins.done()
    rules_meet = {
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
    for t in (meet_b, meet_m, meet):
        t.done()

    kie = top.table("kie_konseling")
    kie_b, kie_m = kie.table("berkembang"), kie.table("mandiri")
    kie_kinds = kie.strings("kie_kinds")
    counselling = kie.strings("counselling_kinds")
    rules_kie = {
        "kie_kinds": kie_kinds,
        "kie_counselling_kinds": counselling,
        "kie_b_min_kie": kie_b.integer("min_kie", 0),
        "kie_b_min_konseling": kie_b.integer("min_konseling", 0),
        "kie_m_required_kinds": kie_m.strings(
            "required_kinds", kie_kinds + counselling, allow_empty=True
        ),
        "kie_m_participants_recorded": kie_m.boolean("participants_recorded"),
    }
    for t in (kie_b, kie_m, kie):
        t.done()

    rec = top.table("pencatatan")
    rec_b, rec_m = rec.table("berkembang"), rec.table("mandiri")
    rules_rec = {
        "rec_b_deadline_day": rec_b.integer("deadline_day", 1, 31),
        "rec_m_required_counts": rec_m.strings("required_counts", REPORT_COUNTS, allow_empty=True),
        "rec_m_require_peta_sasaran": rec_m.boolean("require_peta_sasaran"),
    }
    for t in (rec_b, rec_m, rec):
        t.done()

    svc = top.table("pelayanan")
    svc_b, svc_m = svc.table("berkembang"), svc.table("mandiri")
    rules_svc = {
        "svc_sources": svc.strings("sources", _SOURCES),
        "svc_b_min_pelayanan_ulang_per_month": svc_b.integer("min_pelayanan_ulang_per_month", 0),
        "svc_b_min_rujukan": svc_b.integer("min_rujukan", 0),
        "svc_m_min_poktan": svc_m.integer("min_poktan", 0),
        "svc_m_min_pertemuan_poktan": svc_m.integer("min_pertemuan_poktan", 0),
    }
    for t in (svc_b, svc_m, svc):
        t.done()

    own = top.table("kemandirian")
    own_b, own_m = own.table("berkembang"), own.table("mandiri")
    rules_own = {
        "self_b_min_upaya": own_b.integer("min_upaya", 0),
        "self_m_min_upaya": own_m.integer("min_upaya", 0),
        "self_m_dana_sendiri_atau_sekretariat": own_m.strings("dana_sendiri_atau_sekretariat"),
    }
    for t in (own_b, own_m, own):
        t.done()
    top.done()

    return ImpRules(
        version=version,
        period_kind=kind,
        utc_offset_hours=offset,
        rollup_roles=rollup_roles,
        profile_max_age_months=max_age,
        org_b_kepengurusan=org_b_kep,
        org_b_required_yes=org_b_yes,
        org_m_required_yes=org_m_yes,
        **rules_meet,
        **rules_kie,
        **rules_rec,
        **rules_svc,
        **rules_own,
        source=source,
    )


# --------------------------------------------------------------------------- periods


def fact_month(fact: Facts) -> str | None:
    """Return the "YYYY-MM" month an IMP submission reports on, or None if it has none."""
    if fact.form in (PROFIL, LAPORAN):
        periode = fact.get("periode")
        return periode if isinstance(periode, str) and len(periode) == 7 else None
    field_name = _DATE_FIELDS.get(fact.form)
    day = fact.get_date(field_name) if field_name else None
    return period_of(day, "month") if day else None


def periods_for(fact: Facts, rules: ImpRules, kind: str | None = None) -> list[str]:
    """Return the periods whose assessment a submission can change (to recompute only those)."""
    kind = kind or rules.period_kind
    month = fact_month(fact)
    if fact.form not in IMP_FORMS or month is None:
        return []
    if fact.form != PROFIL:
        return [period_of(_month_start(month), kind)]
    # A profile stays the "latest" one for up to max_age_months after its own month.
    found: list[str] = []
    index = _month_index(month)
    for offset in range(rules.profile_max_age_months + 1):
        period = period_of(_index_month_start(index + offset), kind)
        if period not in found:
            found.append(period)
    return found


def _month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def _index_month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class _Check:
    criterion: Criterion
    met: bool


def _check(code: str, met: bool, text_id: str, text_en: str, ids: Iterable[int] = ()) -> _Check:
    return _Check(Criterion(code, text_id, text_en, tuple(sorted(set(ids)))), bool(met))


def _ids(facts: Iterable[Facts]) -> list[int]:
    return sorted({f.submission_id for f in facts})


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _num(value: Any) -> float:
    """Return a count answer as a number; unanswered counts contribute nothing."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


@dataclass
class _Context:
    imp: str
    period: str
    kind: str
    months: list[str]
    rules: ImpRules
    own: list[Facts]
    children: list[Facts]
    _profile: Facts | None = None
    _profile_done: bool = False

    def pool(self, form: str, role: str) -> list[Facts]:
        """Facts of a form for a role: the IMP's own, plus its children's if the role rolls up."""
        facts = [f for f in self.own if f.form == form]
        if role in self.rules.rollup_roles:
            facts += [f for f in self.children if f.form == form]
        return facts

    def in_period(self, form: str, role: str) -> list[Facts]:
        """Facts of a form that report on a month of the period, in date then id order."""
        chosen = [f for f in self.pool(form, role) if fact_month(f) in self.months]
        field_name = _DATE_FIELDS.get(form)

        def key(f: Facts) -> tuple[Any, ...]:
            day = f.get_date(field_name) if field_name else None
            return (fact_month(f), day or date.min, f.submission_id)

        return sorted(chosen, key=key)

    def latest_reports(self, role: str) -> dict[str, list[Facts]]:
        """Per month, the latest report of each IMP (a resubmission corrects the earlier one)."""
        latest: dict[tuple[str, str], Facts] = {}
        for report in self.in_period(LAPORAN, role):
            key = (str(report.get("imp")), str(fact_month(report)))
            best = latest.get(key)
            if best is None or (report.submitted_at, report.submission_id) > (
                best.submitted_at,
                best.submission_id,
            ):
                latest[key] = report
        by_month: dict[str, list[Facts]] = {m: [] for m in self.months}
        for (_, month), report in sorted(latest.items()):
            by_month[month].append(report)
        return by_month

    @property
    def profile(self) -> Facts | None:
        """The IMP's latest profile dated no later than the period's last month."""
        if not self._profile_done:
            last = _month_index(self.months[-1])
            oldest = last - self.rules.profile_max_age_months
            candidates = [
                f
                for f in self.own
                if f.form == PROFIL
                and (m := fact_month(f)) is not None
                and oldest <= _month_index(m) <= last
            ]
            self._profile = max(
                candidates,
                key=lambda f: (fact_month(f), f.submitted_at, f.submission_id),
                default=None,
            )
            self._profile_done = True
        return self._profile


def _finish(
    role: str,
    berkembang: list[_Check],
    mandiri: list[_Check],
    evidence: Iterable[int],
    has_evidence: bool,
    missing_id: str,
    missing_en: str,
) -> RoleScore:
    """Turn checks into a RoleScore: level 2 needs every berkembang check, 3 needs all."""
    if not has_evidence:
        none = Criterion(
            f"{role}.tanpa_bukti",
            f"Tidak ada bukti pada periode ini: {missing_id}. Peran dinilai Dasar (1).",
            f"No evidence in this period: {missing_en}. The role is rated Dasar (1).",
        )
        # Criteria on an empty period must not pass vacuously (e.g. "every activity recorded").
        berkembang = [_Check(c.criterion, False) for c in berkembang]
        mandiri = [_Check(c.criterion, False) for c in mandiri]
        unmet = [none] + [c.criterion for c in berkembang + mandiri]
        return RoleScore(1, [], unmet, [], [c.criterion for c in berkembang], no_evidence=True)
    b_ok = all(c.met for c in berkembang)
    m_ok = all(c.met for c in mandiri)
    level = 3 if b_ok and m_ok else 2 if b_ok else 1
    checks = berkembang + mandiri
    if level == 1:
        missing = [c.criterion for c in berkembang if not c.met]
    elif level == 2:
        missing = [c.criterion for c in mandiri if not c.met]
    else:
        missing = []
    return RoleScore(
        level=level,
        met=[c.criterion for c in checks if c.met],
        not_met=[c.criterion for c in checks if not c.met],
        evidence=sorted(set(evidence)),
        next_tier_missing=missing,
    )


def _profile_yes(profile: Facts | None, name: str, level: str) -> _Check:
    label_id, label_en = PROFILE_YES_FIELDS[name]
    answer = profile.get(name) if profile else None
    return _check(
        f"pengorganisasian.{name}",
        answer == _YA,
        f"Profil IMP: {label_id} (jawaban: {answer or 'tidak diisi'}) [{level}]",
        f"IMP profile: {label_en} (answer: {answer or 'not answered'}) [{level}]",
        [profile.submission_id] if profile else [],
    )


def _pengorganisasian(ctx: _Context) -> RoleScore:
    r, profile = ctx.rules, ctx.profile
    ids = [profile.submission_id] if profile else []
    kep = profile.get("kepengurusan") if profile else None
    allowed = ", ".join(r.org_b_kepengurusan)
    berkembang = [
        _check(
            "pengorganisasian.kepengurusan",
            kep in r.org_b_kepengurusan,
            f"Kepengurusan kolektif ({allowed}); jawaban: {kep or 'tidak diisi'}",
            f"Collective management ({allowed}); answer: {kep or 'not answered'}",
            ids,
        )
    ] + [_profile_yes(profile, name, "berkembang") for name in r.org_b_required_yes]
    mandiri = [_profile_yes(profile, name, "mandiri") for name in r.org_m_required_yes]
    return _finish(
        "pengorganisasian",
        berkembang,
        mandiri,
        ids,
        profile is not None,
        "belum ada profil IMP (profil_imp) yang berlaku",
        "no applicable IMP profile (profil_imp)",
    )


def _pertemuan(ctx: _Context) -> RoleScore:
    r = ctx.rules
    meetings = ctx.in_period(PERTEMUAN, "pertemuan")
    n = len(meetings)
    need = r.meet_b_min_meetings[ctx.kind]
    plan = [m for m in meetings if m.get("ada_rencana_kerja") == _YA]
    minutes = [m for m in meetings if m.get("ada_notulen") == _YA]
    follow = [
        m
        for m in meetings
        if m.get("tindak_lanjut_lalu") in r.meet_follow_up_done
        or m.get("jenis_pertemuan") in r.meet_evaluation_types
    ]
    share_plan, share_minutes = _share(len(plan), n), _share(len(minutes), n)
    held = {fact_month(m) for m in meetings}
    missing_months = [m for m in ctx.months if m not in held]

    def share_check(code: str, part: list[Facts], share: float, need: float, what: tuple) -> _Check:
        what_id, what_en = what
        return _check(
            code,
            n > 0 and share >= need,
            f"{len(part)} dari {n} pertemuan {what_id} ({_pct(share)}; minimal {_pct(need)})",
            f"{len(part)} of {n} meetings {what_en} ({_pct(share)}; at least {_pct(need)})",
            _ids(part),
        )

    plan_words = ("sesuai rencana kerja", "followed a work plan")
    minute_words = ("memiliki notulen", "have minutes")
    berkembang = [
        _check(
            "pertemuan.rutin",
            n >= need and n > 0,
            f"Pertemuan rutin: {n} pertemuan dalam periode (minimal {need})",
            f"Routine meetings: {n} in the period (at least {need})",
            _ids(meetings),
        ),
        share_check(
            "pertemuan.rencana_kerja",
            plan,
            share_plan,
            r.meet_b_min_share_rencana_kerja,
            plan_words,
        ),
        share_check(
            "pertemuan.notulen", minutes, share_minutes, r.meet_b_min_share_notulen, minute_words
        ),
    ]
    mandiri = []
    if r.meet_m_every_month:
        gaps = ", ".join(missing_months)
        mandiri.append(
            _check(
                "pertemuan.bulanan",
                not missing_months,
                "Pertemuan setiap bulan"
                + (f"; tidak ada pertemuan pada {gaps}" if gaps else ": terpenuhi"),
                "A meeting every month" + (f"; none in {gaps}" if gaps else ": met"),
                _ids(meetings),
            )
        )
    mandiri += [
        share_check(
            "pertemuan.rencana_kerja_lengkap",
            plan,
            share_plan,
            r.meet_m_min_share_rencana_kerja,
            plan_words,
        ),
        share_check(
            "pertemuan.notulen_lengkap",
            minutes,
            share_minutes,
            r.meet_m_min_share_notulen,
            minute_words,
        ),
        _check(
            "pertemuan.tindak_lanjut",
            len(follow) >= r.meet_m_min_follow_up_or_evaluation and n > 0,
            f"Tindak lanjut/evaluasi: {len(follow)} pertemuan dengan tindak lanjut terlaksana "
            f"atau evaluasi ({', '.join(r.meet_evaluation_types)}); "
            f"minimal {r.meet_m_min_follow_up_or_evaluation}",
            f"Follow-up/evaluation: {len(follow)} meetings with follow-up done or of an "
            f"evaluation type ({', '.join(r.meet_evaluation_types)}); "
            f"at least {r.meet_m_min_follow_up_or_evaluation}",
            _ids(follow),
        ),
    ]
    return _finish(
        "pertemuan",
        berkembang,
        mandiri,
        _ids(meetings),
        n > 0,
        "tidak ada laporan pertemuan (pertemuan_imp)",
        "no meeting report (pertemuan_imp)",
    )


def _kie_konseling(ctx: _Context) -> RoleScore:
    r = ctx.rules
    acts = ctx.in_period(KIE, "kie_konseling")
    kie = [a for a in acts if a.get("jenis_kegiatan") in r.kie_kinds]
    kons = [a for a in acts if a.get("jenis_kegiatan") in r.kie_counselling_kinds]
    kinds_seen = {a.get("jenis_kegiatan") for a in acts}
    missing_kinds = [k for k in r.kie_m_required_kinds if k not in kinds_seen]
    unrecorded = [
        a for a in acts if _num(a.get("jumlah_perempuan")) + _num(a.get("jumlah_laki")) <= 0
    ]
    berkembang = [
        _check(
            "kie_konseling.kie",
            len(kie) >= r.kie_b_min_kie and kie,
            f"KIE: {len(kie)} kegiatan (minimal {r.kie_b_min_kie})",
            f"KIE: {len(kie)} activities (at least {r.kie_b_min_kie})",
            _ids(kie),
        ),
        _check(
            "kie_konseling.konseling",
            len(kons) >= r.kie_b_min_konseling and kons,
            f"Konseling: {len(kons)} kegiatan (minimal {r.kie_b_min_konseling})",
            f"Counselling: {len(kons)} sessions (at least {r.kie_b_min_konseling})",
            _ids(kons),
        ),
    ]
    mandiri = [
        _check(
            "kie_konseling.semua_jenis",
            not missing_kinds,
            f"Semua jenis kegiatan ({', '.join(r.kie_m_required_kinds)})"
            + (f"; belum ada: {', '.join(missing_kinds)}" if missing_kinds else ": terpenuhi"),
            f"Every activity kind ({', '.join(r.kie_m_required_kinds)})"
            + (f"; missing: {', '.join(missing_kinds)}" if missing_kinds else ": met"),
            _ids(acts),
        )
    ]
    if r.kie_m_participants_recorded:
        mandiri.append(
            _check(
                "kie_konseling.tercatat",
                not unrecorded,
                "Setiap kegiatan mencatat jumlah peserta"
                + (f"; tanpa peserta: {len(unrecorded)} kegiatan" if unrecorded else ""),
                "Every activity records its participants"
                + (f"; without participants: {len(unrecorded)}" if unrecorded else ""),
                _ids(unrecorded or acts),
            )
        )
    return _finish(
        "kie_konseling",
        berkembang,
        mandiri,
        _ids(acts),
        bool(acts),
        "tidak ada laporan KIE/konseling (kie_konseling)",
        "no KIE/counselling report (kie_konseling)",
    )


def _pencatatan(ctx: _Context) -> RoleScore:
    r = ctx.rules
    reports = ctx.in_period(LAPORAN, "pencatatan")
    profile = ctx.profile if r.rec_m_require_peta_sasaran else None
    on_time: list[Facts] = []
    late: list[str] = []
    for month in ctx.months:
        deadline = report_deadline(month, r.rec_b_deadline_day)
        timely = [
            f
            for f in reports
            if fact_month(f) == month and local_date(f.submitted_at, r.utc_offset_hours) <= deadline
        ]
        on_time += timely
        if not timely:
            late.append(month)
    latest = ctx.latest_reports("pencatatan")
    incomplete: list[str] = []
    complete_ids: list[int] = []
    for month, month_reports in latest.items():
        gaps = [
            name
            for report in month_reports
            for name in r.rec_m_required_counts
            if report.get(name) is None
        ]
        if not month_reports or gaps:
            incomplete.append(month + (f" ({', '.join(sorted(set(gaps)))})" if gaps else ""))
        else:
            complete_ids += _ids(month_reports)
    tz = f"UTC{r.utc_offset_hours:+g}"
    day = r.rec_b_deadline_day
    berkembang = [
        _check(
            "pencatatan.tepat_waktu",
            not late,
            f"Laporan bulanan masuk paling lambat tanggal {day} bulan berikutnya ({tz})"
            + (f"; terlambat/tidak ada: {', '.join(late)}" if late else ": terpenuhi"),
            f"Monthly report submitted by day {day} of the following month ({tz})"
            + (f"; late or missing: {', '.join(late)}" if late else ": met"),
            _ids(on_time),
        )
    ]
    mandiri = []
    if r.rec_m_required_counts:
        mandiri.append(
            _check(
                "pencatatan.lengkap",
                not incomplete,
                "Laporan bulanan lengkap"
                + (f"; belum lengkap: {'; '.join(incomplete)}" if incomplete else ": terpenuhi"),
                "Monthly report complete"
                + (f"; incomplete: {'; '.join(incomplete)}" if incomplete else ": met"),
                complete_ids,
            )
        )
    if r.rec_m_require_peta_sasaran:
        answer = profile.get("ada_peta_sasaran") if profile else None
        mandiri.append(
            _check(
                "pencatatan.peta_sasaran",
                answer == _YA,
                f"Peta sasaran ada dan digunakan (profil: {answer or 'tidak ada/tidak diisi'})",
                f"Target map exists and is used (profile: {answer or 'none/not answered'})",
                [profile.submission_id] if profile else [],
            )
        )
    evidence = _ids(reports) + ([profile.submission_id] if profile else [])
    return _finish(
        "pencatatan",
        berkembang,
        mandiri,
        evidence,
        bool(reports) or profile is not None,
        "tidak ada laporan bulanan (laporan_bulanan_imp) atau profil",
        "no monthly report (laporan_bulanan_imp) or profile",
    )


def _pelayanan(ctx: _Context) -> RoleScore:
    r = ctx.rules
    by_month = ctx.latest_reports("pelayanan") if LAPORAN in r.svc_sources else {}
    acts = ctx.in_period(KIE, "pelayanan") if KIE in r.svc_sources else []
    reports = [f for month in by_month.values() for f in month]
    profile = ctx.profile

    def per_month(report_field: str, kie_field: str) -> dict[str, float]:
        # Max, not sum, of the two sources: the monthly report may already include the KIE counts.
        totals = {}
        for month in ctx.months:
            from_reports = sum(_num(f.get(report_field)) for f in by_month.get(month, []))
            from_kie = sum(_num(a.get(kie_field)) for a in acts if fact_month(a) == month)
            totals[month] = max(from_reports, from_kie)
        return totals

    resupply = per_month("jumlah_pelayanan_ulang", "pelayanan_ulang")
    referrals = sum(per_month("jumlah_rujukan", "jumlah_rujukan").values())
    need_resupply = r.svc_b_min_pelayanan_ulang_per_month
    thin = [m for m, total in resupply.items() if total < need_resupply or total <= 0]
    poktan = [p for p in (profile.get("poktan") or []) if p != "tidak_ada"] if profile else []
    poktan_meetings = sum(_num(f.get("pertemuan_poktan")) for f in reports)
    counts = ", ".join(f"{m}: {resupply[m]:g}" for m in ctx.months)
    service_ids = _ids(
        [f for f in reports if _num(f.get("jumlah_pelayanan_ulang")) > 0]
        + [a for a in acts if _num(a.get("pelayanan_ulang")) > 0]
    )
    referral_ids = _ids(
        [f for f in reports if _num(f.get("jumlah_rujukan")) > 0]
        + [a for a in acts if _num(a.get("jumlah_rujukan")) > 0]
    )
    berkembang = [
        _check(
            "pelayanan.pelayanan_ulang",
            not thin,
            f"Pelayanan ulang rutin: minimal {need_resupply} per bulan ({counts})",
            f"Routine re-supply: at least {need_resupply} a month ({counts})",
            service_ids,
        ),
        _check(
            "pelayanan.rujukan",
            referrals >= r.svc_b_min_rujukan and referrals > 0,
            f"Rujukan: {referrals:g} dalam periode (minimal {r.svc_b_min_rujukan})",
            f"Referrals: {referrals:g} in the period (at least {r.svc_b_min_rujukan})",
            referral_ids,
        ),
    ]
    mandiri = [
        _check(
            "pelayanan.poktan",
            len(poktan) >= r.svc_m_min_poktan and poktan,
            f"Menjalankan poktan: {', '.join(poktan) or 'tidak ada'} "
            f"(minimal {r.svc_m_min_poktan} kelompok)",
            f"Runs activity groups (poktan): {', '.join(poktan) or 'none'} "
            f"(at least {r.svc_m_min_poktan})",
            [profile.submission_id] if profile else [],
        ),
        _check(
            "pelayanan.pertemuan_poktan",
            poktan_meetings >= r.svc_m_min_pertemuan_poktan and poktan_meetings > 0,
            f"Pertemuan poktan: {poktan_meetings:g} dalam periode "
            f"(minimal {r.svc_m_min_pertemuan_poktan})",
            f"Poktan meetings: {poktan_meetings:g} in the period "
            f"(at least {r.svc_m_min_pertemuan_poktan})",
            _ids([f for f in reports if _num(f.get("pertemuan_poktan")) > 0]),
        ),
    ]
    evidence = _ids(reports) + _ids(acts) + ([profile.submission_id] if profile else [])
    return _finish(
        "pelayanan",
        berkembang,
        mandiri,
        evidence,
        bool(reports or acts),
        "tidak ada laporan bulanan atau laporan KIE dengan data pelayanan",
        "no monthly or KIE report with service counts",
    )


def _kemandirian(ctx: _Context) -> RoleScore:
    r, profile = ctx.rules, ctx.profile
    ids = [profile.submission_id] if profile else []
    answered = (profile.get("upaya_kemandirian") or []) if profile else []
    efforts = list(dict.fromkeys(e for e in answered if e != "tidak_ada"))
    own = [e for e in efforts if e in r.self_m_dana_sendiri_atau_sekretariat]
    listed = ", ".join(efforts) or "tidak ada"
    berkembang = [
        _check(
            "kemandirian.upaya",
            len(efforts) >= r.self_b_min_upaya,
            f"Upaya kemandirian: {len(efforts)} ({listed}); minimal {r.self_b_min_upaya}",
            f"Self-reliance efforts: {len(efforts)} ({listed}); at least {r.self_b_min_upaya}",
            ids,
        )
    ]
    mandiri = [
        _check(
            "kemandirian.upaya_mandiri",
            len(efforts) >= r.self_m_min_upaya,
            f"Upaya kemandirian: {len(efforts)}; minimal {r.self_m_min_upaya} untuk Mandiri",
            f"Self-reliance efforts: {len(efforts)}; at least {r.self_m_min_upaya} for Mandiri",
            ids,
        ),
        _check(
            "kemandirian.dana_sendiri_atau_sekretariat",
            bool(own),
            f"Dana sendiri atau sekretariat ({', '.join(r.self_m_dana_sendiri_atau_sekretariat)})"
            f": {', '.join(own) or 'belum ada'}",
            f"Own funding or secretariat ({', '.join(r.self_m_dana_sendiri_atau_sekretariat)})"
            f": {', '.join(own) or 'none'}",
            ids,
        ),
    ]
    return _finish(
        "kemandirian",
        berkembang,
        mandiri,
        ids,
        profile is not None,
        "belum ada profil IMP (profil_imp) yang berlaku",
        "no applicable IMP profile (profil_imp)",
    )


_SCORERS: dict[str, Callable[[_Context], RoleScore]] = {
    "pengorganisasian": _pengorganisasian,
    "pertemuan": _pertemuan,
    "kie_konseling": _kie_konseling,
    "pencatatan": _pencatatan,
    "pelayanan": _pelayanan,
    "kemandirian": _kemandirian,
}


def assess_imp(
    imp: str,
    period: str,
    facts: Iterable[Facts],
    rules: ImpRules,
    child_facts: Iterable[Facts] = (),
) -> ImpAssessment:
    """Rate the six roles of one IMP for one period; the tier is the lowest role."""
    kind = period_kind(period)
    months = period_months(period)
    # Callers may pass a whole desa's batch: only this IMP's own submissions are its evidence.
    own = _dedupe(f for f in facts if f.form in IMP_FORMS and f.get("imp") == imp)
    # A child fact with the parent's own code would be counted twice.
    children = _dedupe(f for f in child_facts if f.form in IMP_FORMS and f.get("imp") != imp)
    ctx = _Context(imp, period, kind, months, rules, own, children)
    roles = {role: _SCORERS[role](ctx) for role in ROLES}
    tier = TIERS[min(score.level for score in roles.values())]
    return ImpAssessment(imp, period, tier, roles, rules.version)


def _dedupe(facts: Iterable[Facts]) -> list[Facts]:
    """Keep one fact per submission id (the last given), so a repeated row counts once."""
    return list({f.submission_id: f for f in facts}.values())
