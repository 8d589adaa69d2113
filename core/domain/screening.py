"""One quick pass over a record that needs none of intake's care: the pull's fast path.

Before a record is stored, intake checks that every column can hold it (`check_storable`)
and pseudonymises it (`pseudonymise`). Both walk every value with a call per value, and the
pair cost ~90 µs a record, more than downloading it. Most records hold no NIK-shaped number
outside their identifying fields, no NUL, nothing nested deep, no number out of range. For
those, `screen()` does the same in one loop over the record (searching only text long enough
to hold a KK/NIK) and a look at its JSON text, and hands that text on so the record is
serialised once.

`screen()` returns None for anything else (a number to pseudonymise inside free text, a float
that might be one, a control character, deep nesting): the caller then takes the careful
path, which decides exactly as before. So `screen()` never has to be right about a hard case;
it only has to say None for it. tests/unit/intake/test_screening.py holds it to that: whatever
it accepts, it returns what `pseudonymise` returns, and `check_storable` accepts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from core.domain.privacy import ID_KEYS, Keyring, identifying_value
from core.domain.submissions import MAX_DEPTH, MAX_INT, MIN_INT

# A number with 16 digits or more is KK/NIK-shaped (privacy._scalar); a float near that size
# may print as such in one form and not in another. Both take the careful path.
_NUMBER_LIMIT = 10**15
_NUMBER_DIGITS = 16
# Any 16 digits in a row, also inside a pseudonym's hex (which redact_text keeps: a false
# alarm costs only the careful path).
_NUMBER_RUN = re.compile(rf"\d{{{_NUMBER_DIGITS}}}")


class _Careful(Exception):
    """The record needs the careful path."""


@dataclass(frozen=True, slots=True)
class Screened:
    """A record as pseudonymise() makes it, and its JSON text (what the database stores)."""

    record: dict[str, Any]
    text: str


def screen(rec: Any, keyring: Keyring, identifying: frozenset[str]) -> Screened | None:
    """The record pseudonymised and serialised, or None if it needs the careful path."""
    if type(rec) is not dict:
        return None
    try:
        record = _clean_dict(rec, keyring, identifying, 0)
    except _Careful:
        return None
    # ensure_ascii=False keeps every digit (fullwidth ones too) as itself, so a KK/NIK-shaped
    # run in any answer is a run in the text; allow_nan=False refuses NaN and infinities.
    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")  # a lone surrogate: no column can hold it
    except (ValueError, UnicodeEncodeError):
        return None
    # A NUL is `\u0000` in the text: any `\u` escape (a control character, in an answer or a
    # key) goes the careful way.
    if "\\u" in text:
        return None
    return Screened(record, text)


def _clean_dict(
    rec: dict[str, Any], keyring: Keyring, identifying: frozenset[str], depth: int
) -> dict[str, Any]:
    """A copy of a dict at check_storable's depth; its values are one level deeper."""
    names = _NAMES.setdefault(identifying, {})
    out: dict[str, Any] = {}
    for key, value in rec.items():
        found = names.get(key)
        if found is None:
            found = _identifying_name(names, key, identifying)
        if found:
            out[key] = identifying_value(_storable_identifier(value), keyring)
        elif type(value) is str and key not in ID_KEYS:  # most answers: inline, no call
            # What redact_text() would change: a run of 16 digits (any script's). Shorter
            # text (dates, codes, counts) cannot hold one.
            if len(value) >= _NUMBER_DIGITS and _NUMBER_RUN.search(value):
                raise _Careful
            out[key] = value
        elif key in ID_KEYS:
            if type(value) is not str:  # kept as it is, if check_storable would keep it
                _clean(value, keyring, identifying, depth + 1)
            out[key] = value
        else:
            out[key] = _clean(value, keyring, identifying, depth + 1)
    return out


def _storable_identifier(value: Any) -> Any:
    # check_storable judges the answer before it is replaced: one the careful path would
    # refuse (a NUL, a lone surrogate, an integer over 64 bits) must not vanish into a hash.
    kind = type(value)
    if value is None or kind is bool:
        return value
    if kind is str and "\x00" not in value and (value.isascii() or _encodes(value)):
        return value
    if kind is int and MIN_INT <= value <= MAX_INT:
        return value
    raise _Careful  # a float, a list, an object: rare enough to take the careful path


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean(value: Any, keyring: Keyring, identifying: frozenset[str], depth: int) -> Any:
    """A value at check_storable's depth `depth`, as pseudonymise() returns it."""
    kind = type(value)
    if kind is str:
        # What redact_text() would change: a run of 16 digits (any script's). Shorter text
        # (most answers: dates, codes, counts) cannot hold one.
        if len(value) >= _NUMBER_DIGITS and _NUMBER_RUN.search(value):
            raise _Careful
        return value
    if kind is bool or value is None:
        return value
    if kind is int:
        if -_NUMBER_LIMIT < value < _NUMBER_LIMIT:
            return value
        raise _Careful
    if kind is float:
        if -_NUMBER_LIMIT < value < _NUMBER_LIMIT:  # False for NaN too
            return value
        raise _Careful
    if depth >= MAX_DEPTH:
        raise _Careful
    if kind is list:
        return [_clean(v, keyring, identifying, depth + 1) for v in value]
    if kind is dict:
        return _clean_dict(value, keyring, identifying, depth)
    raise _Careful  # a subclass, a tuple: whatever it is, the careful path judges it


# Whether a key names an identifying field, per contract: a form has a few hundred keys.
_NAMES: dict[frozenset[str], dict[str, bool]] = {}
_NAMES_KEPT = 10_000


def _identifying_name(names: dict[str, bool], key: object, identifying: frozenset[str]) -> bool:
    name = key.rsplit("/", 1)[-1] if isinstance(key, str) else key
    found = name in identifying
    if isinstance(key, str) and len(names) < _NAMES_KEPT:  # a flood of odd keys: not kept
        names[key] = found
    return found
