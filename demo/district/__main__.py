"""`python -m demo.district`: the generator's numbers and digests; `imps` rewrites the CSV.

python -m demo.district [--seed 2022] [--end 2026-11]    # counts per kind, form, digests
python -m demo.district imps [--seed 2022] [--out demo/district/imps.csv]
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from datetime import date
from pathlib import Path

from demo.district import DISTRICT_IMPS, SEED
from demo.district.records import digest
from demo.district.registry import district_imps, imps_csv, write_imps_csv
from demo.district.year import default_end, district_year


def main(argv: list[str] | None = None) -> None:
    """Print what the generator makes for a seed (and a last month), or write the IMP list."""
    parser = argparse.ArgumentParser(prog="python -m demo.district", description=__doc__)
    parser.add_argument("what", nargs="?", choices=("year", "imps"), default="year")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--end", default=None, help="the year's last month, YYYY-MM")
    parser.add_argument("--out", type=Path, default=DISTRICT_IMPS)
    args = parser.parse_args(argv)
    if args.what == "imps":
        imps = write_imps_csv(args.out, args.seed)
        print(f"{args.out}: {len(imps):,} IMP (seed {args.seed})")
        return
    imps = district_imps(args.seed)
    csv_text = imps_csv(imps)
    print(f"seed {args.seed}")
    print("IMP:", ", ".join(f"{k} {n:,}" for k, n in Counter(i.kind for i in imps).items()))
    print(f"  imps.csv sha256 {hashlib.sha256(csv_text.encode()).hexdigest()}")
    year = district_year(args.end or default_end(date.today()), args.seed)
    print(f"year {year.months[0]} … {year.months[-1]}: {len(year.records):,} submissions")
    for form, n in sorted(year.by_form().items()):
        print(f"  {form:<22}{n:>7,}")
    kinds = {i.code: i.kind for i in imps}
    by_kind = Counter(
        kinds[r.answers["wilayah/imp"]] for r in year.records if r.form_id != "keluarga_risiko"
    )
    print("IMP submissions by kind:", ", ".join(f"{k} {n:,}" for k, n in by_kind.items()))
    for kind, classes in year.classes.items():
        print(f"  {kind:<12} habit classes: " + ", ".join(f"{c} {n}" for c, n in classes.items()))
    print(f"  submissions sha256 {digest(year.records, year.seed)}")


if __name__ == "__main__":
    main()
