"""The browser tests' QR reader (tests/qr.py) reads back what the platform prints."""

import pytest

from shenpi.cases.notices import qr_matrix
from tests import qr


@pytest.mark.parametrize("text", [
    "http://localhost:41235/licence/D001-2026-000001/",
    "https://zwfw.example.gov.cn/licence/1.2.156.3005.2.11100000MB0000000X001.SFSCJG.2026000123.001.K/",
    "http://127.0.0.1:40123/licence/D001-2026-000001/",  # a run of numbers and capitals: its own segments
    "12345678901234567890123",
    "证照核验 https://zwfw.example.gov.cn/licence/",
    "https://zwfw.example.gov.cn/" + "x" * 180,  # version 10, blocks of two lengths
])
def test_reads_back_what_was_encoded(text):
    assert qr.decode(qr_matrix(text)) == text


def test_a_damaged_format_is_refused():
    modules = [row[:] for row in qr_matrix("https://zwfw.example.gov.cn/licence/")]
    modules[2][8] = not modules[2][8]
    with pytest.raises(ValueError, match="format"):
        qr.decode(modules)
