"""A Central OData row in Kobo's submission-dict shape: GeoJSON answers become ODK's text."""

from core.clients.central import CentralSubmission
from core.usecases.central_rows import central_to_kobo_dict

LOKASI = "-6.8841 107.5413 712 5"  # ODK's text: latitude longitude altitude accuracy


def _row(**answers):
    """One OData row as a real Central sends it (v2026.2.2)."""
    return {
        "__id": "uuid:5b7f5e0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        "__system": {"submissionDate": "2026-10-14T03:05:42.123Z", "formVersion": "2026.1"},
        "meta": {"instanceID": "uuid:5b7f5e0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
        "pertemuan": {"hadir_perempuan": 9, **answers},
    }


def _flat(**answers):
    return central_to_kobo_dict(CentralSubmission.from_odata(_row(**answers)), "pertemuan_imp")


def test_central_row__geopoint_keeps_altitude_and_accuracy():
    point = {
        "type": "Point",
        "coordinates": [107.5413, -6.8841, 712],
        "properties": {"accuracy": 5},
    }
    flat = _flat(lokasi=point)
    assert flat["pertemuan/lokasi"] == LOKASI
    assert flat["pertemuan/hadir_perempuan"] == "9"


def test_central_row__geopoint_without_altitude_or_accuracy_invents_none():
    bare = _flat(lokasi={"type": "Point", "coordinates": [107.5413, -6.8841]})
    assert bare["pertemuan/lokasi"] == "-6.8841 107.5413"
    no_alt = {"type": "Point", "coordinates": [107.5413, -6.8841], "properties": {"accuracy": 4.5}}
    assert _flat(lokasi=no_alt)["pertemuan/lokasi"] == "-6.8841 107.5413 0 4.5"


def test_central_row__geotrace_and_geoshape_are_points_joined_by_semicolons():
    line = {"type": "LineString", "coordinates": [[107.5, -6.8, 700.0], [107.6, -6.9, 701]]}
    ring = [[107.5, -6.8], [107.6, -6.9], [107.7, -6.8], [107.5, -6.8]]
    flat = _flat(
        jalur={"type": "LineString", **line}, batas={"type": "Polygon", "coordinates": [ring]}
    )
    assert flat["pertemuan/jalur"] == "-6.8 107.5 700;-6.9 107.6 701"
    assert flat["pertemuan/batas"] == "-6.8 107.5;-6.9 107.6;-6.8 107.7;-6.8 107.5"


def test_central_row__a_group_with_a_field_named_type_is_still_a_group():
    flat = _flat(alat={"type": "timbangan", "jumlah": 2})
    assert flat["pertemuan/alat/type"] == "timbangan" and flat["pertemuan/alat/jumlah"] == "2"
