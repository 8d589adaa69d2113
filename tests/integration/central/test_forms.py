from __future__ import annotations

import pytest

from core.clients.central import (
    CentralClient,
    CentralDuplicateForm,
    CentralNotFound,
    CentralPermanentError,
    CentralVersionConflict,
)
from tests.support.odk_instances import CENTRAL_FORM_ID, FIXTURES, central_xform

DESA_CSV = (FIXTURES / "central" / "desa.csv").read_bytes()


def test_create__publishes_the_xform_with_its_own_version(client: CentralClient) -> None:
    form = client.forms.create(central_xform("2026.1"))

    assert form.xml_form_id == CENTRAL_FORM_ID
    assert form.version == "2026.1"
    assert form.published_at is not None
    assert [f.xml_form_id for f in client.forms.list()] == [CENTRAL_FORM_ID]


def test_create__same_form_id_twice_is_a_typed_409_3(client: CentralClient) -> None:
    client.forms.create(central_xform("2026.1"))

    with pytest.raises(CentralDuplicateForm) as caught:
        client.forms.create(central_xform("2026.2"))

    assert caught.value.status_code == 409
    assert caught.value.code == "409.3"


def test_draft_publish__new_version_replaces_the_published_one(client: CentralClient) -> None:
    first = client.forms.create(central_xform("2026.1"))

    client.forms.create_draft(CENTRAL_FORM_ID, central_xform("ignored", title="Pendataan v2"))
    second = client.forms.publish_draft(CENTRAL_FORM_ID, version="2026.2")

    assert second.version == "2026.2"
    assert second.name == "Pendataan v2"
    assert second.hash != first.hash


def test_publish_draft__reusing_a_version_is_a_typed_409_6(client: CentralClient) -> None:
    client.forms.create(central_xform("2026.1"))
    client.forms.create_draft(CENTRAL_FORM_ID, central_xform("2026.1", title="changed"))

    with pytest.raises(CentralVersionConflict) as caught:
        client.forms.publish_draft(CENTRAL_FORM_ID, version="2026.1")

    assert caught.value.code == "409.6"
    # The form still serves the first definition.
    assert client.forms.get(CENTRAL_FORM_ID).name == "Pendataan Keluarga"


def test_publish__new_form_with_media_uploads_them_before_publishing(
    client: CentralClient,
) -> None:
    form = client.forms.publish(
        CENTRAL_FORM_ID, central_xform("2026.1"), attachments={"desa.csv": DESA_CSV}
    )

    assert form.version == "2026.1"
    assert form.published_at is not None
    [attachment] = client.forms.attachments(CENTRAL_FORM_ID)
    assert (attachment.name, attachment.exists) == ("desa.csv", True)


def test_publish__existing_form_goes_through_draft_with_our_version(
    client: CentralClient,
) -> None:
    client.forms.publish(
        CENTRAL_FORM_ID, central_xform("2026.1"), attachments={"desa.csv": DESA_CSV}
    )

    form = client.forms.publish(
        CENTRAL_FORM_ID,
        central_xform("2026.1", title="v2"),
        version="2026.2",
        attachments={"desa.csv": DESA_CSV},
    )

    assert (form.version, form.name) == ("2026.2", "v2")
    assert [a.exists for a in client.forms.attachments(CENTRAL_FORM_ID)] == [True]


def test_draft_attachments__missing_until_uploaded_and_unknown_names_are_404(
    client: CentralClient,
) -> None:
    client.forms.create(central_xform("2026.1"), publish=False)

    [before] = client.forms.draft_attachments(CENTRAL_FORM_ID)
    client.forms.upload_draft_attachment(CENTRAL_FORM_ID, "desa.csv", DESA_CSV)
    [after] = client.forms.draft_attachments(CENTRAL_FORM_ID)
    with pytest.raises(CentralNotFound):
        client.forms.upload_draft_attachment(CENTRAL_FORM_ID, "kecamatan.csv", b"name,label\n")

    assert (before.exists, after.exists) == (False, True)


def test_get__unknown_form_is_a_typed_404(client: CentralClient) -> None:
    with pytest.raises(CentralNotFound) as caught:
        client.forms.get("no_such_form")

    assert caught.value.code == "404.1"
    assert isinstance(caught.value, CentralPermanentError)
