"""Regenerate countries.csv and currencies.csv from pycountry's data (run by hand, once).

Provenance: pycountry 26.2.16 (LGPL-2.1), which packages Debian's iso-codes
(ISO 3166-1 and ISO 4217 lists with their translations). The installed pycountry
is ~23 MB, so icpkit ships these two small tables instead of depending on it.

    pip download --no-deps pycountry==26.2.16 && unzip pycountry-*.whl -d pyc
    python make_countries.py pyc/pycountry

Columns of countries.csv: alpha2, alpha3, name, official_name, common_name, region,
names (translations in de/fr/es/it/pt/nl/sv/da/pl, "|"-separated). The region is ours
(see REGIONS below): a sales-territory view, not the UN's geography.
"""

from __future__ import annotations

import csv
import gettext
import json
import sys
from pathlib import Path

LANGUAGES = ("de", "fr", "es", "it", "pt", "nl", "sv", "da", "pl")

REGIONS = {
    "North America": "US CA PM BM GL UM",
    "Latin America": (
        "MX BZ CR SV GT HN NI PA AG AI AW BS BB BQ VG KY CU CW DM DO GD GP HT JM MQ MS PR BL"
        " KN LC MF VC SX TT TC VI AR BO BR CL CO EC FK GF GY PY PE SR UY VE GS"
    ),
    "Europe": (
        "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT"
        " JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA TR AM AZ GE"
        " BV"
    ),
    "Middle East & Africa": (
        "AE BH IL IQ IR JO KW LB OM PS QA SA SY YE DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ"
        " EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY MG MW ML MR MU YT MA MZ NA NE NG RE RW SH"
        " ST SN SC SL SO ZA SS SD TZ TG TN UG EH ZM ZW IO TF"
    ),
    "Asia-Pacific": (
        "AF BD BT BN KH CN HK IN ID JP KZ KP KR KG LA MO MY MV MN MM NP PK PH SG LK TW TJ TH TL"
        " TM UZ VN AS AU CK FJ PF GU KI MH FM NR NC NZ NU NF MP PW PG PN WS SB TK TO TV VU WF"
        " CX CC HM AQ"
    ),
}


def main(pycountry_dir: str) -> None:
    root = Path(pycountry_dir)
    here = Path(__file__).parent
    region_of = {code: region for region, codes in REGIONS.items() for code in codes.split()}
    countries = json.loads((root / "databases/iso3166-1.json").read_text())["3166-1"]
    translators = [
        gettext.translation("iso3166-1", localedir=root / "locales", languages=[lang])
        for lang in LANGUAGES
    ]
    rows = []
    for c in countries:
        names = {t.gettext(c["name"]) for t in translators} - {c["name"]}
        rows.append(
            {
                "alpha2": c["alpha_2"],
                "alpha3": c["alpha_3"],
                "name": c["name"],
                "official_name": c.get("official_name", ""),
                "common_name": c.get("common_name", ""),
                "region": region_of[c["alpha_2"]],
                "names": "|".join(sorted(names)),
            }
        )
    with (here / "countries.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: r["alpha2"]))
    currencies = json.loads((root / "databases/iso4217.json").read_text())["4217"]
    with (here / "currencies.csv").open("w", newline="", encoding="utf-8") as f:
        plain = csv.writer(f, lineterminator="\n")
        plain.writerow(["code", "name"])
        plain.writerows(sorted((c["alpha_3"], c["name"]) for c in currencies))


if __name__ == "__main__":
    main(sys.argv[1])
