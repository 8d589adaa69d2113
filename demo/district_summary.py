"""What the full-size demo prints at the end: tiers per kind and kecamatan, KRS per kelurahan.

Read from the stored scores, as the dashboard reads them. IMPs that sent nothing in the period
have no stored tier yet: they are scored first, as `pantau score imp --period` would (Dasar, "no
report received").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.rules import Rules
from core.store.models import (
    Family,
    Institution,
    RiskAssessment,
    Submission,
    TierAssessment,
    Wilayah,
)
from demo import DEMO_PREFIX

TIERS = ("dasar", "berkembang", "mandiri")
KIND_NAMES = {"ppkbd": "PPKBD", "sub_ppkbd": "Sub-PPKBD", "kelompok_kb": "Kelompok KB"}
STUNTED = ("pendek", "sangat_pendek")


@dataclass
class Place:
    """Families of one kelurahan (or the kota): current KRS status, children of latest surveys."""

    name: str
    families: int = 0
    krs: int = 0
    children: int = 0
    stunted: int = 0


@dataclass
class DistrictNumbers:
    """Everything the summary prints."""

    tiers_by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    tiers_by_kecamatan: dict[str, Counter[str]] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)
    factors: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    scored_now: int = 0


def score_unscored(session: Session, rules: Rules, period: str, prefix: str = DEMO_PREFIX) -> int:
    """Score the period for every active IMP under prefix that has no tier for it yet."""
    from core.store.scores import imp_index
    from core.usecases.assessments import Step
    from core.usecases.batch_scoring import recompute_imps
    from core.usecases.processing import dispatch_events

    scored = set(
        session.scalars(select(TierAssessment.imp_code).where(TierAssessment.period == period))
    )
    codes = session.scalars(
        select(Institution.code).where(
            Institution.active.is_(True), Institution.desa_code.startswith(prefix + ".")
        )
    ).all()
    missing = [c for c in codes if c not in scored]
    # Together (the period's facts read once): one at a time this held SQLite's write lock for
    # 15 s, and the worker's last deliveries waited it out and failed.
    todo = sorted((code, period) for code in missing)
    recompute_imps(session, todo, rules, imp_index(session), whole=True)
    dispatch_events(Step(session, rules))
    return len(missing)


def district_numbers(session: Session, period: str, prefix: str = DEMO_PREFIX) -> DistrictNumbers:
    """Tiers of the period per kind and kecamatan; families, KRS and children per kelurahan."""
    out = DistrictNumbers()
    names = dict(session.execute(select(Wilayah.code, Wilayah.name).where(
        Wilayah.code.startswith(prefix + ".")
    )).all())  # fmt: skip
    rows = session.execute(
        select(Institution.kind, Institution.desa_code, TierAssessment.tier)
        .join(TierAssessment, TierAssessment.imp_code == Institution.code)
        .where(
            TierAssessment.period == period,
            Institution.active.is_(True),
            Institution.desa_code.startswith(prefix + "."),
        )
    ).all()
    for kind, desa, tier in rows:
        out.tiers_by_kind.setdefault(kind, Counter())[tier] += 1
        kec = desa.rsplit(".", 1)[0]
        out.tiers_by_kecamatan.setdefault(f"{kec} {names.get(kec, '')}", Counter())[tier] += 1
    _families(session, prefix, names, out)
    return out


def _families(session: Session, prefix: str, names: dict[str, str], out: DistrictNumbers) -> None:
    """Each family's latest current survey: KRS and its factors, its children's categories."""
    stmt = (
        select(
            Family.id, Family.desa_code, Family.krs, RiskAssessment.factors, RiskAssessment.details
        )
        .join(RiskAssessment, RiskAssessment.family_id == Family.id)
        .join(Submission, Submission.id == RiskAssessment.submission_id)
        .where(Submission.is_latest.is_(True), Family.desa_code.startswith(prefix + "."))
        .order_by(Family.id, RiskAssessment.surveyed_on, RiskAssessment.submission_id)
    )
    latest: dict[int, Any] = {}
    for row in session.execute(stmt):
        latest[row.id] = row  # ordered: the last one per family is its latest survey
    for row in latest.values():
        place = out.places.setdefault(row.desa_code, Place(names.get(row.desa_code, "")))
        place.families += 1
        place.krs += int(row.krs)
        if row.krs:
            out.factors.update(k for k, v in (row.factors or {}).items() if v)
        for child in (row.details or {}).get("children", []):
            what = child.get("category") or child.get("flag") or "-"
            out.categories[what] += 1
            if child.get("category"):
                place.children += 1
                place.stunted += what in STUNTED


def print_numbers(echo: Any, numbers: DistrictNumbers, period: str) -> None:
    """The summary's tables, in Indonesian and English."""
    extra = (
        f"; {numbers.scored_now:,} IMP tanpa laporan dinilai sekarang / without reports, scored now"
        if numbers.scored_now
        else ""
    )
    echo(f"  Tingkat IMP periode {period} / IMP tiers{extra}:")
    echo(f"    {'':<32}{'Dasar':>8}{'Berkembang':>12}{'Mandiri':>9}{'jumlah/total':>14}")
    for kind, name in KIND_NAMES.items():
        _tier_row(echo, name, numbers.tiers_by_kind.get(kind, Counter()))
    for kec, tiers in sorted(numbers.tiers_by_kecamatan.items()):
        _tier_row(echo, f"Kec. {kec}", tiers)
    echo("  Keluarga risiko stunting (KRS) per kelurahan / KRS families per kelurahan:")
    echo(f"    {'':<32}{'keluarga':>9}{'KRS':>7}{'anak diukur':>13}{'pendek/stunted':>16}")
    total = Place("Kota Cimahi")
    for code, p in sorted(numbers.places.items()):
        _place_row(echo, f"{code} {p.name}", p)
        for attr in ("families", "krs", "children", "stunted"):
            setattr(total, attr, getattr(total, attr) + getattr(p, attr))
    _place_row(echo, total.name, total)
    echo("  KRS menurut faktor / KRS families by factor:")
    for factor, n in numbers.factors.most_common():
        echo(f"    {factor:<28}{n:>7,}")
    c = numbers.categories
    measured = sum(c[k] for k in ("sangat_pendek", "pendek", "normal", "tinggi"))
    echo(
        f"  Anak balita / children under five: {measured:,} diukur/measured: sangat pendek "
        f"{c['sangat_pendek']:,}, pendek {c['pendek']:,}, normal {c['normal']:,}, tinggi "
        f"{c['tinggi']:,}; tidak wajar (|z| > 6) / implausible {c['implausible']:,}"
    )


def _tier_row(echo: Any, label: str, tiers: Counter[str]) -> None:
    d, b, m = (tiers.get(t, 0) for t in TIERS)
    echo(f"    {label[:31]:<32}{d:>8,}{b:>12,}{m:>9,}{d + b + m:>14,}")


def _place_row(echo: Any, label: str, p: Place) -> None:
    share = f" ({p.stunted / p.children:.0%})" if p.children else ""
    echo(f"    {label[:31]:<32}{p.families:>9,}{p.krs:>7,}{p.children:>13,}{p.stunted:>10,}{share}")
