"""OpenFisca entities: a Person, and the assistance Household of members living together.

The assistance household is the set of co-residing family members of DOMAIN-RULES §1.2
(not the 户籍 household): every rule that averages income or counts members uses it.
"""

from openfisca_core.entities import build_entity

Household = build_entity(
    key="household",
    plural="households",
    label="Assistance household (共同生活的家庭成员)",
    roles=[
        {"key": "head", "plural": "heads", "label": "Head of household", "max": 1},
        {"key": "member", "plural": "members", "label": "Other member"},
    ],
)

Person = build_entity(
    key="person",
    plural="persons",
    label="Person",
    is_person=True,
)

entities = [Household, Person]
