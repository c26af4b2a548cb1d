"""Licence identifiers (电子证照标识, GB/T 36904).

A minimal form until the library's own module lands: the licence type code, the issuing
department's code and the serial, so each identifier is unique and says who issued what.
"""

from __future__ import annotations


def new_identifier(licence_type_code: str, department, serial: str) -> str:
    return f"{licence_type_code}.{department.code}.{serial}"[:64]
