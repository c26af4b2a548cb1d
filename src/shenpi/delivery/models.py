"""Delivery of results (送达, 行政许可法第四十四条): within 10 working days of the decision, at the window
(pickup recorded with the receiver's identity), by post (a waybill tracked through the courier), or
electronically (the e-licence pushed to the holder). 办结 means delivered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from shenpi.crypto import EncryptedCharField


class Delivery(models.Model):
    class Method(models.TextChoices):
        WINDOW = "window", "窗口领取"
        POST = "post", "邮寄送达"
        ELECTRONIC = "electronic", "电子送达"

    class Status(models.TextChoices):
        DISPATCHED = "dispatched", "已寄出"
        DELIVERED = "delivered", "已送达"
        RETURNED = "returned", "退回"

    case = models.ForeignKey("cases.Case", models.PROTECT, related_name="deliveries", verbose_name="办件")
    method = models.CharField("送达方式", max_length=10, choices=Method.choices)
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    due = models.DateField("送达期限")
    # The receiver: at the window the person who collected it (the applicant or an agent), by post the
    # addressee; their ID number is personal data, encrypted like the applicant's.
    receiver_name = models.CharField("领取人/收件人", max_length=100, blank=True)
    receiver_id = EncryptedCharField("领取人证件号码", blank=True)
    receiver_id_masked = models.CharField("证件号码(脱敏)", max_length=24, blank=True)
    receiver_phone = EncryptedCharField("联系电话", blank=True)
    address = EncryptedCharField("邮寄地址", blank=True)
    courier = models.CharField("快递公司", max_length=40, blank=True)
    waybill = models.CharField("运单号", max_length=40, blank=True, db_index=True)
    tracking = models.JSONField("物流轨迹", default=list, blank=True)
    licence = models.ForeignKey("licences.Licence", models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name="电子证照")
    dispatched_at = models.DateTimeField("寄出/推送时间", null=True, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="经办人")
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "送达"
        ordering = ["-pk"]
        indexes = [models.Index(fields=["due"], name="delivery_in_transit", condition=models.Q(status="dispatched"))]

    def __str__(self):
        return f"{self.case} {self.get_method_display()}"
