"""An IMP assessment's explanation as text a person reads: Indonesian by default, or English.

It renders the JSON explanation (`ImpAssessment.explain()`, also stored in
`tier_assessments.explanation`), so a stored assessment reads the same as a fresh one.
"""

from __future__ import annotations

from typing import Any

from core.domain.scoring.errors import ScoringError
from core.domain.scoring.imp.results import ROLES, TIERS

LANGUAGES = ("id", "en")
_ROLE_NAMES = {
    "id": {
        "pengorganisasian": "Pengorganisasian",
        "pertemuan": "Pertemuan",
        "kie_konseling": "KIE dan konseling",
        "pencatatan": "Pencatatan dan pendataan",
        "pelayanan": "Pelayanan kegiatan",
        "kemandirian": "Kemandirian",
    },
    "en": {
        "pengorganisasian": "Organisation",
        "pertemuan": "Meetings",
        "kie_konseling": "KIE and counselling",
        "pencatatan": "Records and data",
        "pelayanan": "Services",
        "kemandirian": "Self-reliance",
    },
}
_PERIOD_KINDS = {
    "id": {"month": "bulan", "quarter": "triwulan", "semester": "semester"},
    "en": {"month": "month", "quarter": "quarter", "semester": "semester"},
}
_WORDS = {
    "id": {
        "period": "periode",
        "tier": "tingkat",
        "rules": "Aturan versi",
        "limited": "Tingkat ditentukan oleh peran terendah",
        "note": "Catatan",
        "met": "Terpenuhi",
        "not_met": "Belum terpenuhi",
        "missing": "Yang kurang untuk {tier}",
        "top": "Sudah Mandiri: tidak ada tingkat berikutnya.",
        "evidence": "Bukti (id submission)",
        "none": "tidak ada",
        "ids": "bukti",
    },
    "en": {
        "period": "period",
        "tier": "tier",
        "rules": "Rules version",
        "limited": "The tier is that of the lowest role(s)",
        "note": "Note",
        "met": "Met",
        "not_met": "Not met",
        "missing": "Missing for {tier}",
        "top": "Already Mandiri: there is no next tier.",
        "evidence": "Evidence (submission ids)",
        "none": "none",
        "ids": "evidence",
    },
}


def tier_name(tier: str) -> str:
    """Return a tier's official name (the same in both languages): Dasar, Berkembang, Mandiri."""
    return tier.capitalize()


def explanation_lines(explanation: dict[str, Any], lang: str = "id") -> list[str]:
    """Return the explanation of one IMP-period as lines of text in `lang` ("id" or "en")."""
    if lang not in LANGUAGES:
        raise ScoringError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    w = _WORDS[lang]
    kind = explanation.get("period_kind") or ""
    kind_text = _PERIOD_KINDS[lang].get(kind, kind)
    period = f"{explanation['period']} ({kind_text})" if kind_text else explanation["period"]
    limited = [_ROLE_NAMES[lang].get(r, r) for r in explanation.get("limited_by", [])]
    lines = [
        f"{explanation['imp']} · {w['period']} {period} · {w['tier']}: "
        f"{tier_name(explanation['tier'])}",
        f"{w['rules']} {explanation.get('rules_version', '?')}. "
        f"{w['limited']}: {', '.join(limited) or w['none']}.",
    ]
    lines += [f"{w['note']}: {_text(note, lang)}." for note in explanation.get("notes", [])]
    roles = explanation.get("roles", {})
    for role in [r for r in ROLES if r in roles] + [r for r in roles if r not in ROLES]:
        lines += [""] + _role_lines(role, roles[role], lang)
    return lines


def _role_lines(role: str, score: dict[str, Any], lang: str) -> list[str]:
    w = _WORDS[lang]
    level = score["level"]
    lines = [f"{_ROLE_NAMES[lang].get(role, role)}: {tier_name(TIERS[level])} ({level})"]
    lines += _criteria(w["met"], score.get("met", []), lang, "+")
    lines += _criteria(w["not_met"], score.get("not_met", []), lang, "-")
    if level >= max(TIERS):
        lines.append(f"  {w['top']}")
    else:
        title = w["missing"].format(tier=tier_name(TIERS[level + 1]))
        lines += _criteria(title, score.get("next_tier_missing", []), lang, "-")
    ids = ", ".join(str(i) for i in score.get("evidence", [])) or w["none"]
    lines.append(f"  {w['evidence']}: {ids}")
    return lines


def _criteria(title: str, criteria: list[dict[str, Any]], lang: str, mark: str) -> list[str]:
    if not criteria:
        return []
    lines = [f"  {title}:"]
    for c in criteria:
        ids = c.get("evidence") or []
        suffix = f" [{_WORDS[lang]['ids']}: {', '.join(str(i) for i in ids)}]" if ids else ""
        lines.append(f"    {mark} {_text(c, lang)}{suffix}")
    return lines


def _text(criterion: dict[str, Any], lang: str) -> str:
    return criterion.get(f"text_{lang}") or criterion.get("text_id") or criterion.get("code", "")
