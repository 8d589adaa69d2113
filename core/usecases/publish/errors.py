"""What a failed publish raises: the step that failed, or the contract fields it would break.

`step(name)` wraps each step, so that a client or build error inside it becomes a PublishError.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from core.clients.central import CentralError
from core.clients.kobo import KoboError
from core.domain.forms.errors import FormError


class PublishError(FormError):
    """A publishing step failed; `step` names it, `reason` says why."""

    def __init__(self, step: str, reason: str) -> None:
        self.step = step
        self.reason = reason
        super().__init__(f"{step}: {reason}")


@contextmanager
def step(name: str) -> Iterator[None]:
    """Turn a server or build error inside a step into PublishError naming the step."""
    try:
        yield
    except PublishError:
        raise
    except (KoboError, CentralError, FormError, OSError) as exc:
        raise PublishError(name, str(exc) or type(exc).__name__) from exc


@dataclass(frozen=True)
class FieldChange:
    """One contract field that stored submissions rely on and the new build changes."""

    name: str
    change: str

    def format(self) -> str:
        """`name: what changed`."""
        return f"{self.name}: {self.change}"


class ContractBreak(PublishError):
    """The new build would break the form contract for submissions already stored."""

    def __init__(self, form_id: str, against: str, changes: list[FieldChange]) -> None:
        self.form_id = form_id
        self.against = against
        self.changes = changes
        detail = "; ".join(c.format() for c in changes)
        super().__init__(
            "contract",
            f"{form_id} would break stored submissions of version {against}: {detail} "
            "(publish with --force REASON to override)",
        )
