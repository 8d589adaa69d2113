"""Fixtures for tests that talk to the Kobo sandbox with our published forms."""

import pytest

from tests.support.kobo_sandbox import kobo_sandbox  # noqa: F401  (fixture)
from tests.support.submissions import publish_in_sandbox


@pytest.fixture
def meeting_form(kobo_sandbox, session_factory):  # noqa: F811
    with session_factory() as session:
        return publish_in_sandbox(kobo_sandbox, session, "pertemuan_imp")


@pytest.fixture
def family_form(kobo_sandbox, session_factory):  # noqa: F811
    with session_factory() as session:
        return publish_in_sandbox(kobo_sandbox, session, "keluarga_risiko")
