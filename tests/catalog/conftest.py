import pytest

from tests import factories as f


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded form templates go to a throw-away folder, never into var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Argon2 costs seconds for the nine staff of every test; these tests are not about hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org():
    dept = f.department()
    return dept, f.staff(dept), f.item(dept)
