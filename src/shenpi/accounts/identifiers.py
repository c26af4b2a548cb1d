"""Identifier check digits: citizen ID numbers (GB 11643) and unified social credit codes (GB 32100)."""

import datetime as dt
import re

from shenpi import clock

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"^[1-9]\d{16}[\dX]$")

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class IdentifierError(ValueError):
    """The message is shown to the person who typed the identifier."""


def normalise(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def id_number_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> str:
    """A valid 18-character resident ID number, normalised; IdentifierError says what is wrong."""
    number = normalise(value)
    if len(number) != 18:
        raise IdentifierError("身份证号码应为18位。")
    if not _ID_PATTERN.match(number):
        raise IdentifierError("身份证号码格式不正确：前17位应为数字，最后一位为数字或X。")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError("身份证号码中的出生日期不存在。") from None
    if birth.year < 1900 or birth > clock.today():
        raise IdentifierError("身份证号码中的出生日期不合理。")
    if id_number_check_digit(number[:17]) != number[17]:
        raise IdentifierError("身份证号码校验位不正确，请核对。")
    return number


def uscc_check_character(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """A valid unified social credit code, normalised; IdentifierError says what is wrong."""
    code = normalise(value)
    if len(code) != 18:
        raise IdentifierError("统一社会信用代码应为18位。")
    if not _USCC_PATTERN.match(code):
        raise IdentifierError("统一社会信用代码含有不允许的字符（不使用I、O、Z、S、V），或第3-8位不是行政区划数字。")
    if uscc_check_character(code[:17]) != code[17]:
        raise IdentifierError("统一社会信用代码校验位不正确，请核对。")
    return code


def mask_id(value: str) -> str:
    """110105********002X: the national privacy convention for public pages."""
    value = normalise(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else value


def mask_phone(value: str) -> str:
    value = (value or "").strip()
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else value


def mask_name(value: str) -> str:
    value = (value or "").strip()
    if len(value) <= 1:
        return value
    return value[0] + "*" * (len(value) - 1) if len(value) <= 3 else value[:2] + "*" * (len(value) - 2)


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def validate_mobile(value: str) -> str:
    number = (value or "").strip().replace(" ", "").replace("-", "")
    if not _MOBILE.match(number):
        raise IdentifierError("手机号码应为以1开头的11位数字。")
    return number
