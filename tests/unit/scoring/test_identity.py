import re

import pytest

from core.domain.scoring.errors import IdentityError
from core.domain.scoring.identity import family_key

SECRET = b"district-secret-from-settings"
NO_KK = "3277011204150007"


def test_family_key__stable_prefixed_and_short():
    key = family_key(NO_KK, SECRET)
    assert re.fullmatch(r"kel_[0-9a-f]{20}", key)
    assert family_key(NO_KK, SECRET) == key
    assert NO_KK not in key


def test_family_key__depends_on_secret_and_number():
    assert family_key(NO_KK, SECRET) != family_key(NO_KK, b"another-secret")
    assert family_key(NO_KK, SECRET) != family_key("3277011204150008", SECRET)


def test_family_key__surrounding_whitespace_is_ignored():
    assert family_key(f" {NO_KK}\n", SECRET) == family_key(NO_KK, SECRET)


@pytest.mark.parametrize("bad", ["327701120415000", "32770112041500071", "3277O11204150007", ""])
def test_family_key__invalid_number_is_refused_without_echoing_it(bad):
    with pytest.raises(IdentityError, match="16 digits") as info:
        family_key(bad, SECRET)
    if bad:
        assert bad not in str(info.value)


def test_family_key__needs_a_secret():
    with pytest.raises(IdentityError, match="secret"):
        family_key(NO_KK, b"")
