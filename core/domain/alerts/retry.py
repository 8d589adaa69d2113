"""When to try a failed delivery again: exponential backoff with jitter, capped."""

from __future__ import annotations

import random


def retry_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `attempt`-th failed try (1-based).

    "Equal jitter": half the exponential step is fixed, half random, so many deliveries failing
    together (an SMTP server down for an hour) do not all come back in the same second.
    """
    step = min(cap, base * 2 ** max(0, attempt - 1))
    return step / 2 + (rng or random).uniform(0, step / 2)
