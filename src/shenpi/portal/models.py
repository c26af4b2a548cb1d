"""What the guide search keeps besides the catalogue: the administrators' synonym dictionary and
the pinyin keys of published item names (shenpi.portal.searchwords uses both)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models

from shenpi.catalog.models import ItemVersion

# Meanings are written one a line; 、 and ； also separate them, as people list words in Chinese.
_MEANING_SPLIT = re.compile(r"[\n\r、；;]+")


class SearchSynonym(models.Model):
    """同义词/简称词典: what people type (环评, 社保, 施工证) and what the catalogue calls it."""

    term = models.CharField("群众输入的词", max_length=50, unique=True,
                            help_text="简称、俗称、常见说法或错别字，如：环评、社保、营业执照、施工证。")
    meanings = models.TextField(
        "对应的事项名称或关键词",
        help_text="每行一个（也可用“、”分隔），写事项名称或其中的关键词，如：环境影响评价。"
                  "一行中用空格分开的几个词须同时出现在事项中，如：砍伐 树木。")
    enabled = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "搜索同义词"
        ordering = ["term"]

    def __str__(self):
        return f"{self.term} → {'、'.join(self.meaning_list())}"

    def meaning_list(self) -> list[str]:
        return [m.strip() for m in _MEANING_SPLIT.split(self.meanings) if m.strip()]

    def clean(self):
        self.term = self.term.strip()
        errors = {}
        if not self.term:
            errors["term"] = "请填写群众输入的词。"
        meanings = self.meaning_list()
        if not meanings:
            errors["meanings"] = "至少填写一个对应的事项名称或关键词。"
        elif self.term and any(m == self.term for m in meanings):
            errors["meanings"] = "对应的词不能与输入的词相同。"
        if errors:
            raise ValidationError(errors)


class GuideSearchKey(models.Model):
    """The pinyin of a published version's name, made once: sgxk and shigongxuke find 施工许可.

    Published versions do not change, so a key stays right; `name` is the name it was made from,
    which lets the search see a key that no longer fits and make it again.
    """

    version = models.OneToOneField(ItemVersion, models.CASCADE, primary_key=True, related_name="search_key",
                                   verbose_name="事项版本")
    name = models.CharField("事项名称", max_length=200)
    syllables = models.TextField("拼音音节")  # "jian zhu gong cheng …", non-Chinese words as written
    initials = models.CharField("拼音首字母", max_length=200)
    spelling = models.TextField("全拼")

    class Meta:
        verbose_name = verbose_name_plural = "事项拼音索引"

    def __str__(self):
        return f"{self.name} {self.initials}"
