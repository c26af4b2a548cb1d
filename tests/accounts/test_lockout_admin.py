"""The lockout records in the admin read in Chinese (django-axes ships no Chinese)."""

import re

import pytest
from django.contrib.auth import get_user_model

from tests.factories import login_staff

pytestmark = pytest.mark.django_db

ENGLISH = ["Access attempts", "Access failures", "Access logs", "Axes", "Attempt Time", "Failed Logins",
           "Username", "IP Address", "Locked Out", "Expiration", "Status", "Attempt Remaining"]


def visible_text(response) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_a_locked_account_shows_in_chinese_in_the_admin(client, settings):
    settings.LOGIN_CAPTCHA_AFTER = 10  # the lockout alone
    user_model = get_user_model()
    user_model.objects.create_user("window1", "w@example.org", "y" * 16, is_staff=True)
    for _ in range(6):
        client.post("/admin/login/?next=/admin/", {"username": "window1", "password": "wrong"})
    boss = user_model.objects.create_superuser("boss", "b@example.org", "x" * 16)
    login_staff(client, boss)
    index = visible_text(client.get("/admin/"))
    attempts = visible_text(client.get("/admin/axes/accessattempt/"))
    assert "登录失败与锁定" in index and "登录失败计数（锁定）" in index and "用户与角色" in index
    assert "window1" in attempts and "已锁定" in attempts and "失败次数" in attempts and "状态" in attempts
    for word in ENGLISH:
        assert word not in index and word not in attempts, word


def test_the_admin_login_is_throttled_like_the_staff_login(client, settings, monkeypatch):
    from shenpi.security import captcha

    monkeypatch.setattr(captcha, "ALPHABET", "A")
    user_model = get_user_model()
    user_model.objects.create_superuser("boss", "b@example.org", "x" * 16)
    for n in range(settings.LOGIN_CAPTCHA_AFTER):
        client.post("/admin/login/?next=/admin/", {"username": "boss", "password": "guess"},
                    REMOTE_ADDR=f"203.0.113.{n + 1}")
    response = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": "x" * 16})
    body = response.content.decode()
    assert "请输入图中的验证码" in body and 'name="captcha"' in body and "data:image/png;base64," in body
    assert "_auth_user_id" not in client.session
    response = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": "x" * 16,
                                                          "captcha": "AAAAA"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
