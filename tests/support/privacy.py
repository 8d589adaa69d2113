"""The privacy tests' scan for KK/NIK-shaped numbers in what users, files and logs get."""

from __future__ import annotations

import re

# 16 digits on their own: not the tail of a fraction ("0.0352531200000001 s" in Celery's log).
_SHAPED = re.compile(r"(?<![\d.])\d{16}(?!\d)")
# Hex digests and request ids (32+ hex characters, at least one a letter): a sha256 can begin
# with 16 decimal digits (an xform_sha256 did, once, and failed the scan).
_HEX_WORDS = re.compile(r"(?<![0-9A-Za-z])(?=[0-9]*[a-fA-F])[0-9a-fA-F]{32,}(?![0-9A-Za-z])")


def kk_shaped(text: str) -> list[str]:
    """Every KK/NIK-shaped number in text, leaving out the digits inside hex digests."""
    return _SHAPED.findall(_HEX_WORDS.sub(" ", text))
