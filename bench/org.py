"""The bench's own small builders: a department with staff, an item with a flow, applicants.

Deliberately independent of tests/: benchmarks must keep running whatever the tests do.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from shenpi.accounts import identifiers
from shenpi.accounts.models import Role, User
from shenpi.catalog.models import Department, FlowStep, Item, ItemVersion, MaterialSpec, Window

# (name, role) of the three approval steps every bench item runs: 审查 → 审核 → 审批.
FLOW = (("审查", Role.HANDLER), ("审核", Role.REVIEWER), ("审批", Role.APPROVER))
MATERIALS = ("申请表", "营业执照或身份证明", "场地证明材料", "其他补充材料")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
# Administrative division codes of a few real districts, for plausible ID numbers.
DIVISIONS = ("110105", "310104", "440305", "330106", "510107", "420106", "320102", "350102")


@dataclass
class Office:
    """One department with a window and one person per role, and one published item."""

    department: Department
    window: Window
    people: dict[str, User]
    item: Item

    @property
    def material_ids(self) -> list[int]:
        return list(self.item.current_version().materials.values_list("pk", flat=True))


def make_user(department: Department | None, role: str, username: str, full_name: str,
              window: Window | None = None) -> User:
    # Passwords are never used by the bench: an unusable one spares the Argon2 hashing.
    user = User(username=username, department=department, full_name=full_name, window=window)
    user.set_unusable_password()
    user.save()
    user.roles.set([role])
    return user


def make_item(department: Department, code: str, name: str, promised: int = 10, statutory: int = 20,
              step_departments: tuple[Department | None, ...] = (None, None, None)) -> Item:
    item = Item.objects.create(code=code, department=department)
    version = ItemVersion.objects.create(
        item=item, number=1, status=ItemVersion.Status.PUBLISHED, name=name, legal_basis="《行政许可法》",
        promised_limit=promised, statutory_limit=statutory, result_name=f"{name}决定书")
    for seq, ((step_name, role), step_department) in enumerate(zip(FLOW, step_departments, strict=True), 1):
        FlowStep.objects.create(version=version, seq=seq, name=step_name, role_id=role, department=step_department)
    for seq, material in enumerate(MATERIALS, 1):
        MaterialSpec.objects.create(version=version, seq=seq, name=material, required=seq < len(MATERIALS))
    return item


def make_office(code: str = "BENCH01", name: str = "市场监督管理局") -> Office:
    department = Department.objects.create(code=code, name=name)
    window = Window.objects.create(department=department, number=f"{code}-W1", name="综合窗口")
    people = {
        role: make_user(department, role, f"{code.lower()}_{role}", f"{Role.NAMES[role]}甲",
                        window=window if role == Role.CLERK else None)
        for role in (Role.CLERK, Role.HANDLER, Role.REVIEWER, Role.APPROVER)
    }
    item = make_item(department, f"{code}-ITEM1", "食品经营许可")
    return Office(department, window, people, item)


def person_id(rng: random.Random) -> str:
    """A valid resident ID number (GB 11643) with a random birth date and sequence."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
    first17 = f"{rng.choice(DIVISIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + identifiers.id_number_check_digit(first17)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
