"""`pantau score imp|families`: recompute scores from stored submissions."""

from __future__ import annotations

import sys

import click

from cli.common import echo_json, echo_table, sessions, settings_from


def _process_backlog(factory, settings) -> int:
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
    settings = settings_from(ctx)
    from core.domain.scoring import PeriodError, period_kind
    from core.store.db import session_scope
    from core.usecases.rescoring import score_imps
    from core.wiring import rules_for

    if period is not None:
        try:
            period_kind(period)
        except PeriodError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    factory = sessions(settings)
    processed = _process_backlog(factory, settings)
    with session_scope(factory) as session:
        results = score_imps(
            session, rules_for(settings), period=period, wilayah=wilayah, imp=explain_imp
        )
    if explain_imp is not None and not results:
        click.echo(
            f"error: no tier for IMP {explain_imp!r}: it has no submission and is not an "
            "active registered IMP in the period(s) scored",
            err=True,
        )
        sys.exit(2)
    if as_json:
        echo_json([_imp_json(r, explained=explain_imp is not None) for r in results])
        return
    if processed:
        click.echo(f"processed {processed} waiting submissions first", err=True)
    if explain_imp is not None:
        _echo_explanations(results, lang)
        return
    rows = [r.to_dict() for r in results]
    table = [
        {
            "imp": r["imp"],
            "period": r["period"],
            "tier": r["tier"],
            **{role: lvl for role, lvl in r["roles"].items()},
        }
        for r in rows
    ]
    roles = list(rows[0]["roles"]) if rows else []
    echo_table(table, ["imp", "period", "tier", *roles])


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
    settings = settings_from(ctx)
    from core.store.db import session_scope
    from core.usecases.rescoring import score_families
    from core.wiring import rules_for

    factory = sessions(settings)
    _process_backlog(factory, settings)
    with session_scope(factory) as session:
        rows = score_families(session, rules_for(settings), wilayah=wilayah)
    out = [
        {
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
        for r in rows
    ]
    if as_json:
        echo_json(out)
        return
    echo_table(
        [
            {
                "family": r["family"],
                "desa": r["desa"],
                "target": r["target"],
                "krs": r["krs"],
                "factors": ",".join(k for k, v in r["factors"].items() if v),
                "children": len(r["children"]),
            }
            for r in out
        ],
        ["family", "desa", "target", "krs", "children", "factors"],
    )


def register(main: click.Group) -> None:
    """Attach `score` to the root group."""
    main.add_command(score)
