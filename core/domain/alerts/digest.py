"""The weekly digest's summary: per desa/kelurahan, what is new, still open and closed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from core.domain.alerts.messages import Messages

SECTIONS = {
    "id": {
        "krs_baru": "Keluarga berisiko stunting (KRS)",
        "anak_di_bawah_minus_2sd": "Anak di bawah -2 SD",
        "ibu_hamil": "Ibu hamil berisiko (KEK, anemia, 4 Terlalu)",
        "tingkat_imp_turun": "Tingkat IMP turun",
        "tier": "Perubahan tingkat IMP",
        "new": "baru",
        "open": "masih terbuka",
        "closed": "ditutup (temuan tidak ada lagi)",
        "nothing": "Tidak ada temuan baru atau terbuka minggu ini.",
        "urgent": "segera",
    },
    "en": {
        "krs_baru": "Families at risk of stunting (KRS)",
        "anak_di_bawah_minus_2sd": "Children below -2 SD",
        "ibu_hamil": "Pregnancies at risk (KEK, anaemia, 4 Terlalu)",
        "tingkat_imp_turun": "IMP tiers dropped",
        "tier": "IMP tier changes",
        "new": "new",
        "open": "still open",
        "closed": "closed (finding no longer present)",
        "nothing": "Nothing new or open this week.",
        "urgent": "urgent",
    },
}
PREGNANCY = ("ibu_hamil_kek", "ibu_hamil_anemia", "kehamilan_4_terlalu")


@dataclass(frozen=True)
class DigestItem:
    """One alert as the digest counts it."""

    place: str  # "Kelurahan Melong (Kec. Cimahi Selatan)"
    kind: str
    state: str  # new | open | closed
    ref: str
    urgent: bool = False


@dataclass(frozen=True)
class TierChange:
    """One IMP tier change in the week."""

    place: str
    imp: str
    before: str | None
    after: str
    period: str = ""  # the tier's period: a month (2026-11) or a quarter (2026-Q4)


def _section(kind: str) -> str:
    return "ibu_hamil" if kind in PREGNANCY else kind


def summarize(
    items: list[DigestItem], tiers: list[TierChange], lang: str, messages: Messages
) -> str:
    """The digest body's summary: one block per desa, counts and case references per state."""
    words = SECTIONS[lang]
    by_place: dict[str, dict[str, dict[str, list[DigestItem]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for item in items:
        by_place[item.place][_section(item.kind)][item.state].append(item)
    tier_by_place: dict[str, list[TierChange]] = defaultdict(list)
    for change in tiers:
        tier_by_place[change.place].append(change)
    blocks = []
    for place in sorted(set(by_place) | set(tier_by_place)):
        lines = [place]
        for section, states in sorted(by_place[place].items()):
            parts = []
            for state in ("new", "open", "closed"):
                found = states.get(state, [])
                if found:
                    refs = ", ".join(
                        i.ref + (f" ({words['urgent']})" if i.urgent else "") for i in found
                    )
                    parts.append(f"{len(found)} {words[state]}: {refs}")
            lines.append(f"- {words[section]}: " + "; ".join(parts))
        for change in tier_by_place[place]:
            before = messages.word(lang, change.before) if change.before else "-"
            imp = f"{change.imp} ({change.period})" if change.period else change.imp
            after = messages.word(lang, change.after)
            lines.append(f"- {words['tier']}: {imp} {before} -> {after}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) if blocks else words["nothing"]
