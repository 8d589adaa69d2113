"""Typed facts of a submission: Kobo submission dict -> typed values through the form contract."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from core.domain.errors import PantauError
from core.domain.forms.contract import Contract, ContractField, FormContract
from core.domain.privacy import shown

# Keys Kobo adds around the answers; never answers themselves.
SYSTEM_PREFIXES = ("_", "formhub/", "meta/")
SYSTEM_KEYS = {"__version__"}


# Counts, ages and deciles: anything past this is a typo, and would overflow a float later.
MAX_INTEGER = 10**9
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}(\.0*)?")
MISSING = object()  # a required answer that is absent
WITHHELD = object()  # an identifying answer: never quoted, not even its pseudonym


class FactsError(PantauError):
    """An answer that cannot be converted to its contract type (the sender's data, not a bug).

    The message names the field and quotes the value only shortened and with KK/NIK-shaped
    numbers blanked: it is stored, listed by `pantau intake problems` and logged.
    """

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        quoted = {id(MISSING): "(missing)", id(WITHHELD): "(withheld)"}.get(id(value))
        quoted = quoted or shown(value)
        super().__init__(f"{field}={quoted}: {reason}")


def _integer(name: str, value: str) -> int:
    text = value.strip()
    # Some exports write whole numbers as "5.0"; anything with a fraction is not an integer.
    if not _INTEGER.fullmatch(text):
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise FactsError(name, value, "not an integer") from None
        if not number.is_finite():
            raise FactsError(name, value, "not an integer")
        # The exponent first: 1e999999999 is never built as a number (nor overflows a context).
        if number.adjusted() > 9 or abs(number) > MAX_INTEGER:
            raise FactsError(name, value, f"out of range (over {MAX_INTEGER:,})")
        if number != number.to_integral_value():
            raise FactsError(name, value, "not an integer")
        return int(number)
    number = int(Decimal(text))
    if abs(number) > MAX_INTEGER:
        raise FactsError(name, value, f"out of range (over {MAX_INTEGER:,})")
    return number


FIRST_YEAR, LAST_YEAR = 1900, 2100


def _decimal(name: str, value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise FactsError(name, value, "not a number") from None
    if not math.isfinite(number):
        raise FactsError(name, value, "not a finite number")
    if abs(number) > MAX_INTEGER:  # heights, weights, areas: a typo, and a later overflow
        raise FactsError(name, value, f"out of range (over {MAX_INTEGER:,})")
    return number


def _date(name: str, value: str) -> date:
    text = value.strip()
    # A date question is `YYYY-MM-DD`; tolerate a date-time by keeping its date part.
    if len(text) > 10 and text[10] in "T ":
        text = text[:10]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FactsError(name, value, "not a YYYY-MM-DD date") from None
    # A birth, a visit or a measurement: years outside these are typos, and date arithmetic
    # on them (a due date nine months after 9999-12-01) would fail as a bug, not as data.
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise FactsError(name, value, f"year out of range ({FIRST_YEAR}-{LAST_YEAR})")
    return day


def _geopoint(name: str, value: str) -> tuple[float, float, float, float]:
    parts = value.split()
    if not 2 <= len(parts) <= 4:
        raise FactsError(name, value, "a geopoint is 'lat lon [alt [accuracy]]'")
    try:
        numbers = [float(p) for p in parts] + [0.0] * (4 - len(parts))
    except ValueError:
        raise FactsError(name, value, "a geopoint holds numbers only") from None
    lat, lon, alt, acc = numbers
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not all(map(math.isfinite, numbers)):
        raise FactsError(name, value, "latitude/longitude out of range")
    return lat, lon, alt, acc


def convert_value(field: ContractField, value: Any) -> Any:
    """One answer (a string, as Kobo sends it) converted to the field's contract type."""
    name = field.name
    if not isinstance(value, str):
        raise FactsError(name, value, f"expected a string answer, got {type(value).__name__}")
    kind = field.type
    if kind == "integer":
        result: Any = _integer(name, value)
    elif kind == "decimal":
        result = _decimal(name, value)
    elif kind == "date":
        result = _date(name, value)
    elif kind == "geopoint":
        result = _geopoint(name, value)
    elif kind == "select_multiple":
        result = value.split()
    elif kind in ("select_one", "select_one_from_file", "text", "calculate"):
        result = value.strip()
    else:
        raise FactsError(name, value, f"cannot convert a {kind}")
    if field.pattern and not re.fullmatch(field.pattern, result):
        raise FactsError(name, value, f"does not match {field.pattern}")
    return result


def _is_system(key: str) -> bool:
    return key in SYSTEM_KEYS or key.startswith(SYSTEM_PREFIXES)


def _read(
    data: dict[str, Any], fields: dict[str, ContractField], fc: FormContract
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for key, raw in data.items():
        if _is_system(key):
            continue
        name = key.rsplit("/", 1)[-1]
        field = fields.get(name)
        if field is None:
            continue
        if name in seen:
            raise FactsError(name, raw, f"answered twice ({seen[name]!r} and {key!r})")
        seen[name] = key
        if field.type == "repeat":
            if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
                raise FactsError(name, raw, "a repeat must be a list of records")
            children = fc.in_repeat(name)
            values[name] = [_read(row, children, fc) for row in raw]
            continue
        if isinstance(raw, str) and not raw.strip():
            continue  # Kobo omits unanswered questions; other sources send "": same meaning
        values[name] = convert_value(field, raw)
    return values


def extract_values(raw: dict[str, Any], form_id: str, contract: Contract) -> dict[str, Any]:
    """Typed values of the contract's fields in a Kobo submission dict; absent when unanswered.

    Repeats become lists of dicts (`values["anak"] = [{"jk": "l", ...}, ...]`). The form's
    `date_field` is read as a date even when the contract does not list it as a field
    (e.g. the `today` metadata). Raises FactsError for an answer that cannot be converted.
    """
    fc = contract.form(form_id)
    fields = dict(fc.top_level())
    if fc.date_field and fc.date_field not in fc.fields:
        fields[fc.date_field] = ContractField(name=fc.date_field, type="date")
    return _read(raw, fields, fc)


@dataclass(frozen=True)
class Facts:
    """Typed answers of one submission, keyed by the field names in xlsforms/contract.toml.

    Dates are `datetime.date`, integers/decimals `int`/`float`, select_one `str`,
    select_multiple `list[str]`, `periode` a "YYYY-MM" string; missing answers are absent.
    Repeats are lists of dicts (e.g. `values["anak"]`). `submitted_at` is an aware UTC datetime.
    """

    form: str
    submission_id: int
    submitted_at: datetime
    values: dict[str, Any] = field(default_factory=dict)
    instance_id: str = ""

    def get(self, name: str, default: Any = None) -> Any:
        """Return the answer for a contract field, or `default` when it was not answered."""
        return self.values.get(name, default)

    def get_date(self, name: str) -> date | None:
        """Return a date answer, or None when absent or not a date."""
        value = self.values.get(name)
        # datetime is a date subclass; a datetime here would be an intake bug, so keep the day.
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else None
