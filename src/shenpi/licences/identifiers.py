"""电子证照标识 (GB/T 36904): the identifier that names an e-licence in every system that holds it.

The standard builds the identifier from the e-licence root code, the licence type code, the code of
the issuing authority, a serial number, a version and a check character, separated by dots:

    1.2.156.3005.2 . 11100000MB0000000X001 . 11100000MB0000001Y . 2026000123 . 001 . K
    root code        type code               issuing authority    serial       version check

- the root code is the OID the national e-licence system registered (fixed here);
- the type code is the template's (CertificateTemplate.type_code) with separators dropped: the
  defining authority's unified social credit code and a three-digit type number;
- the issuing authority is the department's code (its unified social credit code where the
  catalogue records one) in upper case, letters and digits only;
- the serial is the licence's own number in the issuing authority (letters and digits);
- the version starts at 001 and counts re-issues (换发) of the same serial;
- the check character is ISO/IEC 7064 MOD 37-2 (a pure system: prime modulus 37, weights powers of
  2) over everything before it, dots included, which catches any one changed character and any two
  neighbouring characters swapped, a dot and a digit as well.

`new_identifier` is what 制证 calls; `check_identifier` is what a citation, the API and the library
search use to refuse a mistyped or altered identifier before looking it up.
"""

from __future__ import annotations

import re

ROOT = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CHECK_ALPHABET = ALPHABET + "*"  # ISO/IEC 7064 MOD 37-2: 37 possible check characters
_VALUES = {char: value for value, char in enumerate(ALPHABET + ".")}
_PART = re.compile(r"^[0-9A-Z]+$")
_VERSION = re.compile(r"^\d{3}$")
MAX_LENGTH = 100  # Licence.identifier


def _clean(text: str) -> str:
    """Letters and digits only, upper case: "11100000MB0000000X-001" → "11100000MB0000000X001"."""
    return re.sub(r"[^0-9A-Za-z]", "", str(text or "")).upper()


def check_character(body: str) -> str:
    """ISO/IEC 7064 MOD 37-2 check character of `body` (digits 0-9, letters 10-35, and the dots that
    separate the parts valued 36, so a dot moved by one place is caught too)."""
    total = 0
    for char in body.upper():
        total = ((total + _VALUES[char]) * 2) % 37
    return CHECK_ALPHABET[(38 - total) % 37]


def issuer_code(department) -> str:
    """The issuing authority's part: the department's code, letters and digits only."""
    return _clean(getattr(department, "code", department))


def new_identifier(type_code: str, department, serial: str, version: int = 1) -> str:
    """The identifier of a licence of `type_code` issued by `department` (a catalog Department or its
    code) under `serial`; `version` counts re-issues of the same serial."""
    parts = [_clean(type_code), issuer_code(department), _clean(serial)]
    if not all(parts):
        raise ValueError("证照类型代码、发证机构代码和证照编号均不能为空。")
    if not 1 <= int(version) <= 999:
        raise ValueError("版本号应为1至999。")
    body = ".".join([ROOT, *parts, f"{int(version):03d}"])
    identifier = f"{body}.{check_character(body)}"
    if len(identifier) > MAX_LENGTH:
        raise ValueError(f"电子证照标识超过{MAX_LENGTH}个字符。")
    return identifier


def split_identifier(text: str) -> dict[str, str]:
    """The named parts of a well-formed identifier (call check_identifier first)."""
    rest = text.strip().upper()[len(ROOT) + 1:]
    type_code, issuer, serial, version, check = rest.split(".")
    return {"type_code": type_code, "issuer": issuer, "serial": serial, "version": version, "check": check}


def check_identifier(text: str) -> str:
    """Why `text` is not a well-formed identifier, or "" when it is."""
    text = str(text or "").strip().upper()
    if not text:
        return "请填写电子证照标识。"
    if len(text) > MAX_LENGTH:
        return f"电子证照标识不超过{MAX_LENGTH}个字符。"
    if not text.startswith(ROOT + "."):
        return f"电子证照标识应以根代码 {ROOT} 开头。"
    parts = text[len(ROOT) + 1:].split(".")
    if len(parts) != 5:
        return "电子证照标识应由根代码、证照类型代码、发证机构代码、证照编号、版本号和校验位组成。"
    type_code, issuer, serial, version, check = parts
    if not all(_PART.match(p) for p in (type_code, issuer, serial)):
        return "证照类型代码、发证机构代码和证照编号只能由数字和大写字母组成。"
    if not _VERSION.match(version) or version == "000":
        return "版本号应为三位数字（001起）。"
    if len(check) != 1 or check not in CHECK_ALPHABET:
        return "校验位应为一位数字、大写字母或“*”。"
    if check_character(text[:-2]) != check:
        return "电子证照标识校验位不符，请核对是否输错。"
    return ""
