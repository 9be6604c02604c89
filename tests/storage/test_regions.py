"""行政区划代码 from the agency's name and the seed's region (storage/regions.py)."""

from __future__ import annotations

import pytest

from storage.regions import DATA_DATE, REGION_KEYS, locate


def codes(**kw: object) -> tuple:
    found = locate(**kw)
    assert set(found) == set(REGION_KEYS)
    return (found["province_code"], found["city_code"], found["county_code"], found["region_basis"])


@pytest.mark.parametrize(("agency", "expected"), [
    ("杭州市上城区卫生健康局", ("330000", "330100", "330102", "agency")),
    ("殷都区卫健委", ("410000", "410500", "410505", "agency")),          # county alone: its city and province
    ("吴忠市卫生健康委员会", ("640000", "640300", None, "agency")),       # a prefecture-level city
    ("莱州市卫生健康局", ("370000", "370600", "370683", "agency")),       # a county-level city
    ("北京市朝阳区人民政府", ("110000", "110100", "110105", "agency")),   # a municipality
    ("浙江省人民政府办公厅", ("330000", None, None, "agency")),
    ("国家统计局", (None, None, None, None)),
    ("新城区教育局", (None, None, None, None)),                          # several 新城区: no guess
])
def test_agency_names_are_placed(agency: str, expected: tuple) -> None:
    assert codes(agency=agency, year=2021) == expected


def test_the_seed_region_places_ambiguous_and_arealess_agencies() -> None:
    assert codes(agency="新城区教育局", region="陕西省西安市") == ("610000", "610100", "610102", "agency")
    assert codes(agency="教育局", region="陕西省西安市") == ("610000", "610100", None, "seed")
    assert codes(agency=None, region="浙江杭州市") == ("330000", "330100", None, "seed")


def test_areas_merged_or_renamed_since_keep_their_old_code() -> None:
    # 梅列区 was merged into 三元区 in 2021: a report of 2019 names it, and gets the code it had
    old = locate(agency="三明市梅列区教育局", year=2019)
    assert (old["county_code"], old["county"], old["region_basis"]) == ("350402", "梅列区", "historical")
    # 许昌县 became 建安区 (2016)
    assert codes(agency="许昌县人民政府", year=2014) == ("410000", "411000", "411023", "historical")
    assert codes(agency="许昌市建安区人民政府", year=2020) == ("410000", "411000", "411003", "agency")
    assert DATA_DATE == "2025-12-31"
