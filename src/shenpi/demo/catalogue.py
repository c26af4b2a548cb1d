"""The demo city's service centre: departments, windows and items (示范市政务服务中心).

Plain data, read by shenpi.demo.generator, which builds it through shenpi.catalog.services.
Item names, legal bases, limits and materials follow real catalogues (办事指南) of Chinese cities;
the city, its districts, towns and villages are invented. Telephone numbers use the area code
0000 so that nobody dials a real office.
"""

from __future__ import annotations

from dataclasses import dataclass

CITY = "示范市"
CODE_PREFIX = "SF-"
CENTRE = "zhongxin"
SUPERVISION = "jiwei"
PROJECT_DEPARTMENTS = frozenset({"fagai", "zhujian", "guihua", "guotu", "huanbao", "renfang", "shuili"})


@dataclass(frozen=True)
class Dept:
    slug: str
    name: str
    short: str
    functions: str
    hall: str = ""  # hall zone of the windows: A 投资建设, B 市场准入, C 社会事务
    level: str = "city"
    parent: str | None = None
    comprehensive: bool = False
    implements: bool = True  # has items and therefore staff for every step role

    @property
    def code(self) -> str:
        return CODE_PREFIX + self.slug.upper().replace("_", "-")


DEPARTMENTS: tuple[Dept, ...] = (
    Dept(CENTRE, f"{CITY}政务服务中心", "综合受理窗口",
         "统一受理各进驻部门事项(一窗受理)，负责大厅管理、事项目录维护和效能监督协调。",
         comprehensive=True, implements=False),
    Dept(SUPERVISION, f"{CITY}纪委监委驻政务服务中心纪检监察组", "纪检监察组",
         "对进驻部门审批服务实施电子监察、督办和效能考核。", implements=False),
    Dept("fagai", f"{CITY}发展和改革委员会", "发改委", "企业投资项目核准备案、政府投资项目审批、节能审查。", "A"),
    Dept("zhujian", f"{CITY}住房和城乡建设局", "住建局",
         "建筑工程施工许可、商品房预售、建设工程消防设计审查验收、建筑业企业资质。", "A"),
    Dept("guihua", f"{CITY}自然资源和规划局", "规划局", "建设用地和建设工程规划许可、规划核实。", "A"),
    Dept("guotu", f"{CITY}国土资源局(不动产登记中心)", "国土局", "建设用地审批、临时用地、不动产登记。", "A"),
    Dept("huanbao", f"{CITY}生态环境局", "环保局", "建设项目环境影响评价审批、排污许可、危险废物经营许可。", "A"),
    Dept("renfang", f"{CITY}人民防空办公室", "人防办", "人民防空工程建设审批、拆除审批、竣工验收备案。", "A"),
    Dept("xiaofang", f"{CITY}消防救援支队", "消防救援支队", "公众聚集场所投入使用营业前消防安全检查。", "A"),
    Dept("shuili", f"{CITY}水利局", "水利局", "取水许可、河道管理范围内建设项目审批、水土保持方案审批。", "A"),
    Dept("shichang", f"{CITY}市场监督管理局", "市场监管局",
         "市场主体登记、食品生产经营许可、药品零售和医疗器械经营许可、特种设备使用登记。", "B"),
    Dept("shuiwu", f"国家税务总局{CITY}税务局", "税务局", "发票、纳税申报相关事项及税收优惠核准。", "B"),
    Dept("shangwu", f"{CITY}商务局", "商务局", "成品油零售、单用途预付卡备案、再生资源回收备案。", "B"),
    Dept("gongan", f"{CITY}公安局", "公安局", "户籍、居民身份证、特种行业和大型活动安全许可、印章刻制备案。", "B"),
    Dept("wenlv", f"{CITY}文化和旅游局", "文旅局", "娱乐场所、旅行社、营业性演出和上网服务场所许可。", "B"),
    Dept("jiaotong", f"{CITY}交通运输局", "交通局", "道路运输经营许可、从业资格、超限运输许可。", "C"),
    Dept("weijian", f"{CITY}卫生健康委员会", "卫健委", "医疗机构设置和执业登记、医师执业注册、公共场所卫生许可。", "C"),
    Dept("jiaoyu", f"{CITY}教育局", "教育局", "民办学校设立、教师资格认定、校车使用许可。", "C"),
    Dept("minzheng", f"{CITY}民政局", "民政局", "社会组织登记、婚姻登记、养老机构备案。", "C"),
    Dept("renshe", f"{CITY}人力资源和社会保障局", "人社局",
         "人力资源服务和劳务派遣许可、特殊工时审批、社会保障卡。", "C"),
    Dept("nongye", f"{CITY}农业农村局", "农业农村局", "农药、兽药、种子经营许可和动物防疫条件审查。", "C"),
    Dept("chengguan", f"{CITY}城市管理局", "城管局",
         "户外广告设置、建筑垃圾处置、占用挖掘城市道路、砍伐树木审批。", "C"),
    # Districts, towns (街道/镇) and villages (村/社区): the three-level service network (C15).
    Dept("chengdong", f"{CITY}城东区行政审批服务局", "城东区审批局",
         "城东区区级审批服务事项集中办理。", level="district"),
    Dept("binhe", f"{CITY}滨河区行政审批服务局", "滨河区审批局",
         "滨河区区级审批服务事项集中办理。", level="district"),
    Dept("cd_donghu", "城东区东湖街道便民服务中心", "东湖街道", "街道便民服务。", level="town", parent="chengdong"),
    Dept("cd_qingshan", "城东区青山镇便民服务中心", "青山镇", "乡镇便民服务。", level="town", parent="chengdong"),
    Dept("bh_hexi", "滨河区河西街道便民服务中心", "河西街道", "街道便民服务。", level="town", parent="binhe"),
    Dept("bh_liulin", "滨河区柳林镇便民服务中心", "柳林镇", "乡镇便民服务。", level="town", parent="binhe"),
    Dept("bh_taoyuan", "滨河区桃源镇便民服务中心", "桃源镇", "乡镇便民服务。", level="town", parent="binhe"),
    Dept("cd_qs_yangjia", "青山镇杨家村便民服务站", "杨家村", "村级代办服务。", level="village", parent="cd_qingshan"),
    Dept("cd_dh_lakeside", "东湖街道湖滨社区便民服务站", "湖滨社区", "社区代办服务。", level="village",
         parent="cd_donghu"),
    Dept("bh_ll_wangzhuang", "柳林镇王庄村便民服务站", "王庄村", "村级代办服务。", level="village",
         parent="bh_liulin"),
    Dept("bh_ty_lijia", "桃源镇李家村便民服务站", "李家村", "村级代办服务。", level="village", parent="bh_taoyuan"),
)
DEPARTMENTS_BY_SLUG = {d.slug: d for d in DEPARTMENTS}


def _polygon(*points: tuple[float, float]) -> dict:
    return {"type": "Polygon", "coordinates": [[list(p) for p in (*points, points[0])]]}


# Invented outlines of the districts and towns (longitude, latitude) for the statistics map: 城东区 east
# and 滨河区 west of a river along 118.20°E, sharing that edge; each district split into its towns.
_RIVER_S, _RIVER_N, _RIVER_MID = (118.20, 30.00), (118.20, 30.28), (118.20, 30.14)
_CD_SE, _CD_E, _CD_NE = (118.40, 30.02), (118.42, 30.18), (118.36, 30.30)
_BH_NW, _BH_W, _BH_SW, _BH_MID = (118.08, 30.30), (117.98, 30.16), (118.02, 30.02), (118.10, 30.14)
OUTLINES: dict[str, dict] = {
    "chengdong": _polygon(_RIVER_S, _CD_SE, _CD_E, _CD_NE, _RIVER_N, _RIVER_MID),
    "binhe": _polygon(_RIVER_S, _RIVER_MID, _RIVER_N, _BH_NW, _BH_W, _BH_SW),
    "cd_donghu": _polygon(_RIVER_S, _CD_SE, _CD_E, _RIVER_MID),
    "cd_qingshan": _polygon(_RIVER_MID, _CD_E, _CD_NE, _RIVER_N),
    "bh_hexi": _polygon(_RIVER_S, _RIVER_MID, _BH_MID, _BH_SW),
    "bh_liulin": _polygon(_RIVER_MID, _RIVER_N, _BH_NW, _BH_MID),
    "bh_taoyuan": _polygon(_BH_MID, _BH_NW, _BH_W, _BH_SW),
}

HALL_FLOORS = {"A": "二楼A区(投资建设)", "B": "一楼B区(市场准入)", "C": "三楼C区(社会事务)"}
CENTRE_ADDRESS = f"{CITY}世纪大道88号市民中心"


def phone_of(index: int) -> str:
    return f"0000-8812{index:04d}"


# -- items ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Material:
    name: str
    required: bool = True
    form: str = "original"  # original / copy / both / electronic
    copies: int = 1
    deferrable: bool = False
    note: str = ""


@dataclass(frozen=True)
class Fee:
    name: str
    standard: str
    basis: str
    amount: str | None = None
    # How the amount follows (catalog.FeeStandard.Kind): fixed by default; per unit with its price.
    kind: str = "fixed"
    unit: str = ""
    unit_price: str | None = None


# Flows (办理流程): (seq, step name, role). Steps sharing a seq run side by side.
FLOWS: dict[str, tuple[tuple[int, str, str], ...]] = {
    "3": ((1, "审查", "handler"), (2, "审核", "reviewer"), (3, "审批", "approver")),
    "3b": ((1, "承办审查", "handler"), (2, "科室审核", "reviewer"), (3, "分管领导审批", "approver")),
    "4": ((1, "初审", "handler"), (2, "现场核查", "handler"), (3, "审核", "reviewer"), (4, "审批", "approver")),
    "4b": ((1, "承办", "handler"), (2, "审核", "reviewer"), (3, "分管领导审批", "approver"),
           (4, "主要领导签发", "approver")),
    "5": ((1, "初审", "handler"), (2, "技术审查", "handler"), (3, "复核", "reviewer"), (4, "审定", "approver"),
          (5, "签发", "approver")),
}


@dataclass(frozen=True)
class ItemData:
    dept: str
    name: str
    type: str  # licence / confirmation / benefit / public_service / other
    audience: str  # person / organisation / both
    basis: str
    conditions: str
    statutory: int
    promised: int
    result: str
    materials: tuple[Material, ...]
    flow: str = "3"
    # How steps are timed: "none" (steps follow the case's due date), "days" (own day limits), "hours".
    timing: str = "none"
    procedures: tuple[tuple[str, int], ...] = ()
    fees: tuple[Fee, ...] = ()
    depth: int = 3
    visits: int = 1
    # Joint handling (联合办理, 行政许可法 art. 42 para. 2): departments working a parallel stage.
    joint: tuple[str, ...] = ()
    # Relative number of applications the demo generates for the item.
    weight: float = 1.0
    # 容缺受理: what 办结 does while a deferred material is outstanding ("refuse" or "flag").
    deferral_rule: str = "refuse"
    # 办件公示 (ItemVersion.Publicity): "none" for items whose mere existence says something sensitive of
    # a person (social assistance with its income and health records, marital status).
    publicity: str = "full"

    @property
    def on_the_spot(self) -> bool:
        return self.promised == 0

    @property
    def deferral_days(self) -> int:
        """Working days to bring a deferred material: within the promised time, at most 10."""
        return max(1, min(10, self.promised // 2))


M = Material


def form_(title: str) -> Material:
    return M(f"{title}申请表", note="可在网上下载或窗口领取，加盖公章(个人签字)")


LICENCE = M("营业执照(统一社会信用代码证书)", form="copy", note="可通过数据共享获取的免于提交复印件")
LEGAL_REP = M("法定代表人身份证明及身份证", form="copy")
PROXY = M("授权委托书及受托人身份证", required=False, note="委托他人办理的提交")
ID_CARD = M("申请人居民身份证", form="both")
SITE_PLAN = M("场所平面图及产权证明或租赁合同", form="copy")
LAND = M("国有土地使用权证或不动产权证书", form="copy")


def item(dept, name, type_, audience, basis, conditions, statutory, promised, result, materials, **kw) -> ItemData:
    return ItemData(dept, name, type_, audience, basis, conditions, statutory, promised, result,
                    tuple(materials), **kw)


REAL_ESTATE_FEE = (
    Fee("不动产登记费", "住宅类每件80元；非住宅类每件550元",
        "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》(发改价格规〔2016〕2559号)", "80.00"),
)

ITEMS: tuple[ItemData, ...] = (
    # 发改委 ----------------------------------------------------------------------------------
    item("fagai", "企业投资项目核准", "licence", "organisation",
         "《企业投资项目核准和备案管理条例》第三条、第六条、第九条；《政府核准的投资项目目录》",
         "属于《政府核准的投资项目目录》范围的企业投资项目；符合国家法律法规、发展规划、产业政策和行业准入标准。",
         20, 12, "项目核准文件",
         [form_("企业投资项目核准"), M("项目申请报告", copies=3), LICENCE,
          M("建设项目用地预审与选址意见书", form="copy", deferrable=True),
          M("建设项目环境影响评价批复文件", required=False, form="copy")],
         flow="4b", timing="days", procedures=(("expert_review", 20), ("hearing", 20)), depth=3,
         joint=("guihua", "huanbao"), weight=0.6),
    item("fagai", "企业投资项目备案", "other", "organisation",
         "《企业投资项目核准和备案管理条例》第三条、第十三条；《企业投资项目核准和备案管理办法》",
         "不属于《政府核准的投资项目目录》范围的企业投资项目，通过在线审批监管平台告知项目信息。",
         3, 0, "企业投资项目备案证明",
         [form_("企业投资项目备案信息登记"), LICENCE, M("项目情况说明", required=False)],
         flow="3", timing="hours", depth=4, visits=0, weight=1.5),
    item("fagai", "政府投资项目可行性研究报告审批", "licence", "organisation",
         "《政府投资条例》第九条、第十一条",
         "列入政府投资年度计划或项目储备库；项目建议书已批复(直接审批可研的除外)。",
         20, 15, "可行性研究报告批复",
         [form_("政府投资项目可行性研究报告审批"), M("可行性研究报告审批请示文件"),
          M("可行性研究报告", copies=3), M("项目建议书批复文件", form="copy"),
          M("用地预审与选址意见书", form="copy"), M("节能审查意见", form="copy", deferrable=True),
          M("社会稳定风险评估报告", required=False)],
         flow="5", timing="days", procedures=(("expert_review", 20),), weight=0.4),
    item("fagai", "固定资产投资项目节能审查", "licence", "organisation",
         "《中华人民共和国节约能源法》第十五条；《固定资产投资项目节能审查办法》",
         "年综合能源消费量1000吨标准煤以上(或电力500万千瓦时以上)的固定资产投资项目。",
         20, 10, "节能审查意见",
         [form_("节能审查"), M("节能报告", copies=2), LICENCE],
         flow="3b", procedures=(("expert_review", 15),), weight=0.4),
    # 住建局 ----------------------------------------------------------------------------------
    item("zhujian", "建筑工程施工许可证核发", "licence", "organisation",
         "《中华人民共和国建筑法》第七条、第八条；《建筑工程施工许可管理办法》(住房和城乡建设部令第18号)",
         "已办理用地批准手续；已取得建设工程规划许可证；施工场地已具备施工条件；已确定施工企业；"
         "有满足施工需要的资金安排、施工图纸及技术资料；有保证工程质量和安全的具体措施。",
         7, 3, "建筑工程施工许可证",
         [form_("建筑工程施工许可"), M("建设工程规划许可证", form="copy"),
          M("施工图设计文件审查合格书", deferrable=True), M("中标通知书或直接发包批准文件", form="copy"),
          M("施工合同及监理合同", form="copy"), M("建设资金已落实承诺书"),
          M("工程质量安全监督手续", form="copy", deferrable=True), PROXY],
         flow="3", timing="days", procedures=(("site_survey", 5),), depth=4, visits=0, weight=2.0,
         deferral_rule="flag"),
    item("zhujian", "商品房预售许可", "licence", "organisation",
         "《中华人民共和国城市房地产管理法》第四十五条；《城市商品房预售管理办法》第六条、第七条",
         "已交付全部土地使用权出让金，取得土地使用权证书；持有建设工程规划许可证和施工许可证；"
         "投入开发建设的资金达到工程建设总投资的25%以上，并已确定施工进度和竣工交付日期。",
         10, 5, "商品房预售许可证",
         [form_("商品房预售许可"), LICENCE, M("房地产开发企业资质证书", form="copy"), LAND,
          M("建设工程规划许可证和施工许可证", form="copy"), M("工程施工合同及投资进度证明", form="copy"),
          M("商品房预售方案")],
         flow="4", timing="days", procedures=(("site_survey", 5),), weight=1.0),
    item("zhujian", "建设工程消防设计审查", "licence", "organisation",
         "《中华人民共和国消防法》第十一条；《建设工程消防设计审查验收管理暂行规定》(住房和城乡建设部令第51号)第十五条",
         "属于特殊建设工程；消防设计文件符合国家工程建设消防技术标准。",
         15, 10, "特殊建设工程消防设计审查意见书",
         [form_("特殊建设工程消防设计审查"), M("消防设计文件", form="electronic"),
          M("依法需要办理建设工程规划许可的，提交建设工程规划许可文件", form="copy"),
          M("特殊消防设计技术资料", required=False)],
         flow="4", timing="days", procedures=(("expert_review", 10),), weight=1.0),
    item("zhujian", "建设工程消防验收", "licence", "organisation",
         "《中华人民共和国消防法》第十三条；《建设工程消防设计审查验收管理暂行规定》第二十七条",
         "特殊建设工程竣工，建设单位已组织竣工验收并对消防设施进行检测。",
         15, 10, "特殊建设工程消防验收意见书",
         [form_("特殊建设工程消防验收"), M("工程竣工验收报告", form="copy"), M("消防设施检测报告"),
          M("涉及消防的建设工程竣工图纸", form="electronic")],
         flow="4", timing="days", procedures=(("site_survey", 5), ("testing", 10)), weight=0.8),
    item("zhujian", "建筑业企业资质核准(施工总承包三级)", "licence", "organisation",
         "《中华人民共和国建筑法》第十三条；《建筑业企业资质管理规定》(住房和城乡建设部令第22号)",
         "企业净资产、注册建造师、技术负责人及技术工人、工程业绩达到资质标准。",
         20, 15, "建筑业企业资质证书",
         [form_("建筑业企业资质"), LICENCE, M("企业净资产证明(上一年度财务审计报告)", form="copy"),
          M("注册建造师及技术人员名单和证书", form="copy"), M("企业安全生产许可证", form="copy", deferrable=True)],
         flow="5", timing="days", procedures=(("expert_review", 20), ("publicity", 10)), depth=4, visits=0,
         weight=0.7),
    item("zhujian", "城镇污水排入排水管网许可", "licence", "organisation",
         "《城镇排水与污水处理条例》第二十一条；《城镇污水排入排水管网许可管理办法》",
         "排水户向城镇排水设施排放污水，排水水质符合国家和地方排放标准。",
         20, 7, "城镇污水排入排水管网许可证",
         [form_("城镇污水排入排水管网许可"), LICENCE, M("排水户内部排水管网、专用检测井平面图", form="copy"),
          M("排水水质检测报告", deferrable=True)],
         flow="3", procedures=(("testing", 10), ("site_survey", 5)), weight=0.8),
    item("zhujian", "房屋建筑和市政基础设施工程竣工验收备案", "other", "organisation",
         "《建设工程质量管理条例》第四十九条；《房屋建筑和市政基础设施工程竣工验收备案管理办法》",
         "工程已竣工验收合格，建设单位在竣工验收合格之日起15日内备案。",
         5, 2, "竣工验收备案证明",
         [form_("工程竣工验收备案表"), M("工程竣工验收报告"), M("规划、消防验收认可文件", form="copy"),
          M("施工单位签署的工程质量保修书", form="copy"), M("住宅质量保证书和住宅使用说明书", required=False)],
         flow="3", timing="hours", depth=4, visits=0, weight=1.2),
    # 规划局 ----------------------------------------------------------------------------------
    item("guihua", "建设用地规划许可证核发", "licence", "organisation",
         "《中华人民共和国城乡规划法》第三十七条、第三十八条",
         "建设项目符合国土空间规划和控制性详细规划；以出让方式取得的已签订国有建设用地使用权出让合同。",
         20, 7, "建设用地规划许可证",
         [form_("建设用地规划许可"), M("国有建设用地使用权出让合同或划拨决定书", form="copy"),
          M("项目批准、核准或备案文件", form="copy"), M("宗地图及界址点坐标", form="electronic")],
         flow="3", timing="days", procedures=(("site_survey", 5), ("publicity", 7)), depth=4, weight=1.0),
    item("guihua", "建设工程规划许可证核发", "licence", "organisation",
         "《中华人民共和国城乡规划法》第四十条；《中华人民共和国行政许可法》第四十二条第二款",
         "已取得建设用地规划许可证和土地使用权证明；建设工程设计方案符合控制性详细规划和规划条件。",
         45, 20, "建设工程规划许可证",
         [form_("建设工程规划许可"), M("建设用地规划许可证", form="copy"), LAND,
          M("建设工程设计方案总平面图及建筑施工图", form="electronic"),
          M("人防、消防等专项设计说明", deferrable=True)],
         flow="3", timing="days", procedures=(("publicity", 10), ("expert_review", 15)), depth=3,
         joint=("renfang", "zhujian"), weight=1.2),
    item("guihua", "建设项目用地预审与选址意见书核发", "licence", "organisation",
         "《中华人民共和国土地管理法》第五十二条；《中华人民共和国城乡规划法》第三十六条",
         "需办理用地审批的建设项目，符合国土空间规划、土地使用标准和节约集约用地要求。",
         20, 10, "建设项目用地预审与选址意见书",
         [form_("建设项目用地预审与选址"), M("项目建设依据(项目建议书批复或核准申请文件)", form="copy"),
          M("建设项目用地边界拐点坐标表", form="electronic"), M("项目选址论证报告", required=False)],
         flow="4", timing="days", procedures=(("site_survey", 5), ("expert_review", 15)), weight=0.8),
    item("guihua", "建设工程规划核实", "confirmation", "organisation",
         "《中华人民共和国城乡规划法》第四十五条",
         "建设工程竣工，建设单位按建设工程规划许可内容完成建设。",
         15, 5, "建设工程规划核实合格证明",
         [form_("建设工程规划核实"), M("建设工程规划许可证及附图", form="copy"), M("竣工测量成果报告")],
         flow="3", timing="days", procedures=(("site_survey", 5),), weight=0.9),
    # 国土局 ----------------------------------------------------------------------------------
    item("guotu", "国有建设用地使用权划拨批准", "licence", "organisation",
         "《中华人民共和国土地管理法》第五十四条；《划拨用地目录》",
         "属于国家机关用地、军事用地、城市基础设施用地、公益事业用地或国家重点扶持的能源交通水利等项目用地。",
         20, 15, "国有建设用地划拨决定书",
         [form_("国有建设用地使用权划拨"), M("项目批准文件", form="copy"), M("用地预审与选址意见书", form="copy"),
          M("勘测定界报告及宗地图")],
         flow="4b", timing="days", procedures=(("site_survey", 5), ("publicity", 10)), weight=0.4),
    item("guotu", "临时用地审批", "licence", "organisation",
         "《中华人民共和国土地管理法》第五十七条；《中华人民共和国土地管理法实施条例》第二十条",
         "建设项目施工、地质勘查需要临时使用土地，期限一般不超过二年，不修建永久性建筑物。",
         20, 10, "临时用地批复",
         [form_("临时用地"), M("临时使用土地合同", form="copy"), M("土地复垦方案"), M("勘测定界图")],
         flow="3", procedures=(("site_survey", 5),), weight=0.4),
    item("guotu", "不动产首次登记(国有建设用地使用权及房屋所有权)", "confirmation", "both",
         "《不动产登记暂行条例》第三条、第二十条；《不动产登记暂行条例实施细则》",
         "房屋已竣工验收，土地权属清楚，申请材料齐全并符合法定形式。",
         30, 5, "不动产权证书",
         [form_("不动产登记"), M("申请人身份证明", form="copy"), LAND,
          M("建设工程符合规划的材料及竣工验收材料", form="copy"), M("房屋测绘报告"),
          M("相关税费缴纳凭证", form="copy", deferrable=True)],
         flow="3b", procedures=(("publicity", 15), ("site_survey", 5)), fees=REAL_ESTATE_FEE, depth=3,
         weight=1.5),
    item("guotu", "不动产抵押权登记", "confirmation", "both",
         "《中华人民共和国民法典》第四百零二条；《不动产登记暂行条例》第三条、第二十条",
         "以不动产设定抵押，抵押合同已签订，抵押财产依法可以抵押。",
         30, 1, "不动产登记证明",
         [form_("不动产登记"), M("申请人身份证明", form="copy"), M("不动产权证书", form="both"),
          M("主债权合同及抵押合同", form="both")],
         flow="3b", timing="hours", fees=REAL_ESTATE_FEE, depth=4, visits=0, weight=2.5),
    # 环保局 ----------------------------------------------------------------------------------
    item("huanbao", "建设项目环境影响评价文件审批", "licence", "organisation",
         "《中华人民共和国环境影响评价法》第二十二条；《建设项目环境保护管理条例》第九条",
         "建设项目类型及其选址、布局、规模符合环境保护法律法规和相关法定规划；采取的污染防治措施能确保达标排放。",
         30, 15, "环境影响报告书(表)批复",
         [form_("建设项目环境影响评价文件审批"), M("环境影响报告书(表)", copies=3),
          M("公众参与说明(报告书项目)", required=False), M("项目批准、核准或备案文件", form="copy")],
         flow="4", timing="days", procedures=(("expert_review", 15), ("publicity", 10), ("hearing", 20)),
         depth=3, weight=1.3),
    item("huanbao", "排污许可证核发", "licence", "organisation",
         "《中华人民共和国环境保护法》第四十五条；《排污许可管理条例》",
         "依法取得建设项目环境影响评价文件审批意见；有符合要求的污染防治设施和自行监测方案。",
         20, 10, "排污许可证",
         [form_("排污许可证"), M("自行监测方案"), M("环境影响评价审批文件", form="copy"),
          M("排污口和监测孔规范化设置情况说明", deferrable=True)],
         flow="4", timing="days", procedures=(("site_survey", 5),), depth=4, weight=0.9),
    item("huanbao", "危险废物经营许可证核发", "licence", "organisation",
         "《中华人民共和国固体废物污染环境防治法》第八十条；《危险废物经营许可证管理办法》第五条、第十条",
         "有符合条件的技术人员、运输工具、包装工具、贮存设施和处置设施，有污染防治措施和事故应急救援措施。",
         20, 15, "危险废物经营许可证",
         [form_("危险废物经营许可证"), LICENCE, M("技术人员资格证明", form="copy"),
          M("处置设施的环境影响评价批复及验收文件", form="copy"), M("事故应急预案")],
         flow="5", timing="days", procedures=(("expert_review", 15), ("site_survey", 5)), weight=0.3),
    # 人防办 ----------------------------------------------------------------------------------
    item("renfang", "人民防空工程建设审批(防空地下室)", "licence", "organisation",
         "《中华人民共和国人民防空法》第二十二条；《人民防空工程建设管理规定》",
         "城市新建民用建筑按国家规定修建战时可用于防空的地下室；确因条件限制不能修建的，申请易地建设。",
         20, 7, "人民防空工程建设审批意见",
         [form_("人民防空工程建设"), M("建设工程规划许可证或设计方案批复", form="copy"),
          M("防空地下室施工图设计文件", form="electronic"), M("易地建设费缴纳凭证(易地建设的)", required=False)],
         flow="3", timing="days", procedures=(("expert_review", 10),), depth=4, weight=1.0),
    item("renfang", "拆除人民防空工程审批", "licence", "organisation",
         "《中华人民共和国人民防空法》第二十八条",
         "确需拆除的人民防空工程，拆除单位按规定补建或缴纳补建费。",
         20, 10, "拆除人民防空工程批复",
         [form_("拆除人民防空工程"), M("人防工程产权证明", form="copy"), M("拆除方案及补建方案")],
         flow="4", procedures=(("site_survey", 5),), weight=0.2),
    item("renfang", "人民防空工程竣工验收备案", "other", "organisation",
         "《中华人民共和国人民防空法》第二十二条；《人民防空工程质量监督管理规定》",
         "人民防空工程竣工验收合格。",
         10, 3, "人防工程竣工验收备案证明",
         [form_("人防工程竣工验收备案"), M("竣工验收报告", form="copy"), M("人防工程质量监督报告", form="copy"),
          M("竣工图", form="electronic")],
         flow="3", timing="hours", depth=4, weight=0.6),
    # 消防救援支队 ------------------------------------------------------------------------------
    item("xiaofang", "公众聚集场所投入使用、营业前消防安全检查", "licence", "organisation",
         "《中华人民共和国消防法》第十五条；《公众聚集场所投入使用、营业消防安全检查规则》",
         "公众聚集场所投入使用、营业前，建设单位或使用单位作出符合消防技术标准和管理规定的承诺。",
         10, 5, "公众聚集场所投入使用、营业前消防安全检查合格证",
         [form_("公众聚集场所投入使用、营业消防安全检查"), LICENCE, M("消防安全告知承诺书"),
          M("场所平面布置图及消防设施平面图", form="copy"), M("消防设施检测报告", deferrable=True)],
         flow="4", timing="days", procedures=(("site_survey", 3),), depth=3, weight=1.2),
    item("xiaofang", "大型群众性活动消防安全检查", "licence", "organisation",
         "《中华人民共和国消防法》第二十条；《大型群众性活动安全管理条例》第十三条",
         "活动场所消防设施、疏散通道、应急照明完好有效，有灭火和应急疏散预案。",
         7, 3, "消防安全检查意见书",
         [form_("大型群众性活动消防安全检查"), M("活动方案及场地布置图"), M("灭火和应急疏散预案")],
         flow="3", timing="hours", procedures=(("site_survey", 3),), weight=0.3),
    # 水利局 ----------------------------------------------------------------------------------
    item("shuili", "取水许可", "licence", "both",
         "《中华人民共和国水法》第七条、第四十八条；《取水许可和水资源费征收管理条例》第二条、第十一条",
         "取水符合水资源规划和用水总量控制指标，已进行建设项目水资源论证。",
         45, 20, "取水许可证",
         [form_("取水许可"), M("建设项目水资源论证报告书(表)", copies=2),
          M("与第三者利害关系的相关说明", required=False), M("取水计量设施安装情况说明", deferrable=True)],
         flow="4b", timing="days", procedures=(("expert_review", 20), ("site_survey", 5)), weight=0.5),
    item("shuili", "河道管理范围内建设项目工程建设方案审批", "licence", "organisation",
         "《中华人民共和国水法》第三十八条；《中华人民共和国防洪法》第二十七条；《中华人民共和国河道管理条例》第十一条",
         "建设项目符合防洪规划和河道岸线规划，防洪评价报告结论可行。",
         20, 15, "河道管理范围内建设项目审批意见",
         [form_("河道管理范围内建设项目"), M("防洪评价报告", copies=2), M("建设项目工程设计图纸", form="electronic")],
         flow="4", timing="days", procedures=(("expert_review", 15), ("site_survey", 5)), weight=0.4),
    item("shuili", "生产建设项目水土保持方案审批", "licence", "organisation",
         "《中华人民共和国水土保持法》第二十五条；《生产建设项目水土保持方案管理办法》",
         "在山区、丘陵区、风沙区及易发生水土流失地区开办生产建设项目。",
         20, 10, "水土保持方案批复",
         [form_("生产建设项目水土保持方案"), M("水土保持方案报告书(表)", copies=2), LICENCE],
         flow="3", procedures=(("expert_review", 15),), depth=4, visits=0, weight=0.6),
    # 市场监管局 ----------------------------------------------------------------------------------
    item("shichang", "企业设立登记", "licence", "organisation",
         "《中华人民共和国公司法》第二十九条；《中华人民共和国市场主体登记管理条例》第三条、第十九条",
         "有符合规定的名称、住所、经营范围、注册资本(认缴)和法定代表人；股东(发起人)符合法定人数。",
         3, 1, "营业执照",
         [form_("公司登记(备案)"), M("公司章程"), M("股东主体资格证明", form="copy"),
          M("法定代表人、董事、监事和经理的任职文件及身份证明", form="copy"), M("住所使用相关文件", form="copy"),
          PROXY],
         flow="3", timing="hours", depth=4, visits=0, weight=6.0),
    item("shichang", "企业变更登记", "licence", "organisation",
         "《中华人民共和国市场主体登记管理条例》第二十四条、第二十五条",
         "企业登记事项发生变更，自作出变更决议、决定或法定变更事项发生之日起30日内申请。",
         3, 1, "营业执照(变更)",
         [form_("公司登记(备案)"), M("变更决议或决定"), M("修改后的公司章程或章程修正案"), LICENCE],
         flow="3", timing="hours", depth=4, visits=0, weight=3.0),
    item("shichang", "企业注销登记", "licence", "organisation",
         "《中华人民共和国公司法》第二百三十九条；《中华人民共和国市场主体登记管理条例》第三十一条、第三十三条",
         "企业已依法清算完毕，或适用简易注销程序并经公示期满无异议。",
         3, 1, "准予注销登记通知书",
         [form_("注销登记"), M("清算报告或全体投资人承诺书"), M("清税证明", form="copy", deferrable=True)],
         flow="3", timing="hours", procedures=(("publicity", 20),), depth=4, visits=0, weight=1.5),
    item("shichang", "食品经营许可", "licence", "both",
         "《中华人民共和国食品安全法》第三十五条；《食品经营许可和备案管理办法》(国家市场监督管理总局令第78号)",
         "有与经营食品品种、数量相适应的经营场所和设施设备；有食品安全管理人员和规章制度；布局和工艺流程合理。",
         10, 5, "食品经营许可证",
         [form_("食品经营许可"), LICENCE, SITE_PLAN, M("与食品经营相适应的设备设施布局和操作流程文件"),
          M("食品安全管理制度目录"), PROXY],
         flow="4", timing="days", procedures=(("site_survey", 5),), depth=4, visits=1, weight=4.0),
    item("shichang", "食品生产许可", "licence", "organisation",
         "《中华人民共和国食品安全法》第三十五条；《食品生产许可管理办法》第二十条",
         "具有与生产的食品品种、数量相适应的生产场所、设备设施、专业技术人员和管理人员。",
         20, 10, "食品生产许可证",
         [form_("食品生产许可"), LICENCE, M("食品生产加工场所及周围环境平面图", form="copy"),
          M("食品生产工艺流程图和设备布局图"), M("食品安全专业技术人员、管理人员名单"), M("食品安全管理制度")],
         flow="5", timing="days", procedures=(("site_survey", 10), ("inspection", 20)), weight=1.0),
    item("shichang", "药品零售企业许可", "licence", "organisation",
         "《中华人民共和国药品管理法》第五十一条、第五十二条；《药品经营和使用质量监督管理办法》",
         "有依法经过资格认定的药师或者其他药学技术人员；有与所经营药品相适应的营业场所、设备、仓储设施和卫生环境。",
         20, 10, "药品经营许可证",
         [form_("药品经营许可证"), LICENCE, M("执业药师注册证及身份证明", form="copy"), SITE_PLAN,
          M("药品质量管理文件目录"), M("计算机管理系统情况说明", required=False)],
         flow="4", timing="days", procedures=(("site_survey", 5),), weight=1.2),
    item("shichang", "第三类医疗器械经营许可", "licence", "organisation",
         "《医疗器械监督管理条例》第四十二条；《医疗器械经营监督管理办法》",
         "有与经营规模和范围相适应的经营场所、贮存条件以及质量管理制度和质量管理机构或者人员。",
         20, 10, "医疗器械经营许可证",
         [form_("医疗器械经营许可"), LICENCE, M("质量负责人身份证明、学历或职称证明", form="copy"), SITE_PLAN,
          M("经营质量管理制度、工作程序等文件目录")],
         flow="4", timing="days", procedures=(("site_survey", 5),), weight=0.6),
    item("shichang", "特种设备使用登记", "licence", "organisation",
         "《中华人民共和国特种设备安全法》第三十三条；《特种设备使用管理规则》",
         "特种设备投入使用前或者投入使用后30日内办理，安装监督检验合格。",
         15, 0, "特种设备使用登记证",
         [form_("特种设备使用登记表"), LICENCE, M("特种设备产品合格证", form="copy"),
          M("监督检验证明", form="copy")],
         flow="3", timing="hours", depth=4, visits=1, weight=2.0),
    # 税务局 ----------------------------------------------------------------------------------
    item("shuiwu", "增值税专用发票(增值税税控系统)最高开票限额审批", "licence", "organisation",
         "《国务院对确需保留的行政审批项目设定行政许可的决定》(国务院令第412号)；《中华人民共和国发票管理办法》",
         "已办理税务登记的增值税一般纳税人或小规模纳税人，生产经营需要。",
         20, 5, "准予税务行政许可决定书",
         [form_("税务行政许可"), M("经办人身份证件", form="copy"), M("生产经营情况说明", required=False)],
         flow="3b", timing="days", procedures=(("site_survey", 5),), depth=4, visits=0, weight=1.5),
    item("shuiwu", "对纳税人延期缴纳税款的核准", "licence", "organisation",
         "《中华人民共和国税收征收管理法》第三十一条；《中华人民共和国税收征收管理法实施细则》第四十一条、第四十二条",
         "因不可抗力或当期货币资金在扣除应付职工工资、社会保险费后不足以缴纳税款。",
         20, 10, "准予延期缴纳税款通知书",
         [M("延期缴纳税款申请审批表"), M("当期货币资金余额情况及所有银行存款账户的对账单", form="copy"),
          M("应付职工工资和社会保险费等税务机关要求提供的支出预算")],
         flow="4b", timing="days", weight=0.4),
    item("shuiwu", "纳税人身份信息报告(税务登记)", "other", "both",
         "《中华人民共和国税收征收管理法》第十五条；《税务登记管理办法》",
         "从事生产、经营的纳税人领取营业执照后首次办理涉税事宜。",
         5, 0, "税务登记信息确认",
         [M("纳税人首次办税补充信息表"), M("经办人身份证件", form="copy"), LICENCE],
         flow="3", timing="hours", depth=4, visits=0, weight=2.0),
    # 商务局 ----------------------------------------------------------------------------------
    item("shangwu", "成品油零售经营资格审批", "licence", "organisation",
         "《国务院对确需保留的行政审批项目设定行政许可的决定》(国务院令第412号)；"
         "《国务院关于取消和下放一批行政许可事项的决定》(国发〔2019〕6号)",
         "符合当地加油站行业发展规划；具备规划、消防、安全生产、环境保护等条件。",
         20, 15, "成品油零售经营批准证书",
         [form_("成品油零售经营资格"), LICENCE, M("加油站规划确认文件", form="copy"),
          M("危险化学品经营许可证", form="copy"), M("消防验收合格意见", form="copy")],
         flow="4", timing="days", procedures=(("site_survey", 5), ("expert_review", 15)), weight=0.3),
    item("shangwu", "单用途商业预付卡发卡企业备案", "other", "organisation",
         "《单用途商业预付卡管理办法(试行)》第七条",
         "发行单用途预付卡的零售、住宿餐饮和居民服务业企业，自开展业务之日起30日内备案。",
         5, 0, "单用途预付卡发卡企业备案回执",
         [form_("单用途商业预付卡发卡企业备案"), LICENCE, M("预付卡章程或简章")],
         flow="3", timing="hours", depth=4, visits=0, weight=0.5),
    item("shangwu", "再生资源回收经营者备案", "other", "organisation",
         "《再生资源回收管理办法》第七条",
         "从事再生资源回收经营活动，取得营业执照后30日内备案。",
         5, 0, "再生资源回收经营者备案登记证明",
         [form_("再生资源回收经营者备案登记表"), LICENCE, M("经营场所使用证明", form="copy")],
         flow="3", timing="hours", depth=4, visits=0, weight=0.5),
    # 公安局 ----------------------------------------------------------------------------------
    item("gongan", "户口迁移(市内迁入)", "confirmation", "person",
         "《中华人民共和国户口登记条例》第十条、第十三条",
         "在本市有合法稳定住所或投靠直系亲属，符合本市户籍迁入政策。",
         20, 0, "户口迁入登记",
         [M("户口迁移申请表", note="申请人签字"), ID_CARD, M("居民户口簿", form="both"),
          M("合法稳定住所证明或亲属关系证明", form="copy")],
         flow="3", timing="hours", depth=3, visits=1, weight=3.0),
    item("gongan", "居民身份证申领(换领、补领)", "confirmation", "person",
         "《中华人民共和国居民身份证法》第八条、第十条、第二十条",
         "具有本市常住户口的中国公民，身份证有效期满、证件损坏或遗失。",
         60, 20, "中华人民共和国居民身份证",
         [M("居民身份证申领登记表", note="窗口可当场打印，申请人签字确认"), M("居民户口簿", form="both"),
          M("原居民身份证(换领的)", required=False), M("数码照片回执")],
         flow="3", procedures=(("inspection", 10),), depth=2, visits=2, weight=3.0,
         fees=(Fee("居民身份证工本费", "申领、换领每证20元；补领每证40元",
                   "《中华人民共和国居民身份证法》第二十条；"
                   "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》(发改价格〔2003〕2322号)",
                   "20.00"),)),
    item("gongan", "旅馆业特种行业许可证核发", "licence", "both",
         "《旅馆业治安管理办法》第四条；《国务院对确需保留的行政审批项目设定行政许可的决定》(国务院令第412号)",
         "房屋建筑、消防设备、出入口和通道符合治安、消防要求；有必要的防盗安全设施和治安保卫制度。",
         20, 10, "特种行业许可证",
         [form_("特种行业许可证"), LICENCE, SITE_PLAN, M("旅馆治安保卫制度及保安人员名单"),
          M("公众聚集场所消防安全检查合格证明", form="copy", deferrable=True)],
         flow="4", timing="days", procedures=(("site_survey", 5),), weight=0.6),
    item("gongan", "大型群众性活动安全许可", "licence", "organisation",
         "《大型群众性活动安全管理条例》第十一条、第十三条；《中华人民共和国行政许可法》第四十二条第二款",
         "预计参加人数1000人以上；承办者有安全工作方案，场所符合安全要求，安全责任明确。",
         45, 10, "大型群众性活动安全许可决定书",
         [form_("大型群众性活动安全许可"), M("承办者合法成立的证明", form="copy"), M("活动安全工作方案"),
          M("场所管理者出具的场所使用证明", form="copy"), M("活动场所消防安全检查合格证明", deferrable=True)],
         flow="3", timing="days", procedures=(("site_survey", 3),), joint=("xiaofang", "weijian"), weight=0.4),
    item("gongan", "印章刻制备案", "other", "organisation",
         "《国务院关于国家行政机关和企业事业单位社会团体印章管理的规定》(国发〔1999〕25号)",
         "依法成立的企业、事业单位、社会团体刻制公章。",
         3, 0, "印章刻制备案回执",
         [M("印章刻制备案申请表"), LICENCE, LEGAL_REP],
         flow="3", timing="hours", depth=4, visits=0, weight=2.0),
    # 文旅局 ----------------------------------------------------------------------------------
    item("wenlv", "娱乐场所经营许可", "licence", "organisation",
         "《娱乐场所管理条例》第九条、第十一条；《娱乐场所管理办法》",
         "场所位置符合规定(不得设在居民楼、学校周边等)；设施和消防安全符合要求。",
         20, 10, "娱乐经营许可证",
         [form_("娱乐场所经营"), LICENCE, LEGAL_REP, M("场所平面示意图及房屋产权证明或租赁合同", form="copy"),
          M("投资人、法定代表人、主要负责人无不良记录的书面声明"), M("消防安全检查合格证明", deferrable=True)],
         flow="4", timing="days", procedures=(("site_survey", 5), ("hearing", 20)), weight=0.7),
    item("wenlv", "旅行社设立许可", "licence", "organisation",
         "《旅行社条例》第六条、第七条；《旅行社条例实施细则》",
         "有固定的经营场所、必要的营业设施和不少于规定数额的质量保证金。",
         20, 10, "旅行社业务经营许可证",
         [form_("旅行社设立"), LICENCE, M("经营场所证明", form="copy"), M("营业设施说明"),
          M("质量保证金存缴证明", deferrable=True)],
         flow="3b", timing="days", procedures=(("site_survey", 5),), depth=4, visits=0, weight=0.5),
    item("wenlv", "营业性演出审批", "licence", "organisation",
         "《营业性演出管理条例》第十三条；《营业性演出管理条例实施细则》",
         "演出内容不含禁止内容，举办单位具备相应资质，演出场所符合安全要求。",
         3, 2, "营业性演出准予许可决定书",
         [form_("营业性演出"), M("演出节目内容材料及演职员名单"), M("与演出场所签订的协议", form="copy"),
          M("演出场所合格证明", form="copy")],
         flow="3", timing="hours", procedures=(("site_survey", 3),), depth=4, visits=0, weight=0.8),
    item("wenlv", "互联网上网服务营业场所经营许可", "licence", "organisation",
         "《互联网上网服务营业场所管理条例》第十条、第十一条",
         "有与经营活动相适应的营业场所、计算机等设备及安全技术措施；场所距中学、小学校园出入口200米以上。",
         20, 10, "网络文化经营许可证",
         [form_("互联网上网服务营业场所经营"), LICENCE, SITE_PLAN, M("网络安全技术措施说明"),
          M("消防安全检查合格证明", deferrable=True)],
         flow="4", timing="days", procedures=(("site_survey", 5),), weight=0.4),
    # 交通局 ----------------------------------------------------------------------------------
    item("jiaotong", "道路货物运输经营许可", "licence", "both",
         "《中华人民共和国道路运输条例》第二十一条、第二十四条；《道路货物运输及站场管理规定》",
         "有与经营业务相适应并经检测合格的车辆；有符合规定条件的驾驶人员；有健全的安全生产管理制度。",
         20, 5, "道路运输经营许可证",
         [form_("道路货物运输经营"), M("负责人身份证明及经办人身份证明、委托书", form="copy"),
          M("拟投入车辆承诺书(含车辆检测合格证明)"), M("驾驶人员从业资格证", form="copy"), M("安全生产管理制度文本")],
         flow="3", timing="days", depth=4, visits=0, weight=1.5),
    item("jiaotong", "道路旅客运输经营许可", "licence", "organisation",
         "《中华人民共和国道路运输条例》第八条、第十条；《道路旅客运输及客运站管理规定》",
         "有与经营业务相适应并经检测合格的客车；有符合条件的驾驶人员；有健全的安全生产管理制度。",
         20, 10, "道路运输经营许可证",
         [form_("道路旅客运输经营"), LICENCE, M("可行性报告及客运班线运营方案"), M("拟投入车辆承诺书"),
          M("驾驶人员从业资格证", form="copy"), M("安全生产管理制度文本")],
         flow="4", timing="days", procedures=(("hearing", 20), ("site_survey", 5)), weight=0.3),
    item("jiaotong", "道路运输从业人员从业资格证核发", "licence", "person",
         "《中华人民共和国道路运输条例》第九条、第二十二条；《道路运输从业人员管理规定》",
         "取得相应机动车驾驶证，年龄不超过60周岁，经考试合格。",
         10, 3, "道路运输从业人员从业资格证",
         [form_("道路运输从业人员从业资格证"), ID_CARD, M("机动车驾驶证", form="copy"), M("考试合格证明"),
          M("近期一寸免冠照片", copies=2)],
         flow="3", timing="hours", depth=3, visits=1, weight=2.0),
    item("jiaotong", "超限运输车辆行驶公路许可", "licence", "both",
         "《中华人民共和国公路法》第五十条；《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)",
         "载运不可解体物品，车辆和货物总重、外廓尺寸超过规定标准，已制定运输方案和安全保障措施。",
         5, 2, "超限运输车辆通行证",
         [form_("公路超限运输"), M("承运人道路运输经营许可证", form="copy"), M("车辆行驶证", form="copy"),
          M("货物照片、运输路线图和护送方案")],
         flow="3", timing="hours", procedures=(("site_survey", 3),), depth=4, visits=0, weight=1.0),
    item("jiaotong", "机动车维修经营备案", "other", "organisation",
         "《中华人民共和国道路运输条例》；《机动车维修管理规定》",
         "有与维修业务相适应的维修场地、设备和技术人员，取得营业执照。",
         5, 0, "机动车维修经营备案证明",
         [form_("机动车维修经营备案表"), LICENCE, M("维修场地、设备和技术人员情况说明")],
         flow="3", timing="hours", depth=4, visits=0, weight=0.8),
    # 卫健委 ----------------------------------------------------------------------------------
    item("weijian", "医疗机构设置审批", "licence", "organisation",
         "《医疗机构管理条例》第九条、第十条；《医疗机构管理条例实施细则》",
         "符合当地医疗机构设置规划和医疗机构基本标准。",
         30, 20, "设置医疗机构批准书",
         [form_("设置医疗机构"), M("设置可行性研究报告"), M("选址报告和建筑设计平面图", form="copy"),
          M("设置申请人资信证明", form="copy")],
         flow="4b", timing="days", procedures=(("expert_review", 20), ("site_survey", 5)), weight=0.3),
    item("weijian", "医疗机构执业登记", "licence", "organisation",
         "《医疗机构管理条例》第十五条、第十六条；《医疗机构管理条例实施细则》第二十五条",
         "有设置医疗机构批准书(诊所实行备案管理的除外)；符合医疗机构基本标准；能独立承担民事责任。",
         30, 15, "医疗机构执业许可证",
         [form_("医疗机构执业登记"), M("设置医疗机构批准书", form="copy"),
          M("医疗机构用房产权证明或使用证明", form="copy"),
          M("医疗机构建筑设计平面图"), M("卫生技术人员名录表及执业证书", form="copy"),
          M("规章制度", required=False)],
         flow="4", timing="days", procedures=(("site_survey", 5), ("expert_review", 15)), weight=0.7),
    item("weijian", "医师执业注册", "licence", "person",
         "《中华人民共和国医师法》第十三条、第十四条；《医师执业注册管理办法》",
         "取得医师资格，经执业注册取得医师执业证书后方可执业。",
         20, 5, "医师执业证书",
         [form_("医师执业注册"), M("医师资格证书", form="both"), M("拟执业机构聘用证明"), M("6个月内健康体检证明")],
         flow="3", timing="days", depth=4, visits=0, weight=2.0),
    item("weijian", "公共场所卫生许可", "licence", "organisation",
         "《公共场所卫生管理条例》第八条；《公共场所卫生管理条例实施细则》第二十二条",
         "住宿、游泳、沐浴等场所卫生设施、环境和从业人员健康状况符合国家卫生标准。",
         20, 5, "公共场所卫生许可证",
         [form_("公共场所卫生许可"), LICENCE, M("卫生管理制度"), M("从业人员健康合格证明", form="copy"),
          M("公共场所卫生检测或评价报告", deferrable=True)],
         flow="4", timing="days", procedures=(("site_survey", 5), ("testing", 10)), weight=1.5),
    item("weijian", "放射诊疗许可", "licence", "organisation",
         "《放射性同位素与射线装置安全和防护条例》；《放射诊疗管理规定》(卫生部令第46号)",
         "具有经核准登记的医学影像科诊疗科目，有符合要求的放射诊疗设备、场所和防护设施。",
         20, 15, "放射诊疗许可证",
         [form_("放射诊疗许可"), M("放射诊疗设备清单"), M("放射防护控制效果评价报告"),
          M("放射工作人员资质证明", form="copy")],
         flow="4b", timing="days", procedures=(("testing", 15), ("expert_review", 15)), weight=0.4),
    # 教育局 ----------------------------------------------------------------------------------
    item("jiaoyu", "民办学校设立审批", "licence", "organisation",
         "《中华人民共和国民办教育促进法》第十二条、第十四条、第十七条",
         "举办者具备法定条件；有章程、规范的名称、合格的教师和管理人员、符合标准的教育教学设施和办学资金。",
         60, 30, "民办学校办学许可证",
         [form_("民办学校筹设(正式设立)"), M("举办者资格证明", form="copy"), M("学校章程和首届理事会、董事会名单"),
          M("资产来源、资金数额及有效证明文件"), M("校长、教师、财会人员资格证明", form="copy"),
          M("校舍产权证明或租赁协议", form="copy")],
         flow="5", timing="days", procedures=(("expert_review", 20), ("site_survey", 10)), weight=0.3),
    item("jiaoyu", "教师资格认定", "licence", "person",
         "《中华人民共和国教师法》第十条、第十三条；《教师资格条例》第十五条",
         "具备法定学历，普通话水平达到要求，教育教学能力测试合格，体检合格。",
         30, 20, "教师资格证书",
         [form_("教师资格认定"), ID_CARD, M("学历证书", form="copy"), M("普通话水平测试等级证书", form="copy"),
          M("体检合格证明"), M("个人承诺书")],
         flow="3b", timing="days", depth=3, visits=1, weight=2.0),
    item("jiaoyu", "校车使用许可", "licence", "organisation",
         "《校车安全管理条例》第十四条、第十五条；《中华人民共和国行政许可法》第四十二条第二款",
         "车辆符合校车安全国家标准并检验合格；有取得校车驾驶资格的驾驶人；有行驶线路和安全管理制度。",
         45, 20, "校车标牌",
         [form_("校车使用许可"), M("机动车行驶证", form="copy"), M("校车驾驶人驾驶资格证明", form="copy"),
          M("包括行驶线路、开行时间和停靠站点的校车运行方案"), M("校车安全管理制度"),
          M("机动车承运人责任保险凭证", form="copy")],
         flow="3", procedures=(("inspection", 10),), joint=("gongan", "jiaotong"), weight=0.3),
    # 民政局 ----------------------------------------------------------------------------------
    item("minzheng", "社会团体成立登记", "licence", "organisation",
         "《社会团体登记管理条例》第三条、第九条、第十二条",
         "有50个以上个人会员或30个以上单位会员；有规范的名称和组织机构；有固定住所和合法资产。",
         30, 20, "社会团体法人登记证书",
         [form_("社会团体成立登记"), M("业务主管单位批准文件", form="copy"), M("验资报告"),
          M("住所使用证明", form="copy"),
          M("章程草案")],
         flow="4b", timing="days", procedures=(("publicity", 10),), weight=0.3),
    item("minzheng", "民办非企业单位成立登记", "licence", "organisation",
         "《民办非企业单位登记管理暂行条例》第三条、第八条、第十一条",
         "经业务主管单位审查同意；有规范的名称、必要的组织机构、与业务活动相适应的从业人员和合法财产。",
         30, 20, "民办非企业单位(法人)登记证书",
         [form_("民办非企业单位成立登记"), M("业务主管单位批准文件", form="copy"), M("场所使用权证明", form="copy"),
          M("验资报告"), M("拟任负责人基本情况及身份证明", form="copy"), M("章程草案")],
         flow="4b", timing="days", procedures=(("publicity", 10),), weight=0.3),
    item("minzheng", "内地居民婚姻登记", "confirmation", "person",
         "《中华人民共和国民法典》第一千零四十九条；《婚姻登记条例》第四条、第七条",
         "男女双方完全自愿，达到法定婚龄，均无配偶，不属于禁止结婚的情形，双方亲自到婚姻登记机关申请。",
         30, 0, "结婚证",
         [M("申请结婚登记声明书", note="双方在婚姻登记员面前签字"),
          M("双方居民身份证", form="original", copies=2), M("双方居民户口簿(全国通办的可不提交)", required=False),
          M("双方近期半身免冠合影照片", copies=3), M("申请结婚登记声明书")],
         flow="3", timing="hours", depth=2, visits=1, weight=4.0, publicity="none"),
    item("minzheng", "养老机构备案", "other", "organisation",
         "《中华人民共和国老年人权益保障法》第四十三条；《养老机构管理办法》(民政部令第66号)第九条",
         "设立养老机构依法登记后，向县级以上民政部门备案。",
         5, 0, "养老机构备案回执",
         [form_("养老机构备案"), LICENCE, M("服务场所权属证明", form="copy"), M("消防安全符合标准的材料", form="copy"),
          M("养老机构备案承诺书")],
         flow="3", timing="hours", depth=4, visits=0, weight=0.3),
    # 人社局 ----------------------------------------------------------------------------------
    item("renshe", "人力资源服务许可", "licence", "organisation",
         "《中华人民共和国就业促进法》第四十条；《人力资源市场暂行条例》第十八条、第十九条",
         "有明确的章程和管理制度；有开展业务必备的固定场所、办公设施和5名以上专职工作人员。",
         20, 10, "人力资源服务许可证",
         [form_("人力资源服务许可"), LICENCE, M("办公场所证明", form="copy"), M("专职工作人员名单及相关证明"),
          M("工作规则和管理制度")],
         flow="3b", timing="days", procedures=(("site_survey", 5),), depth=4, visits=0, weight=0.6),
    item("renshe", "劳务派遣经营许可", "licence", "organisation",
         "《中华人民共和国劳动合同法》第五十七条；《劳务派遣行政许可实施办法》第六条、第九条",
         "注册资本不少于人民币200万元；有与开展业务相适应的固定经营场所和设施；有符合法律法规的劳务派遣管理制度。",
         20, 10, "劳务派遣经营许可证",
         [form_("劳务派遣经营许可"), LICENCE, M("公司章程及验资报告", form="copy"), M("经营场所使用证明", form="copy"),
          M("劳务派遣管理制度"), M("法定代表人身份证明", form="copy")],
         flow="4", timing="days", procedures=(("site_survey", 5),), weight=0.6),
    item("renshe", "企业实行不定时工作制和综合计算工时工作制审批", "licence", "organisation",
         "《中华人民共和国劳动法》第三十九条；《关于企业实行不定时工作制和综合计算工时工作制的审批办法》",
         "因生产特点不能实行标准工时制度，已听取工会和职工意见。",
         20, 10, "特殊工时制度审批决定书",
         [form_("特殊工时工作制"), LICENCE, M("实施方案及工会(职工)意见"), M("涉及岗位及职工花名册")],
         flow="3b", timing="days", depth=4, visits=0, weight=0.6),
    item("renshe", "社会保障卡申领", "public_service", "person",
         "《中华人民共和国社会保险法》第五十八条；《社会保障卡管理办法》",
         "参加本市社会保险的人员。",
         10, 0, "社会保障卡",
         [M("社会保障卡申领登记表"), ID_CARD, M("近期免冠照片回执", required=False)],
         flow="3", timing="hours", depth=4, visits=1, weight=3.0),
    # 农业农村局 --------------------------------------------------------------------------------
    item("nongye", "农药经营许可", "licence", "both",
         "《农药管理条例》第二十四条、第二十五条；《农药经营许可管理办法》",
         "有具备农药和病虫害防治专业知识的经营人员；有与经营品种和规模相适应的营业场所和仓储场所。",
         20, 10, "农药经营许可证",
         [form_("农药经营许可"), LICENCE, M("经营人员专业证明", form="copy"), M("营业场所和仓储场所地址、面积说明"),
          M("农药经营质量管理制度")],
         flow="4", timing="days", procedures=(("site_survey", 5),), weight=0.8),
    item("nongye", "兽药经营许可证核发", "licence", "both",
         "《兽药管理条例》第二十二条、第二十三条",
         "有与所经营的兽药相适应的兽药技术人员、营业场所、设备和仓库设施及质量管理机构或人员。",
         30, 15, "兽药经营许可证",
         [form_("兽药经营许可"), LICENCE, M("兽药技术人员证明", form="copy"), M("营业场所及仓库平面图"),
          M("兽药质量管理制度")],
         flow="4", timing="days", procedures=(("site_survey", 5),), weight=0.4),
    item("nongye", "动物防疫条件合格证核发", "licence", "organisation",
         "《中华人民共和国动物防疫法》第二十四条、第二十五条；《动物防疫条件审查办法》",
         "场所位置与居民生活区、生活饮用水水源地、学校、医院等公共场所的距离符合规定；有相应的污水、污物处理设施。",
         20, 10, "动物防疫条件合格证",
         [form_("动物防疫条件审查"), LICENCE, M("场所地理位置图、各功能区布局平面图"), M("设施设备清单"),
          M("管理制度文本")],
         flow="4", timing="days", procedures=(("site_survey", 5),), weight=0.4),
    item("nongye", "农作物种子生产经营许可", "licence", "organisation",
         "《中华人民共和国种子法》第三十一条；《农作物种子生产经营许可管理办法》",
         "具有与种子生产经营相适应的生产经营设施、设备及专业技术人员。",
         20, 10, "农作物种子生产经营许可证",
         [form_("农作物种子生产经营许可"), LICENCE, M("种子生产经营场所及设施设备证明", form="copy"),
          M("种子检验人员证明", form="copy")],
         flow="3", timing="days", procedures=(("site_survey", 5),), weight=0.3),
    # 城管局 ----------------------------------------------------------------------------------
    item("chengguan", "户外广告设置审批", "licence", "both",
         "《城市市容和环境卫生管理条例》第十一条；《中华人民共和国广告法》第四十一条",
         "设置位置符合户外广告设置规划，不影响市容、交通和安全，设施结构安全。",
         20, 5, "户外广告设置许可决定书",
         [form_("户外广告设置"), M("设置地点的场地或建筑物使用权证明", form="copy"), M("广告设施效果图和设计图"),
          M("结构安全证明(大型户外广告)", required=False, deferrable=True)],
         flow="4", timing="days", procedures=(("site_survey", 3), ("publicity", 7)), depth=4, weight=1.5),
    item("chengguan", "城市建筑垃圾处置核准", "licence", "organisation",
         "《城市市容和环境卫生管理条例》第十六条；《城市建筑垃圾管理规定》(建设部令第139号)；"
         "《国务院对确需保留的行政审批项目设定行政许可的决定》(国务院令第412号)第101项",
         "有建筑垃圾分类处置方案和运输车辆，运输车辆具备全密闭运输机械装置或密闭苫盖装置。",
         20, 3, "城市建筑垃圾处置核准证",
         [form_("城市建筑垃圾处置核准"), M("建筑垃圾处置方案"), M("运输车辆行驶证及密闭装置证明", form="copy"),
          M("消纳场所受纳协议", form="copy")],
         flow="3", timing="days", depth=4, visits=0, weight=1.2),
    item("chengguan", "占用、挖掘城市道路审批", "licence", "both",
         "《城市道路管理条例》第二十九条、第三十条、第三十一条、第三十七条",
         "因工程建设确需挖掘城市道路或临时占用城市道路，不影响交通安全，经公安交通管理部门同意。",
         20, 3, "占用、挖掘城市道路许可决定书",
         [form_("占用、挖掘城市道路"), M("施工图及占道位置示意图"), M("公安交通管理部门意见", form="copy"),
          M("交通疏导方案", required=False)],
         flow="3", timing="days", procedures=(("site_survey", 3),), depth=3, weight=1.0,
         fees=(Fee("城市道路占用费", "按占用面积和期限计收：主干道每平方米每日2元，次干道及支路每平方米每日1元",
                   "《城市道路管理条例》第三十七条；省物价局、省财政厅核定的城市道路占用费收费标准",
                   kind="per_unit", unit="平方米·日", unit_price="2.00"),)),
    item("chengguan", "砍伐、迁移城市树木审批", "licence", "both",
         "《城市绿化条例》第二十条、第二十四条",
         "因城市建设、树木严重影响居民采光或安全等确需砍伐或迁移，有补植方案。",
         20, 5, "砍伐、迁移城市树木许可决定书",
         [form_("砍伐、迁移城市树木"), M("树木位置图及现状照片"), M("补植方案"), M("权属单位或业主意见", form="copy")],
         flow="3", timing="days", procedures=(("site_survey", 3),), weight=0.5),
)


# Items of the districts, towns and villages (C15): the same catalogue entry implemented locally.
def local_items() -> tuple[ItemData, ...]:
    result = []
    for dept in DEPARTMENTS:
        if dept.level == "district":
            result.append(item(
                dept.slug, "个体工商户设立登记", "licence", "person",
                "《促进个体工商户发展条例》第八条；《中华人民共和国市场主体登记管理条例》第十九条",
                "有经营能力的自然人，有固定经营场所，经营范围不属于禁止的行业。",
                3, 0, "营业执照(个体工商户)",
                [form_("个体工商户登记"), ID_CARD, M("经营场所使用证明", form="copy"), PROXY],
                flow="3", timing="hours", depth=4, visits=0, weight=3.0))
            result.append(item(
                dept.slug, "最低生活保障审批", "benefit", "person",
                "《社会救助暂行办法》第九条、第十一条；《最低生活保障审核确认办法》",
                "共同生活的家庭成员人均收入低于当地最低生活保障标准，且符合财产状况规定。",
                30, 20, "最低生活保障证",
                [form_("最低生活保障"), ID_CARD, M("家庭成员户口簿", form="copy"), M("家庭收入和财产状况授权核查书"),
                 M("残疾证、病历等证明材料", required=False)],
                flow="4", procedures=(("site_survey", 5), ("publicity", 7)), depth=3, weight=0.8,
                publicity="none"))
        elif dept.level == "town":
            result.append(item(
                dept.slug, "农村村民宅基地审批", "licence", "person",
                "《中华人民共和国土地管理法》第六十二条；《农业农村部 自然资源部关于规范农村宅基地审批管理的通知》",
                "本集体经济组织成员一户一宅，符合国土空间规划和村庄规划，经村民小组和村集体经济组织审查同意。",
                20, 15, "农村宅基地批准书",
                [form_("农村宅基地和建房(规划许可)"), ID_CARD, M("户口簿", form="copy"),
                 M("村民小组会议记录及村级审查意见"), M("宅基地使用承诺书"), M("住房设计图或选用的通用图")],
                flow="4", procedures=(("site_survey", 5), ("publicity", 5)), depth=3, visits=2, weight=0.8))
        elif dept.level == "village":
            result.append(item(
                dept.slug, "城乡居民基本养老保险参保登记", "public_service", "person",
                "《中华人民共和国社会保险法》第二十条、第二十二条；《国务院关于建立统一的城乡居民基本养老保险制度的意见》",
                "年满16周岁(不含在校学生)，非国家机关和事业单位工作人员及不属于职工基本养老保险制度覆盖范围的城乡居民。",
                5, 0, "参保登记确认",
                [M("城乡居民基本养老保险参保登记表"), ID_CARD, M("户口簿", form="copy")],
                flow="3", timing="hours", depth=4, visits=1, weight=0.6))
    return tuple(result)


ALL_ITEMS: tuple[ItemData, ...] = ITEMS + local_items()

# Items that only stages and bundles apply for (shenpi.demo.projects): the year of single cases does
# not draw them (weight 0), so adding them leaves that year as it was; their codes follow ALL_ITEMS'.
STAGE_ITEMS: tuple[ItemData, ...] = (
    item("fagai", "政府投资项目建议书审批", "licence", "organisation",
         "《政府投资条例》第九条、第十条；《中央预算内直接投资项目管理办法》第八条",
         "列入国民经济和社会发展规划、政府投资年度计划或项目储备库的政府投资项目，"
         "项目建议书已对项目建设的必要性、主要建设内容、拟建地点、投资估算和资金筹措作出说明。",
         20, 10, "项目建议书批复",
         [form_("政府投资项目建议书审批"), M("项目建议书审批请示文件"), M("项目建议书", copies=3),
          M("项目资金来源承诺或财政资金安排意见", form="copy"), M("项目选址初步意见", required=False)],
         flow="4b", timing="days", procedures=(("expert_review", 15),), weight=0.0),
    item("shuiwu", "发票领用", "other", "organisation",
         "《中华人民共和国发票管理办法》第十五条、第十六条；《中华人民共和国发票管理办法实施细则》第十五条",
         "已办理税务登记信息确认、需要领用发票的单位和个人。",
         5, 1, "发票领用簿",
         [M("发票领用申请表"), M("经办人身份证件", form="copy"),
          M("发票专用章印模", note="新办企业在企业开办中一并刻制")],
         flow="3", timing="hours", depth=4, visits=0, weight=0.0),
    item("renshe", "单位参加社会保险登记", "public_service", "organisation",
         "《中华人民共和国社会保险法》第五十七条；《社会保险费征缴暂行条例》第七条；《社会保险登记管理暂行办法》",
         "用人单位自成立之日起三十日内，向当地社会保险经办机构申请办理社会保险登记。",
         15, 1, "社会保险登记证明",
         [M("社会保险登记表"), M("法定代表人身份证明", form="copy"), M("单位银行开户信息", form="copy")],
         flow="3", timing="hours", depth=4, visits=0, weight=0.0),
)


def stage_item_codes() -> dict[int, str]:
    """The codes of STAGE_ITEMS (by index), numbered on after each department's items in ALL_ITEMS."""
    counters: dict[str, int] = {}
    for data in ALL_ITEMS:
        counters[data.dept] = counters.get(data.dept, 0) + 1
    codes = {}
    for index, data in enumerate(STAGE_ITEMS):
        counters[data.dept] = counters.get(data.dept, 0) + 1
        codes[index] = f"{DEPARTMENTS_BY_SLUG[data.dept].code}-{counters[data.dept]:03d}"
    return codes


def item_codes() -> dict[int, str]:
    """A stable code per item (同一事项、同一编码): department code and the item's place in it."""
    codes, counters = {}, {}
    for index, data in enumerate(ALL_ITEMS):
        counters[data.dept] = counters.get(data.dept, 0) + 1
        codes[index] = f"{DEPARTMENTS_BY_SLUG[data.dept].code}-{counters[data.dept]:03d}"
    return codes
