"""Monthly caps on the default scheme's deductions and bonus, as the published schemes have them
("扣完为止", "加分最多5分").

Without them the raw counts decided the ranking: a department with many cases collects many warnings
and fell to 0, one with a single case completed early scored 110. With them a month loses at most
30 points to warnings and cards (预警 5, 黄牌 10, 红牌 15) and gains at most 5. Only rows still as the
default scheme installed them (no cap) are changed: a cap an administrator set is kept.
"""

from decimal import Decimal

from django.db import migrations

SCHEME_NAME = "窗口单位月度绩效考核（市级方案）"
DEDUCTION_CAPS = {"warnings": 5, "yellow_cards": 10, "red_cards": 15}
BONUS_CAPS = {"early_rate": 5}


def install(apps, schema_editor):
    DeductionRule = apps.get_model("performance", "DeductionRule")
    BonusRule = apps.get_model("performance", "BonusRule")
    for model, caps in ((DeductionRule, DEDUCTION_CAPS), (BonusRule, BONUS_CAPS)):
        for indicator, cap in caps.items():
            model.objects.filter(scheme__name=SCHEME_NAME, indicator=indicator, cap__isnull=True).update(
                cap=Decimal(cap))
    ScoringScheme = apps.get_model("performance", "ScoringScheme")
    ScoringScheme.objects.filter(name=SCHEME_NAME).update(
        note="月度考核，基准分100分。季度、半年、年度得分为各月得分的平均值。"
             "预警每满3次扣3分（每月最多扣5分），黄牌每张扣5分（最多10分），红牌每张扣10分（最多15分）；"
             "提前办结率每满10%加1分（最多5分）。")


def uninstall(apps, schema_editor):
    DeductionRule = apps.get_model("performance", "DeductionRule")
    BonusRule = apps.get_model("performance", "BonusRule")
    for model, caps in ((DeductionRule, DEDUCTION_CAPS), (BonusRule, BONUS_CAPS)):
        for indicator, cap in caps.items():
            model.objects.filter(scheme__name=SCHEME_NAME, indicator=indicator, cap=Decimal(cap)).update(cap=None)


class Migration(migrations.Migration):

    dependencies = [("performance", "0003_rating_measures")]

    operations = [migrations.RunPython(install, uninstall)]
