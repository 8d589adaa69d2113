"""The root of Pantau's error hierarchy; each package derives its own small family from it."""


class PantauError(Exception):
    """Base of every error Pantau raises on purpose."""

    #: Whether trying again later may succeed (a remote server busy, the database locked).
    retryable: bool = False
    #: Whether the caller's input is at fault (a value, a name, a file, a setting): fixing it is
    #: the caller's job. Adapters answer it as such (the CLI with exit code 2, the web with 4xx);
    #: anything else is a failure of ours or of a server we depend on.
    bad_input: bool = False
