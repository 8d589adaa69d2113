"""The form contract (xlsforms/contract.toml) as typed objects: what downstream code reads."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.domain.forms.errors import ContractError

DEFAULT_CONTRACT = Path(__file__).resolve().parents[3] / "xlsforms" / "contract.toml"

# Identifying answers when a contract has no `[privacy] identifying` list (see contract.toml).
IDENTIFYING_FIELDS = frozenset({"no_kk", "nik", "nik_istri", "nik_suami", "kki"})

FIELD_TYPES = frozenset(
    {
        "text",
        "integer",
        "decimal",
        "date",
        "geopoint",
        "calculate",
        "select_one",
        "select_multiple",
        "select_one_from_file",
        "repeat",
    }
)


@dataclass(frozen=True)
class ContractField:
    """One answer a consumer reads, keyed by the last segment of its question name."""

    name: str
    type: str
    required: bool = False
    list: str | None = None
    choices: tuple[str, ...] = ()
    repeat: str | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class FormContract:
    """The contract of one form: its title, date field and fields by name."""

    form_id: str
    title: str
    date_field: str
    fields: dict[str, ContractField] = field(default_factory=dict)

    def top_level(self) -> dict[str, ContractField]:
        """Fields outside any repeat (repeats themselves included)."""
        return {n: f for n, f in self.fields.items() if f.repeat is None}

    def in_repeat(self, repeat: str) -> dict[str, ContractField]:
        """Fields that live inside the named repeat."""
        return {n: f for n, f in self.fields.items() if f.repeat == repeat}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready copy, stored with each built form version."""
        return {
            "form_id": self.form_id,
            "title": self.title,
            "date_field": self.date_field,
            "fields": {n: _field_json(f) for n, f in self.fields.items()},
        }


@dataclass(frozen=True)
class Contract:
    """Every form's contract."""

    forms: dict[str, FormContract]
    source: Path | None = None
    # Names (last path segment) of answers that identify a person or household: pseudonymised
    # at intake in every form, whether or not code reads them.
    identifying: frozenset[str] = IDENTIFYING_FIELDS

    def form(self, form_id: str) -> FormContract:
        """The contract of form_id; ContractError when the contract does not know it."""
        try:
            return self.forms[form_id]
        except KeyError:
            raise ContractError(f"form {form_id!r} is not in the form contract") from None


def _field_json(f: ContractField) -> dict[str, Any]:
    data = asdict(f)
    data.pop("name")
    data["choices"] = list(f.choices)
    return {k: v for k, v in data.items() if v not in (None, [], False)}


def _parse_field(form_id: str, name: str, raw: Any) -> ContractField:
    where = f"forms.{form_id}.fields.{name}"
    if not isinstance(raw, dict) or "type" not in raw:
        raise ContractError(f"{where}: needs a table with a `type`")
    unknown = set(raw) - {"type", "required", "list", "choices", "repeat", "pattern"}
    if unknown:
        raise ContractError(f"{where}: unknown keys {sorted(unknown)}")
    ftype = raw["type"]
    if ftype not in FIELD_TYPES:
        raise ContractError(f"{where}: unknown type {ftype!r}")
    if ftype in ("select_one", "select_multiple") and not raw.get("list"):
        raise ContractError(f"{where}: a {ftype} needs `list`")
    return ContractField(
        name=name,
        type=ftype,
        required=bool(raw.get("required", False)),
        list=raw.get("list"),
        choices=tuple(raw.get("choices", ())),
        repeat=raw.get("repeat"),
        pattern=raw.get("pattern"),
    )


def parse_contract(data: dict[str, Any], source: Path | None = None) -> Contract:
    """Build a Contract from the parsed TOML document."""
    forms_raw = data.get("forms")
    if not isinstance(forms_raw, dict) or not forms_raw:
        raise ContractError("the contract has no [forms.*] tables")
    forms: dict[str, FormContract] = {}
    for form_id, raw in forms_raw.items():
        fields = {n: _parse_field(form_id, n, f) for n, f in raw.get("fields", {}).items()}
        for f in fields.values():
            if f.repeat and fields.get(f.repeat, ContractField("", "")).type != "repeat":
                raise ContractError(
                    f"forms.{form_id}.fields.{f.name}: repeat {f.repeat!r} is not a repeat field"
                )
        forms[form_id] = FormContract(
            form_id=form_id,
            title=raw.get("title", form_id),
            date_field=raw.get("date_field", ""),
            fields=fields,
        )
    return Contract(forms=forms, source=source, identifying=_identifying(data, forms))


def _identifying(data: dict[str, Any], forms: dict[str, FormContract]) -> frozenset[str]:
    privacy = data.get("privacy", {})
    names = privacy.get("identifying", sorted(IDENTIFYING_FIELDS))
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ContractError("privacy.identifying: needs a list of field names")
    for fc in forms.values():
        for name in set(names) & set(fc.fields):
            # The pseudonym replaces the answer before facts are read: only text can hold it.
            if fc.fields[name].type != "text":
                raise ContractError(
                    f"forms.{fc.form_id}.fields.{name}: an identifying field must be text"
                )
    return frozenset(names)


def load_contract(path: Path | None = None) -> Contract:
    """Read and validate the contract file (xlsforms/contract.toml by default)."""
    path = path or DEFAULT_CONTRACT
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContractError(f"form contract not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(f"{path}: {exc}") from exc
    return parse_contract(data, source=path)
