"""Choosing a region for the register: a cascade of selects from the actor's regions down.

Every select of a cascade posts under the field's name, top level first; the chosen region
is the deepest one whose upper levels agree with it (a level changed without JavaScript
leaves stale values below it, which are ignored). Only regions whose register the actor may
change (Perm.PEOPLE_CHANGE) are offered and accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import takewhile
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minzheng.common.errors import NotFound
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.regions.models import LEVEL_DEPTH, Region, RegionLevel
from minzheng.kernel.regions.selectors import (
    region_chain_children,
    region_children,
    region_get_by_code,
    region_roots,
)

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

MAX_LEVELS = len(LEVEL_DEPTH)


@dataclass
class CascadeLevel:
    """One select of a cascade (or, for an actor with a single region, that region as text)."""

    name: str
    field_id: str
    depth: int
    label: str
    options: list[Region]
    selected: str = ""
    empty_label: str = ""
    fixed: Region | None = None
    below: CascadeLevel | None = None

    @property
    def select_id(self) -> str:
        return f"{self.field_id}-{self.depth}"

    @property
    def below_id(self) -> str:
        return f"{self.field_id}-below-{self.depth}"


def _level_label(regions: list[Region]) -> str:
    levels = {region.level for region in regions}
    if len(levels) == 1:
        return str(RegionLevel(levels.pop()).label)
    return _("Region")


class RegionChooser:
    """The regions an actor may choose: under the regions whose register they may change."""

    def __init__(self, actor: User) -> None:
        self.actor = actor
        self._chains: dict[str, tuple[list[Region], dict[str, list[Region]]]] = {}

    @cached_property
    def roots(self) -> list[Region]:
        return region_roots(actor=self.actor, perm=Perm.PEOPLE_CHANGE)

    def allows(self, region: Region) -> bool:
        return has_perm(self.actor, Perm.PEOPLE_CHANGE, region)

    def chain(self, region: Region) -> tuple[list[Region], dict[str, list[Region]]]:
        """The regions from the actor's top region down to `region` ([] outside their
        regions), and the regions directly under each, by code; cached per region.
        """
        root = next((r for r in self.roots if region.path.startswith(r.path)), None)
        if root is None:
            return [], {}
        if region.code not in self._chains:
            self._chains[region.code] = region_chain_children(region=region)
        chain, children = self._chains[region.code]
        return [r for r in chain if r.path.startswith(root.path)], children

    def resolve(self, codes: list[str]) -> Region | None:
        """The deepest posted region that agrees with the levels above it; None if none chosen."""
        chosen = list(takewhile(bool, (code.strip() for code in codes)))[:MAX_LEVELS]
        for index in range(len(chosen) - 1, -1, -1):
            try:
                region = region_get_by_code(code=chosen[index])
            except NotFound:
                continue
            if all(f"/{code}/" in f"/{region.path}" for code in chosen[:index]):
                if not self.allows(region):
                    break
                return region
        if chosen:
            raise forms.ValidationError(
                gettext_lazy("Choose a region you serve from the list."), code="region"
            )
        return None

    def children(
        self, *, name: str, field_id: str, parent: Region, depth: int
    ) -> CascadeLevel | None:
        """The select of the regions directly under `parent`, or None at the lowest level."""
        options = list(region_children(region=parent))
        if not options:
            return None
        return CascadeLevel(
            name=name,
            field_id=field_id,
            depth=depth,
            label=_level_label(options),
            options=options,
            empty_label="—",
        )

    def cascade(
        self,
        *,
        name: str,
        field_id: str,
        region: Region | None,
        empty_label: str = "",
        fixed_root: bool = True,
    ) -> CascadeLevel:
        """The cascade showing `region` chosen, with a select for the level below it.

        The first level is the actor's own regions; an actor with one region and a required
        field sees it as text (`fixed_root`), since there is nothing to choose.
        """
        fixed = fixed_root and len(self.roots) == 1
        if region is None and fixed:
            region = self.roots[0]
        chain, children = self.chain(region) if region is not None else ([], {})
        first = CascadeLevel(
            name=name,
            field_id=field_id,
            depth=0,
            label=_level_label(self.roots),
            options=self.roots,
            selected=chain[0].code if chain else "",
            empty_label="" if fixed else (empty_label or "—"),
            fixed=self.roots[0] if fixed else None,
        )
        level = first
        for index, parent in enumerate(chain):
            options = children.get(parent.code, [])
            if not options:
                break
            level.below = CascadeLevel(
                name=name,
                field_id=field_id,
                depth=index + 1,
                label=_level_label(options),
                options=options,
                selected=chain[index + 1].code if index + 1 < len(chain) else "",
                empty_label="—",
            )
            level = level.below
        return first


class RegionCascadeWidget(forms.Widget):
    """Posts a list of codes, top level first; rendered by backoffice/_region_cascade.html."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        if hasattr(data, "getlist"):
            return [str(value) for value in data.getlist(name)]
        value = data.get(name)
        return [str(value)] if value else []

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data


class RegionField(forms.Field):
    """A region the actor may change, at `min_level` or below (a village or grid by default)."""

    widget = RegionCascadeWidget
    default_error_messages = {
        "required": gettext_lazy("Choose the region."),
        "too_high": gettext_lazy("Choose down to the village or community (and grid, if any)."),
    }

    def __init__(
        self,
        *,
        empty_label: Any = "",
        min_level: str = RegionLevel.VILLAGE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.empty_label = empty_label
        self.min_depth = LEVEL_DEPTH[RegionLevel(min_level)]
        self.chooser: RegionChooser | None = None

    def to_python(self, value: Any) -> Region | None:
        if isinstance(value, Region):
            return value
        if self.chooser is None:  # pragma: no cover - the form always sets it
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return self.chooser.resolve(list(value or []))

    def validate(self, value: Region | None) -> None:
        super().validate(value)
        if value is not None and value.depth < self.min_depth:
            raise forms.ValidationError(self.error_messages["too_high"], code="too_high")

    def prepare_value(self, value: Any) -> Any:
        return value.code if isinstance(value, Region) else value
