"""The demo organisations and one account for every role. Ids are fixed so that identity
(accounts act for an org) and orgs (the orgs themselves) agree without talking."""

import base64
import hashlib

# Every demo account's password: it passes the citizens' rule and staff's (≥ 10 characters).
DEMO_PASSWORD = "Rencai@2026"


def demo_totp_secret(username: str) -> str:
    """The demo staff's TOTP secret (base32): fixed, so `python -m demo.totp` and the tests
    compute the codes. Public like the demo password — demo data only."""
    digest = hashlib.sha256(f"rencai-demo-totp:{username}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()

BUREAU = "00000000-0000-4000-8000-000000000001"
DISTRICT_CHAOYANG = "00000000-0000-4000-8000-000000000002"
SUPERVISOR_SCIENCE = "00000000-0000-4000-8000-000000000011"
SUPERVISOR_EDUCATION = "00000000-0000-4000-8000-000000000012"
UNIT_INSTITUTE = "00000000-0000-4000-8000-000000000101"
UNIT_SOFTWARE = "00000000-0000-4000-8000-000000000102"
UNIT_SCHOOL = "00000000-0000-4000-8000-000000000103"
COMMITTEE = "00000000-0000-4000-8000-000000000201"
EXPERT_POOL = "00000000-0000-4000-8000-000000000301"

# (id, kind, name, parent) in an order where parents come first.
ORGS = [
    (BUREAU, "bureau", "市人力资源和社会保障局", None),
    (DISTRICT_CHAOYANG, "district", "朝阳区委人才工作领导小组办公室", BUREAU),
    (SUPERVISOR_SCIENCE, "supervisor", "市科学技术委员会", BUREAU),
    (SUPERVISOR_EDUCATION, "supervisor", "市教育委员会", BUREAU),
    (UNIT_INSTITUTE, "unit", "北京智能制造研究院", SUPERVISOR_SCIENCE),
    (UNIT_SOFTWARE, "unit", "北京星河软件有限公司", SUPERVISOR_SCIENCE),
    (UNIT_SCHOOL, "unit", "北京市第一实验中学", SUPERVISOR_EDUCATION),
    (COMMITTEE, "committee", "市职业技能竞赛组委会", BUREAU),
    (EXPERT_POOL, "expert_pool", "市人才评审专家库", BUREAU),
]

# Units: (统一社会信用代码, 单位关联代码 people type to link, district). Valid GB 32100 codes.
UNIT_DETAILS = {
    UNIT_INSTITUTE: ("121100004000000014", "ZNZZ2828", DISTRICT_CHAOYANG),
    UNIT_SOFTWARE: ("91110105MA00000012", "XHRJ6688", DISTRICT_CHAOYANG),
    UNIT_SCHOOL: ("121100004000000027", "SYZX9988", None),
}

# Units that passed 单位认证 (seed 003: needed to apply for a business permission).
CERTIFIED_UNITS = [UNIT_INSTITUTE, UNIT_SOFTWARE]

COMMITTEE_STAFF = "00000000-0000-4000-9000-000000000201"

PERSON_ZHANG = "00000000-0000-4000-a000-000000000001"
PERSON_LI = "00000000-0000-4000-a000-000000000002"
PERSON_WANG = "00000000-0000-4000-a000-000000000003"

# (id, username, kind, display name, org, roles, what it is for)
ACCOUNTS = [
    (PERSON_ZHANG, "zhangsan", "person", "张三", None, [], "个人（已关联北京智能制造研究院）"),
    (PERSON_LI, "lisi", "person", "李四", None, [], "个人（已关联北京市第一实验中学）"),
    (PERSON_WANG, "zhouqi", "person", "周七", None, [], "个人（未关联单位：演示关联单位申请）"),
    ("00000000-0000-4000-9000-000000000101", "zhizao", "unit", "北京智能制造研究院",
     UNIT_INSTITUTE, ["unit"], "用人单位"),
    ("00000000-0000-4000-9000-000000000103", "shiyan", "unit", "北京市第一实验中学",
     UNIT_SCHOOL, ["unit"], "用人单位"),
    ("00000000-0000-4000-9000-000000000102", "xinghe", "unit", "北京星河软件有限公司",
     UNIT_SOFTWARE, ["unit"], "用人单位（朝阳区：演示业务权限开通）"),
    ("00000000-0000-4000-9000-000000000021", "chaoyang", "staff", "朝阳区初审员",
     DISTRICT_CHAOYANG, ["district"], "区委人才办审核员（朝阳区：业务权限审核、需求信息初审）"),
    ("00000000-0000-4000-9000-000000000022", "chaoyang2", "staff", "朝阳区复审员",
     DISTRICT_CHAOYANG, ["district"], "区委人才办审核员（朝阳区：需求信息复审）"),
    ("00000000-0000-4000-9000-000000000011", "kewei", "staff", "科委审核员",
     SUPERVISOR_SCIENCE, ["supervisor"], "归口单位审核员（市科委）"),
    ("00000000-0000-4000-9000-000000000012", "jiaowei", "staff", "教委审核员",
     SUPERVISOR_EDUCATION, ["supervisor"], "归口单位审核员（市教委）"),
    ("00000000-0000-4000-9000-000000000001", "shiju", "staff", "市局审核员", BUREAU,
     ["bureau"], "市局审核员"),
    (COMMITTEE_STAFF, "jingsai", "staff", "竞赛组委会审核员", COMMITTEE, ["committee"],
     "竞赛组委会（发布竞赛计划、审核技能竞赛报名）"),
    ("00000000-0000-4000-9000-000000000301", "zhuanjia", "staff", "王专家", EXPERT_POOL,
     ["expert"], "评审专家"),
    ("00000000-0000-4000-9000-000000000302", "zhuanjia2", "staff", "李专家", EXPERT_POOL,
     ["expert"], "评审专家（专家组第二位）"),
    ("00000000-0000-4000-9000-000000000303", "zhuanjia3", "staff", "赵专家", EXPERT_POOL,
     ["expert"], "评审专家（专家组第三位）"),
    ("00000000-0000-4000-9000-000000000900", "admin", "staff", "系统管理员", BUREAU,
     ["admin"], "管理员"),
]

# Persons' phone and real-name binding (valid GB 11643 numbers; fictitious people), so the
# demo can sign in by phone or ID number and SMS login works (codes on GET /api/identity/dev/sms).
PERSON_DETAILS = {
    PERSON_ZHANG: ("13800000001", "110105198503070019"),
    PERSON_LI: ("13800000002", "110108199005120021"),
    PERSON_WANG: ("13800000003", "110101199203150032"),
}

# (person, unit)
AFFILIATIONS = [(PERSON_ZHANG, "张三", UNIT_INSTITUTE), (PERSON_LI, "李四", UNIT_SCHOOL)]

# A published competition plan (seed 004), its registration open around whatever day the demo
# starts: (name, organiser, location, occupations as (code, name, levels)).
COMPETITION = ("北京市职业技能竞赛（演示）", "市人力资源和社会保障局", "北京市职业技能公共实训基地",
               [("6-31-01-03", "电工", ["三级/高级工", "二级/技师"]),
                ("6-18-02-04", "焊工", ["三级/高级工", "二级/技师"]),
                ("4-04-04-02", "网络与信息安全管理员", ["三级/高级工"])])

# The staff's authenticators (already enrolled): `python -m demo.totp [username]` shows codes.
DEMO_TOTP_SECRETS = {username: demo_totp_secret(username)
                     for _, username, kind, *_ in ACCOUNTS if kind == "staff"}
