"""The contract check: refuse a build that would break submissions already stored."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.domain.forms.contract import Contract, load_contract
from core.store.models import FormVersion, Publication, Submission
from core.usecases.publish.errors import ContractBreak, FieldChange

if TYPE_CHECKING:
    from config.settings import Settings


def form_contract(settings: Settings) -> Contract:
    """The contract next to the forms (a district's forms_dir carries its own), else the default."""
    candidate = Path(settings.forms_dir) / "contract.toml"
    return load_contract(candidate if candidate.exists() else None)


def contract_changes(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """Fields of the `old` contract snapshot that `new` removes, renames or retypes."""
    old_fields: dict[str, dict[str, Any]] = old.get("fields") or {}
    new_fields: dict[str, dict[str, Any]] = new.get("fields") or {}
    added = {n: f for n, f in new_fields.items() if n not in old_fields}
    changes: list[FieldChange] = []
    for name, before in old_fields.items():
        after = new_fields.get(name)
        if after is None:
            # A field gone while one of the same shape appears is most likely a rename.
            same = [n for n, f in added.items() if _shape(f) == _shape(before)]
            if len(same) == 1:
                changes.append(FieldChange(name, f"renamed to {same[0]!r}"))
            else:
                changes.append(FieldChange(name, "removed"))
            continue
        if before.get("type") != after.get("type"):
            changes.append(
                FieldChange(name, f"type changed from {before.get('type')} to {after.get('type')}")
            )
        if before.get("list") != after.get("list"):
            changes.append(
                FieldChange(
                    name, f"choice list changed from {before.get('list')} to {after.get('list')}"
                )
            )
        dropped = [c for c in before.get("choices") or [] if c not in (after.get("choices") or [])]
        if dropped:
            changes.append(FieldChange(name, "choices removed: " + ", ".join(dropped)))
        if before.get("repeat") != after.get("repeat"):
            changes.append(
                FieldChange(
                    name,
                    f"repeat changed from {before.get('repeat') or '(none)'} "
                    f"to {after.get('repeat') or '(none)'}",
                )
            )
    return changes


def _shape(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f.get("type"), f.get("list"), f.get("repeat"))


def version_with_submissions(session: Session, form_id: str) -> FormVersion | None:
    """The last published version of form_id that stored submissions were made against.

    Submissions whose server version we could not map still count: they are compared with the
    last published version, the best guess of what they were made with.
    """
    live = Submission.status != "deleted"
    published = exists().where(Publication.form_version_id == FormVersion.id)
    newest = (FormVersion.version.desc(), FormVersion.id.desc())
    mapped = session.scalars(
        select(FormVersion)
        .where(FormVersion.form_id == form_id, published)
        .where(exists().where(Submission.form_version_id == FormVersion.id, live))
        .order_by(*newest)
        .limit(1)
    ).first()
    if mapped is not None:
        return mapped
    unmapped = session.scalar(select(exists().where(Submission.form_id == form_id, live)))
    if not unmapped:
        return None
    return session.scalars(
        select(FormVersion)
        .where(FormVersion.form_id == form_id, published)
        .order_by(*newest)
        .limit(1)
    ).first()


def check_contract(
    session: Session, form_id: str, new_contract: dict[str, Any], force_reason: str | None
) -> tuple[list[FieldChange], str | None]:
    """Raise ContractBreak when stored submissions would break, unless forced with a reason.

    Returns the changes overridden and the reason that overrode them (None when nothing broke).
    """
    against = version_with_submissions(session, form_id)
    if against is None:
        return [], None
    changes = contract_changes(against.contract or {}, new_contract)
    if not changes:
        return [], None
    if not force_reason:
        raise ContractBreak(form_id, against.version, changes)
    return changes, force_reason
