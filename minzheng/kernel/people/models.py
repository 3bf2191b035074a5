"""Persons, households and memberships: the social registry every business line reads."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from minzheng.common.models import TimeStampedModel

ID_NUMBER_PURPOSE = "person.id_number"


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class WorkAbility(models.TextChoices):
    FULL = "full", _("Full capacity to work")
    PARTIAL = "partial", _("Partial capacity to work")
    NONE = "none", _("No capacity to work")


class DisabilityCategory(models.TextChoices):
    VISUAL = "visual", _("Visual")
    HEARING = "hearing", _("Hearing")
    SPEECH = "speech", _("Speech")
    PHYSICAL = "physical", _("Physical")
    INTELLECTUAL = "intellectual", _("Intellectual")
    MENTAL = "mental", _("Mental")
    MULTIPLE = "multiple", _("Multiple")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    PARENT = "parent", _("Parent")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other relative")


class Person(TimeStampedModel):
    """A person of the register. The ID number is stored encrypted, looked up by digest."""

    name = models.CharField(_("name"), max_length=50, db_index=True)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=120, db_index=True)
    name_initials = models.CharField(_("pinyin initials"), max_length=20, db_index=True)
    id_number_ciphertext = models.BinaryField(editable=False)
    id_number_digest = models.CharField(max_length=32, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField(_("birth date"), editable=False)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    registered_region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="registered_persons",
        verbose_name=_("household registration (户籍) region"),
    )
    residence_region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="resident_persons",
        verbose_name=_("residence region"),
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"),
        null=True,
        blank=True,
        choices=[(1, _("Grade 1")), (2, _("Grade 2")), (3, _("Grade 3")), (4, _("Grade 4"))],
    )
    disability_category = models.CharField(
        _("disability category"), max_length=16, blank=True, choices=DisabilityCategory.choices
    )
    serious_illness = models.BooleanField(_("serious illness"), default=False)
    work_ability = models.CharField(
        _("work ability"), max_length=8, choices=WorkAbility.choices, default=WorkAbility.FULL
    )
    is_student = models.BooleanField(_("student"), default=False)
    death_date = models.DateField(_("date of death"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["name_pinyin", "name_initials"])

    class Meta:
        ordering = ["id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disability_grade__isnull=True)
                | models.Q(disability_grade__gte=1, disability_grade__lte=4),
                name="person_disability_grade_1_to_4",
            ),
            models.CheckConstraint(
                condition=models.Q(disability_grade__isnull=True, disability_category="")
                | models.Q(disability_grade__isnull=False) & ~models.Q(disability_category=""),
                name="person_disability_grade_and_category_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_number_masked})"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    @property
    def is_alive(self) -> bool:
        return self.death_date is None


class Household(TimeStampedModel):
    """A household of members living together (共同生活的家庭成员)."""

    address = models.CharField(_("address"), max_length=200)
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("region"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"{self.pk}: {self.address}"


class Membership(TimeStampedModel):
    """A person's membership of a household over a period; ended memberships are history."""

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("household"),
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person")
    )
    relation = models.CharField(_("relation to head"), max_length=16, choices=Relation.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)
    end_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)

    class Meta:
        ordering = ["household_id", "end_date", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(end_date__isnull=True),
                name="membership_one_current_household_per_person",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(end_date__isnull=True, relation="head"),
                name="membership_one_current_head_per_household",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="membership_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["household", "end_date"])]

    @property
    def is_current(self) -> bool:
        return self.end_date is None
