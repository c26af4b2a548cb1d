"""投资项目统一代码 (national investment-project code), the 2019-onwards form:

    2026-330100-47-01-012345
    year - administrative division (GB/T 2260) - industry (GB/T 4754 division) - kind - serial

The kind is 01 审批, 02 核准 or 03 备案. A code another platform issued is entered and checked; a
project registered here gets the next serial of its year and division.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shenpi.errors import InvalidInput

# ASCII digits only: \d alone also takes full-width digits (１２３), which int() reads as 123.
_FORM = re.compile(r"^(\d{4})-(\d{6})-(\d{2})-(\d{2})-(\d{6})$", re.ASCII)
FIRST_YEAR = 2019  # the code took this form with the 2019 revision of the online platform
# Provinces, autonomous regions, municipalities and SARs: the first two digits of a GB/T 2260 code.
PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                       50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82})
KINDS = {"01": "审批", "02": "核准", "03": "备案"}
# GB/T 4754-2017 divisions (大类) run from 01 (农业) to 97 (国际组织) without gaps.
INDUSTRIES = range(1, 98)


@dataclass(frozen=True)
class ProjectCode:
    year: int
    division: str
    industry: str
    kind: str
    serial: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.division}-{self.industry}-{self.kind}-{self.serial:06d}"


def problem(code: str, *, this_year: int) -> str | None:
    """What is wrong with a code, in Chinese, or None when it is well formed."""
    match = _FORM.match(code.strip())
    if not match:
        return "项目代码格式应为“年份-行政区划-行业-类型-流水号”，如 2026-330100-47-01-012345。"
    year, division, industry, kind, serial = match.groups()
    if not FIRST_YEAR <= int(year) <= this_year:
        return f"项目代码的年份应在{FIRST_YEAR}至{this_year}年之间。"
    if int(division[:2]) not in PROVINCES:
        return f"项目代码的行政区划代码“{division}”不是有效的省级区划开头。"
    if int(industry) not in INDUSTRIES:
        return f"项目代码的行业代码“{industry}”不是国民经济行业分类的大类代码（01至97）。"
    if kind not in KINDS:
        return f"项目代码的类型“{kind}”应为01（审批）、02（核准）或03（备案）。"
    if int(serial) == 0:
        return "项目代码的流水号不能为000000。"
    return None


def parse(code: str, *, this_year: int, field: str = "code") -> ProjectCode:
    """The parts of a valid code, or InvalidInput naming `field`."""
    message = problem(code, this_year=this_year)
    if message:
        raise InvalidInput(message, {field: [message]})
    year, division, industry, kind, serial = _FORM.match(code.strip()).groups()
    return ProjectCode(int(year), division, industry, kind, int(serial))


def prefix(year: int, division: str) -> str:
    return f"{year:04d}-{division}-"


def serial_of(code: str) -> int:
    return int(code.rsplit("-", 1)[1])
