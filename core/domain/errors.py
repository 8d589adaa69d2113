"""The root of Pantau's error hierarchy; each package derives its own small family from it."""


class PantauError(Exception):
    """Base of every error Pantau raises on purpose."""

    #: Whether trying again later may succeed (a remote server busy, the database locked).
    retryable: bool = False
