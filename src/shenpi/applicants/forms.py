"""The applicant account forms. They only gather the input: the services check it and say what is wrong."""

from django import forms

from shenpi.cases.models import ApplicantKind
from shenpi.errors import ServiceError

from .models import Role
from .services import CODE_DIGITS


def _text(label: str, max_length: int, **attrs) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, widget=forms.TextInput(attrs=attrs))


def _password(label: str, autocomplete: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=128, strip=False,
                           widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}))


def put_errors(form: forms.Form, error: ServiceError) -> None:
    """A service's field errors onto the form's fields; the rest onto the form itself."""
    placed = False
    for field, messages in error.fields.items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
            else:
                form.add_error(None, message)
                placed = True
    if not placed:
        form.add_error(None, error.message)


class RegisterForm(forms.Form):
    name = _text("姓名", 100, autocomplete="name")
    id_number = _text("居民身份证号码", 18, autocomplete="off", spellcheck="false")
    contact_name = _text("联系人", 50, autocomplete="name")
    mobile = _text("手机号码", 20, autocomplete="tel", inputmode="numeric")
    password = _password("登录密码", "new-password")
    password2 = _password("确认密码", "new-password")

    def __init__(self, *args, kind: str = ApplicantKind.PERSON, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["password"].help_text = ("至少12位，包含大写字母、小写字母、数字、符号中的至少3类，"
                                             "不能与姓名或证件号码相近。")
        if kind == ApplicantKind.ORGANISATION:
            self.fields["name"].label = "单位名称"
            self.fields["name"].widget.attrs["autocomplete"] = "organization"
            self.fields["id_number"].label = "统一社会信用代码"
            self.fields["contact_name"].help_text = "负责办理申请事项的经办人。"
        else:
            del self.fields["contact_name"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password2") and cleaned["password"] != cleaned["password2"]:
            self.add_error("password2", "两次输入的密码不一致。")
        return cleaned


class CodeForm(forms.Form):
    code = _text("短信验证码", CODE_DIGITS, autocomplete="one-time-code", inputmode="numeric")


class LoginForm(forms.Form):
    identifier = _text("身份证号码 / 统一社会信用代码", 18, autocomplete="username", spellcheck="false")
    identifier.help_text = "证件号码已由持证人找回的账号，请用手机号码登录。"
    password = _password("密码", "current-password")
    # Asked for only after repeated failures (shenpi.security.throttle); the page shows the picture.
    captcha = forms.CharField(label="验证码", max_length=10, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                                            "autocapitalize": "characters"}))


class ResetStartForm(forms.Form):
    identifier = _text("身份证号码 / 统一社会信用代码", 18, autocomplete="username", spellcheck="false")
    mobile = _text("注册时验证的手机号码", 20, autocomplete="tel", inputmode="numeric")


class ResetForm(forms.Form):
    code = _text("短信验证码", CODE_DIGITS, autocomplete="one-time-code", inputmode="numeric")
    password = _password("新密码", "new-password")
    password2 = _password("确认新密码", "new-password")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password2") and cleaned["password"] != cleaned["password2"]:
            self.add_error("password2", "两次输入的密码不一致。")
        return cleaned


class RealNameForm(forms.Form):
    """实名认证: a person's own name and ID number; for an organisation also the acting person's role."""

    company_name = _text("单位名称", 100, autocomplete="organization")
    representative = _text("法定代表人姓名", 50, autocomplete="off")
    role = forms.ChoiceField(label="办理人身份", choices=[(Role.LEGAL_REPRESENTATIVE, Role.LEGAL_REPRESENTATIVE.label),
                                                       (Role.AGENT, Role.AGENT.label)],
                             widget=forms.RadioSelect, initial=Role.LEGAL_REPRESENTATIVE)
    name = _text("姓名", 50, autocomplete="name")
    id_number = _text("居民身份证号码", 18, autocomplete="off", spellcheck="false")
    authorisation = forms.FileField(label="授权委托书", required=False,
                                    help_text="授权代理人办理时上传：加盖单位公章的授权委托书，PDF或图片，5MB以内。")
    declared = forms.BooleanField(label="本人已取得单位的书面授权，所填信息真实有效", required=False)

    def __init__(self, *args, person: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if person:
            for field in ("company_name", "representative", "role", "authorisation", "declared"):
                del self.fields[field]
        else:
            self.fields["name"].label = "办理人姓名"
            self.fields["id_number"].label = "办理人居民身份证号码"


class ClaimForm(forms.Form):
    number = _text("办件编号", 40, autocomplete="off", spellcheck="false")
    code = _text("查询密码", 20, autocomplete="off", spellcheck="false")


class WindowVerifyForm(forms.Form):
    role = forms.ChoiceField(label="办理人身份", choices=Role.choices, initial=Role.SELF)
    name = _text("办理人姓名（按证件）", 50, autocomplete="off")
    id_number = _text("办理人居民身份证号码（按证件）", 18, autocomplete="off", spellcheck="false")
    representative = forms.CharField(label="法定代表人（法人账号）", max_length=50, required=False)
    seen = forms.BooleanField(label="已当面查验办理人身份证件原件（法人另查验营业执照和授权委托书）")
