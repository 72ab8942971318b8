from marshmallow import Schema, fields, validate

from services.common.schemas import PageQuerySchema, Version, page_of

STATUSES = ["running", "returned", "completed", "rejected", "withdrawn", "failed"]


class ProcessSchema(Schema):
    process_key = fields.String()
    name = fields.String()
    version = fields.Integer()
    start_form = fields.Dict(metadata={"description": "申请表单（JSON Schema）"})


class PrefillSchema(Schema):
    basic_info = fields.Dict(metadata={"description": "基础信息：姓名、性别、民族、政治面貌、学历、所在单位"})
    profile_complete = fields.Boolean(metadata={"description": "是否已提交个人信息（未提交则只有姓名和单位）"})
    form = fields.Dict(metadata={"description": "按申请表单字段预填的内容（受教育情况、专业工作主要经历）"})


class StartInstanceSchema(Schema):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                metadata={"description": "业务编号，如 plan_project"})
    business_key = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                                 metadata={"description": "业务单号（可选，办理中唯一）"})
    data = fields.Dict(required=True, metadata={"description": "按申请表单填写的内容"})


class CompleteTaskSchema(Schema):
    data = fields.Dict(required=True, metadata={"description": "按任务表单填写的内容，"
                                                "审核环节为 {decision, comment}"})


class WithdrawSchema(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=500),
                           metadata={"description": "撤回原因"})


class RetrySchema(Schema):
    data = fields.Dict(load_default=dict, metadata={"description": "修正后的流程数据"})


class InstanceQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES + ["active"]),
                           metadata={"description": "按状态筛选；active 为在办"})


class TaskQuerySchema(PageQuerySchema):
    status = fields.String(load_default="ready", validate=validate.OneOf(["ready", "completed"]),
                           metadata={"description": "ready 待办；completed 已办"})
    scope = fields.String(load_default="all",
                          validate=validate.OneOf(["all", "mine", "group", "team"]),
                          metadata={"description": "all 我的及未认领；mine 我认领的；group 未认领；"
                                    "team 本组全部"})
    group = fields.String(load_default=None, validate=validate.Length(max=80))
    process_key = fields.String(load_default=None, validate=validate.Length(max=64))
    stage = fields.String(load_default=None, validate=validate.Length(max=64),
                          metadata={"description": "环节（任务编号，如 supervisor_review）"})
    applicant = fields.String(load_default=None, validate=validate.Length(max=100),
                              metadata={"description": "申请人姓名（包含）"})
    unit_id = fields.String(load_default=None, validate=validate.Length(max=36))
    created_from = fields.Date(load_default=None, metadata={"description": "到达日期起"})
    created_to = fields.Date(load_default=None, metadata={"description": "到达日期止"})
    overdue = fields.Boolean(load_default=None, metadata={"description": "是否已超时"})
    sort = fields.String(load_default="-created_at",
                         validate=validate.OneOf(["created_at", "-created_at", "due_at", "-due_at"]))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200),
                           metadata={"description": "翻页标记：上一页返回的 next_cursor；"
                                     "传空字符串从第一页开始（此时不计总数）"})


class SavedFilterInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50),
                         metadata={"description": "筛选条件名称"})
    criteria = fields.Nested(TaskQuerySchema(exclude=("page", "per_page", "cursor")), required=True,
                             metadata={"description": "待办列表的查询条件"})


class SavedFilterSchema(Schema):
    id = fields.String()
    name = fields.String()
    criteria = fields.Dict()
    created_at = fields.DateTime()


class AuditSchema(Schema):
    at = fields.DateTime()
    stage = fields.String()
    action = fields.String()
    action_title = fields.String()
    actor_name = fields.String()
    actor_org = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    detail = fields.Dict(allow_none=True)


class StageSchema(Schema):
    task_id = fields.String()
    title = fields.String()
    task_key = fields.String()
    holder = fields.String(metadata={"description": "当前由谁办理"})
    assignee_name = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True, metadata={"description": "规定时限"})


class InstanceSummarySchema(Schema):
    """Every item of a list of instances has every field (required: the document promises
    them, and the property-based test holds the answers to it); incident only for staff."""
    id = fields.String(required=True)
    process_key = fields.String(required=True)
    title = fields.String(required=True)
    business_key = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"description": "running 办理中；returned 已退回；"
                                     "completed 已办结（通过）；rejected 未通过；withdrawn 已撤回；"
                                     "failed 办理异常"})
    status_title = fields.String(required=True)
    outcome = fields.String(required=True, allow_none=True, metadata={"description": "approved / rejected / withdrawn"})
    stage = fields.String(required=True, metadata={"description": "当前环节，如“归口单位审核中”"})
    holder = fields.String(required=True, allow_none=True, metadata={"description": "当前由谁办理"})
    started_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(required=True, allow_none=True)
    current_stage = fields.List(fields.Nested(StageSchema), required=True)
    last_action = fields.Nested(AuditSchema, required=True, allow_none=True)
    withdrawable = fields.Boolean(required=True, metadata={"description": "申请人现在能否撤回"})
    applicant_name = fields.String(required=True)
    incident = fields.String(allow_none=True)
    updated_at = fields.DateTime(required=True)


class InstanceSchema(InstanceSummarySchema):
    application = fields.Dict()
    result = fields.Dict(allow_none=True, metadata={"description": "如专家评审汇总"})
    return_reason = fields.String(allow_none=True)
    timeline = fields.List(fields.Nested(AuditSchema))


class TaskSummarySchema(Schema):
    id = fields.String()
    title = fields.String()
    task_key = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    decision = fields.String(allow_none=True)
    candidate_group = fields.String()
    group_title = fields.String()
    assignee = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    delegated_by = fields.String(allow_none=True, metadata={"description": "委派人（协办中）"})
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    instance_id = fields.String()
    instance_title = fields.String()
    instance_status = fields.String()
    stage = fields.String()
    process_key = fields.String()
    applicant_name = fields.String()


class AttachmentLinkSchema(Schema):
    id = fields.String()
    url = fields.String()


class TaskSchema(Schema):
    id = fields.String()
    title = fields.String()
    task_key = fields.String()
    status = fields.String()
    version = fields.Integer()
    created_at = fields.DateTime()
    candidate_group = fields.String()
    assignee = fields.String(allow_none=True)
    assignee_name = fields.String(allow_none=True)
    delegated_by = fields.String(allow_none=True, metadata={"description": "委派人（协办中）"})
    due_at = fields.DateTime(allow_none=True)
    form = fields.Dict(metadata={"description": "本环节表单（JSON Schema）"})
    instance = fields.Nested(InstanceSchema)
    attachments = fields.List(fields.Nested(AttachmentLinkSchema))
    comments = fields.List(fields.Nested(AuditSchema))


class GroupCountSchema(Schema):
    group = fields.String()
    title = fields.String()
    ready = fields.Integer()
    unclaimed = fields.Integer()
    overdue = fields.Integer()


class CountsSchema(Schema):
    assigned_to_me = fields.Integer()
    groups = fields.List(fields.Nested(GroupCountSchema))


class AssignSchema(Schema):
    assignee_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                                metadata={"description": "同组同事的账号编号"})
    comment = fields.String(load_default=None, validate=validate.Length(max=500))


class DelegateSchema(Schema):
    delegate_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                                metadata={"description": "协办同事的账号编号"})
    comment = fields.String(load_default=None, validate=validate.Length(max=500))


class ResolveSchema(Schema):
    comment = fields.String(load_default=None, validate=validate.Length(max=500),
                            metadata={"description": "协办意见"})


class CommentSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=1000),
                         metadata={"description": "备注内容"})


class ColleagueSchema(Schema):
    id = fields.String()
    name = fields.String()


# --- definitions (admins) -------------------------------------------------------------------

class DefinitionUploadSchema(Schema):
    bpmn_xml = fields.String(required=True, validate=validate.Length(min=1, max=1_000_000),
                             metadata={"description": "BPMN 2.0 XML"})
    forms = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True,
                        metadata={"description": "{任务编号: JSON Schema}，须含 start"})
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class DefinitionSchema(Schema):
    id = fields.String()
    process_key = fields.String()
    name = fields.String()
    version = fields.Integer()
    state = fields.String(metadata={"description": "draft 待发布；deployed 运行中；retired 已停用"})
    checksum = fields.String()
    uploaded_by = fields.String(allow_none=True)
    uploaded_at = fields.DateTime()
    note = fields.String(allow_none=True)
    forms = fields.List(fields.String())
    running_instances = fields.Integer(allow_none=True)


class DefinitionSummarySchema(Schema):
    process_key = fields.String()
    name = fields.String()
    deployed_version = fields.Integer(allow_none=True, metadata={"description": "运行中的版本"})
    latest_version = fields.Integer()
    drafts = fields.List(fields.Integer(), metadata={"description": "比运行中版本新的待发布版本"})
    running_instances = fields.Integer(metadata={"description": "在办申请数（各版本合计）"})


class AdminInstanceQuerySchema(PageQuerySchema):
    process_key = fields.String(load_default=None, validate=validate.Length(max=64))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES + ["active"]),
                           metadata={"description": "按状态筛选；active 为在办（含办理异常）"})
    applicant = fields.String(load_default=None, validate=validate.Length(max=100),
                              metadata={"description": "申请人姓名（包含）"})
    unit_id = fields.String(load_default=None, validate=validate.Length(max=36))
    started_from = fields.Date(load_default=None, metadata={"description": "提交日期起"})
    started_to = fields.Date(load_default=None, metadata={"description": "提交日期止"})


class AdminInstanceSchema(InstanceSummarySchema):
    version = fields.Integer(metadata={"description": "所在流程版本"})
    unit_id = fields.String(allow_none=True)


AdminInstancePageSchema = page_of(AdminInstanceSchema)


class TraceSchema(Schema):
    instance_id = fields.String()
    process_key = fields.String()
    version = fields.Integer()
    status = fields.String()
    incident = fields.String(allow_none=True)
    done = fields.List(fields.String(), metadata={"description": "已走过的流程元素"})
    current = fields.List(fields.String(), metadata={"description": "当前等待的环节"})
    data = fields.Dict(metadata={"description": "流程数据"})


class MoveSchema(Schema):
    task_key = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "移回的环节（已走过的用户任务编号）"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"description": "原因（记入审核记录）"})


class DefinitionFileSchema(DefinitionSchema):
    bpmn_xml = fields.String()
    form_schemas = fields.Dict()


class DiffSchema(Schema):
    from_version = fields.Integer()
    to_version = fields.Integer()
    bpmn_diff = fields.String()
    forms_added = fields.List(fields.String())
    forms_removed = fields.List(fields.String())
    forms_changed = fields.List(fields.String())


class ValidSchema(Schema):
    valid = fields.Boolean()
    process_key = fields.String()


class MigrateSchema(Schema):
    version = Version(required=True, metadata={"description": "目标版本"})
    instance_ids = fields.List(fields.String(validate=validate.Length(max=36)), load_default=None,
                               validate=validate.Length(max=1000),
                               metadata={"description": "指定申请；不填为全部在办申请"})
    dry_run = fields.Boolean(load_default=True, metadata={"description": "只检查不迁移"})


class BlockedSchema(Schema):
    instance_id = fields.String()
    problem = fields.String()


class MigrationReportSchema(Schema):
    to_version = fields.Integer()
    dry_run = fields.Boolean()
    movable = fields.List(fields.String())
    moved = fields.List(fields.String())
    blocked = fields.List(fields.Nested(BlockedSchema))


# --- catalogue, restrictions, notices, prompts ----------------------------------------------

class CatalogueEntrySchema(Schema):
    process_key = fields.String()
    name = fields.String()
    version = fields.Integer()
    can_start = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={"description": "不能办理的原因"})
    restricted = fields.Boolean()
    entry = fields.String(allow_none=True, metadata={
        "description": "办理入口：不经 POST /instances 申请的业务（技能竞赛报名在竞赛计划列表中报名）"})


class InProgressSchema(Schema):
    items = fields.List(fields.Nested(InstanceSummarySchema))
    message = fields.String(allow_none=True)


class RestrictionInSchema(Schema):
    subject_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                               metadata={"description": "个人账号或单位编号"})
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RestrictionSchema(RestrictionInSchema):
    id = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()


class NoticeInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    attachment_ids = fields.List(fields.String(validate=validate.Length(max=36)),
                                 load_default=list, validate=validate.Length(max=20))


class NoticeSchema(NoticeInSchema):
    id = fields.String()
    published_by = fields.String()
    published_at = fields.DateTime()


class PromptSchema(Schema):
    id = fields.Integer()
    text = fields.String()
    instance_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    read = fields.Boolean()


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSummarySchema))
    total = fields.Integer(allow_none=True, metadata={"description": "总数（翻页标记方式为空）"})
    page = fields.Integer(allow_none=True)
    per_page = fields.Integer()
    next_cursor = fields.String(allow_none=True, metadata={"description": "下一页的翻页标记"})


InstancePageSchema = page_of(InstanceSummarySchema)
NoticePageSchema = page_of(NoticeSchema)


class PromptListSchema(Schema):
    items = fields.List(fields.Nested(PromptSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    unread = fields.Integer(metadata={"description": "未读条数"})


class CertificateSchema(Schema):
    kind = fields.String(metadata={"description": "证件类型，如 工作居住证"})
    number = fields.String(metadata={"description": "证件编号"})
    holder_name = fields.String(allow_none=True)
    unit_name = fields.String(allow_none=True)
    valid_from = fields.String(allow_none=True)
    valid_until = fields.String(allow_none=True)
    instance_id = fields.String()


class CertificatePanelSchema(Schema):
    items = fields.List(fields.Nested(CertificateSchema))
    show = fields.Boolean(metadata={"description": "未持有有效证件时不显示此区域"})


# --- 需求申报 (talent introduction, seed 003) ------------------------------------------------

class DeclarationQuerySchema(PageQuerySchema):
    process_key = fields.String(load_default="talent_demand")
    status = fields.String(load_default=None,
                           validate=validate.OneOf(["待审核", "待复审", "未通过", "已完成"]),
                           metadata={"description": "待审核 | 待复审 | 未通过 | 已完成"})


class PersonalDataQuerySchema(Schema):
    field = fields.String(load_default="id_number", validate=validate.Length(min=1, max=40),
                          metadata={"description": "个人敏感信息字段（流程的 rencai:piiFields），默认 id_number"})
    reason = fields.String(validate=validate.Length(max=200),
                           metadata={"description": "查看事由（可选，记入审计日志）"})


class PersonalFieldSchema(Schema):
    field = fields.String()
    value = fields.String(allow_none=True)


class ExportQuerySchema(Schema):
    process_key = fields.String(load_default="talent_demand")
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]),
                           metadata={"description": "csv（默认，UTF-8，Excel 可直接打开）| xlsx"})
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200),
                           metadata={"description": "导出事由（必填，记入审计日志并印在文件上）"})


class DeclarationSchema(Schema):
    id = fields.String(metadata={"description": "申请（流程实例）编号：查看、重新申请"})
    title = fields.String()
    unit_id = fields.String()
    unit_name = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True, metadata={"description": "脱敏显示"})
    gender = fields.String(allow_none=True)
    age = fields.Integer(allow_none=True)
    political_status = fields.String(allow_none=True)
    professional_title = fields.String(allow_none=True, metadata={"description": "职称"})
    education = fields.String(allow_none=True)
    degree = fields.String(allow_none=True)
    institution = fields.String(allow_none=True)
    major = fields.String(allow_none=True)
    introduction_basis = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "待审核 | 待复审 | 未通过 | 已完成"})
    reason = fields.String(allow_none=True, metadata={"description": "未通过的原因"})
    can_reapply = fields.Boolean(metadata={"description": "可“重新申请”（未通过）"})
    submitted_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


DeclarationPageSchema = page_of(DeclarationSchema)


# --- 技能竞赛报名 (seed 004) -------------------------------------------------------------------

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


class PersonalDataSchema(Schema):
    """workflow's part of GET /me/export: {table: [rows]}."""

    applications = fields.List(fields.Dict())
    application_timeline = fields.List(fields.Dict())
    competitor_profile = fields.List(fields.Dict())
    competition_registrations = fields.List(fields.Dict())
    prompts = fields.List(fields.Dict())
    person_record = fields.List(fields.Dict())
    restrictions = fields.List(fields.Dict())
