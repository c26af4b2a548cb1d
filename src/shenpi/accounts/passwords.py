"""The password policy of staff and applicants alike: length, character classes, no reuse of the last five.

Django runs these validators wherever a password is chosen (applicant registration and reset, the
admin's password forms, `changepassword`); `remember()` keeps the hash of each new password, called
by the `post_save` signal of the user model whenever `set_password()` was used (shenpi.accounts.apps).
"""

from __future__ import annotations

import string

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from shenpi import clock

HISTORY = 5  # a new password may not be any of the last five

_CLASSES = (
    ("大写字母", lambda c: c in string.ascii_uppercase),
    ("小写字母", lambda c: c in string.ascii_lowercase),
    ("数字", str.isdigit),
    ("符号", lambda c: not c.isalnum() and not c.isspace()),
)


class LengthValidator:
    def __init__(self, min_length: int = 12):
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(f"密码至少{self.min_length}位，当前只有{len(password)}位。",
                                  code="password_too_short")

    def get_help_text(self) -> str:
        return f"密码至少{self.min_length}位。"


class CharacterClassesValidator:
    """At least `min_classes` of upper case, lower case, digits and symbols (Chinese characters count
    as none of them: they add length, not classes)."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        present = [name for name, test in _CLASSES if any(test(c) for c in password)]
        if len(present) < self.min_classes:
            missing = "、".join(name for name, _ in _CLASSES if name not in present)
            raise ValidationError(f"密码须包含大写字母、小写字母、数字、符号中的至少{self.min_classes}类，"
                                  f"当前缺少：{missing}。", code="password_too_simple")

    def get_help_text(self) -> str:
        return f"须包含大写字母、小写字母、数字、符号中的至少{self.min_classes}类。"


class HistoryValidator:
    """Not the current password nor one of the last `count` (their hashes in PasswordHistory)."""

    def __init__(self, count: int = HISTORY):
        self.count = count

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        from .models import PasswordHistory

        hashes = [user.password] if user.password else []
        hashes += PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk") \
            .values_list("password", flat=True)[: self.count]
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(f"新密码不能与最近{self.count}次使用过的密码相同。", code="password_reused")

    def get_help_text(self) -> str:
        return f"不能与最近{self.count}次使用过的密码相同。"


def remember(user) -> None:
    """Keep the hash of the user's new password; older entries than the policy needs are deleted."""
    from .models import PasswordHistory

    if not user.password or not user.has_usable_password():
        return
    PasswordHistory.objects.create(user=user, password=user.password, created_at=clock.now())
    keep = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk") \
        .values_list("pk", flat=True)[:_kept()]
    PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep)).delete()


def _kept() -> int:
    counts = [v.get("OPTIONS", {}).get("count", HISTORY) for v in settings.AUTH_PASSWORD_VALIDATORS
              if v["NAME"].endswith(".HistoryValidator")]
    return max(counts or [HISTORY])


def validate_except_history(password: str, user=None) -> None:
    """Every rule but the history: what may be said before the person has proved who they are (a reset
    must not tell a stranger which passwords the account has had)."""
    from django.contrib.auth.password_validation import get_default_password_validators, validate_password

    rules = [v for v in get_default_password_validators() if not isinstance(v, HistoryValidator)]
    validate_password(password, user, rules)


def validate_history(password: str, user) -> None:
    from django.contrib.auth.password_validation import get_default_password_validators, validate_password

    validate_password(password, user, [v for v in get_default_password_validators() if isinstance(v, HistoryValidator)])
