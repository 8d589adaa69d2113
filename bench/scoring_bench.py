"""Issue 7: scoring throughput for a district of Kota Cimahi's size, against merely reading it.

For each database: seed the synthetic district (bench.district), then time
- for each family scope (a wilayah prefix, as `pantau score families --wilayah` takes): reading
  its family facts (the query `score_families` runs, each row through `facts_from_row`), then
  `score_families` on it (assess each survey, store families and risk assessments, commit);
  two scopes of different size show whether the cost per family stays flat as the work grows;
- reading every current IMP fact once, then `score_imps` for the whole district: every IMP's
  tier for every month its facts are evidence for (a year of reports by default,
  `--imp-months`), stored, commit: what `pantau score imp` without `--period` runs. Profiles
  count for up to a year after their month, so the months up to AS_OF are scored too (pinned,
  so the work does not grow with the calendar).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from bench import district
from bench.common import BenchFailure, fresh_database, print_table, settings_for, timed
from bench.district_forms import MONTH
from bench.results import Results
from core.domain.rules import Rules
from core.domain.scoring import FAMILY_FORM, IMP_FORMS
from core.store.db import make_engine, make_session_factory, session_scope
from core.store.facts import facts_from_row
from core.store.models import Fact, RiskAssessment, Submission, TierAssessment
from core.usecases.rescoring import score_families, score_imps
from core.wiring import rules_for

# One kelurahan, then a kecamatan of four: 1/15 and 4/15 of the district's families. Four
# times the work should take four times as long; more means the cost per family grows.
FAMILY_SCOPES = ("32.77.01.1001", "32.77.03")
AS_OF = "2026-12"  # the month taken as the current one: two after the last reported (MONTH)


def _family_stmt(wilayah: str | None) -> Select:
    # The same statement score_families runs, so "read" is exactly the rows it scores.
    stmt = (
        select(Fact, Submission)
        .join(Submission, Submission.id == Fact.submission_id)
        .where(Fact.form_id == FAMILY_FORM, Submission.is_latest.is_(True))
        .order_by(Submission.id)
    )
    if wilayah:
        # As core.usecases.assessments filters: "32.77" is the code itself and everything under it.
        code = wilayah.rstrip(".")
        stmt = stmt.where((Fact.desa_code == code) | Fact.desa_code.startswith(code + "."))
    return stmt


def _read_families(session: Session, wilayah: str | None) -> int:
    return sum(
        1 for fact, _ in session.execute(_family_stmt(wilayah)).all() if facts_from_row(fact)
    )


def _read_imp_facts(session: Session) -> int:
    stmt = (
        select(Fact)
        .join(Submission, Submission.id == Fact.submission_id)
        .where(
            Fact.form_id.in_(IMP_FORMS), Submission.is_latest.is_(True), Fact.imp_code.is_not(None)
        )
    )
    return sum(1 for row in session.scalars(stmt) if facts_from_row(row))


def _step(
    factory: sessionmaker[Session], fn: Callable[[Session], Any], commit: bool
) -> tuple[float, Any]:
    """Run fn in a fresh session (nothing cached between steps); (seconds, result or the error)."""
    start = time.perf_counter()
    try:
        if commit:
            with session_scope(factory) as session:
                result = fn(session)
        else:
            with factory() as session:
                result = fn(session)
    except Exception as exc:
        traceback.print_exc(limit=-3)  # where it broke, not the whole ORM stack
        result = exc
    return time.perf_counter() - start, result


def _row(backend: str, what: str, read: tuple[float, Any], score: tuple[float, Any]) -> list[Any]:
    (t_read, n_read), (t_score, scored) = read, score
    for result in (n_read, scored):
        if isinstance(result, Exception):
            return [backend, what, "FAILED", "", "", "", "", f"{type(result).__name__}: {result}"]
    n = len(scored)
    per = t_score / n * 1000 if n else float("nan")
    return [backend, what, n, t_read, t_score, n / t_score, per, f"{t_score / t_read:.0f}x"]


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def run(
    backends: list[str],
    workdir: Path,
    families: int = 5_000,
    family_scopes: tuple[str, ...] = FAMILY_SCOPES,
    results: Results | None = None,
    imp_months: int = 12,
) -> None:
    """Seed a district per backend, time read vs score; print families/s and IMP-periods/s.

    Then the full district re-score (every family of the kota, then every IMP's months), the
    figure issue 16 sets a target for (under 60 s on PostgreSQL), into results.
    """
    results = results if results is not None else Results()
    rows: list[list[Any]] = []
    problems: list[str] = []
    for backend in backends:
        db = fresh_database(backend, workdir, "scoring")
        settings = settings_for(db.url, workdir)
        engine = make_engine(settings)
        factory = make_session_factory(engine)
        rules = rules_for(settings)
        try:
            seeded = _seed(backend, factory, settings.pseudonym_secret, families, imp_months)
            scored_before = 0
            for scope in family_scopes:
                scored_before += _bench_family_scope(
                    backend, factory, rules, seeded, scope, scored_before, rows, problems
                )
            read_all = _step(factory, partial(_read_families, wilayah=district.KOTA), commit=False)
            fam_all = _step(
                factory, partial(score_families, rules=rules, wilayah=district.KOTA), commit=True
            )
            read_imp = _step(factory, _read_imp_facts, commit=False)
            imp = _step(factory, partial(score_imps, rules=rules, as_of=AS_OF), commit=True)
            with factory() as session:
                stored_tiers = _count(session, TierAssessment)
        finally:
            engine.dispose()
            db.drop()
        what = f"families --wilayah {district.KOTA} (re-score)"
        rows.append(_row(backend, what, read_all, fam_all))
        rows.append(_row(backend, f"IMP-periods, {imp_months} months", read_imp, imp))
        _check_imps(backend, seeded, imp_months, read_imp, imp, stored_tiers, problems)
        _check_all(backend, seeded, read_all, fam_all, problems)
        _add_results(results, backend, (read_all, fam_all), (read_imp, imp))
    print_table(
        "scoring vs reading the same fact rows (score_* incl. commit; read = its query + "
        "facts_from_row)",
        ["db", "what", "scored", "read s", "score s", "per s", "ms each", "score/read"],
        rows,
    )
    if problems:
        raise BenchFailure("scoring: " + "; ".join(problems))


def _seed(
    backend: str, factory: sessionmaker[Session], secret: bytes, families: int, months: int
) -> district.District:
    """Seed the synthetic district (committed) and say what and how long."""
    with timed() as t_seed, session_scope(factory) as session:
        seeded = district.seed(session, secret, families=families, months=months)
    imp_forms = ", ".join(f"{k} {v:,}" for k, v in seeded.by_form.items())
    print(
        f"{backend}: seeded {seeded.imps:,} IMPs ({months} months) and "
        f"{seeded.families:,} family surveys "
        f"({seeded.children:,} under-fives); submissions+facts {imp_forms}; "
        f"{t_seed[0]:.1f} s",
        flush=True,
    )
    return seeded


def _bench_family_scope(
    backend: str,
    factory: sessionmaker[Session],
    rules: Rules,
    seeded: district.District,
    scope: str,
    scored_before: int,
    rows: list[list[Any]],
    problems: list[str],
) -> int:
    """Read, then score, the families of one wilayah scope; add its row; the number stored."""
    expected = sum(
        n
        for desa, n in seeded.families_by_desa.items()
        if desa == scope or desa.startswith(scope.rstrip(".") + ".")
    )
    read = _step(factory, partial(_read_families, wilayah=scope), commit=False)
    fam = _step(factory, partial(score_families, rules=rules, wilayah=scope), commit=True)
    what = f"families --wilayah {scope}"
    rows.append(_row(backend, what, read, fam))
    with factory() as session:
        stored = _count(session, RiskAssessment) - scored_before
    for step, result in (("read", read[1]), ("score_families", fam[1])):
        if isinstance(result, Exception):
            problems.append(f"{backend} {what}: {step} raised {result!r}")
    # Cross-check counts: a benchmark that scored the wrong rows measures nothing.
    if not isinstance(fam[1], Exception) and not (
        expected > 0 and read[1] == len(fam[1]) == stored == expected
    ):
        problems.append(
            f"{backend} {what}: seeded {expected}, read {read[1]}, "
            f"scored {len(fam[1])}, stored {stored}"
        )
    return stored


def _check_all(
    backend: str,
    seeded: district.District,
    read: tuple[float, Any],
    scored: tuple[float, Any],
    problems: list[str],
) -> None:
    """Add a problem unless the district re-score read and scored every seeded family."""
    n_read, n_scored = read[1], scored[1]
    if isinstance(n_read, Exception) or isinstance(n_scored, Exception):
        problems.append(f"{backend} district re-score raised {n_read!r} / {n_scored!r}")
    elif not n_read == len(n_scored) == seeded.families:
        problems.append(
            f"{backend} district re-score: seeded {seeded.families}, read {n_read}, "
            f"scored {len(n_scored)}"
        )


def _add_results(
    results: Results,
    backend: str,
    families: tuple[tuple[float, Any], tuple[float, Any]],
    imps: tuple[tuple[float, Any], tuple[float, Any]],
) -> None:
    """families/s and IMP-periods/s against reading the same rows; the re-score's seconds."""
    (t_read_f, n_read_f), (t_fam, fam) = families
    (t_read_i, n_read_i), (t_imp, imp) = imps
    if any(isinstance(x, Exception) for x in (n_read_f, fam, n_read_i, imp)):
        return  # a failure, reported as a problem; no figure
    results.add(
        f"scoring families (district re-score), {backend}",
        len(fam) / t_fam,
        "families/s",
        ceiling=n_read_f / t_read_f,
    )
    results.add(
        f"scoring IMP-periods (district), {backend}",
        len(imp) / t_imp,
        "IMP-periods/s",
        ceiling=n_read_i / t_read_i,
    )
    results.add(
        f"full district re-score ({len(fam):,} families, {len(imp):,} IMP-periods), {backend}",
        t_fam + t_imp,
        "s",
        target="value < 60" if backend == "postgresql" else None,
    )


def _check_imps(
    backend: str,
    seeded: district.District,
    months: int,
    read_imp: tuple[float, Any],
    imp: tuple[float, Any],
    stored_tiers: int,
    problems: list[str],
) -> None:
    """Add a problem when reading or scoring IMPs failed or their counts do not add up."""
    for step, result in (("reading IMP facts", read_imp[1]), ("score_imps", imp[1])):
        if isinstance(result, Exception):
            problems.append(f"{backend} {step} raised {result!r}")
    # Every active IMP gets a tier for each month scored (with or without a report in it): the
    # seeded months and those up to AS_OF, which October's profiles still count for.
    expected = seeded.imps * (months + district.months_between(MONTH, AS_OF))
    if not isinstance(imp[1], Exception) and not (
        read_imp[1] == seeded.imp_submissions and len(imp[1]) == stored_tiers == expected
    ):
        problems.append(
            f"{backend} IMPs: {seeded.imps} IMPs, read {read_imp[1]} of "
            f"{seeded.imp_submissions} reports, scored {len(imp[1])}, "
            f"stored {stored_tiers} tiers"
        )
