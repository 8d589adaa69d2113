"""After `pantau imps import`, `forms publish` sends the new `imp.csv` without a new form version."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.db import session_scope
from core.store.models import FormVersion, Publication, Submission
from sandbox.kobo.instance import build_instance_xml
from tests.integration.publish.conftest import asset_doc
from tests.integration.publish.test_cli import env_for
from tests.support.submissions import meeting_answers

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "docs" / "imp_template.csv"  # three IMPs
NEW_IMP = (
    "KKB-3277011001-003-009,Kelompok KB Anggrek,kelompok_kb,32.77.01.1001,003,009,"
    "SUB-3277011001-003"
)


def invoke(args: list[str], env: dict[str, str]):
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def one_more_imp(tmp_path: Path) -> Path:
    """The template plus one Kelompok KB: four IMPs."""
    path = tmp_path / "imps.csv"
    path.write_text(TEMPLATE.read_text(encoding="utf-8").rstrip("\n") + f"\n{NEW_IMP}\n")
    return path


def central_env(settings) -> dict[str, str]:
    return env_for(
        settings,
        PANTAU_CENTRAL_URL=settings.central_url,
        PANTAU_CENTRAL_EMAIL=settings.central_email,
        PANTAU_CENTRAL_PASSWORD=settings.central_password.get_secret_value(),
        PANTAU_CENTRAL_PROJECT=str(settings.central_project),
    )


def server_csv(kobo_sandbox, asset_uid: str, name: str) -> bytes:
    listing = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/files/").json()
    (entry,) = [f for f in listing["results"] if f["metadata"]["filename"] == name]
    return kobo_sandbox.api("GET", entry["content"].removeprefix(kobo_sandbox.base_url)).content


def test_kobo__imps_import_then_publish_replaces_imp_csv_without_a_new_version(
    kobo_sandbox, kobo_settings, session_factory, tmp_path
):
    env = env_for(kobo_settings)
    invoke(["imps", "import", str(TEMPLATE)], env)
    first = invoke(["forms", "publish", "pertemuan_imp", "--to", "kobo"], env)
    assert "published on kobo" in first.stdout
    with session_scope(session_factory) as s:
        asset_uid = s.scalars(select(Publication.server_form_id)).one()
    version_id = asset_doc(kobo_sandbox, asset_uid)["version_id"]

    # Nothing changed: nothing sent, nothing said beyond "unchanged".
    same = invoke(["forms", "publish", "pertemuan_imp", "--to", "kobo"], env)
    assert "unchanged on kobo" in same.stdout.splitlines()[-1]
    assert "imp.csv unchanged" in same.stdout
    assert "replaced" not in same.stdout and "no new form version" not in same.stdout

    invoke(["imps", "import", str(one_more_imp(tmp_path))], env)
    after = invoke(["forms", "publish", "pertemuan_imp", "--to", "kobo"], env)
    lines = after.stdout.splitlines()
    assert "unchanged on kobo" in lines[-2]
    assert lines[-1] == "media imp.csv replaced (3 -> 4 rows); no new form version"
    assert b"KKB-3277011001-003-009" in server_csv(kobo_sandbox, asset_uid, "imp.csv")
    doc = asset_doc(kobo_sandbox, asset_uid)
    # One file of that name, the same Kobo version, deployed once, redeployed in place.
    assert [f["metadata"]["filename"] for f in doc["files"]].count("imp.csv") == 1
    assert doc["version_id"] == doc["deployed_version_id"] == version_id
    assert (doc["version_count"], doc["deployed_versions"]["count"]) == (1, 1)
    with session_scope(session_factory) as s:
        assert s.scalar(select(FormVersion.version).where(FormVersion.form_id == "pertemuan_imp"))
        assert len(s.scalars(select(FormVersion)).all()) == 1
        assert len(s.scalars(select(Publication)).all()) == 1

    again = invoke(["forms", "publish", "pertemuan_imp", "--to", "kobo"], env)
    assert "unchanged on kobo" in again.stdout.splitlines()[-1]
    assert "replaced" not in again.stdout


def test_central__imps_import_then_publish_sends_imp_csv_in_a_draft_of_the_live_form(
    central_stub, central, central_settings, session_factory, tmp_path
):
    env = central_env(central_settings)
    invoke(["imps", "import", str(TEMPLATE)], env)
    invoke(["forms", "publish", "pertemuan_imp", "--to", "central"], env)
    form = central_stub.state.forms[(1, "pertemuan_imp")]
    version = form.current.version

    same = invoke(["forms", "publish", "pertemuan_imp", "--to", "central"], env)
    assert "unchanged on central" in same.stdout.splitlines()[-1]
    assert "media        unchanged" in same.stdout
    assert "no new form version" not in same.stdout
    assert len(form.published) == 1

    invoke(["imps", "import", str(one_more_imp(tmp_path))], env)
    after = invoke(["forms", "publish", "pertemuan_imp", "--to", "central"], env)
    # Central refuses new media under a published version string (409.6): `V-2`, same form.
    assert after.stdout.splitlines()[-1] == (
        "media imp.csv replaced (3 -> 4 rows); no new form version "
        f"(Central needs a new version string: {version}-2)"
    )
    assert [d.version for d in form.published] == [version, f"{version}-2"]
    assert b"KKB-3277011001-003-009" in form.current.attachments["imp.csv"][1]
    assert form.current.attachments["wilayah.csv"] == form.published[0].attachments["wilayah.csv"]
    with session_scope(session_factory) as s:
        assert len(s.scalars(select(FormVersion)).all()) == 1
        pubs = s.scalars(select(Publication).order_by(Publication.id)).all()
        assert [p.server_version_id for p in pubs] == [version, f"{version}-2"]
        assert pubs[0].form_version_id == pubs[1].form_version_id

    again = invoke(["forms", "publish", "pertemuan_imp", "--to", "central"], env)
    assert "unchanged on central" in again.stdout.splitlines()[-1]
    assert len(form.published) == 2

    # Submissions made with the new server version map back to our one form version.
    xml, _ = build_instance_xml(form.current.xml.decode(), meeting_answers())
    central.submissions.create("pertemuan_imp", xml)
    pulled = CliRunner().invoke(main, ["pull", "--server", "central"], env=env)
    assert "new 1" in pulled.output, pulled.output
    with session_scope(session_factory) as s:
        row = s.scalars(select(Submission)).one()
        assert row.server_version == f"{version}-2" and row.version_known
