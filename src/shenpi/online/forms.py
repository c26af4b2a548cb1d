"""The online application form; completeness is checked by the services on submission."""

from django import forms

from .services import CONTACT_MAX, TEXT_MAX, TITLE_MAX


class ApplicationForm(forms.Form):
    title = forms.CharField(label="申请事项/项目名称", max_length=TITLE_MAX, required=False,
                            help_text="例如建设项目名称、店铺名称；提交时必填。")
    contact_name = forms.CharField(label="联系人", max_length=CONTACT_MAX, required=False)
    description = forms.CharField(label="申请说明", max_length=TEXT_MAX, required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text="需要向窗口说明的情况（选填）。")
    deferral_commitment = forms.BooleanField(
        label="容缺受理承诺", required=False,
        help_text="本人（单位）承诺：未上传的可容缺材料，受理后在办事指南规定的期限内补交，并对其真实性负责。")

    def __init__(self, *args, person: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if person:
            del self.fields["contact_name"]
