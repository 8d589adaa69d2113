"""`pantau score imp|families`: recompute scores from stored submissions."""

from __future__ import annotations

import click

from cli.common import echo_json, echo_table, sessions, settings_from
from cli.imps import wilayah_option
from cli.progress import Progress, progress


def _process_backlog(factory, settings, shown: Progress) -> int:
    # Scores read facts; facts exist only for processed submissions. Process any backlog first
    # so the command works without a running worker.
    from core.store.db import session_scope
    from core.store.submissions import pending_ids
    from core.usecases.processing import process_batch
    from core.wiring import rules_for

    rules = rules_for(settings)
    done = 0
    while True:
        with factory() as session:
            ids = pending_ids(session, limit=200)
        if not ids:
            return done
        with session_scope(factory) as session:
            process_batch(session, ids, rules)
        done += len(ids)
        shown.count(done, what="waiting submissions processed")


def _tier_word(tier: str | None) -> str:
    # As the guideline writes them: Dasar, Berkembang, Mandiri.
    return (tier or "").capitalize()


@click.group()
def score() -> None:
    """Recompute IMP tiers and family risk from stored submissions."""


@score.command("imp")
@click.option(
    "--period", default=None, help="2026-10 (month), 2026-Q4 (quarter) or 2026-S2 (semester)"
)
@click.option("--wilayah", default=None, help="dotted code prefix, e.g. 32.77")
@click.option(
    "--explain",
    "explain_imp",
    default=None,
    metavar="IMP",
    help="explain one IMP's tier: per role the criteria met and missing, and the evidence",
)
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", help="language of --explain")
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per IMP-period")
@click.pass_context
def score_imp(
    ctx: click.Context,
    period: str | None,
    wilayah: str | None,
    explain_imp: str | None,
    lang: str,
    as_json: bool,
) -> None:
    """Tier (Dasar / Berkembang / Mandiri) of every active IMP, or of one with --explain."""
    from core.domain.scoring import period_kind

    if period is not None:
        period_kind(period)  # a malformed period: one line, exit 2 (PeriodError)
    code = wilayah_option(wilayah)
    settings = settings_from(ctx)
    from core.store.db import session_scope
    from core.usecases.rescoring import imp_names, score_imps
    from core.wiring import rules_for

    rules = rules_for(settings)
    factory = sessions(settings)
    with progress("score imp") as shown:
        processed = _process_backlog(factory, settings, shown)
        with session_scope(factory) as session:
            results = score_imps(
                session,
                rules,
                period=period,
                wilayah=code,
                imp=explain_imp,
                progress=lambda done, total: shown.count(done, total, "IMP-periods scored"),
            )
            names = imp_names(session, {r.imp for r in results})
    if explain_imp is not None and not results:
        raise click.BadParameter(
            f"no tier for IMP {explain_imp!r}: it has no submission and is not an "
            "active registered IMP in the period(s) scored",
            param_hint="--explain",
        )
    if as_json:
        echo_json([_imp_json(r, explained=explain_imp is not None) for r in results])
        return
    if processed:
        click.echo(f"processed {processed} waiting submissions first", err=True)
    if explain_imp is not None:
        _echo_explanations(results, lang)
        return
    _echo_tiers(results, names)


def _echo_tiers(results, names: dict[str, tuple[str, str]]) -> None:
    from core.domain.registry import KINDS

    rows = [r.to_dict() for r in results]
    table = []
    for r in rows:
        name, kind = names.get(r["imp"], ("", ""))
        table.append(
            {
                "imp": r["imp"],
                "name": name or "(not registered)",
                "kind": KINDS.get(kind, kind),
                "period": r["period"],
                "tier": _tier_word(r["tier"]),
                **dict(r["roles"]),
            }
        )
    roles = list(rows[0]["roles"]) if rows else []
    echo_table(table, ["imp", "name", "kind", "period", "tier", *roles])


def _imp_json(result, *, explained: bool) -> dict:
    row = result.to_dict()
    out = {k: row[k] for k in ("imp", "period", "period_kind", "tier", "roles")}
    if explained:
        out["explanation"] = result.explain()
    return out


def _echo_explanations(results, lang: str) -> None:
    from core.domain.scoring import explanation_lines

    for n, result in enumerate(results):
        if n:
            click.echo("")
        click.echo("\n".join(explanation_lines(result.explain(), lang)))


@score.command("families")
@click.option("--wilayah", default=None, help="dotted code prefix, e.g. 32.77.01")
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per family")
@click.pass_context
def score_families_cmd(ctx: click.Context, wilayah: str | None, as_json: bool) -> None:
    """Risk of stunting (KRS) of every surveyed family, with its children's z-scores."""
    code = wilayah_option(wilayah)
    settings = settings_from(ctx)
    from core.store.db import session_scope
    from core.usecases.rescoring import family_places, score_families
    from core.wiring import rules_for

    rules = rules_for(settings)
    factory = sessions(settings)
    with progress("score families") as shown:
        _process_backlog(factory, settings, shown)
        with session_scope(factory) as session:
            rows = score_families(
                session,
                rules,
                wilayah=code,
                progress=lambda done, total: shown.count(done, total, "surveys scored"),
            )
            places = family_places(session, [r["family"] for r in rows])
    out = [_family_json(r) for r in rows]
    if as_json:
        echo_json(out)
        return
    echo_table(
        [_family_row(r, places.get(r["family"], {})) for r in out],
        ["family", "desa", "desa_name", "rw", "rt", "target", "krs", "children", "factors"],
    )


def _family_json(r: dict) -> dict:
    return {
        "family": r["family"],
        "desa": r["desa"],
        "target": r["target"],
        "krs": r["krs"],
        "factors": r["factors"],
        "factor_details": r["factor_details"],
        "children": [
            {
                "age_days": c["age_days"],
                "haz": c["haz"],
                "category": c["category"],
                "flag": c["flag"],
            }
            for c in r["children"]
        ],
        "history": r["history"],
    }


def _family_row(r: dict, place: dict) -> dict:
    # Factors as words a TPPS reads ("air tidak layak"), not keys or True/False.
    factors = [k.replace("_", " ") for k, v in r["factors"].items() if v]
    return {
        "family": r["family"],
        "desa": r["desa"],
        "desa_name": place.get("desa_name") or "",
        "rw": place.get("rw") or "",
        "rt": place.get("rt") or "",
        "target": r["target"],
        "krs": r["krs"],
        "children": len(r["children"]),
        "factors": ", ".join(factors) or "-",
    }


def register(main: click.Group) -> None:
    """Attach `score` to the root group."""
    main.add_command(score)
