"""Window appointments (预约): time slots a window publishes and the bookings applicants make.

A slot counts its own bookings (`booked`), moved only by conditional UPDATEs in the booking and
cancelling transactions, and the database refuses `booked > capacity`: the slot can never be
overbooked, whatever the number of people booking at once.
"""

from django.db import models
from django.db.models import F, Q

from shenpi.crypto import EncryptedCharField


class Slot(models.Model):
    window = models.ForeignKey("catalog.Window", models.PROTECT, related_name="slots", verbose_name="窗口")
    item = models.ForeignKey("catalog.Item", models.PROTECT, null=True, blank=True, related_name="slots",
                             verbose_name="事项", help_text="留空表示该窗口所属部门的任一事项。")
    start = models.DateTimeField("开始时间", db_index=True)
    end = models.DateTimeField("结束时间")
    capacity = models.PositiveSmallIntegerField("可预约人数")
    booked = models.PositiveSmallIntegerField("已预约人数", default=0)
    published_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name="发布人")
    published_at = models.DateTimeField("发布时间")

    class Meta:
        verbose_name = verbose_name_plural = "预约时段"
        ordering = ["start", "window"]
        constraints = [
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="slot_not_overbooked"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_ends_after_start"),
            # NULL never equals NULL in a unique index: the "any item" slots need their own constraint.
            models.UniqueConstraint(fields=["window", "item", "start"], condition=Q(item__isnull=False),
                                    name="unique_slot_window_item_start"),
            models.UniqueConstraint(fields=["window", "start"], condition=Q(item__isnull=True),
                                    name="unique_slot_window_any_item_start"),
        ]

    def __str__(self):
        return f"{self.window} {self.start:%Y-%m-%d %H:%M}"

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.booked, 0)


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "已预约"
        CANCELLED = "cancelled", "已取消"
        ATTENDED = "attended", "已到场"
        NO_SHOW = "no_show", "未到场"

    code = models.CharField("预约号", max_length=16, unique=True)
    slot = models.ForeignKey(Slot, models.PROTECT, related_name="bookings", verbose_name="时段")
    # Copied from the slot: the one-booking-a-day rule is a unique index over these columns.
    window = models.ForeignKey("catalog.Window", models.PROTECT, related_name="bookings", verbose_name="窗口")
    day = models.DateField("预约日期")
    item = models.ForeignKey("catalog.Item", models.PROTECT, related_name="bookings", verbose_name="事项")
    item_name = models.CharField("事项名称", max_length=200)
    applicant_name = models.CharField("申请人姓名", max_length=50)
    id_number = EncryptedCharField("身份证号码")
    id_index = models.CharField("身份证号码索引", max_length=64, db_index=True)
    id_masked = models.CharField("身份证号码(脱敏)", max_length=24)
    mobile = EncryptedCharField("手机号码")
    mobile_index = models.CharField("手机号码索引", max_length=64)
    mobile_masked = models.CharField("手机号码(脱敏)", max_length=20)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField("预约时间")
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    marked_at = models.DateTimeField("到场登记时间", null=True, blank=True)
    marked_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name="登记人")

    class Meta:
        verbose_name = verbose_name_plural = "预约"
        ordering = ["slot__start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["id_index", "window", "day"], condition=Q(status="booked"),
                                    name="one_booking_per_person_window_day"),
        ]
        indexes = [models.Index(fields=["window", "day"], name="booking_window_day")]

    def __str__(self):
        return f"{self.code} {self.applicant_name}"
