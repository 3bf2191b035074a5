"""The data sources of household verification and the columns of each source's file.

Pure data: the seed migration writes these into DataSource rows, the importer reads the
columns back from the row, and the templates are generated from them. A column says where
its value goes in a SourceRecord (`target`); columns without a target are kept in the
record's payload as sent.

Income headings follow the national Measures (DOMAIN-RULES §1.4) and the assess input:
wage, business, property, transfer, pension_basic, excluded. Asset headings follow §1.5.
"""

from __future__ import annotations

from typing import Any

# Column types the importer knows.
ID_NUMBER = "id_number"  # citizen ID number (GB 11643), stored as digest + masked form
NAME = "name"
MONTH = "month"  # 2025-03 (also 202503, 2025/03, 2025年3月)
DATE = "date"  # 2025-03-31 (also 20250331, 2025/3/31)
MONEY = "money"  # yuan, at most 2 decimals, not negative
DECIMAL = "decimal"  # e.g. an area in m², at most 2 decimals, not negative
INTEGER = "integer"
CODE = "code"  # one of the column's codes (the Chinese label is accepted too)
TEXT = "text"
COLUMN_TYPES = (ID_NUMBER, NAME, MONTH, DATE, MONEY, DECIMAL, INTEGER, CODE, TEXT)

# Where a value goes in a SourceRecord.
TARGETS = ("person", "name", "period", "amount", "area", "quantity", "item", "reference")

INCOME_HEADINGS = ("wage", "business", "property", "transfer", "pension_basic", "excluded")
ASSET_HEADINGS = ("deposits", "houses", "vehicles", "business")


def _column(
    key: str,
    kind: str,
    header_zh: str,
    header_en: str,
    *,
    target: str = "",
    required: bool = True,
    example: str = "",
    help_zh: str = "",
    help_en: str = "",
    codes: list[dict[str, str]] | None = None,
    max_length: int = 0,
) -> dict[str, Any]:
    column: dict[str, Any] = {
        "key": key,
        "type": kind,
        "header_zh": header_zh,
        "header_en": header_en,
        "target": target,
        "required": required,
        "example": example,
        "help_zh": help_zh,
        "help_en": help_en,
    }
    if codes is not None:
        column["codes"] = codes
    if max_length:
        column["max_length"] = max_length
    return column


def _code(code: str, zh: str, en: str, heading: str = "") -> dict[str, str]:
    """One allowed value of a code column; `heading` is its income or asset heading."""
    return {"code": code, "label_zh": zh, "label_en": en, "heading": heading}


def _person_columns() -> list[dict[str, Any]]:
    return [
        _column(
            "id_number",
            ID_NUMBER,
            "公民身份号码",
            "Citizen ID number",
            target="person",
            example="330402196805040114",
            help_zh="18位居民身份证号码（15位旧号码自动升位），末位X大小写均可。",
            help_en="The 18-character resident ID number (old 15-digit numbers are converted).",
        ),
        _column(
            "name",
            NAME,
            "姓名",
            "Name",
            target="name",
            example="张建国",
            help_zh="与身份证一致的姓名。",
            help_en="The name as on the ID card.",
            max_length=50,
        ),
    ]


def _month_column() -> dict[str, Any]:
    return _column(
        "month",
        MONTH,
        "所属月份",
        "Month",
        target="period",
        example="2025-03",
        help_zh="记录所属的月份，格式 YYYY-MM。",
        help_en="The month the record belongs to, as YYYY-MM.",
    )


SOURCES: list[dict[str, Any]] = [
    {
        "code": "social_insurance",
        "kind": "social_insurance",
        "name_zh": "社会保险与养老金",
        "name_en": "Social insurance and pensions",
        "department_zh": "嘉兴市人力资源和社会保障局",
        "department_en": "Jiaxing Human Resources and Social Security Bureau",
        "period": "month",
        "unique": ["id_number", "month", "item", "employer"],
        "columns": [
            *_person_columns(),
            _month_column(),
            _column(
                "item",
                CODE,
                "项目",
                "Item",
                target="item",
                example="contribution_base",
                help_zh="缴费基数或养老金种类，见代码表。",
                help_en="The contribution base or the kind of pension; see the codes.",
                codes=[
                    _code(
                        "contribution_base",
                        "职工社保缴费基数",
                        "Employee contribution base",
                        "wage",
                    ),
                    _code(
                        "pension_employee", "职工基本养老金", "Employee basic pension", "transfer"
                    ),
                    _code(
                        "pension_resident_basic",
                        "城乡居民基础养老金",
                        "Residents' scheme basic pension",
                        "pension_basic",
                    ),
                    _code(
                        "pension_resident_account",
                        "城乡居民个人账户养老金",
                        "Residents' scheme personal-account pension",
                        "transfer",
                    ),
                ],
            ),
            _column(
                "amount",
                MONEY,
                "月金额（元）",
                "Monthly amount (yuan)",
                target="amount",
                example="6200.00",
                help_zh="当月缴费基数或养老金金额，单位元，最多两位小数。",
                help_en="The month's contribution base or pension in yuan, at most 2 decimals.",
            ),
            _column(
                "employer",
                TEXT,
                "参保单位",
                "Employer",
                target="reference",
                required=False,
                example="嘉兴市某某有限公司",
                help_zh="缴费单位名称；养老金可不填。",
                help_en="The contributing employer; leave empty for pensions.",
                max_length=64,
            ),
        ],
    },
    {
        "code": "wage_tax",
        "kind": "wage",
        "name_zh": "工资薪金及个人所得（个税）",
        "name_en": "Wages and personal income (tax)",
        "department_zh": "国家税务总局嘉兴市税务局",
        "department_en": "Jiaxing Tax Service",
        "period": "month",
        "unique": ["id_number", "month", "item", "payer"],
        "columns": [
            *_person_columns(),
            _month_column(),
            _column(
                "item",
                CODE,
                "所得项目",
                "Income item",
                target="item",
                example="wage",
                help_zh="个人所得税所得项目，见代码表。",
                help_en="The income item of the individual income tax; see the codes.",
                codes=[
                    _code("wage", "工资薪金所得", "Wages and salaries", "wage"),
                    _code("labour", "劳务报酬所得", "Remuneration for services", "wage"),
                    _code("business", "经营所得", "Business income", "business"),
                    _code(
                        "property",
                        "财产租赁及利息股息所得",
                        "Rent, interest and dividends",
                        "property",
                    ),
                ],
            ),
            _column(
                "amount",
                MONEY,
                "收入额（元）",
                "Income (yuan)",
                target="amount",
                example="7800.00",
                help_zh="当月申报的收入额，单位元。",
                help_en="The income declared for the month, in yuan.",
            ),
            _column(
                "payer",
                TEXT,
                "扣缴义务人",
                "Withholding agent",
                target="reference",
                required=False,
                example="嘉兴市某某有限公司",
                help_zh="扣缴单位名称。",
                help_en="The withholding employer or payer.",
                max_length=64,
            ),
        ],
    },
    {
        "code": "real_estate",
        "kind": "real_estate",
        "name_zh": "不动产登记",
        "name_en": "Real-estate register",
        "department_zh": "嘉兴市自然资源和规划局（不动产登记中心）",
        "department_en": "Jiaxing Natural Resources and Planning Bureau (real-estate registry)",
        "period": "date",
        "unique": ["id_number", "certificate"],
        "columns": [
            *_person_columns(),
            _column(
                "certificate",
                TEXT,
                "不动产权证号",
                "Certificate number",
                target="reference",
                example="浙(2020)嘉兴市不动产权第0012345号",
                help_zh="不动产权证书号或登记证明号。",
                help_en="The real-estate title certificate number.",
                max_length=64,
            ),
            _column(
                "use",
                CODE,
                "用途",
                "Use",
                target="item",
                example="residential",
                codes=[
                    _code("residential", "住宅", "Residential", "houses"),
                    _code("commercial", "商业", "Commercial", "houses"),
                    _code("other", "其他", "Other", ""),
                ],
            ),
            _column(
                "area",
                DECIMAL,
                "建筑面积（平方米）",
                "Floor area (m²)",
                target="area",
                example="89.50",
            ),
            _column(
                "registered_on",
                DATE,
                "登记日期",
                "Registration date",
                target="period",
                example="2020-06-18",
            ),
            _column(
                "address",
                TEXT,
                "坐落",
                "Address",
                required=False,
                example="南湖区新嘉街道幸福路11号",
                max_length=200,
            ),
        ],
    },
    {
        "code": "vehicle",
        "kind": "vehicle",
        "name_zh": "机动车登记",
        "name_en": "Motor-vehicle register",
        "department_zh": "嘉兴市公安局交通警察支队",
        "department_en": "Jiaxing Traffic Police",
        "period": "date",
        "unique": ["id_number", "plate"],
        "columns": [
            *_person_columns(),
            _column(
                "plate",
                TEXT,
                "号牌号码",
                "Plate number",
                target="reference",
                example="浙F12345",
                max_length=16,
            ),
            _column(
                "vehicle_type",
                CODE,
                "车辆类型",
                "Vehicle type",
                target="item",
                example="car",
                codes=[
                    _code("car", "小型汽车", "Car", "vehicles"),
                    _code("truck", "货车", "Truck", "vehicles"),
                    _code("motorcycle", "摩托车", "Motorcycle", "vehicles"),
                    _code(
                        "disability_mobility",
                        "残疾人专用车",
                        "Mobility vehicle for a disabled person",
                        "",
                    ),
                ],
            ),
            _column(
                "registered_on",
                DATE,
                "初次登记日期",
                "First registration",
                target="period",
                example="2019-04-02",
            ),
            _column(
                "value",
                MONEY,
                "购置价格（元）",
                "Purchase price (yuan)",
                target="amount",
                required=False,
                example="98000",
            ),
        ],
    },
    {
        "code": "business",
        "kind": "business",
        "name_zh": "市场主体登记",
        "name_en": "Business register",
        "department_zh": "嘉兴市市场监督管理局",
        "department_en": "Jiaxing Market Regulation Bureau",
        "period": "date",
        "unique": ["id_number", "credit_code", "role"],
        "columns": [
            *_person_columns(),
            _column(
                "credit_code",
                TEXT,
                "统一社会信用代码",
                "Unified social credit code",
                target="reference",
                example="91330402MA2B123456",
                max_length=18,
            ),
            _column(
                "company",
                TEXT,
                "市场主体名称",
                "Business name",
                example="嘉兴市某某商行",
                max_length=100,
            ),
            _column(
                "role",
                CODE,
                "身份",
                "Role",
                target="item",
                example="legal_representative",
                codes=[
                    _code("legal_representative", "法定代表人", "Legal representative", "business"),
                    _code("sole_proprietor", "个体工商户经营者", "Sole proprietor", "business"),
                    _code("shareholder", "股东", "Shareholder", "business"),
                ],
            ),
            _column(
                "capital",
                MONEY,
                "注册资本（元）",
                "Registered capital (yuan)",
                target="amount",
                required=False,
                example="100000",
            ),
            _column(
                "status",
                CODE,
                "登记状态",
                "Status",
                example="active",
                codes=[
                    _code("active", "存续", "Active"),
                    _code("revoked", "吊销", "Revoked"),
                    _code("cancelled", "注销", "Deregistered"),
                ],
            ),
            _column(
                "established_on",
                DATE,
                "成立日期",
                "Established on",
                target="period",
                example="2018-09-12",
            ),
        ],
    },
    {
        "code": "deposit",
        "kind": "deposit",
        "name_zh": "存款与有价证券",
        "name_en": "Deposits and securities",
        "department_zh": "中国人民银行嘉兴市分行（经各金融机构）",
        "department_en": "People's Bank of China, Jiaxing branch (from each institution)",
        "period": "date",
        "unique": ["id_number", "institution", "asset_type", "as_of"],
        "columns": [
            *_person_columns(),
            _column(
                "institution",
                TEXT,
                "金融机构",
                "Institution",
                target="reference",
                example="中国工商银行嘉兴分行",
                max_length=64,
            ),
            _column(
                "asset_type",
                CODE,
                "资产类型",
                "Asset type",
                target="item",
                example="deposit",
                codes=[
                    _code("deposit", "存款", "Deposit", "deposits"),
                    _code("wealth_product", "理财产品", "Wealth-management product", "deposits"),
                    _code("securities", "股票债券", "Shares and bonds", "deposits"),
                    _code("fund", "基金", "Investment fund", "deposits"),
                ],
            ),
            _column(
                "balance",
                MONEY,
                "余额或市值（元）",
                "Balance or market value (yuan)",
                target="amount",
                example="23500.00",
            ),
            _column("as_of", DATE, "查询基准日", "As of", target="period", example="2025-12-31"),
        ],
    },
    {
        "code": "housing_fund",
        "kind": "housing_fund",
        "name_zh": "住房公积金",
        "name_en": "Housing provident fund",
        "department_zh": "嘉兴市住房公积金管理中心",
        "department_en": "Jiaxing Housing Provident Fund Centre",
        "period": "month",
        "unique": ["id_number", "month"],
        "columns": [
            *_person_columns(),
            _month_column(),
            _column(
                "item",
                CODE,
                "项目",
                "Item",
                target="item",
                example="contribution_base",
                codes=[_code("contribution_base", "缴存基数", "Contribution base", "wage")],
            ),
            _column(
                "amount",
                MONEY,
                "缴存基数（元）",
                "Contribution base (yuan)",
                target="amount",
                example="6200.00",
            ),
            _column(
                "balance",
                MONEY,
                "账户余额（元）",
                "Account balance (yuan)",
                required=False,
                example="18000.00",
            ),
        ],
    },
    {
        "code": "unemployment",
        "kind": "unemployment",
        "name_zh": "失业保险金",
        "name_en": "Unemployment benefit",
        "department_zh": "嘉兴市人力资源和社会保障局",
        "department_en": "Jiaxing Human Resources and Social Security Bureau",
        "period": "month",
        "unique": ["id_number", "month"],
        "columns": [
            *_person_columns(),
            _month_column(),
            _column(
                "item",
                CODE,
                "项目",
                "Item",
                target="item",
                example="unemployment_benefit",
                codes=[
                    _code("unemployment_benefit", "失业保险金", "Unemployment benefit", "transfer")
                ],
            ),
            _column(
                "amount",
                MONEY,
                "发放金额（元）",
                "Amount paid (yuan)",
                target="amount",
                example="2070.00",
            ),
        ],
    },
    {
        "code": "death",
        "kind": "death",
        "name_zh": "死亡登记",
        "name_en": "Deaths",
        "department_zh": "嘉兴市公安局（户政）、市卫生健康委员会",
        "department_en": (
            "Jiaxing Public Security Bureau (household registration) and Health Commission"
        ),
        "period": "date",
        "unique": ["id_number"],
        "columns": [
            *_person_columns(),
            _column(
                "death_date",
                DATE,
                "死亡日期",
                "Date of death",
                target="period",
                example="2025-08-14",
            ),
            _column(
                "evidence",
                CODE,
                "信息来源",
                "Evidence",
                target="item",
                example="medical_certificate",
                codes=[
                    _code("medical_certificate", "医学死亡证明", "Medical death certificate"),
                    _code("household_cancellation", "户籍注销", "Household registration cancelled"),
                    _code("cremation", "火化记录", "Cremation record"),
                ],
            ),
        ],
    },
    {
        "code": "hukou_change",
        "kind": "hukou_change",
        "name_zh": "户籍变动",
        "name_en": "Household-registration changes",
        "department_zh": "嘉兴市公安局（户政）",
        "department_en": "Jiaxing Public Security Bureau (household registration)",
        "period": "date",
        "unique": ["id_number", "change", "changed_on"],
        "columns": [
            *_person_columns(),
            _column(
                "change",
                CODE,
                "变动类型",
                "Change",
                target="item",
                example="move_out",
                codes=[
                    _code("move_in", "迁入", "Moved in"),
                    _code("move_out", "迁出", "Moved out"),
                    _code("birth", "出生登记", "Birth registered"),
                    _code("cancelled", "注销", "Registration cancelled"),
                ],
            ),
            _column(
                "changed_on",
                DATE,
                "变动日期",
                "Date of change",
                target="period",
                example="2025-05-20",
            ),
            _column(
                "region_code",
                TEXT,
                "迁入或迁出地区划代码",
                "Region code moved to or from",
                target="reference",
                required=False,
                example="330411105",
                max_length=12,
            ),
        ],
    },
]


def sources_by_code() -> dict[str, dict[str, Any]]:
    return {source["code"]: source for source in SOURCES}
