from __future__ import annotations

import csv
import hashlib
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.domain.forms.errors import FormBuildError, FormLintError
from core.store.db import make_engine, make_session_factory, session_scope
from core.store.models import FormVersion
from core.usecases.build import build_form, list_versions, write_attachments
from tests.conftest import pantau_env
from tests.integration.forms.conftest import EN_LABEL, FORM_IDS, FORMS_DIR, ID_LABEL, edit_cell
from tests.support.registry import DESA, IMP, KECAMATAN, SUB_IMP, seed_registry

DAY = date(2026, 11, 23)


@pytest.fixture
def factory(settings):
    engine = make_engine(settings)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_build__each_form_passes_odk_validate_with_a_stamped_version(
    form_id, contract, factory, tmp_path
):
    source = FORMS_DIR / f"{form_id}.xlsx"
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    with session_scope(factory) as s:
        result = build_form(
            source, contract=contract, out_dir=tmp_path, session=s, built_by="t", today=DAY
        )
    xml = result.xform_path.read_text(encoding="utf-8")
    assert result.version == "2026112301"
    assert f'<data id="{form_id}" version="2026112301"' in xml
    assert "jr://file-csv/wilayah.csv" in xml
    assert "<instanceID/>" in xml and "<instanceName/>" in xml
    # pyxform's silent filler for a missing translation never reaches the XForm.
    assert "<value>-</value>" not in xml
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    with session_scope(factory) as s:
        row = s.scalars(select(FormVersion).where(FormVersion.form_id == form_id)).one()
        assert row.xform_sha256 == result.xform_sha256
        assert row.xlsform_sha256 == before
        assert row.contract["fields"]["desa"]["type"] == "select_one_from_file"


def test_build__unchanged_form_keeps_its_version_changed_form_gets_the_next(
    contract, factory, forms_copy, tmp_path
):
    path = forms_copy / "pertemuan_imp.xlsx"

    def build(day):
        with session_scope(factory) as s:
            return build_form(path, contract=contract, out_dir=tmp_path, session=s, today=day)

    first = build(DAY)
    again = build(date(2026, 11, 24))
    assert (again.version, again.new_version) == (first.version, False)
    assert again.xform_sha256 == first.xform_sha256

    edit_cell(path, "survey", "topik", ID_LABEL, "Topik pembahasan")
    edit_cell(path, "survey", "topik", EN_LABEL, "Topics of discussion")
    changed = build(DAY)
    assert (changed.version, changed.new_version) == ("2026112302", True)
    assert changed.xform_sha256 != first.xform_sha256
    with session_scope(factory) as s:
        assert [v.version for v in list_versions(s, "pertemuan_imp")] == [
            "2026112302",
            "2026112301",
        ]


def test_build__odk_validate_error_is_raised_with_the_validators_message(
    contract, forms_copy, tmp_path
):
    # pyxform accepts broken XPath; only ODK Validate catches it.
    path = forms_copy / "pertemuan_imp.xlsx"
    edit_cell(path, "survey", "foto_notulen", "relevant", "${ada_notulen} = = 'ya'")
    with pytest.raises(FormBuildError) as info:
        build_form(path, contract=contract, out_dir=tmp_path, today=DAY)
    assert "ODK Validate" in info.value.validator_message
    assert "foto_notulen" in info.value.validator_message
    assert not (tmp_path / "pertemuan_imp.xml").exists()


def test_build__refuses_a_form_that_fails_lint(contract, forms_copy, tmp_path):
    path = forms_copy / "profil_imp.xlsx"
    edit_cell(path, "survey", "ada_sk", EN_LABEL, None)
    with pytest.raises(FormLintError) as info:
        build_form(path, contract=contract, out_dir=tmp_path, today=DAY)
    assert info.value.problems[0].column == EN_LABEL


def test_build__csv_media_come_from_the_registry(factory, tmp_path):
    with session_scope(factory) as s:
        seed_registry(s)
    with session_scope(factory) as s:
        paths = write_attachments(s, tmp_path)
    assert [p.name for p in paths] == ["wilayah.csv", "imp.csv"]
    wilayah = list(csv.DictReader((tmp_path / "wilayah.csv").open(encoding="utf-8")))
    assert {
        "name": KECAMATAN,
        "label": "Cimahi Selatan",
        "level": "kecamatan",
        "parent": "32.77",
    } in wilayah
    assert {"name": DESA, "label": "Melong", "level": "desa", "parent": KECAMATAN} in wilayah
    assert not any(r["name"] in ("32", "32.77") for r in wilayah)
    imps = list(csv.DictReader((tmp_path / "imp.csv").open(encoding="utf-8")))
    assert [(r["name"], r["desa"]) for r in imps] == [(IMP, DESA), (SUB_IMP, DESA)]
    assert imps[1]["label"] == "Sub-PPKBD Mawar (RW 004)"


def test_cli__forms_build_and_versions(settings, tmp_path):
    env = pantau_env(settings, PANTAU_BUILD_DIR=str(tmp_path / "out"))
    runner = CliRunner()
    result = runner.invoke(
        main, ["forms", "build", "laporan_bulanan_imp", "--by", "admin"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "laporan_bulanan_imp" in result.output and "(new version)" in result.output
    assert (tmp_path / "out" / "laporan_bulanan_imp.xml").exists()
    assert (tmp_path / "out" / "imp.csv").exists()
    again = runner.invoke(main, ["forms", "build", "laporan_bulanan_imp"], env=env)
    assert "(unchanged)" in again.output
    listed = runner.invoke(main, ["forms", "versions", "laporan_bulanan_imp", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    import json

    doc = json.loads(listed.output)
    assert [v["built_by"] for v in doc["versions"]] == ["admin"]
    table = runner.invoke(main, ["forms", "versions", "laporan_bulanan_imp"], env=env)
    assert "admin" in table.output


def test_cli__forms_build_exits_nonzero_with_the_validator_message(settings, forms_copy, tmp_path):
    edit_cell(
        forms_copy / "kie_konseling.xlsx",
        "survey",
        "pelayanan_ulang",
        "relevant",
        "bukan-fungsi(${jumlah_laki})",
    )
    env = pantau_env(
        settings, PANTAU_FORMS_DIR=str(forms_copy), PANTAU_BUILD_DIR=str(tmp_path / "out")
    )
    result = CliRunner().invoke(main, ["forms", "build", "kie_konseling"], env=env)
    assert result.exit_code == 1
    assert "bukan-fungsi" in result.output
