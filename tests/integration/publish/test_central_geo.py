"""ODK Central answers geopoints as GeoJSON; they must reach us as ODK's text, like Kobo's."""

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.models import Fact, Submission
from core.usecases.publish import publish_to_central
from sandbox.kobo.instance import build_instance_xml
from tests.conftest import pantau_env
from tests.integration.publish.conftest import run
from tests.support.submissions import meeting_answers

LOKASI = "-6.8841 107.5413 712 5"  # ODK's text: latitude longitude altitude accuracy


def _pull(settings) -> str:
    result = CliRunner().invoke(
        main,
        ["pull", "--server", "central"],
        env={
            **pantau_env(settings),
            "PANTAU_CENTRAL_URL": settings.central_url,
            "PANTAU_CENTRAL_EMAIL": settings.central_email,
            "PANTAU_CENTRAL_PASSWORD": settings.central_password.get_secret_value(),
            "PANTAU_CENTRAL_PROJECT": str(settings.central_project),
        },
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_central_pull__a_geopoint_is_stored_as_odk_text_and_read_as_a_fact(
    central, central_settings, session_factory
):
    run(session_factory, publish_to_central, central, "pertemuan_imp", central_settings)
    xform = (central_settings.build_dir / "pertemuan_imp.xml").read_text()
    xml, _ = build_instance_xml(xform, {**meeting_answers(), "pertemuan/lokasi": LOKASI})
    central.submissions.create("pertemuan_imp", xml)

    assert "new 1" in _pull(central_settings)
    with session_factory() as s:
        stored = s.scalars(select(Submission)).one()
        fact = s.scalars(select(Fact)).one()
    assert stored.raw["pertemuan/lokasi"] == LOKASI
    assert not any(k.startswith("pertemuan/lokasi/") for k in stored.raw)
    assert fact.values["lokasi"] == [-6.8841, 107.5413, 712.0, 5.0]
