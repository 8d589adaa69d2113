"""Fault injection: scripted 429/5xx answers, slow responses and dropped hook deliveries.

A spec is rules separated by `;`, each `target:action[:key=value...]`:
  target  data (data API), api (every /api/v2 call), submission (OpenRosa), hooks (deliveries)
  action  an HTTP status (429, 500, 502, 503, 504), `slow`, or `drop` (hooks only)
  count=K   apply to the next K matching calls (default 1 unless rate is given)
  rate=F    apply to a fraction F of matching calls, deterministic with seed=N
  after=N   let the first N matching calls through (a failure on page 2, say)
  retry_after=N  Retry-After header for 429/503;  seconds=S  delay for `slow`
Example: `data:429:count=3:retry_after=2;data:slow:seconds=1.5;hooks:drop:rate=0.5:seed=7`.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field

TARGETS = {"data", "api", "submission", "hooks"}


class FaultSpecError(ValueError):
    """A fault spec that cannot be parsed."""


@dataclass
class FaultRule:
    """One injected fault and how many more times it applies."""

    target: str
    action: str
    count: int | None = 1
    rate: float | None = None
    seed: int | None = None
    retry_after: int | None = None
    seconds: float = 0.0
    after: int = 0
    fired: int = 0
    seen: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise FaultSpecError(f"unknown fault target {self.target!r}")
        if not (self.action in ("slow", "drop") or self.action.isdigit()):
            raise FaultSpecError(f"unknown fault action {self.action!r}")
        if self.action == "drop" and self.target != "hooks":
            raise FaultSpecError("drop applies to hooks only")
        self._rng = random.Random(self.seed)

    @property
    def status(self) -> int | None:
        """The HTTP status this rule answers with, if any."""
        return int(self.action) if self.action.isdigit() else None

    def to_json(self) -> dict:
        """The rule as JSON for the admin endpoint."""
        out = asdict(self)
        out.pop("_rng", None)
        return out


def parse_rule(text: str) -> FaultRule:
    """Parse one `target:action[:key=value...]` rule."""
    parts = [p.strip() for p in text.split(":") if p.strip()]
    if len(parts) < 2:
        raise FaultSpecError(f"bad fault rule {text!r}: need target:action")
    kwargs: dict = {}
    for opt in parts[2:]:
        key, _, value = opt.partition("=")
        try:
            if key == "count":
                kwargs["count"] = None if value in ("", "inf", "all") else int(value)
            elif key == "rate":
                kwargs["rate"] = float(value)
            elif key == "seed":
                kwargs["seed"] = int(value)
            elif key == "retry_after":
                kwargs["retry_after"] = int(value)
            elif key == "seconds":
                kwargs["seconds"] = float(value)
            elif key == "after":
                kwargs["after"] = int(value)
            else:
                raise FaultSpecError(f"unknown fault option {key!r}")
        except ValueError as exc:
            raise FaultSpecError(f"bad value in {opt!r}") from exc
    if "rate" in kwargs and "count" not in kwargs:
        kwargs["count"] = None
    return FaultRule(target=parts[0], action=parts[1], **kwargs)


def parse_spec(spec: str | None) -> list[FaultRule]:
    """Parse a `;`-separated fault spec."""
    return [parse_rule(r) for r in (spec or "").split(";") if r.strip()]


def rule_from_json(doc: dict) -> FaultRule:
    """A rule from the admin endpoint's JSON form."""
    allowed = {"target", "action", "count", "rate", "seed", "retry_after", "seconds", "after"}
    unknown = set(doc) - allowed
    if unknown:
        raise FaultSpecError(f"unknown fault fields {sorted(unknown)}")
    doc = {**doc, "action": str(doc.get("action", ""))}
    if "rate" in doc and "count" not in doc:
        doc["count"] = None
    return FaultRule(**doc)


class Faults:
    """The live fault rules; thread-safe."""

    def __init__(self, rules: list[FaultRule] | None = None) -> None:
        self._lock = threading.Lock()
        self.rules: list[FaultRule] = list(rules or [])

    def add(self, rules: list[FaultRule], replace: bool = False) -> None:
        """Add rules, or replace all rules."""
        with self._lock:
            if replace:
                self.rules = []
            self.rules.extend(rules)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self.rules = []

    def snapshot(self) -> list[dict]:
        """The rules as JSON."""
        with self._lock:
            return [r.to_json() for r in self.rules]

    def take(self, targets: set[str]) -> list[FaultRule]:
        """The rules that fire for this call, consuming counts; exhausted rules are dropped."""
        fired: list[FaultRule] = []
        answered = False
        with self._lock:
            for rule in self.rules:
                if rule.target not in targets:
                    continue
                # One answer per call: a later status rule waits for the next call.
                if answered and rule.action != "slow":
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                if rule.rate is not None and rule._rng.random() >= rule.rate:
                    continue
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                rule.fired += 1
                fired.append(rule)
                answered = answered or rule.action != "slow"
            self.rules = [r for r in self.rules if r.count is None or r.fired < r.count]
        return fired
