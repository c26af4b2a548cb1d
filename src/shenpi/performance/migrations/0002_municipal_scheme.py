"""The default scoring scheme: the monthly assessment of window departments published by municipal
service centres (base 100; nine areas; deductions for warnings and cards; a bonus for early completion).
Administrators edit it in the admin; see docs/performance.md."""

from decimal import Decimal

from django.db import migrations

SCHEME_NAME = "窗口单位月度绩效考核（市级方案）"

# code, name, weight %, kind, measure, what is assessed
AREAS = (
    ("openness", "政务公开", 10, "manual", "",
     "办事指南、设定依据、收费依据和标准、办理时限、办理结果等按规定公开，内容准确、及时、完整。"),
    ("procedure", "流程规范", 14, "measured", "procedure_rate",
     "按规定流程受理、审查、决定，一次性告知，不体外循环、不先批后录。按本月办结件中未发生程序类、受理类监察告警的比例计分。"),
    ("time_limit", "期限合法", 14, "measured", "on_time_rate",
     "在承诺时限内办结。按本月按时办结率计分。"),
    ("fees", "收费合理", 8, "manual", "",
     "按标准收费，无自立项目、超标准收费。收费纳入平台统一收费后，可改为按收费规范率计算。"),
    ("satisfaction", "满意度", 10, "manual", "",
     "服务对象对办理结果和服务的满意程度。好差评功能上线后，可改为按满意率计算。"),
    ("attitude", "服务态度", 10, "manual", "",
     "文明礼貌、首问负责、一次性告知到位，无有效投诉。"),
    ("inspection", "监督检查", 14, "measured", "rectification_rate",
     "配合电子监察，对黄牌、红牌按时反馈整改情况。按本月黄红牌整改反馈率计分，本月无黄红牌的得满分。"),
    ("liability", "法律责任", 10, "manual", "",
     "行政复议、行政诉讼中具体行政行为被撤销、变更、确认违法，或被追究行政责任的情况。"),
    ("integrity", "廉洁行政", 10, "manual", "",
     "廉洁自律，无吃拿卡要、违规收受财物、利用职权谋取私利等问题。"),
)
# name, indicator, every, points
DEDUCTIONS = (
    ("连续3次预警", "warnings", 3, 3),
    ("黄牌", "yellow_cards", 1, 5),
    ("红牌", "red_cards", 1, 10),
)
BONUSES = (
    ("提前办结率每满10%", "early_rate", 10, 1),
)


def install(apps, schema_editor):
    ScoringScheme = apps.get_model("performance", "ScoringScheme")
    if ScoringScheme.objects.exists():
        return
    scheme = ScoringScheme.objects.create(
        name=SCHEME_NAME, base=Decimal(100), active=True, floor_at_zero=True,
        note="月度考核，基准分100分。季度、半年、年度得分为各月得分的平均值。"
             "预警每满3次扣3分，黄牌每张扣5分，红牌每张扣10分；提前办结率每满10%加1分。")
    ScoringArea = apps.get_model("performance", "ScoringArea")
    ScoringArea.objects.bulk_create(
        ScoringArea(scheme=scheme, code=code, name=name, weight=Decimal(weight), kind=kind, measure=measure,
                    sort=sort, description=description)
        for sort, (code, name, weight, kind, measure, description) in enumerate(AREAS, start=1))
    DeductionRule = apps.get_model("performance", "DeductionRule")
    DeductionRule.objects.bulk_create(
        DeductionRule(scheme=scheme, name=name, indicator=indicator, every=Decimal(every), points=Decimal(points))
        for name, indicator, every, points in DEDUCTIONS)
    BonusRule = apps.get_model("performance", "BonusRule")
    BonusRule.objects.bulk_create(
        BonusRule(scheme=scheme, name=name, indicator=indicator, every=Decimal(every), points=Decimal(points))
        for name, indicator, every, points in BONUSES)


def uninstall(apps, schema_editor):
    apps.get_model("performance", "ManualScore").objects.filter(area__scheme__name=SCHEME_NAME).delete()
    apps.get_model("performance", "ScoringScheme").objects.filter(name=SCHEME_NAME).delete()


class Migration(migrations.Migration):

    dependencies = [("performance", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
