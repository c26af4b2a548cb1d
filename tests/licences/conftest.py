import pytest

from shenpi.cases import services
from shenpi.licences import issue, keys
from shenpi.licences.models import CertificateTemplate
from tests import factories as f


@pytest.fixture
def key_dir(settings, tmp_path):
    """Keys and uploads of each test in its own folder, outside the repository."""
    settings.LICENCE_KEY_DIR = tmp_path / "keys"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "https://zwfw.example.gov.cn"
    return settings.LICENCE_KEY_DIR


@pytest.fixture
def office(db, key_dir):
    dept = f.department(name="示范市住房和城乡建设局")
    people = f.staff(dept)
    it = f.item(dept)
    CertificateTemplate.objects.create(
        item=it, title="建筑工程施工许可证", type_code="11100000000000000X-001", validity_years=3,
        fields=[{"label": "工程名称", "source": "case.title"}, {"label": "办件编号", "source": "case.number"},
                {"label": "批准日期", "source": "decision.date"}], footer="本证为电子证照，与纸质证照具有同等法律效力")
    keys.generate(dept)
    return dept, people, it


def granted(people, it, title="示范小区1号楼"):
    case = services.perform(f.receive(people["clerk"], it, title=title), "accept", actor=people["clerk"])
    for role in ("handler", "reviewer", "approver"):
        case = services.perform(case, "pass", actor=people[role])
    return services.perform(case, "grant", actor=people["approver"])


@pytest.fixture
def licence(office):
    dept, people, it = office
    return issue.issue(granted(people, it), people["approver"])


def pdf_bytes(licence) -> bytes:
    with licence.pdf.open("rb") as stream:
        return stream.read()
