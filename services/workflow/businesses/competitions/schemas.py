"""技能竞赛报名's request and response schemas (seed 004)."""
from marshmallow import fields, validate

from services.common.schemas import PageQuerySchema, Schema, page_of


POLITICAL_STATUSES = ["中共党员", "中共预备党员", "共青团员", "民主党派", "无党派人士", "群众"]
EDUCATION_LEVELS = ["博士研究生", "硕士研究生", "大学本科", "大学专科", "中等职业教育", "高中及以下"]
QUALIFICATIONS = ["无", "五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师"]
GROUPS = ["职工组", "学生组", "教师组"]


def _text(title: str, low: int, high: int, **kwargs):
    return fields.String(validate=validate.Length(min=low, max=high,
                                                  error=f"{title}应为 {low}-{high} 个字"),
                         metadata={"description": title}, **kwargs)


def _choice(title: str, options: list[str], **kwargs):
    return fields.String(validate=validate.OneOf(options, error=f"{title}应为：{'、'.join(options)}"),
                         metadata={"description": f"{title}：{' | '.join(options)}"}, **kwargs)


class OccupationSchema(Schema):
    code = _text("职业（工种）代码", 1, 32, required=True)
    name = _text("职业（工种）名称", 1, 100, required=True)
    levels = fields.List(_text("等级", 1, 30), load_default=list,
                         metadata={"description": "开展的等级，如 三级/高级工"})


class CompetitionBodySchema(Schema):
    name = _text("竞赛名称", 2, 200, required=True)
    organiser = _text("主办单位", 2, 200, required=True)
    description = _text("竞赛说明", 0, 2000, load_default=None)
    location = _text("竞赛地点", 0, 200, load_default=None)
    registration_opens = fields.Date(required=True, metadata={"description": "报名开始日期"})
    registration_closes = fields.Date(required=True, metadata={"description": "报名截止日期"})
    starts_on = fields.Date(required=True, metadata={"description": "竞赛开始日期"})
    ends_on = fields.Date(required=True, metadata={"description": "竞赛结束日期"})
    occupations = fields.List(fields.Nested(OccupationSchema), required=True,
                              validate=validate.Length(min=1, max=100,
                                                       error="请至少设置一个职业（工种）"))


class CompetitionSchema(CompetitionBodySchema):
    id = fields.String()
    committee_id = fields.String()
    committee_name = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "draft | published | closed"})
    state_title = fields.String(metadata={"description": "未发布 | 已发布 | 报名已结束"})
    published_at = fields.DateTime(allow_none=True)
    registration_problem = fields.String(allow_none=True,
                                         metadata={"description": "不能报名的原因（个人）"})
    registration_id = fields.String(allow_none=True, metadata={"description": "本人的报名"})
    registration_status = fields.String(allow_none=True)


CompetitionPageSchema = page_of(CompetitionSchema)


class ConfirmIdentitySchema(Schema):
    name = _text("姓名", 2, 60, required=True)
    id_number = fields.String(required=True, validate=validate.Regexp(
        r"^\d{17}[\dXx]$", error="证件号码应为18位居民身份证号码"),
        metadata={"description": "居民身份证号码"})


class CompetitorBodySchema(Schema):
    phone = fields.String(required=True, validate=validate.Regexp(
        r"^1[3-9]\d{9}$", error="手机号码应为11位手机号"))
    ethnicity = _text("民族", 1, 20, required=True)
    political_status = _choice("政治面貌", POLITICAL_STATUSES, required=True)
    education_level = _choice("文化程度", EDUCATION_LEVELS, required=True)
    work_unit = _text("工作单位", 2, 100, required=True)
    address = _text("通讯地址", 0, 200, load_default=None)
    postcode = fields.String(load_default=None, validate=validate.Regexp(
        r"^\d{6}$", error="邮政编码应为6位数字"))
    email = fields.Email(load_default=None, error_messages={"invalid": "电子邮箱格式不正确"})


class CompetitorSchema(Schema):
    confirmed = fields.Boolean(metadata={"description": "是否已完成个人身份信息确认"})
    profile = fields.Dict(allow_none=True, metadata={"description": "个人基本信息（本人可见完整证件号码）"})
    prefill = fields.Dict(metadata={"description": "平台已有的信息（个人信息、所在单位），用于预填"})


class PhotoSchema(Schema):
    file_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                            metadata={"description": "上传并裁切后的照片（附件编号）"})


class RegistrationBodySchema(Schema):
    occupation_code = _text("职业（工种）", 1, 32, required=True)
    level = _text("申报等级", 1, 30, load_default=None)
    group = _choice("参赛组别", GROUPS, load_default=None)
    years_in_occupation = fields.Integer(required=True, validate=validate.Range(
        min=0, max=60, error="从事本职业（工种）年限应为 0-60 年"))
    current_qualification = _choice("现职业资格（技能）等级", QUALIFICATIONS, required=True)
    remarks = _text("备注", 0, 200, load_default=None)


class RegistrationSchema(Schema):
    id = fields.String()
    competition_id = fields.String()
    competition_name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    status = fields.String(metadata={"description": "未提交 | 待审核 | 退回修改 | 审核通过 | "
                                                    "审核不通过 | 已撤回"})
    instance_id = fields.String(allow_none=True, metadata={"description": "提交后的申请编号"})
    details = fields.Dict(metadata={"description": "报名信息（提交后为提交时的副本，证件号码、手机号脱敏）"})
    reason = fields.String(allow_none=True, metadata={"description": "退回或不通过的原因"})
    revise_task_id = fields.String(allow_none=True,
                                   metadata={"description": "退回后“修改报名信息”的待办任务"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)


RegistrationPageSchema = page_of(RegistrationSchema)


class RegistrationQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["待审核", "退回修改", "审核通过", "审核不通过"]))
    occupation_code = fields.String(load_default=None, validate=validate.Length(max=32))
