from datetime import UTC, date, datetime

from core.store.facts import facts_from_row
from core.store.models import Fact


def _row(form_id, values):
    return Fact(
        submission_id=7,
        form_id=form_id,
        values=values,
        submitted_at=datetime(2026, 11, 23, 3, tzinfo=UTC),
    )


def test_facts_from_row__month_date_field_stays_a_month_string():
    facts = facts_from_row(_row("profil_imp", {"periode": "2026-11", "kepengurusan": "kolektif"}))
    assert facts.get("periode") == "2026-11"
    facts = facts_from_row(_row("laporan_bulanan_imp", {"periode": "2026-11"}))
    assert facts.get("periode") == "2026-11"


def test_facts_from_row__date_fields_inside_and_outside_the_contract_become_dates():
    facts = facts_from_row(
        _row("keluarga_risiko", {"today": "2026-11-20", "tgl_lahir_istri": "1996-03-02"})
    )
    assert facts.get("today") == date(2026, 11, 20)
    assert facts.get("tgl_lahir_istri") == date(1996, 3, 2)
    facts = facts_from_row(_row("pertemuan_imp", {"tgl_pertemuan": "2026-11-05"}))
    assert facts.get_date("tgl_pertemuan") == date(2026, 11, 5)
