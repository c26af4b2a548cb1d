"""Forms of the appointment pages: they collect text; shenpi.appointments.services judges it."""

from __future__ import annotations

from django import forms

from shenpi.catalog.models import Item, ItemVersion

from . import services


class BookingForm(forms.Form):
    slot = forms.IntegerField(label="时段", error_messages={"required": "请选择预约时段。",
                                                            "invalid": "请选择预约时段。"})
    name = forms.CharField(label="姓名", max_length=50, error_messages={"required": "请填写姓名。"})
    id_number = forms.CharField(label="身份证号码", max_length=30, error_messages={"required": "请填写身份证号码。"},
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}))
    mobile = forms.CharField(label="手机号码", max_length=20, error_messages={"required": "请填写手机号码。"},
                             help_text="预约成功后，预约号以短信发送到该号码；查询、取消预约也要用它。",
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}))
    # Checked by the service: required unless a signed-in applicant books with their verified mobile.
    code = forms.CharField(label="短信验证码", max_length=6, required=False,
                           help_text="点击“获取验证码”，把发送到上面手机号码的6位数字填在这里。",
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))

    PERSON_FIELDS = ("name", "id_number", "mobile")


class LookupForm(forms.Form):
    id_number = forms.CharField(label="身份证号码", max_length=30, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    code = forms.CharField(label="或 预约号", max_length=20, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    mobile = forms.CharField(label="预约时填写的手机号码", max_length=20,
                             error_messages={"required": "请填写预约时填写的手机号码。"},
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}))


class PublishForm(forms.Form):
    window = forms.ModelChoiceField(label="窗口", queryset=None, empty_label=None)
    item = forms.ModelChoiceField(label="事项", queryset=None, required=False, empty_label="本部门任一事项",
                                  help_text="留空：申请人预约该窗口所属部门的任一事项时都可选这些时段。")
    first = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}),
                           help_text=f"只为工作日放号（节假日、周末除外，调休上班日照常）；一次最多{services.MAX_PUBLISH_DAYS}天。")
    every = forms.IntegerField(label="每个时段(分钟)", initial=30, min_value=services.MIN_EVERY,
                               max_value=services.MAX_EVERY)
    capacity = forms.IntegerField(label="每个时段可预约人数", initial=2, min_value=1, max_value=services.MAX_CAPACITY)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        windows = services.managed_windows(user)
        self.fields["window"].queryset = windows
        self.fields["item"].queryset = (
            Item.objects.filter(ItemVersion.published_through("versions__"),
                                department__in=windows.values("department"))
            .annotate(current_name=services._current_name()).distinct().order_by("code"))
        self.fields["item"].label_from_instance = lambda item: f"{item.code} {item.current_name}"
