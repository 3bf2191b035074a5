"""The parameter tables of docs/rules/ are generated from the parameters and up to date."""

from __future__ import annotations

from minzheng.rules import docs

PAGES = (
    "dibao.md",
    "marginal.md",
    "separate-enrolment.md",
    "tekun.md",
    "temporary.md",
    "graduated-exit.md",
    "stacking.md",
    "standard.md",
)


def test_every_programme_page_has_its_generated_tables_up_to_date():
    for name in PAGES:
        page = docs.DOCS_DIR / name
        text = page.read_text(encoding="utf-8")
        assert docs.BLOCK.search(text), f"{name}: no generated parameter table"
        assert docs.refresh_page(text) == text, (
            f"{name} is out of date: run `python -m minzheng.rules.docs`"
        )


def test_the_table_shows_history_reference_and_the_unconfirmed_mark():
    table = docs.parameter_table(["assistance.tekun.minor_age"])
    lines = table.splitlines()
    assert lines[0].startswith("| 参数 Parameter")
    assert "| 2016-10-10 | 16 |" in lines[2]
    assert "| 2021-05-01 | 18 |" in lines[3]
    assert docs.UNCONFIRMED_MARK in lines[3]
    assert docs.CONFIRMED_MARK in lines[2]
    assert "特困人员认定办法" in lines[2]


def test_check_mode_writes_nothing(tmp_path):
    page = tmp_path / "dibao.md"
    stale = (
        "# t\n<!-- BEGIN GENERATED PARAMETERS: assistance.marginal -->\nold\n"
        "<!-- END GENERATED PARAMETERS -->\n"
    )
    page.write_text(stale, encoding="utf-8")
    assert docs.main(["--check", "--docs-dir", str(tmp_path)]) == 1
    assert page.read_text(encoding="utf-8") == stale
    assert docs.main(["--docs-dir", str(tmp_path)]) == 0
    assert "assistance.marginal.income_multiple" in page.read_text(encoding="utf-8")
    assert (tmp_path / "parameters.md").exists()
