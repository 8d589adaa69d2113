"""A small Mongo query matcher and sorter: what kpi passes to MongoDB for the data API."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

_MISSING: Any = object()


class QueryError(ValueError):
    """A query or sort that MongoDB would refuse."""


class InvalidJson(QueryError):
    """A `query`, `sort` or `fields` parameter that is not JSON: kpi names the parameter."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Invalid JSON in `{name}`")
        self.name = name


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _same(a: object, b: object) -> bool:
    # Mongo compares numbers across int/float but never a number with a string.
    if _is_num(a) and _is_num(b):
        return a == b
    if type(a) is not type(b):
        return False
    return a == b


def _eq(value: object, target: object) -> bool:
    if value is _MISSING:
        return target is None
    if isinstance(value, list) and not isinstance(target, list):
        return any(_same(v, target) for v in value)
    return _same(value, target)


def _comparable(a: object, b: object) -> bool:
    return (_is_num(a) and _is_num(b)) or (isinstance(a, str) and isinstance(b, str))


def _cmp(value: object, arg: object, fn: Callable[[Any, Any], bool]) -> bool:
    if value is _MISSING:
        return False
    candidates = value if isinstance(value, list) else [value]
    return any(_comparable(v, arg) and fn(v, arg) for v in candidates)


def _op(value: object, op: str, arg: Any, cond: dict) -> bool:
    if op == "$gt":
        return _cmp(value, arg, lambda a, b: a > b)
    if op == "$gte":
        return _cmp(value, arg, lambda a, b: a >= b)
    if op == "$lt":
        return _cmp(value, arg, lambda a, b: a < b)
    if op == "$lte":
        return _cmp(value, arg, lambda a, b: a <= b)
    if op == "$eq":
        return _eq(value, arg)
    if op == "$ne":
        return not _eq(value, arg)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise QueryError(f"{op} needs an array")
        found = any(_eq(value, x) for x in arg)
        return found if op == "$in" else not found
    if op == "$exists":
        return (value is not _MISSING) == bool(arg)
    if op == "$not":
        if isinstance(arg, dict):
            return not _match_field(value, arg)
        raise QueryError("$not needs a regex or a document")
    if op == "$regex":
        if not isinstance(value, str):
            return False
        flags = 0
        for ch in cond.get("$options", ""):
            flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}.get(ch, 0)
        try:
            return re.search(arg, value, flags) is not None
        except re.error as exc:
            raise QueryError(f"bad $regex: {exc}") from exc
    if op == "$options":
        return True
    if op == "$all":
        if not isinstance(value, list) or not isinstance(arg, list):
            return False
        return all(any(_same(v, a) for v in value) for a in arg)
    if op == "$size":
        return isinstance(value, list) and len(value) == arg
    if op == "$elemMatch":
        if not isinstance(value, list):
            return False
        return any(match(v, arg) if isinstance(v, dict) else _match_field(v, arg) for v in value)
    raise QueryError(f"unknown operator: {op}")


def _match_field(value: object, cond: object) -> bool:
    if isinstance(cond, dict) and cond and all(str(k).startswith("$") for k in cond):
        return all(_op(value, op, arg, cond) for op, arg in cond.items())
    return _eq(value, cond)


def match(doc: dict, query: dict) -> bool:
    """True when `doc` satisfies the Mongo-style `query`."""
    for key, cond in query.items():
        if key in ("$and", "$or", "$nor"):
            if not isinstance(cond, list) or not cond:
                raise QueryError(f"{key} needs a non-empty array")
            results = (match(doc, q) for q in cond)
            ok = all(results) if key == "$and" else any(results)
            if (key == "$nor") == ok:
                return False
        elif key.startswith("$"):
            raise QueryError(f"unknown top-level operator: {key}")
        elif not _match_field(doc.get(key, _MISSING), cond):
            return False
    return True


def _rank(v: object) -> tuple:
    # Mongo's BSON type order: null < numbers < strings < objects < arrays < booleans.
    if v is _MISSING or v is None:
        return (0, 0)
    if _is_num(v):
        return (1, v)
    if isinstance(v, str):
        return (2, v)
    if isinstance(v, dict):
        return (3, str(v))
    if isinstance(v, list):
        return (4, str(v))
    if isinstance(v, bool):
        return (8, v)
    return (9, str(v))


def sort_docs(docs: Iterable[dict], spec: dict) -> list[dict]:
    """Sort like Mongo's `sort` document (keys in order, 1 ascending, -1 descending)."""
    out = list(docs)
    for key, direction in reversed(list(spec.items())):
        if direction not in (1, -1):
            raise QueryError(f"bad sort direction for {key}")
        out.sort(key=lambda d, k=key: _rank(d.get(k, _MISSING)), reverse=direction == -1)
    return out
