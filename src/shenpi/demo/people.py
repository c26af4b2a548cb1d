"""People of the demo: staff accounts and their names, applicants and their identifiers.

Identifiers carry correct check digits (GB 11643 ID numbers, GB 32100 unified social credit
codes, with the GB 11714 organisation code inside), computed with shenpi.accounts.identifiers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shenpi.accounts import identifiers
from shenpi.accounts.models import Role

from .catalogue import CENTRE, CENTRE_ADDRESS, CITY, DEPARTMENTS, HALL_FLOORS, SUPERVISION

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_GIVEN_TEXT = ("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 建国 志强 海燕 晓东 文杰 "
               "雪梅 春燕 国庆 永刚 丽华 红梅 晓燕 玉兰 志明 宏伟 海涛 立新 子涵 梓萱 浩然 一诺 欣怡 宇轩 思远 佳怡 "
               "俊杰 雨桐 诗涵 博文 晨曦 嘉怡 家豪 婷婷 鹏飞 晓峰 文静 亚楠 振华 世杰 秋月 德明 卫东 保国 素芬 凤英")
GIVEN = tuple(_GIVEN_TEXT.split(" "))

# Area codes of ID numbers: mostly the (invented) city's own, some from where people come from.
HOME_AREAS = ("370281", "370282", "370283", "370211", "370212")
OTHER_AREAS = ("410523", "342401", "130104", "511002", "220105", "450102")
ORG_BRANDS = ("华盛", "鑫源", "恒通", "瑞丰", "宏达", "金鼎", "中联", "海川", "天成", "博远", "润泽", "永兴", "佳和",
              "同创", "安泰", "明德", "盛世", "聚力", "新禾", "东方", "锦程", "远航", "沃土", "正元", "嘉诚", "广源")
INDUSTRIES = {
    "fagai": ("能源科技", "新材料", "智能制造"), "zhujian": ("建设工程", "房地产开发", "建筑安装"),
    "guihua": ("置业", "房地产开发", "城市建设投资"), "guotu": ("置业", "产业园开发", "城市建设投资"),
    "huanbao": ("化工", "环保科技", "精密制造"), "renfang": ("置业", "房地产开发", "商业管理"),
    "xiaofang": ("商业管理", "酒店管理", "文化传媒"), "shuili": ("水务", "生物科技", "食品"),
    "shichang": ("贸易", "餐饮管理", "食品", "医药连锁", "科技", "电子商务"), "shuiwu": ("贸易", "科技", "物流"),
    "shangwu": ("石油销售", "商贸", "再生资源回收"), "gongan": ("酒店管理", "文化传播", "会展服务"),
    "wenlv": ("文化娱乐", "国际旅行社", "演艺", "网络科技"), "jiaotong": ("物流", "运输", "客运"),
    "weijian": ("医院", "健康管理", "口腔门诊部"), "jiaoyu": ("培训学校", "教育科技", "幼儿园"),
    "minzheng": ("养老服务中心", "社会工作服务中心", "行业协会"), "renshe": ("人力资源", "劳务派遣", "制造"),
    "nongye": ("农资", "种业", "生态养殖"), "chengguan": ("广告传媒", "渣土运输", "市政工程"),
}
PROJECT_KINDS = ("住宅项目", "商业综合体项目", "标准厂房项目", "物流园项目", "学校建设工程", "道路改造工程",
                 "安置房项目", "医院综合楼工程", "污水处理厂提标改造工程", "产业园一期工程")
PLACES = ("滨河新城", "高新区", "城东片区", "临港产业园", "青山路", "东湖片区", "柳林", "桃源", "经济开发区", "老城区")


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def id_number(rng: random.Random, home: bool = True) -> str:
    """A resident ID number with a correct GB 11643 check digit."""
    area = rng.choice(HOME_AREAS if home else OTHER_AREAS)
    year = rng.randint(1956, 2005)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    first17 = f"{area}{year:04d}{month:02d}{day:02d}{rng.randint(1, 999):03d}"
    return first17 + identifiers.id_number_check_digit(first17)


def organisation_code(rng: random.Random) -> str:
    """A GB 11714 organisation code (8 digits and its check character), as embedded in a USCC."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    remainder = 11 - sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(remainder, str(remainder))


def uscc(rng: random.Random, registrar: str = "91") -> str:
    """A unified social credit code with a correct GB 32100 check character.

    registrar: 91 enterprise (市场监管), 92 individual business, 52 民办非企业单位, 51 社会团体.
    """
    first17 = registrar + rng.choice(HOME_AREAS) + organisation_code(rng)
    return first17 + identifiers.uscc_check_character(first17)


def mobile(rng: random.Random) -> str:
    return "1" + rng.choice("3578") + rng.choice("0123456789") + f"{rng.randint(0, 10**8 - 1):08d}"


def organisation_name(rng: random.Random, dept_slug: str, city: str) -> str:
    industry = rng.choice(INDUSTRIES.get(dept_slug, ("科技", "贸易", "服务")))
    suffix = "" if industry.endswith(("中心", "协会", "医院", "幼儿园", "学校", "门诊部")) else "有限公司"
    return f"{city}{rng.choice(ORG_BRANDS)}{industry}{suffix}"


def project_title(rng: random.Random) -> str:
    block = f"{rng.choice('ABCDEFGH')}-{rng.randint(1, 40):02d}地块"
    return f"{rng.choice(PLACES)}{block}{rng.choice(PROJECT_KINDS)}"


# -- staff accounts -------------------------------------------------------------------------------

STEP_ROLES = (Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.APPROVER, Role.LIAISON)
# Busy departments get a second person in some roles, so assignment to the least loaded shows.
SECOND = {"shichang": (Role.CLERK, Role.HANDLER), "zhujian": (Role.HANDLER,), "gongan": (Role.CLERK,),
          "guotu": (Role.HANDLER,)}
# The short accounts a demonstration logs in with: 住建局's people, a supervisor and the administrator.
PERSONAS = {Role.CLERK: "zhujian", Role.HANDLER: "zhujian", Role.REVIEWER: "zhujian", Role.APPROVER: "zhujian"}


@dataclass(frozen=True)
class Account:
    username: str
    dept: str | None
    role: str
    window: str | None = None
    superuser: bool = False


def window_numbers() -> dict[str, list[tuple[str, str, str]]]:
    """Windows per department: (number, name, location)."""
    result: dict[str, list[tuple[str, str, str]]] = {}
    counters: dict[str, int] = {}
    for dept in DEPARTMENTS:
        if dept.slug == CENTRE:
            result[dept.slug] = [(f"Z{n:02d}", f"综合受理{n}号窗口", f"{CENTRE_ADDRESS}一楼大厅") for n in range(1, 5)]
        elif dept.hall:
            windows = []
            for _ in range(1 + SECOND.get(dept.slug, ()).count(Role.CLERK)):
                counters[dept.hall] = counters.get(dept.hall, 0) + 1
                number = f"{dept.hall}{counters[dept.hall]:02d}"
                windows.append((number, f"{dept.short}窗口", f"{CENTRE_ADDRESS}{HALL_FLOORS[dept.hall]}"))
            result[dept.slug] = windows
        elif dept.implements:
            number = dept.code.removeprefix("SF-")[:16] + "-01"
            result[dept.slug] = [(number, f"{dept.short}综合窗口", dept.name)]
    return result


def accounts() -> list[Account]:
    """Every demo login, in a stable order (the usernames are what `demo --accounts` prints)."""
    windows = window_numbers()
    result = [Account("admin", CENTRE, Role.ADMIN, superuser=True), Account("zhongxin_admin", CENTRE, Role.ADMIN),
              Account("supervisor", SUPERVISION, Role.SUPERVISOR),
              Account("jiwei_supervisor", SUPERVISION, Role.SUPERVISOR),
              # 三权分立: the security and the audit administrator are two more people, neither an administrator.
              Account("anquan_admin", CENTRE, Role.SECURITY_ADMIN), Account("shenji_admin", CENTRE, Role.AUDIT_ADMIN)]
    centre_windows = windows[CENTRE]
    for n, (number, _, _) in enumerate(centre_windows[:3], start=1):
        result.append(Account(f"zhongxin_clerk{'' if n == 1 else n}", CENTRE, Role.CLERK, window=number))
    result.append(Account("zhongxin_liaison", CENTRE, Role.LIAISON))
    for role, slug in PERSONAS.items():
        result.append(Account(role, slug, role, window=windows[slug][0][0] if role == Role.CLERK else None))
    for dept in DEPARTMENTS:
        if not dept.implements:
            continue
        prefix = dept.slug
        dept_windows = windows[dept.slug]
        for role in STEP_ROLES:
            for n in range(1 + SECOND.get(dept.slug, ()).count(role)):
                window = dept_windows[min(n, len(dept_windows) - 1)][0] if role == Role.CLERK else None
                result.append(Account(f"{prefix}_{role}{'' if n == 0 else n + 1}", dept.slug, role, window=window))
    return result


# -- applicant accounts ---------------------------------------------------------------------------

# Fixed, whatever --seed: `demo --accounts` and `--reset-passwords` find the accounts by these identifiers.
APPLICANT_SEED = 4_2026


@dataclass(frozen=True)
class DemoApplicant:
    key: str
    kind: str  # shenpi.cases.models.ApplicantKind values
    name: str
    id_number: str
    mobile: str
    contact_name: str = ""
    # The 法定代表人's identity card, seen at the window when the account was real-name verified
    # (the identity sandbox knows the same people: src/shenpi/sandboxes/identity_records.py).
    representative_id: str = ""


def demo_applicants() -> list[DemoApplicant]:
    """The public-site logins of the demo: one resident and two companies, with verified mobiles, real-name
    verified at a window so that their window cases show under 我的办件."""
    rng = random.Random(APPLICANT_SEED)
    return [
        DemoApplicant("person", "person", "刘建华", id_number(rng), mobile(rng)),
        DemoApplicant("developer", "organisation", f"{CITY}恒通置业有限公司", uscc(rng), mobile(rng), "赵海燕",
                      "370283197604081989"),
        DemoApplicant("restaurant", "organisation", f"{CITY}鑫源餐饮管理有限公司", uscc(rng), mobile(rng), "孙丽华",
                      "370281197408186270"),
    ]
