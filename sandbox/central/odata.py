"""The part of OData `$filter` that Central accepts on `Submissions`, as a tiny parser.

Only `__system` fields (and `__id`) may be referenced; anything else is 501.5, as Central
answers. A parse failure (for instance `+07:00` sent raw, which arrives as ` 07:00`) is 400.18.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

FILTERABLE = {
    "__id",
    "__system/submissionDate",
    "__system/updatedAt",
    "__system/submitterId",
    "__system/reviewState",
    "__system/deletedAt",
}
DATETIME_FIELDS = {"__system/submissionDate", "__system/updatedAt", "__system/deletedAt"}
COMPARISONS = {"eq", "ne", "lt", "le", "gt", "ge"}


class ODataError(Exception):
    """A query Central would refuse; carries Central's code and HTTP status."""

    def __init__(self, status: int, code: float, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lparen>\() | (?P<rparen>\)) |
      (?P<datetime>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?
        (?![\w:.])) |
      (?P<number>-?\d+(?:\.\d+)?(?![\w:.])) |
      (?P<string>'(?:[^']|'')*') |
      (?P<name>[$A-Za-z_][\w/$]*)
    )""",
    re.VERBOSE,
)


@dataclass
class _Tok:
    kind: str
    text: str


def _tokens(text: str) -> list[_Tok]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _parse_error(text, f"unexpected text at {pos}: {text[pos : pos + 12]!r}")
        kind = m.lastgroup or ""
        out.append(_Tok(kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _parse_error(text: str, why: str) -> ODataError:
    return ODataError(
        400, 400.18, f"The OData filter expression you provided could not be parsed: {why}"
    )


def parse_datetime(text: str) -> datetime:
    """Read an OData DateTimeOffset literal (a date alone means its midnight, UTC)."""
    if "T" not in text:
        text += "T00:00:00Z"
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("no offset")
    return value


Predicate = Callable[[dict[str, Any]], bool]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise _parse_error(self.text, "unexpected end")
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        pred = self.expr()
        if self.peek() is not None:
            raise _parse_error(self.text, f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return pred

    def expr(self) -> Predicate:
        left = self.term()
        while (tok := self.peek()) and tok.kind == "name" and tok.text == "or":
            self.take()
            right = self.term()
            left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
        return left

    def term(self) -> Predicate:
        left = self.factor()
        while (tok := self.peek()) and tok.kind == "name" and tok.text == "and":
            self.take()
            right = self.factor()
            left = (lambda a, b: lambda row: a(row) and b(row))(left, right)
        return left

    def factor(self) -> Predicate:
        tok = self.take()
        if tok.kind == "name" and tok.text == "not":
            inner = self.factor()
            return lambda row: not inner(row)
        if tok.kind == "lparen":
            inner = self.expr()
            if self.take().kind != "rparen":
                raise _parse_error(self.text, "missing )")
            return inner
        if tok.kind != "name":
            raise _parse_error(self.text, f"expected a field, got {tok.text!r}")
        nxt = self.peek()
        if nxt is not None and nxt.kind == "lparen":
            raise ODataError(
                501, 501.1, f"The requested feature {tok.text}() is not supported by this server."
            )
        field = tok.text.removeprefix("$root/Submissions/")
        op = self.take()
        if op.kind != "name" or op.text not in COMPARISONS:
            raise _parse_error(self.text, f"expected a comparison after {field}")
        lit = self.take()
        if field not in FILTERABLE:
            raise ODataError(
                501,
                501.5,
                "The given OData filter expression references fields not supported by this "
                f"server: {field}.",
            )
        value = self._literal(lit, field)
        return _compare(field, op.text, value)

    def _literal(self, tok: _Tok, field: str) -> Any:
        if tok.kind == "name" and tok.text == "null":
            return None
        if tok.kind == "string":
            return tok.text[1:-1].replace("''", "'")
        if tok.kind == "datetime":
            try:
                return parse_datetime(tok.text)
            except ValueError as exc:
                raise _parse_error(self.text, f"bad date {tok.text!r}") from exc
        if tok.kind == "number":
            return float(tok.text) if "." in tok.text else int(tok.text)
        raise _parse_error(self.text, f"expected a value, got {tok.text!r}")


def _compare(field: str, op: str, value: Any) -> Predicate:
    def pred(row: dict[str, Any]) -> bool:
        have = row.get(field)
        if value is None or have is None:
            # SQL semantics: only eq/ne null say anything about nulls.
            if op == "eq":
                return have is None and value is None
            if op == "ne":
                return (have is None) != (value is None)
            return False
        try:
            if op == "eq":
                return have == value
            if op == "ne":
                return have != value
            if op == "lt":
                return have < value
            if op == "le":
                return have <= value
            if op == "gt":
                return have > value
            return have >= value
        except TypeError:
            return False

    return pred


def parse_filter(text: str) -> Predicate:
    """Compile a `$filter` into a predicate over a row's filterable values."""
    return _Parser(text).parse()


def mentions_deleted_at(text: str) -> bool:
    """Whether a `$filter` names `__system/deletedAt` (then Central leaves the trash in)."""
    names = {t.text.removeprefix("$root/Submissions/") for t in _tokens(text) if t.kind == "name"}
    return "__system/deletedAt" in names


ORDERABLE = FILTERABLE


def parse_orderby(text: str) -> list[tuple[str, bool]]:
    """Read `$orderby` into (field, descending) pairs."""
    out = []
    for part in text.split(","):
        bits = part.split()
        if not bits or len(bits) > 2 or (len(bits) == 2 and bits[1] not in ("asc", "desc")):
            raise ODataError(400, 400.18, f"Could not parse $orderby {text!r}.")
        if bits[0] not in ORDERABLE:
            raise ODataError(
                501,
                501.5,
                f"The given OData orderby expression references fields not supported by this "
                f"server: {bits[0]}.",
            )
        out.append((bits[0], len(bits) == 2 and bits[1] == "desc"))
    return out
