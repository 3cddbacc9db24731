"""The README's own mapping example works as written."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from adreport.ingest.importer import ImportOptions, import_file

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_mapping_imports_a_german_export(lab):
    block = re.search(r"```toml\n(# my-shop\.toml\n.*?)```", README.read_text(), re.S)
    assert block, "the README lost its mapping example"
    mapping = lab.write("my-shop.toml", block.group(1))
    export = lab.write(
        "shop.csv",
        "Datum;Kampagne;Kosten (EUR);Impressionen;Klicks;Conversions;Umsatz\n"
        "01.03.2024;Frühling;1.234,56;120.000;3.456;12;4.321,00\n"
        "02.03.2024;Frühling;99,90;8.000;210;1;150,5\n",
    )

    result = import_file(
        lab.warehouse, export, ImportOptions(format=str(mapping), account="shop-de")
    )

    assert result.format == "my-shop"
    row = lab.one("spend,impressions,clicks,revenue,roas")
    assert row["spend"] == Decimal("1334.46")
    assert row["impressions"] == 128_000
    assert row["clicks"] == 3_666
    assert row["revenue"] == Decimal("4471.50")
    assert lab.query("spend").currency == "EUR"
