"""Alert and digest texts from the templates in `config/rules/alert_messages.toml`.

Templates are data a district may edit; they are checked when read (every placeholder must be
one Pantau fills), so a typo is refused at start-up instead of failing a delivery at night.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.domain.alerts.rules import FINDINGS
from core.domain.scoring.errors import RulesError

LANGUAGES = ("id", "en")
OUTER = {"urgent", "judul", "desa", "desa_jenis", "kecamatan", "rw", "rt", "tanggal", "temuan",
         "tindakan", "ref", "link", "footer", "imp", "periode", "minggu", "wilayah", "ringkasan",
         "penerima"}  # fmt: skip
FINDING_VALUES = {"umur_bulan", "jk", "tinggi_cm", "haz", "kategori", "usia_kehamilan", "lila_cm",
                  "hb", "batas", "terlalu", "faktor", "imp", "dari", "ke", "periode"}  # fmt: skip


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: subject and body in one language."""

    subject: str
    body: str


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Messages:
    """The message templates, by language."""

    data: dict[str, Any]
    source: str = ""

    def word(self, lang: str, key: Any) -> str:
        """A word of the templates' vocabulary (a category, a factor, a sex), else the key."""
        return str(self.data["words"][lang].get(str(key), key))

    def _finding_values(self, lang: str, values: dict[str, Any]) -> dict[str, Any]:
        out = dict(values)
        for key in ("jk", "kategori", "dari", "ke"):
            if key in out:
                out[key] = self.word(lang, out[key])
        for key in ("terlalu", "faktor"):
            if isinstance(out.get(key), list):
                out[key] = ", ".join(self.word(lang, v) for v in out[key])
        return out

    def finding_texts(self, kind: str, lang: str, values: dict[str, Any]) -> dict[str, str]:
        """The finding's title, what was found and what to do, filled in."""
        texts = self.data["findings"][kind][lang]
        filled = self._finding_values(lang, values)
        return {k: texts[k].format_map(_Values(filled)) for k in ("judul", "temuan", "tindakan")}

    def render(self, template: str, lang: str, values: dict[str, Any]) -> Rendered:
        """Fill an outer template (`alert`, `imp_alert`, `digest`) in one language."""
        common = self.data["common"][lang]
        outer = self.data[template][lang]
        urgent = common["urgent"] if values.get("urgent") is True else ""
        merged = {"footer": common["footer"], **values, "urgent": urgent}
        return Rendered(
            outer["subject"].format_map(_Values(merged)).strip(),
            outer["body"].format_map(_Values(merged)).strip() + "\n",
        )


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "-"


def _check(data: dict[str, Any], where: str) -> None:
    for lang in LANGUAGES:
        for section in ("common", "alert", "imp_alert", "digest", "words"):
            if lang not in data.get(section, {}):
                raise RulesError(f"{where}: missing [{section}.{lang}]")
        for template in ("alert", "imp_alert", "digest"):
            for part in ("subject", "body"):
                text = data[template][lang].get(part)
                if not isinstance(text, str):
                    raise RulesError(f"{where}: [{template}.{lang}] needs '{part}'")
                unknown = _fields(text) - OUTER
                if unknown:
                    raise RulesError(
                        f"{where}: [{template}.{lang}].{part} has unknown {sorted(unknown)}"
                    )
        for kind in FINDINGS:
            texts = data.get("findings", {}).get(kind, {}).get(lang)
            if not isinstance(texts, dict) or not all(
                isinstance(texts.get(k), str) for k in ("judul", "temuan", "tindakan")
            ):
                raise RulesError(f"{where}: [findings.{kind}.{lang}] needs judul, temuan, tindakan")
            unknown = (
                set().union(*(_fields(texts[k]) for k in ("judul", "temuan", "tindakan")))
                - FINDING_VALUES
            )
            if unknown:
                raise RulesError(f"{where}: [findings.{kind}.{lang}] has unknown {sorted(unknown)}")


def load_messages(path: str | Path) -> Messages:
    """Read and check the message templates; RulesError names what is wrong."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulesError(f"{path}: message templates not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: {exc}") from None
    _check(data, str(path))
    return Messages(data, str(path))
