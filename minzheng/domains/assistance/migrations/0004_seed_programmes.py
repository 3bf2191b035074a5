"""Seed the eight basic programmes of "1+8+X" (DOMAIN-RULES.md §1, §2, §3).

Deadlines are working days per step (the action a case waits for). The national rules fix
the public notice (7 days) and roughly 10 working days for the county's decision and 30 for
the whole procedure (民发〔2021〕57号; DOMAIN-RULES §1.9 [EX]); the per-step split is a default
awaiting the Jiaxing rule, editable per programme. X programmes of charities are added by
the city administrator (kind "social").
"""

from django.db import migrations

AUTHORISATION = "家庭经济状况核对授权书"
ID_DOCS = ["居民身份证", "户口簿"]
STEPS = {
    "accept": 3,
    "investigate": 10,
    "verify": 5,
    "appraise": 5,
    "town_review": 5,
    "publish_notice": 2,
    "approve": 10,
}
SOURCE_DIBAO = "社会救助暂行办法; 最低生活保障审核确认办法 (民发〔2021〕57号)"

PROGRAMMES = [
    {
        "code": "dibao",
        "name_zh": "最低生活保障",
        "name_en": "Minimum living allowance (dibao)",
        "approval_level": "county",
        "rules_key": "dibao",
        "recurring": True,
        "required_documents": [*ID_DOCS, AUTHORISATION, "收入情况说明"],
        "source_document": SOURCE_DIBAO,
    },
    {
        "code": "marginal",
        "name_zh": "低保边缘家庭",
        "name_en": "Dibao-marginal family",
        "approval_level": "county",
        "rules_key": "marginal",
        "recurring": True,
        "required_documents": [*ID_DOCS, AUTHORISATION, "收入情况说明"],
        "source_document": SOURCE_DIBAO,
    },
    {
        "code": "tekun",
        "name_zh": "特困人员救助供养",
        "name_en": "Extreme-poverty support (tekun)",
        "approval_level": "county",
        "rules_key": "tekun",
        "recurring": True,
        "required_documents": [*ID_DOCS, AUTHORISATION, "生活自理能力评估"],
        "source_document": "特困人员认定办法 (民发〔2021〕43号)",
    },
    {
        "code": "disaster",
        "name_zh": "受灾人员救助",
        "name_en": "Disaster relief",
        "approval_level": "county",
        "recurring": False,
        "requires_appraisal": True,
        "required_documents": [*ID_DOCS, "受灾情况说明"],
        "source_document": "社会救助暂行办法 第五章; 自然灾害救助条例",
    },
    {
        "code": "medical",
        "name_zh": "医疗救助",
        "name_en": "Medical assistance",
        "approval_level": "county",
        "recurring": False,
        "required_documents": [*ID_DOCS, "医疗费用票据"],
        "source_document": "社会救助暂行办法 第六章",
    },
    {
        "code": "education",
        "name_zh": "教育救助",
        "name_en": "Education assistance",
        "approval_level": "county",
        "recurring": False,
        "required_documents": [*ID_DOCS, "在校证明"],
        "source_document": "社会救助暂行办法 第七章",
    },
    {
        "code": "housing",
        "name_zh": "住房救助",
        "name_en": "Housing assistance",
        "approval_level": "county",
        "recurring": False,
        "required_documents": [*ID_DOCS, "住房状况说明"],
        "source_document": "社会救助暂行办法 第八章",
    },
    {
        "code": "employment",
        "name_zh": "就业救助",
        "name_en": "Employment assistance",
        "approval_level": "county",
        "recurring": False,
        "required_documents": [*ID_DOCS, "失业登记证明"],
        "source_document": "社会救助暂行办法 第九章",
    },
    {
        "code": "temporary",
        "name_zh": "临时救助",
        "name_en": "Temporary assistance",
        "approval_level": "town",
        "rules_key": "temporary",
        "recurring": False,
        "allows_emergency": True,
        "required_documents": [*ID_DOCS, AUTHORISATION, "困难情况说明"],
        "source_document": "社会救助暂行办法 第47–50条; 民发〔2018〕23号",
        "deadlines": {**STEPS, "document": 10},
    },
]


def seed(apps, schema_editor):
    Programme = apps.get_model("assistance", "Programme")
    for spec in PROGRAMMES:
        defaults = {"deadlines": dict(STEPS), "kind": "basic", **spec}
        code = defaults.pop("code")
        Programme.objects.update_or_create(code=code, defaults=defaults)


def unseed(apps, schema_editor):
    Programme = apps.get_model("assistance", "Programme")
    Programme.objects.filter(
        code__in=[p["code"] for p in PROGRAMMES], applications__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("assistance", "0003_casework")]

    operations = [migrations.RunPython(seed, unseed)]
