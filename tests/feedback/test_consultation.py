"""咨询: anyone asks about an item, its department answers, published answers form a searchable FAQ."""

import pytest
from django.test import Client, override_settings

from shenpi.errors import Forbidden, InvalidInput
from shenpi.feedback import services
from shenpi.feedback.models import Question


def ask(world, text="施工许可需要提交哪些图纸材料？", ip="10.0.0.1", **kw):
    return Client().post(f"/consult/{world.item.code}/", {"question": text, **kw}, REMOTE_ADDR=ip)


def test_a_question_goes_to_the_items_department_and_the_answer_is_published_into_the_faq(world):
    response = ask(world, name="张三", contact="13812345678")
    assert response.status_code == 200 and "您的咨询已提交" in response.content.decode()
    question = Question.objects.get()
    assert question.department == world.dept and question.name == "张三" and question.contact == "13812345678"
    assert question.question not in Client().get(f"/consult/{world.item.code}/").content.decode()

    services.answer_question(question, actor=world.people["liaison"], answer="需提交施工图设计文件审查合格书。")
    page = Client().get(f"/consult/{world.item.code}/").content.decode()
    assert "施工图设计文件审查合格书" not in page  # answered, not yet published

    services.set_published(question, actor=world.people["liaison"], published=True)
    page = Client().get(f"/consult/{world.item.code}/").content.decode()
    assert "施工许可需要提交哪些图纸材料" in page and "施工图设计文件审查合格书" in page
    assert "13812345678" not in page  # the contact is never public


def test_faq_search_by_keyword_in_question_or_answer(world):
    liaison = world.people["liaison"]
    for text, answer in (("施工许可要多久才能办好？", "承诺10个工作日办结。"),
                         ("可以网上申报吗？", "可以，全程网办，无需到窗口。")):
        q = services.ask(world.item, question=text)
        services.answer_question(q, actor=liaison, answer=answer, publish=True)
    assert [q.question for q in services.faq(world.item, "网办")] == ["可以网上申报吗？"]
    assert [q.question for q in services.faq(world.item, "多久")] == ["施工许可要多久才能办好？"]
    assert services.faq(world.item, "不存在的词").count() == 0
    page = Client().get(f"/consult/{world.item.code}/", {"q": "网办"}).content.decode()
    assert "可以网上申报吗" in page and "要多久" not in page
    index = Client().get("/consult/", {"q": "多久"}).content.decode()
    assert "施工许可要多久才能办好" in index


def test_an_unanswered_question_cannot_be_published_and_another_department_cannot_answer(world):
    question = services.ask(world.item, question="施工许可证遗失怎么补办？")
    with pytest.raises(InvalidInput):
        services.set_published(question, actor=world.people["liaison"], published=True)
    with pytest.raises(Forbidden):
        services.answer_question(question, actor=world.others["liaison"], answer="不归我们管。")
    with pytest.raises(Forbidden):  # a window clerk of the department does not answer for it
        services.answer_question(question, actor=world.people["clerk"], answer="请咨询科室。")
    assert not Question.objects.filter(answered_at__isnull=False).exists()


def test_staff_pages_show_only_the_departments_questions_and_answer_with_publishing(world):
    question = services.ask(world.item, question="施工许可证遗失怎么补办？")
    own, other = world.client(world.people["handler"]), world.client(world.others["liaison"])
    assert "施工许可证遗失怎么补办" in own.get("/workbench/feedback/questions/").content.decode()
    assert "施工许可证遗失怎么补办" not in other.get("/workbench/feedback/questions/").content.decode()
    assert other.get(f"/workbench/feedback/questions/{question.pk}/").status_code == 404
    response = own.post(f"/workbench/feedback/questions/{question.pk}/",
                        {"action": "answer", "answer": "登报声明后到窗口补办。", "publish": "1"})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.published and question.answered_by == world.people["handler"]
    assert world.client(world.people["clerk"]).get("/workbench/feedback/questions/").status_code == 403


@override_settings(FEEDBACK_POSTS_PER_HOUR=3)
def test_questions_are_rate_limited_per_address(world):
    for _ in range(3):
        assert ask(world).status_code == 200
    refused = ask(world)
    assert refused.status_code == 403 and "提交过于频繁" in refused.content.decode()
    assert ask(world, ip="10.0.0.2").status_code == 200
    assert Question.objects.count() == 4


def test_an_empty_question_is_refused_with_a_message(world):
    response = ask(world, text="  ")
    assert response.status_code == 400 and "请填写咨询问题" in response.content.decode()
    assert Client().get("/consult/NOPE/").status_code == 404


def test_user_text_is_shown_as_text(world):
    question = services.ask(world.item, question="<script>alert(1)</script>怎么办？")
    services.answer_question(question, actor=world.people["liaison"], answer="<b>加粗</b>", publish=True)
    page = Client().get(f"/consult/{world.item.code}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page and "<b>加粗</b>" not in page
