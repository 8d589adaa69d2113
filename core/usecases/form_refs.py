"""Which of our forms (and which built version) a server's asset and version uid are.

Looked up in our publications; a known version is cached for the life of the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core.store import submissions as store


@dataclass(frozen=True)
class FormRef:
    """Which of our forms (and which built version) a server's asset/version maps to."""

    form_id: str | None
    form_version_id: int | None
    version_known: bool


# Per database (engine): rendering or hashing its URL for every record cost more than the
# rest of the lookup.
_KNOWN_FORMS: WeakKeyDictionary[Engine, dict[tuple[str, str, str | None], FormRef]] = (
    WeakKeyDictionary()
)


def resolve_form(
    session: Session, server: str, asset_uid: str | None, version: str | None
) -> FormRef:
    """Map a server asset uid and version uid to our form and form version via publications."""
    if not asset_uid:
        return FormRef(None, None, False)
    # A publication, once recorded, never changes or goes away, so a version we know is cached
    # for the life of the process (the webhook would otherwise join on every delivery).
    # Unknown ones are looked up every time: they may be published a minute from now.
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    known = _KNOWN_FORMS.get(engine)
    if known is None:
        known = _KNOWN_FORMS[engine] = {}
    key = (server, asset_uid, version)
    ref = known.get(key)
    if ref is None:
        ref = _lookup_form(session, server, asset_uid, version)
        if ref.version_known and len(known) < 10_000:
            known[key] = ref
    return ref


def _lookup_form(session: Session, server: str, asset_uid: str, version: str | None) -> FormRef:
    rows = store.publications_of(session, server, asset_uid)
    if not rows:
        return FormRef(None, None, False)
    form_id = rows[0].form_id
    for server_version, fv_id, _ in rows:
        if version and server_version == version:
            return FormRef(form_id, fv_id, True)
    return FormRef(form_id, None, False)
