"""`pantau forms …`: lint, build and list versions of the XLSForms in xlsforms/."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click

from cli.forms_publish import publish_cmd
from core.domain.forms.contract import Contract, load_contract
from core.domain.forms.errors import FormBuildError, FormError, FormLintError


def _contract(settings) -> Contract:
    # The contract lives next to the forms, so a district's own forms_dir carries its own.
    candidate = Path(settings.forms_dir) / "contract.toml"
    return load_contract(candidate if candidate.exists() else None)


@click.group()
def forms() -> None:
    """XLSForms: lint, dump (text for review), build (pyxform + ODK Validate), versions."""


# `forms publish` (issue 5) lives in its own module, which does not import this one.
forms.add_command(publish_cmd)


@forms.command("lint")
@click.argument("names", nargs=-1)
@click.pass_context
def lint_cmd(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Check forms (all in xlsforms/ by default); exit 1 listing `sheet:row` problems."""
    from cli.common import settings_from
    from core.domain.forms.lint import form_paths, lint_form

    settings = settings_from(ctx)
    paths = form_paths(settings.forms_dir, names)
    contract = _contract(settings)
    failed = 0
    for path in paths:
        problems = lint_form(path, contract)
        if problems:
            failed += 1
            for p in problems:
                click.echo(p.format(), err=True)
        else:
            click.echo(f"{path.name}: ok")
    if failed:
        click.echo(f"{failed} form(s) with problems", err=True)
        sys.exit(1)


@forms.command("dump")
@click.argument("form")
@click.pass_context
def dump_cmd(ctx: click.Context, form: str) -> None:
    """Print every sheet of FORM (a name in xlsforms/ or an .xlsx path) as text, for diffs."""
    from cli.common import settings_from
    from core.domain.forms.dump import dump_workbook

    forms_dir = Path(settings_from(ctx).forms_dir)
    path = Path(form) if form.endswith(".xlsx") else forms_dir / f"{form}.xlsx"
    if not path.is_file():
        raise FormError(f"no form {form!r} in PANTAU_FORMS_DIR={forms_dir} (no file {path.name})")
    click.echo(dump_workbook(path), nl=False)


@forms.command("build")
@click.argument("names", nargs=-1)
@click.option("--no-validate", is_flag=True, help="Skip ODK Validate (not for publishing).")
@click.option("--by", "built_by", default=None, help="Who built it (default: OS user).")
@click.pass_context
def build_cmd(
    ctx: click.Context, names: tuple[str, ...], no_validate: bool, built_by: str | None
) -> None:
    """Build forms to build/forms/<form_id>.xml with CSV media; record changed versions."""
    from cli.common import sessions, settings_from
    from core.domain.forms.lint import form_paths
    from core.store.db import session_scope
    from core.usecases.build import build_form, write_attachments

    settings = settings_from(ctx)
    paths = form_paths(settings.forms_dir, names)
    contract = _contract(settings)
    out_dir = Path(settings.build_dir)
    factory = sessions(settings)
    by = built_by or getpass.getuser()
    failed = 0
    with session_scope(factory) as session:
        for media in write_attachments(session, out_dir):
            click.echo(f"media  {media}")
        for path in paths:
            click.echo(f"build  {path.stem} … ", nl=False)
            try:
                # One transaction per form: a failure later does not lose earlier versions.
                with session.begin_nested():
                    result = build_form(
                        path,
                        contract=contract,
                        out_dir=out_dir,
                        session=session,
                        built_by=by,
                        validate=not no_validate,
                    )
            except FormLintError as exc:
                failed += 1
                click.echo("lint failed")
                for p in exc.problems:
                    click.echo(f"  {p.format()}", err=True)
                continue
            except FormBuildError as exc:
                failed += 1
                click.echo("failed")
                # Indented like lint's problems: one `form sheet:row [column]: …` per line.
                for line in exc.validator_message.splitlines():
                    click.echo(f"  {line}", err=True)
                continue
            except FormError as exc:
                failed += 1
                click.echo("failed")
                click.echo(f"  {exc}", err=True)
                continue
            state = "new version" if result.new_version else "unchanged"
            click.echo(f"{result.version} ({state}) sha256 {result.xform_sha256[:12]}")
            for warning in result.warnings:
                click.echo(f"  warning: {warning}", err=True)
    if failed:
        click.echo(f"{failed} form(s) failed", err=True)
        sys.exit(1)


@forms.command("versions")
@click.argument("form_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def versions_cmd(ctx: click.Context, form_id: str, as_json: bool) -> None:
    """List the builds of FORM_ID (newest first) and where each was published."""
    from cli.common import sessions, settings_from
    from core.store.db import session_scope
    from core.usecases.browse.intake import publication_json
    from core.usecases.build import list_versions
    from core.usecases.publish import list_publications

    settings = settings_from(ctx)
    factory = sessions(settings)
    with session_scope(factory) as session:
        rows = list_versions(session, form_id)
        publications = list_publications(session, form_id)
    if not rows and not (Path(settings.forms_dir) / f"{form_id}.xlsx").is_file():
        raise FormError(
            f"no form {form_id!r}: no builds recorded and no {form_id}.xlsx in "
            f"PANTAU_FORMS_DIR={settings.forms_dir}"
        )
    if as_json:
        data = [
            {
                "version": r.version,
                "built_at": r.built_at.isoformat(),
                "built_by": r.built_by,
                "xform_sha256": r.xform_sha256,
                "xlsform_sha256": r.xlsform_sha256,
                "publications": r.publications,
            }
            for r in rows
        ]
        out = {
            "form_id": form_id,
            "versions": data,
            "publications": [publication_json(p) for p in publications],
        }
        click.echo(json.dumps(out, indent=2))
        return
    if not rows:
        click.echo(f"{form_id}: no builds recorded")
        return
    click.echo(f"{'version':<12} {'built at (UTC)':<20} {'by':<12} {'xform sha256':<14} published")
    for r in rows:
        pubs = ", ".join(
            f"{p['server']}:{p['server_version_id'] or p['server_form_id']} ({p['status']})"
            for p in r.publications
        )
        click.echo(
            f"{r.version:<12} {r.built_at:%Y-%m-%d %H:%M}     {r.built_by[:12]:<12} "
            f"{r.xform_sha256[:12]:<14} {pubs or '-'}"
        )
    _echo_publications(publications)


def _echo_publications(pubs) -> None:
    # The history of publications: what each server serves as which of our versions.
    if not pubs:
        return
    click.echo("")
    click.echo(
        f"{'published (UTC)':<17} {'server':<8} {'version':<12} {'server version':<24} "
        f"{'by':<12} forced"
    )
    for p in pubs:
        when = f"{p.published_at:%Y-%m-%d %H:%M}" if p.published_at else "-"
        click.echo(
            f"{when:<17} {p.server:<8} {p.version:<12} {(p.server_version_id or '-'):<24} "
            f"{p.published_by[:12]:<12} {p.forced_reason or '-'}"
        )


def register(main: click.Group) -> None:
    """Attach the `forms` group to the `pantau` command."""
    main.add_command(forms)
