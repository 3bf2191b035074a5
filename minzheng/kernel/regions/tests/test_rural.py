"""Which regions count as rural: under a town or township (镇/乡), not under a street (街道)."""

from __future__ import annotations

import pytest

from minzheng.kernel.regions.models import Region, path_is_rural


@pytest.mark.parametrize(
    ("path", "rural"),
    [
        ("330400/", False),  # the city
        ("330400/330411/", False),  # a county
        ("330400/330402/330402009/", False),  # 新嘉街道, a street
        ("330400/330402/330402009/330402009001/", False),  # a community under the street
        ("330400/330411/330411105/", True),  # 王店镇, a town
        ("330400/330411/330411105/330411105201/", True),  # a village under the town
        ("330400/330411/330411105/330411105201/330411105201001/", True),  # a grid
    ],
)
def test_path_is_rural(path, rural):
    assert path_is_rural(path) is rural


@pytest.mark.django_db
def test_loaded_regions_agree_with_their_paths():
    wangdian = Region.objects.get(code="330411105")
    xinjia = Region.objects.get(code="330402009")
    assert wangdian.is_rural
    assert not xinjia.is_rural
