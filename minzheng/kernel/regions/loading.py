"""Load the official Jiaxing city/county/town codes shipped in data/jiaxing_regions.csv."""

from __future__ import annotations

import csv
from pathlib import Path

REGIONS_CSV = Path(__file__).resolve().parent / "data" / "jiaxing_regions.csv"


def official_rows() -> list[dict[str, str]]:
    with REGIONS_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_official_regions(region_model) -> int:  # type: ignore[no-untyped-def]
    """Create or update the 80 official regions; parents come before children in the file."""
    by_code: dict[str, object] = {}
    for row in official_rows():
        parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
        path = f"{parent.path if parent else ''}{row['code']}/"  # type: ignore[attr-defined]
        region, _ = region_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "level": row["level"],
                "parent": parent,
                "path": path,
                "code_set_version": "2023",
            },
        )
        by_code[row["code"]] = region
    return len(by_code)
