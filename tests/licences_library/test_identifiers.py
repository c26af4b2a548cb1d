"""电子证照标识 (GB/T 36904): what issuing produces is accepted, and a mistyped one is refused."""

from hypothesis import given, settings
from hypothesis import strategies as st

from shenpi.licences.identifiers import ALPHABET, ROOT, check_identifier, new_identifier, split_identifier

codes = st.text(alphabet=ALPHABET, min_size=1, max_size=21)
serials = st.text(alphabet=ALPHABET, min_size=1, max_size=20)
versions = st.integers(min_value=1, max_value=999)


@settings(max_examples=300, deadline=None)
@given(type_code=codes, issuer=codes, serial=serials, version=versions)
def test_an_issued_identifier_checks_and_splits_back_into_its_parts(type_code, issuer, serial, version):
    identifier = new_identifier(type_code, issuer, serial, version)
    assert identifier.startswith(ROOT + ".")
    assert check_identifier(identifier) == ""
    assert check_identifier(identifier.lower()) == ""  # typed in lower case, still the same identifier
    parts = split_identifier(identifier)
    assert (parts["type_code"], parts["issuer"], parts["serial"], parts["version"]) == (
        type_code, issuer, serial, f"{version:03d}")


@settings(max_examples=500, deadline=None)
@given(type_code=codes, issuer=codes, serial=serials, version=versions, data=st.data())
def test_any_one_changed_character_is_refused(type_code, issuer, serial, version, data):
    identifier = new_identifier(type_code, issuer, serial, version)
    position = data.draw(st.integers(min_value=0, max_value=len(identifier) - 1))
    replacement = data.draw(st.sampled_from(ALPHABET + ".-*").filter(lambda c: c != identifier[position]))
    changed = identifier[:position] + replacement + identifier[position + 1:]
    assert check_identifier(changed) != ""


@settings(max_examples=300, deadline=None)
@given(type_code=codes, issuer=codes, serial=serials, data=st.data())
def test_two_neighbouring_characters_swapped_are_refused(type_code, issuer, serial, data):
    identifier = new_identifier(type_code, issuer, serial)
    position = data.draw(st.integers(min_value=0, max_value=len(identifier) - 2))
    a, b = identifier[position], identifier[position + 1]
    if a == b:
        return
    swapped = identifier[:position] + b + a + identifier[position + 2:]
    assert check_identifier(swapped) != ""


def test_the_parts_come_from_the_template_department_and_serial():
    identifier = new_identifier("11100000MB0000000X-001", "11350100MB0001234A", "2026000001")
    assert identifier.startswith("1.2.156.3005.2.11100000MB0000000X001.11350100MB0001234A.2026000001.001.")
    assert len(identifier) <= 100


def test_messages_say_what_is_wrong():
    good = new_identifier("T001", "D001", "1")
    assert check_identifier("") == "请填写电子证照标识。"
    assert "根代码" in check_identifier("9" + good[1:])
    assert "校验位不符" in check_identifier(good[:-1] + ("0" if good[-1] != "0" else "1"))
    assert "组成" in check_identifier(good + ".1")
    assert "版本号" in check_identifier(good.replace(".001.", ".000."))
