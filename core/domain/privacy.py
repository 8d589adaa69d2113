"""Pseudonymise family numbers (KK/NIK) before anything is stored (UU 27/2022 PDP).

Intake replaces the answer of every identifying field (named in the form contract), whatever its
JSON type and wherever it sits, with a keyed hash, and any KK/NIK-shaped number (16 digits or
more) in any other answer with the same hash. So the raw submission we keep, the facts and
every log line carry only pseudonyms. The transform is deterministic, so duplicates and edits of
one household still meet, and re-pseudonymising is a no-op.

Keys rotate without splitting history: a family key is the hash of the number under the first
key, re-hashed under each later one (`Keyring`), so `pantau keys rotate` re-keys every stored
pseudonym from the pseudonym alone, in one transaction, and never needs the numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.domain.errors import PantauError
from core.domain.forms.contract import IDENTIFYING_FIELDS

KEY_PREFIX = "kel_"
KEY_HEX_CHARS = 20

INVALID_PREFIX = "invalid_"
# Machine-made ids the edit chain and dedupe compare byte for byte: never rewritten.
ID_KEYS = frozenset(
    {"meta/instanceID", "meta/rootUuid", "meta/deprecatedID", "_uuid", "formhub/uuid"}
)
_TOKEN = rf"(?:{KEY_PREFIX}|{INVALID_PREFIX})[0-9a-f]{{{KEY_HEX_CHARS}}}"
_PSEUDONYM = re.compile(rf"{_TOKEN}\Z")
# A KK/NIK is 16 digits; longer runs (two numbers typed together, a typo) are treated alike.
# `\d` matches every script's digits (fullwidth ３２７７… too). Pseudonyms are skipped: their
# hex may hold a run of digits.
NUMBER_OR_TOKEN = re.compile(rf"(?P<token>{_TOKEN})|(?<!\d)(?P<number>\d{{16,}})(?!\d)")
TOKENS = re.compile(_TOKEN)
BLANK = "################"
_CHECK_SALT = b"pantau-pseudonym-key-check-v1"


class PseudonymKeyError(PantauError):
    """No usable pseudonym key was given (a wiring mistake, never the sender's data)."""

    bad_input = True


def keyed_digest(text: str, key: bytes) -> str:
    """The first KEY_HEX_CHARS hex characters of HMAC-SHA256(key, text)."""
    # surrogatepass: a lone surrogate (refused at the door) must not break a dead letter's copy
    data = text.encode("utf-8", "surrogatepass")
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:KEY_HEX_CHARS]


def is_kk_number(text: str) -> bool:
    """Whether text is exactly 16 ASCII digits (a KK or NIK)."""
    return len(text) == 16 and text.isascii() and text.isdigit()


@dataclass(frozen=True)
class Keyring:
    """The pseudonym keys, oldest first: a family key is hashed under each in turn."""

    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.keys or not all(isinstance(k, bytes) and k for k in self.keys):
            raise PseudonymKeyError("pseudonymising needs a non-empty key (bytes) from settings")

    def pseudonym(self, value: str) -> str:
        """`kel_…` for a valid 16-digit number, `invalid_…` (still keyed) for anything else."""
        token = _first_pseudonym(value, self.keys[0])
        for key in self.keys[1:]:
            token = rekey(token, key)
        return token

    @property
    def fingerprint(self) -> str:
        """A slow one-way check value of the whole chain, stored to catch a wrong key."""
        # lru_cache does not stop threads that miss at once from each computing it: the first
        # deliveries to a fresh web worker (16 threads) would all run the PBKDF2 together.
        with _FINGERPRINT_LOCK:
            return _fingerprint(self.keys)


def as_keyring(secret: bytes | Keyring) -> Keyring:
    """A Keyring from one key (bytes) or a Keyring as it is."""
    return secret if isinstance(secret, Keyring) else Keyring((bytes(secret),))


def _first_pseudonym(value: str, key: bytes) -> str:
    text = value.strip()
    prefix = KEY_PREFIX if is_kk_number(text) else INVALID_PREFIX
    return prefix + keyed_digest(text, key)


def rekey(token: str, key: bytes) -> str:
    """A pseudonym hashed once more under key (a rotation); its prefix is kept."""
    prefix, _, digest = token.rpartition("_")
    return f"{prefix}_{keyed_digest(digest, key)}"


_BYTE_TOKENS = re.compile(_TOKEN.encode())


def rekey_all(value: Any, key: bytes) -> Any:
    """Value (JSON, text or bytes) with every pseudonym in it hashed once more under key."""
    if isinstance(value, str):
        return TOKENS.sub(lambda m: rekey(m.group(), key), value)
    if isinstance(value, bytes):
        return _BYTE_TOKENS.sub(lambda m: rekey(m.group().decode(), key).encode(), value)
    if isinstance(value, list):
        return [rekey_all(v, key) for v in value]
    if isinstance(value, dict):
        return {k: rekey_all(v, key) for k, v in value.items()}
    return value


_FINGERPRINT_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _fingerprint(keys: tuple[bytes, ...]) -> str:
    # PBKDF2, so the stored check value does not make guessing a key cheaper than guessing it
    # against a stored family key.
    material = b"".join(len(k).to_bytes(4, "big") + k for k in keys)
    return hashlib.pbkdf2_hmac("sha256", material, _CHECK_SALT, 200_000).hex()[:32]


def pseudonym(value: str, secret: bytes | Keyring) -> str:
    """`kel_…` for a valid 16-digit number, `invalid_…` (still keyed) for anything else."""
    return as_keyring(secret).pseudonym(value)


def is_pseudonym(value: Any) -> bool:
    """Whether value is already a pseudonym (re-pseudonymising must be a no-op)."""
    return isinstance(value, str) and _PSEUDONYM.match(value) is not None


def pseudonymise(
    raw: Any, secret: bytes | Keyring, identifying: frozenset[str] = IDENTIFYING_FIELDS
) -> Any:
    """A copy of a submission (groups, repeats) with nothing KK/NIK-shaped left in clear.

    Identifying answers are replaced whatever their JSON type (a number, a list, an object);
    a 16-digit run in any other answer (free text, a number) by its pseudonym.
    """
    keyring = as_keyring(secret)
    if isinstance(raw, list):
        return [pseudonymise(v, keyring, identifying) for v in raw]
    if isinstance(raw, dict):
        out: dict[Any, Any] = {}
        for key, value in raw.items():
            name = key.rsplit("/", 1)[-1] if isinstance(key, str) else key
            if name in identifying:
                out[key] = identifying_value(value, keyring)
            elif key in ID_KEYS:
                out[key] = value
            else:
                out[key] = pseudonymise(value, keyring, identifying)
        return out
    return _scalar(raw, keyring)


def identifying_value(value: Any, keyring: Keyring) -> Any:
    """The answer of an identifying field as stored: its pseudonym, whatever its JSON type."""
    if value is None or isinstance(value, bool) or value == "":
        return value  # unanswered, or a yes/no: nothing that identifies anyone
    if isinstance(value, str):
        return value if is_pseudonym(value) else keyring.pseudonym(value)
    if isinstance(value, list):
        return [identifying_value(v, keyring) for v in value]
    if isinstance(value, dict):
        return {k: identifying_value(v, keyring) for k, v in value.items()}
    return keyring.pseudonym(_number_text(value))


def _scalar(value: Any, keyring: Keyring) -> Any:
    if isinstance(value, str):
        return redact_text(value, keyring)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return value  # refused by check_storable; kept as it is for a dead letter
    if abs(value) >= 10**15:  # 16 digits or more: KK/NIK-shaped
        return keyring.pseudonym(_number_text(value))
    return value


def _number_text(value: Any) -> str:
    # str() of an int over 4,300 digits raises; such a body is refused anyway, but the dead
    # letter of a refused record is pseudonymised too.
    if isinstance(value, int) and value.bit_length() > 14_000:
        return "(an integer of more than 4,000 digits)"
    try:
        return str(value) if not isinstance(value, float) else repr(value)
    except ValueError:
        return "(a number)"


def redact_text(text: str, secret: bytes | Keyring) -> str:
    """Free text with every KK/NIK-shaped run of digits replaced by its pseudonym."""
    keyring = as_keyring(secret)

    def _swap(match: re.Match[str]) -> str:
        if match.group("token"):
            return match.group("token")
        digits = "".join(str(int(c)) for c in match.group("number"))  # ３ -> 3
        return keyring.pseudonym(digits)

    return NUMBER_OR_TOKEN.sub(_swap, text)


def blank_numbers(text: str) -> str:
    """Text for an error or a log line: every KK/NIK-shaped run of digits blanked."""

    def _swap(match: re.Match[str]) -> str:
        return match.group("token") or BLANK

    return NUMBER_OR_TOKEN.sub(_swap, text)


def blank_all(value: Any) -> Any:
    """A JSON-like value (an audit row's detail) with every KK/NIK-shaped number blanked.

    Texts are blanked as blank_numbers does, keys too; an integer of 16 digits or more
    becomes the blank itself.
    """
    if isinstance(value, str):
        return blank_numbers(value)
    if isinstance(value, dict):
        return {
            (blank_numbers(k) if isinstance(k, str) else k): blank_all(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [blank_all(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return BLANK
    return value


def shown(value: Any, limit: int = 40) -> str:
    """A value as an error may quote it: short, and never a KK/NIK-shaped number."""
    try:
        text = repr(value)
    except ValueError:
        text = "(a number too long to show)"
    text = blank_numbers(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# A digit as it may sit in a body we could not parse: ASCII, fullwidth (UTF-8), or a JSON
# escape of either (`\u0033`, `\uFF13`).
_DIGIT_UNIT = rb"(?:[0-9]|\xef\xbc[\x90-\x99]|\\u003[0-9]|\\u[fF][fF]1[0-9])"
_BODY_NUMBERS = re.compile(
    rb"(?:" + _DIGIT_UNIT + rb"){16,}"
    rb"|(?:[0-9]\x00){16,}|(?:\x00[0-9]){16,}"  # UTF-16 LE / BE
    rb"|(?:[0-9]\x00\x00\x00){16,}|(?:\x00\x00\x00[0-9]){16,}"  # UTF-32 LE / BE
)
_ONE_UNIT = re.compile(_DIGIT_UNIT)


def redact_bytes(body: bytes) -> bytes:
    """Blank every KK/NIK-shaped run of digits in a body we could not parse, however encoded.

    Dead letters keep everything else byte for byte.
    """

    def _swap(match: re.Match[bytes]) -> bytes:
        run = match.group()
        if b"\x00" in run:  # UTF-16/32: keep the width, blank the digits
            return re.sub(rb"[0-9]", b"#", run)
        return _ONE_UNIT.sub(b"#", run)

    return _BODY_NUMBERS.sub(_swap, body)


class RedactingFilter(logging.Filter):
    """Blank KK/NIK-shaped numbers in a log record's message and traceback before any handler."""

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        message = record.getMessage()
        clean = blank_numbers(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = blank_numbers(record.exc_text)
        return True
