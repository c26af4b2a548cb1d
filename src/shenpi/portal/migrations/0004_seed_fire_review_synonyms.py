"""Synonyms for the design review of construction drawings: 消防审图, 施工图审查, 联合审图.

Since the 2019 reform fire-protection design review moved from the fire brigade to the housing and
construction department (建设工程消防设计审查, 住建部令第51号), and many places review the
construction drawings once for building, fire and civil-air-defence purposes (施工图联合审查,
多审合一). People still use the old words (消防报审, 消防设计审核) and the reviewers' shop talk
(审图, 图审). A few colloquial words for nearby items came up with them (大件运输, 营运证, 公章).
"""

from django.db import migrations

SYNONYMS = (
    # (what people type, what the catalogue says — one or more, separated by 、)
    ("消防审图", "消防设计审查"),
    ("消防图审", "消防设计审查"),
    ("消防报审", "消防设计审查"),
    ("消防报建", "消防设计审查"),
    ("消防设计审核", "消防设计审查"),
    ("消防设计备案", "消防设计审查"),
    ("特殊建设工程", "消防设计审查、消防验收"),
    ("施工图审查", "消防设计审查、人民防空工程建设审批"),
    ("施工图审核", "消防设计审查、人民防空工程建设审批"),
    ("联合审图", "消防设计审查、人民防空工程建设审批"),
    ("多审合一", "消防设计审查、人民防空工程建设审批"),
    ("审图", "消防设计审查、人民防空工程建设审批"),
    ("图审", "消防设计审查、人民防空工程建设审批"),
    ("人防审图", "人民防空工程建设审批"),
    ("人防图审", "人民防空工程建设审批"),
    ("人防报建", "人民防空工程建设审批"),
    ("消防竣工验收", "消防验收"),
    ("消防验收备案", "消防验收"),
    ("消防手续", "消防设计审查、消防验收、消防安全检查"),
    ("消防安检", "消防安全检查"),
    ("消防证", "消防安全检查"),
    ("大件运输", "超限运输"),
    ("营运证", "道路货物运输经营许可、道路旅客运输经营许可"),
    ("特行", "特种行业"),
    ("种子许可证", "种子生产经营"),
    ("公章", "印章刻制"),
)


def seed(apps, schema_editor):
    Synonym = apps.get_model("portal", "SearchSynonym")
    for term, meanings in SYNONYMS:
        Synonym.objects.get_or_create(term=term, defaults={"meanings": "\n".join(meanings.split("、"))})


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0003_seed_search_synonyms"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
