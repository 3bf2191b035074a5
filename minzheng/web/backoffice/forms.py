"""Forms of the back office."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from minzheng.common.errors import ApplicationError, NotFound
from minzheng.common.widgets import IsoDateInput
from minzheng.kernel.accounts.models import UserKind
from minzheng.kernel.people.id_numbers import IdNumber, IdNumberError, parse_id_number
from minzheng.kernel.people.models import (
    DisabilityCategory,
    Household,
    Person,
    Relation,
    WorkAbility,
)
from minzheng.kernel.people.selectors import household_get, id_number_taken, person_get
from minzheng.kernel.regions.models import Region
from minzheng.web.backoffice.regions_field import (
    CascadeLevel,
    RegionCascadeWidget,
    RegionChooser,
    RegionField,
)

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User


class StaffLoginForm(AuthenticationForm):
    """Password login for staff accounts; residents use the portal."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or password is wrong. Both are case-sensitive."),
        "not_staff": _("This is a resident account: please log in on the residents' portal."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["password"].label = _("Password")
        self.fields["username"].widget.attrs.update(
            {"class": "form-control form-control-lg", "autocomplete": "username"}
        )
        self.fields["password"].widget.attrs.update(
            {"class": "form-control form-control-lg", "autocomplete": "current-password"}
        )

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if getattr(user, "kind", None) != UserKind.STAFF:
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


class SearchKind:
    PERSONS = "persons"
    HOUSEHOLDS = "households"


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, pinyin, ID number or phone"),
        required=False,
        max_length=50,
        strip=True,
    )
    kind = forms.ChoiceField(
        choices=[(SearchKind.PERSONS, _("Persons")), (SearchKind.HOUSEHOLDS, _("Households"))],
        required=False,
    )

    def cleaned_kind(self) -> str:
        return (self.cleaned_data.get("kind") if self.is_valid() else "") or SearchKind.PERSONS

    def cleaned_query(self) -> str:
        return (self.cleaned_data.get("q") if self.is_valid() else "") or ""


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for viewing"),
        max_length=200,
        strip=True,
        error_messages={"required": _("Give the reason for viewing the full ID number.")},
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False, max_length=80, strip=True)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=80)
    object_id = forms.CharField(label=_("Object ID"), required=False, max_length=64, strip=True)

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


# Keeping the register: forms for the register services -------------------------------------


class BackofficeForm(forms.Form):
    """A back-office form: Bootstrap classes on every widget, `is-invalid` on fields in error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, (forms.HiddenInput, RegionCascadeWidget)):
                continue
            else:
                css = "form-control"
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            widget = self.fields[name].widget if name in self.fields else None
            if widget is not None and "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def add_service_error(
        self, error: ApplicationError, fields: dict[str, str] | None = None
    ) -> None:
        """Show a service's refusal on the field it concerns, or above the form."""
        name = (fields or {}).get(error.field or "", error.field)
        refusal = forms.ValidationError(error.message, code=error.code)
        self.add_error(name if name in self.fields else None, refusal)


def _model_label(name: str) -> Any:
    """The register's own name for a person's field ("disability grade" → "Disability grade")."""
    return capfirst(cast(models.Field, Person._meta.get_field(name)).verbose_name)


GRADE_CHOICES = cast(list, cast(models.Field, Person._meta.get_field("disability_grade")).choices)


def _date_input() -> forms.DateInput:
    return IsoDateInput()


def _not_in_future(day: dt.date | None) -> dt.date | None:
    if day is not None and day > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."), code="future")
    return day


class PersonFactsForm(BackofficeForm):
    """The facts of a person that the register services accept, shared by register and edit."""

    name = forms.CharField(label=_("Name"), max_length=50, strip=True)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    registered_region = RegionField(label=_("Household registration (户籍) region"))
    residence_region = RegionField(label=_("Residence region"), required=False)
    disability_grade = forms.TypedChoiceField(
        label=_model_label("disability_grade"),
        choices=[("", _("None recorded")), *GRADE_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    disability_category = forms.ChoiceField(
        label=_model_label("disability_category"),
        choices=[("", _("None recorded")), *DisabilityCategory.choices],
        required=False,
    )
    serious_illness = forms.BooleanField(label=_model_label("serious_illness"), required=False)
    work_ability = forms.ChoiceField(
        label=_model_label("work_ability"), choices=WorkAbility.choices, initial=WorkAbility.FULL
    )
    is_student = forms.BooleanField(label=_model_label("is_student"), required=False)

    REGION_FIELDS: tuple[str, ...] = ("registered_region", "residence_region")
    # Optional region fields whose top level (the actor's one region) is shown as text.
    fixed_regions: frozenset[str] = frozenset()
    FACT_FIELDS: tuple[str, ...] = (
        "phone",
        "disability_grade",
        "disability_category",
        "serious_illness",
        "work_ability",
        "is_student",
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chooser = RegionChooser(actor)
        for name in self.REGION_FIELDS:
            cast(RegionField, self.fields[name]).chooser = self.chooser
        self.fields["name"].widget.attrs.update({"autocomplete": "off"})

    def _region_shown(self, name: str) -> Region | None:
        """The region the cascade shows: the posted one if it resolves, else the initial one."""
        if not self.is_bound:
            value = self.initial.get(name)
            return value if isinstance(value, Region) else None
        if name in getattr(self, "cleaned_data", {}):
            return self.cleaned_data[name]
        try:
            return self.chooser.resolve(self[name].data or [])
        except forms.ValidationError:
            return None

    @cached_property
    def cascades(self) -> dict[str, CascadeLevel]:
        field_labels = {
            name: cast(RegionField, self.fields[name]).empty_label for name in self.REGION_FIELDS
        }
        return {
            name: self.chooser.cascade(
                name=name,
                field_id=self[name].auto_id,
                region=self._region_shown(name),
                empty_label=str(field_labels[name] or ""),
                fixed_root=self.fields[name].required or name in self.fixed_regions,
            )
            for name in self.REGION_FIELDS
        }


class PersonRegisterForm(PersonFactsForm):
    """Register a person: sex and birth date come from the ID number."""

    id_number = forms.CharField(
        label=_("Citizen ID number"),
        max_length=25,
        strip=True,
        help_text=_(
            "18 characters (an old 15-digit number is converted). Sex and birth date "
            "are read from it."
        ),
    )
    field_order = ["name", "id_number", "phone"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.parsed_id_number: IdNumber | None = None
        residence = cast(RegionField, self.fields["residence_region"])
        residence.empty_label = _("Same as registration")
        residence.help_text = _(
            "Leave it as it is when the person lives where they are registered."
        )
        self.fields["id_number"].widget.attrs.update(
            {
                "class": "form-control font-monospace",
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "characters",
                "maxlength": "25",
                "hx-post": reverse("backoffice:person_check_id"),
                # On leaving the field, and as soon as 18 characters are typed.
                "hx-trigger": "change, keyup[target.value.trim().length >= 18] changed delay:250ms",
                "hx-target": "#id_id_number_check",
                "hx-params": "id_number",
                "hx-sync": "this:replace",
                "aria-describedby": "id_id_number_helptext id_id_number_check",
            }
        )

    def clean_id_number(self) -> str:
        try:
            self.parsed_id_number = parse_id_number(self.cleaned_data["id_number"])
        except IdNumberError as error:
            raise forms.ValidationError(error.message, code=error.code) from None
        if id_number_taken(id_number=self.parsed_id_number.value):
            raise forms.ValidationError(
                _("A person with this ID number is already in the register."),
                code="id_number_taken",
            )
        return self.parsed_id_number.value

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "id_number": data["id_number"],
            "registered_region": data["registered_region"],
            "residence_region": data["residence_region"],
            **{name: data[name] for name in self.FACT_FIELDS},
        }


class PersonEditForm(PersonFactsForm):
    """Change a person's facts; the ID number (and so sex and birth date) stays as it is."""

    death_date = forms.DateField(label=_("Date of death"), required=False, widget=_date_input())
    FACT_FIELDS = (*PersonFactsForm.FACT_FIELDS, "name", "death_date")

    def __init__(self, *args: Any, actor: User, person: Person, **kwargs: Any) -> None:
        initial = {name: getattr(person, name) for name in (*self.FACT_FIELDS, *self.REGION_FIELDS)}
        initial["disability_category"] = person.disability_category or ""
        super().__init__(*args, actor=actor, initial=initial, **kwargs)
        self.person = person
        registered = cast(RegionField, self.fields["registered_region"])
        registered.required = False
        if self.chooser.allows(person.registered_region):
            self.fixed_regions = frozenset({"registered_region"})
        else:
            # Registered outside the actor's regions: they may move it into them, not pick it.
            registered.empty_label = _("Unchanged: %(region)s") % {
                "region": person.registered_region.name
            }
            self.initial["registered_region"] = None
        self.fields["residence_region"].required = True

    def clean_death_date(self) -> dt.date | None:
        day = _not_in_future(self.cleaned_data.get("death_date"))
        if day is not None and day < self.person.birth_date:
            raise forms.ValidationError(
                _("The date of death is before the birth date."), code="before_birth"
            )
        return day

    def changes(self) -> dict[str, Any]:
        """Only the facts the clerk changed, for person_update."""
        data = self.cleaned_data
        changes = {}
        for name in (*self.FACT_FIELDS, *self.REGION_FIELDS):
            value = data.get(name)
            if name == "registered_region" and value is None:
                continue
            if value != getattr(self.person, name):
                changes[name] = value
        return changes


class PersonPickField(forms.IntegerField):
    """A person chosen in a picker (a radio list of search results), by id."""

    widget = forms.HiddenInput
    default_error_messages = {
        "required": _("Search for the person and choose them from the results."),
        "invalid": _("Search for the person and choose them from the results."),
    }


class HouseholdPickField(forms.IntegerField):
    widget = forms.HiddenInput
    default_error_messages = {
        "required": _("Search for the household and choose it from the results."),
        "invalid": _("Search for the household and choose it from the results."),
    }


def with_current_memberships(household: Household) -> Household:
    """A household from household_get, with `current_memberships` as household_list gives."""
    household.current_memberships = [  # type: ignore[attr-defined]
        m
        for m in household.all_memberships  # type: ignore[attr-defined]
        if m.end_date is None
    ]
    return household


class _PickerForm(BackofficeForm):
    """A form with pickers: `clean_<picker>` turns an id into the object, inside the scope."""

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor

    def _person(self, name: str) -> Person:
        try:
            return person_get(actor=self.actor, person_id=self.cleaned_data[name])
        except NotFound:
            raise forms.ValidationError(
                self.fields[name].error_messages["invalid"], code="invalid"
            ) from None

    def _household(self, name: str) -> Household:
        try:
            household = household_get(actor=self.actor, household_id=self.cleaned_data[name])
        except NotFound:
            raise forms.ValidationError(
                self.fields[name].error_messages["invalid"], code="invalid"
            ) from None
        return with_current_memberships(household)

    def chosen(self, name: str) -> Any:
        """The object chosen in picker `name`, to show it selected again."""
        if self.is_bound:
            value = getattr(self, "cleaned_data", {}).get(name)
            return value if isinstance(value, (Person, Household)) else None
        return self.initial.get(name)


class HouseholdCreateForm(_PickerForm):
    head = PersonPickField(label=_("Head of household"))
    address = forms.CharField(label=_("Address"), max_length=200, strip=True)
    region = RegionField(label=_("Region"))
    start_date = forms.DateField(label=_("From"), widget=_date_input())

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("start_date", timezone.localdate())
        super().__init__(*args, actor=actor, **kwargs)
        self.chooser = RegionChooser(actor)
        cast(RegionField, self.fields["region"]).chooser = self.chooser
        self.fields["address"].widget.attrs.update(
            {"placeholder": _("e.g. 新嘉街道幸福路 12 号 3 单元 501 室"), "autocomplete": "off"}
        )

    def clean_head(self) -> Person:
        return self._person("head")

    def clean_start_date(self) -> dt.date | None:
        return _not_in_future(self.cleaned_data.get("start_date"))

    @cached_property
    def cascades(self) -> dict[str, CascadeLevel]:
        region: Region | None
        if not self.is_bound:
            initial = self.initial.get("region")
            region = initial if isinstance(initial, Region) else None
        elif "region" in getattr(self, "cleaned_data", {}):
            region = self.cleaned_data["region"]
        else:
            try:
                region = self.chooser.resolve(self["region"].data or [])
            except forms.ValidationError:
                region = None
        return {
            "region": self.chooser.cascade(
                name="region", field_id=self["region"].auto_id, region=region
            )
        }


class MemberAddForm(_PickerForm):
    person = PersonPickField(label=_("Person"))
    relation = forms.ChoiceField(label=_("Relation to head"), choices=Relation.choices)
    start_date = forms.DateField(label=_("From"), widget=_date_input())

    def __init__(self, *args: Any, actor: User, household_has_head: bool, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("start_date", timezone.localdate())
        super().__init__(*args, actor=actor, **kwargs)
        choices = Relation.choices
        if household_has_head:
            choices = [(value, label) for value, label in choices if value != Relation.HEAD]
        cast(forms.ChoiceField, self.fields["relation"]).choices = [("", "—"), *choices]

    def clean_person(self) -> Person:
        return self._person("person")

    def clean_start_date(self) -> dt.date | None:
        return _not_in_future(self.cleaned_data.get("start_date"))


class LeaveReason(models.TextChoices):
    MOVED_OUT = "moved_out", _("Moved out (迁出)")
    DIED = "died", _("Died (死亡)")
    DIVORCED = "divorced", _("Divorced (离婚)")
    MARRIED_OUT = "married_out", _("Married out (出嫁/入赘)")
    IMPRISONED = "imprisoned", _("Serving a sentence (服刑)")
    OTHER = "other", _("Other (其他)")


# The register records the reason in Chinese, the language of the record, whatever language
# the clerk's screen is in.
LEAVE_REASON_RECORDS = {
    LeaveReason.MOVED_OUT: "迁出",
    LeaveReason.DIED: "死亡",
    LeaveReason.DIVORCED: "离婚",
    LeaveReason.MARRIED_OUT: "出嫁/入赘",
    LeaveReason.IMPRISONED: "服刑",
    LeaveReason.OTHER: "其他",
}


class _LeaveFields(forms.Form):
    """The reason a person leaves a household: a kind and, for "other", the details."""

    reason = forms.ChoiceField(
        label=_("Reason for leaving"),
        choices=[("", "—"), *LeaveReason.choices],
        error_messages={"required": _("Give the reason the person leaves the household.")},
    )
    reason_detail = forms.CharField(
        label=_("Details"),
        max_length=150,
        required=False,
        strip=True,
        help_text=_("Required for “Other”; e.g. where the person moved to."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == LeaveReason.OTHER and not data.get("reason_detail"):
            self.add_error("reason_detail", _("Describe the reason when you choose “Other”."))
        return data

    def recorded_reason(self) -> str:
        """The reason as the register records it, e.g. "迁出：迁往上海市"."""
        reason = LEAVE_REASON_RECORDS[LeaveReason(self.cleaned_data["reason"])]
        detail = self.cleaned_data.get("reason_detail") or ""
        return f"{reason}：{detail}" if detail else reason


class MemberEndForm(_LeaveFields, BackofficeForm):
    end_date = forms.DateField(label=_("Leaving date"), widget=_date_input())
    field_order = ["end_date", "reason", "reason_detail"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("end_date", timezone.localdate())
        super().__init__(*args, **kwargs)

    def clean_end_date(self) -> dt.date | None:
        return _not_in_future(self.cleaned_data.get("end_date"))


class PersonMoveForm(_LeaveFields, _PickerForm):
    household = HouseholdPickField(label=_("New household"))
    relation = forms.ChoiceField(
        label=_("Relation to the head of the new household"),
        choices=[("", "—"), *Relation.choices],
    )
    move_date = forms.DateField(label=_("Moving date"), widget=_date_input())
    field_order = ["household", "relation", "move_date", "reason", "reason_detail"]

    def __init__(self, *args: Any, actor: User, current: Household | None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("move_date", timezone.localdate())
        super().__init__(*args, actor=actor, **kwargs)
        self.current = current
        if current is None:
            # Nobody leaves a household: the person only joins one.
            del self.fields["reason"], self.fields["reason_detail"]
        else:
            self.fields["reason"].initial = LeaveReason.MOVED_OUT

    def clean_household(self) -> Household:
        household = self._household("household")
        if self.current is not None and household.pk == self.current.pk:
            raise forms.ValidationError(
                _("The person already lives in this household."), code="same_household"
            )
        return household

    def clean_move_date(self) -> dt.date | None:
        return _not_in_future(self.cleaned_data.get("move_date"))

    def recorded_reason(self) -> str:
        return super().recorded_reason() if self.current is not None else ""
