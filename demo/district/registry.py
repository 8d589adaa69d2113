"""Kota Cimahi's IMP network at its reported size, as the list a district keeps in Excel.

71 PPKBD (pos KB) over the 15 kelurahan, 320 Sub-PPKBD (one per RW) and 1,728 Kelompok KB (one
per RT), each under its parent in the same kelurahan. Kelurahan differ in size: each draws a
weight from 0.6 to 1.4, and its share of pos KB and of RW follows that weight (largest
remainder, at least 3 pos KB and 12 RW each); a kelurahan's RW are split into contiguous blocks,
one per pos KB; each RW draws a weight from 0.5 to 1.5 for its share of the RT (at least 2).
Written to `demo/district/imps.csv` (`python -m demo.district imps`), the file `pantau demo`
registers with `pantau imps import`.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

from core.domain.registry import COLUMNS
from core.domain.wilayah import iter_wilayah
from demo.district import KOTA, N_KELOMPOK_KB, N_PPKBD, N_SUB_PPKBD, SEED

# Sub pos KB are often named after flowers, kelompok KB after what they hope for.
SUB_NAMES = (
    "Mawar", "Melati", "Anggrek", "Kenanga", "Cempaka", "Dahlia", "Flamboyan", "Teratai",
    "Kamboja", "Seruni", "Soka", "Asoka", "Kemuning", "Nusa Indah", "Sedap Malam",
    "Wijaya Kusuma", "Bougenville", "Lili", "Tanjung", "Matahari",
)  # fmt: skip
KKB_NAMES = (
    "Harapan", "Sejahtera", "Bahagia", "Mekar", "Sehati", "Bina Keluarga", "Sakinah",
    "Sauyunan", "Rukun", "Mandiri", "Berkah", "Damai", "Lestari", "Ceria", "Asih",
    "Sugih Mukti", "Mekarsari", "Tunas Harapan", "Cahaya", "Permata",
)  # fmt: skip


@dataclass(frozen=True)
class Imp:
    """One IMP of the district's list (the columns of `pantau imps import`)."""

    code: str
    name: str
    kind: str
    desa: str
    rw: str = ""
    rt: str = ""
    parent: str = ""


def kelurahan(kota: str = KOTA) -> list[tuple[str, str]]:
    """(code, name) of every desa/kelurahan of the kota, by code (Kemendagri, offline)."""
    return sorted((r["code"], r["name"]) for r in iter_wilayah(kota) if r["level"] == 4)


def apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split total into len(weights) whole shares proportional to weights, each >= minimum."""
    spare = total - minimum * len(weights)
    if spare < 0:
        raise ValueError(f"{total} cannot give {len(weights)} shares of at least {minimum}")
    quotas = [spare * w / sum(weights) for w in weights]
    shares = [int(q) for q in quotas]
    # Largest remainder first; ties by position, so the split is the same every time.
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - quotas[i], i))
    for i in by_remainder[: spare - sum(shares)]:
        shares[i] += 1
    return [s + minimum for s in shares]


def ppkbd_code(desa: str, n: int) -> str:
    """`PPKBD-32.77.01.1001-02`: the kelurahan's n-th pos KB."""
    return f"PPKBD-{desa}-{n:02d}"


def sub_ppkbd_code(desa: str, rw: int) -> str:
    """`SUBPPKBD-32.77.01.1001-RW004`: the sub pos KB of one RW."""
    return f"SUBPPKBD-{desa}-RW{rw:03d}"


def kelompok_kb_code(desa: str, rw: int, rt: int) -> str:
    """`KKB-32.77.01.1001-RW004-RT002`: the kelompok KB of one RT."""
    return f"KKB-{desa}-RW{rw:03d}-RT{rt:03d}"


def district_imps(seed: int = SEED) -> list[Imp]:
    """Every IMP of the synthetic district, each pos KB followed by its RW and their RT."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    places = kelurahan()
    size = [rng.uniform(0.6, 1.4) for _ in places]
    pos_kb = apportion(N_PPKBD, size, 3)
    rws = apportion(N_SUB_PPKBD, size, 12)
    rw_weights = [[rng.uniform(0.5, 1.5) for _ in range(n)] for n in rws]
    rts = apportion(N_KELOMPOK_KB, [w for ws in rw_weights for w in ws], 2)
    imps: list[Imp] = []
    rt_counts = iter(rts)
    for (desa, name), n_pos, n_rw in zip(places, pos_kb, rws, strict=True):
        first_rw = 1
        for n, block in enumerate(apportion(n_rw, [1.0] * n_pos, 1), start=1):
            parent = ppkbd_code(desa, n)
            imps.append(Imp(parent, f"Pos KB {name} {n}", "ppkbd", desa))
            for rw in range(first_rw, first_rw + block):
                sub = sub_ppkbd_code(desa, rw)
                imps.append(
                    Imp(sub, f"Sub Pos KB {rng.choice(SUB_NAMES)}", "sub_ppkbd", desa,
                        f"{rw:03d}", parent=parent)
                )  # fmt: skip
                for rt in range(1, next(rt_counts) + 1):
                    imps.append(
                        Imp(kelompok_kb_code(desa, rw, rt),
                            f"Kelompok KB {rng.choice(KKB_NAMES)}", "kelompok_kb", desa,
                            f"{rw:03d}", f"{rt:03d}", sub)
                    )  # fmt: skip
            first_rw += block
    return imps


def imps_csv(imps: list[Imp]) -> str:
    """The list as `pantau imps import` reads it (UTF-8 CSV, `code,name,kind,desa,rw,rt,parent`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for imp in imps:
        writer.writerow([imp.code, imp.name, imp.kind, imp.desa, imp.rw, imp.rt, imp.parent])
    return out.getvalue()


def write_imps_csv(path: Path, seed: int = SEED) -> list[Imp]:
    """Write the district's IMP list to path; return it."""
    imps = district_imps(seed)
    path.write_text(imps_csv(imps), encoding="utf-8")
    return imps
