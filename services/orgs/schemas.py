import re
from datetime import date

from marshmallow import ValidationError, fields, validate, validates_schema

from services.common.schemas import PageQuerySchema, Schema, page_of

from .model import AFFILIATION_STATES, ORG_KINDS

PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def _phone(value: str) -> None:
    if not PHONE.match(value):
        raise ValidationError("联系电话格式不正确（手机号11位，或带区号的固定电话）")


def _text(max_length: int, required: bool = False, label: str = "", **kwargs) -> fields.String:
    """A text field; `label` (Chinese) names it in the "required" message."""
    messages = {"required": f"请填写{label}"} if label else {}
    return fields.String(required=required, error_messages=messages, validate=validate.Length(
        max=max_length, error=f"{label}不能超过{max_length}个字"), **kwargs)


FileId = fields.String(validate=validate.Regexp(
    r"^[0-9a-fA-F-]{36}$", error="附件编号格式不正确"))


# --- hierarchy ---------------------------------------------------------------------------------

class OrgSchema(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    parent_id = fields.String(allow_none=True)
    district_id = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)


class OrgQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(list(ORG_KINDS)))
    parent_id = fields.String()
    name = fields.String()


class OrgCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(ORG_KINDS)),
                         error_messages={"required": "请选择机构类型"},
                         metadata={"description": "机构类型：" + "、".join(
                             f"{k}（{v}）" for k, v in ORG_KINDS.items())})
    name = _text(200, required=True, label="机构名称")
    parent_id = fields.String(allow_none=True, load_default=None)
    district_id = fields.String(allow_none=True, load_default=None)
    credit_code = fields.String(allow_none=True, load_default=None)


class OrgUpdateSchema(Schema):
    name = _text(200)
    parent_id = fields.String(allow_none=True)
    district_id = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)


# --- units -------------------------------------------------------------------------------------

class ContactSchema(Schema):
    name = _text(100, required=True, label="姓名")
    phone = fields.String(required=True, validate=_phone,
                          error_messages={"required": "请填写联系电话"})


class GeneralInfoSchema(Schema):
    legal_representative = _text(100, metadata={"description": "法定代表人"})
    address = _text(200, metadata={"description": "单位地址"})
    postcode = fields.String(validate=validate.Regexp(r"^\d{6}$", error="邮政编码应为6位数字"))
    registered_capital = _text(50, metadata={"description": "注册资本"})
    established_on = fields.String(validate=validate.Regexp(
        r"^\d{4}-\d{2}-\d{2}$", error="成立日期格式应为 YYYY-MM-DD"),
        metadata={"description": "成立日期"})
    industry = _text(100, metadata={"description": "所属行业"})
    business_scope = _text(2000, metadata={"description": "经营范围"})
    introduction = _text(2000, metadata={"description": "单位简介"})


class QualificationSchema(Schema):
    name = _text(100, required=True, label="资质名称")
    number = _text(100, metadata={"description": "证书编号"})
    issued_by = _text(100, metadata={"description": "发证机关"})
    valid_until = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$",
                                                         error="有效期格式应为 YYYY-MM-DD"))
    file_id = FileId


class ProfileInputSchema(Schema):
    name = _text(200)
    credit_code = fields.String(metadata={"description": "统一社会信用代码（18位）"})
    office_location = _text(200)
    unit_type = _text(50)
    general = fields.Nested(GeneralInfoSchema)
    qualifications = fields.List(fields.Nested(QualificationSchema),
                                 validate=validate.Length(max=50, error="资质最多50项"))
    handler = fields.Nested(ContactSchema)
    emergency = fields.Nested(ContactSchema)
    attachment_ids = fields.List(FileId, validate=validate.Length(max=50,
                                                                  error="附件最多50份"))


class HandlerInputSchema(Schema):
    handler = fields.Nested(ContactSchema, required=True)
    emergency = fields.Nested(ContactSchema, required=True)


class ContactOutSchema(Schema):
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class ProfileSchema(Schema):
    unit_id = fields.String()
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    district_id = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "incomplete（待完善）| complete（已完善）"})
    office_location = fields.String(allow_none=True)
    unit_type = fields.String(allow_none=True)
    general = fields.Dict()
    qualifications = fields.List(fields.Dict())
    handler = fields.Nested(ContactOutSchema)
    emergency = fields.Nested(ContactOutSchema)
    attachment_ids = fields.List(fields.String())
    submitted_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    missing = fields.Dict(metadata={"description": "提交前仍需填写的项：字段 -> 提示"})
    ready = fields.Boolean()


class UnitHomeSchema(Schema):
    unit_id = fields.String()
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    office_location = fields.String(allow_none=True)
    unit_type = fields.String(allow_none=True)
    handler = fields.Nested(ContactOutSchema)
    emergency = fields.Nested(ContactOutSchema)
    association_code = fields.String(allow_none=True)
    profile_status = fields.String()
    needs_completion = fields.Boolean()
    pending_affiliations = fields.Integer()
    active_employees = fields.Integer()
    certification_status = fields.String(allow_none=True)
    certification_title = fields.String()


class AssociationCodeSchema(Schema):
    unit_id = fields.String()
    association_code = fields.String()


class UnitFoundSchema(Schema):
    unit_id = fields.String()
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    office_location = fields.String(allow_none=True)
    unit_type = fields.String(allow_none=True)


# --- affiliation -------------------------------------------------------------------------------

class AffiliationRequestSchema(Schema):
    association_code = fields.String(required=True,
                                     error_messages={"required": "请填写单位关联代码"},
                                     validate=validate.Length(
        min=1, max=32, error="请填写单位关联代码"))
    id_number = fields.String(allow_none=True, metadata={"description": "本人身份证号码"})
    phone = fields.String(allow_none=True, validate=_phone)


class AffiliationSchema(Schema):
    affiliation_id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    status = fields.String()
    status_title = fields.String()
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    position = fields.String(allow_none=True)


class AffiliationQuerySchema(PageQuerySchema):
    status = fields.String(load_default="pending", validate=validate.OneOf(AFFILIATION_STATES))
    name = fields.String(validate=validate.Length(max=100, error="不能超过100个字"))
    id_number = fields.String(validate=validate.Length(max=18, error="身份证号码最多18位"))
    date_from = fields.Date(validate=validate.Range(
        min=date(1900, 1, 1), max=date(2999, 12, 31), error="日期超出范围"))
    date_to = fields.Date(validate=validate.Range(
        min=date(1900, 1, 1), max=date(2999, 12, 31), error="日期超出范围"))

    @validates_schema
    def _range(self, data, **_kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("结束日期不能早于开始日期", "date_to")


class EmployeeQuerySchema(AffiliationQuerySchema):
    status = fields.String(load_default="approved", validate=validate.OneOf(["approved"]))


class DecisionSchema(Schema):
    reason = _text(500, allow_none=True, metadata={"description": "意见（拒绝时必填）"})


class UnlinkSchema(Schema):
    reason = _text(500, required=True, label="解除关联原因")


class EmploymentSchema(Schema):
    position = _text(100, allow_none=True, metadata={"description": "当前职位"})
    contract_term = fields.String(allow_none=True, validate=validate.OneOf(
        ["fixed", "open", "task"], error="合同期限类型应为固定期限、无固定期限或以完成一定工作任务为期限"),
        metadata={"description": "fixed 固定期限 | open 无固定期限 | task 以完成一定工作任务为期限"})
    contract_start = fields.Date(allow_none=True)
    contract_end = fields.Date(allow_none=True)
    contract_file_id = fields.String(allow_none=True, validate=validate.Regexp(
        r"^[0-9a-fA-F-]{36}$", error="附件编号格式不正确"))


class BusinessSchema(Schema):
    instance_id = fields.String()
    process_key = fields.String()
    title = fields.String()
    started_at = fields.DateTime()


class EmployeeSchema(Schema):
    affiliation_id = fields.String()
    person_id = fields.String()
    person_name = fields.String()
    id_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    unit_id = fields.String()
    status = fields.String()
    status_title = fields.String()
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_comment = fields.String(allow_none=True)
    unlinked_at = fields.DateTime(allow_none=True)
    unlink_reason = fields.String(allow_none=True)
    position = fields.String(allow_none=True)
    contract_term = fields.String(allow_none=True)
    contract_start = fields.Date(allow_none=True)
    contract_end = fields.Date(allow_none=True)
    contract_file_id = fields.String(allow_none=True)


class PersonProfileSchema(Schema):
    """The employee detail tabs, from the person's last submitted profile."""
    name = fields.String()
    gender = fields.String(allow_none=True)
    education_level = fields.String(allow_none=True)
    education = fields.List(fields.Dict(), metadata={"description": "教育信息"})
    study_history = fields.List(fields.Dict(), metadata={"description": "学习经历"})
    work_history = fields.List(fields.Dict(), metadata={"description": "工作经历"})


class EmployeeDetailSchema(EmployeeSchema):
    businesses_in_progress = fields.List(fields.Nested(BusinessSchema))
    profile = fields.Nested(PersonProfileSchema, allow_none=True,
                            metadata={"description": "未完善个人信息时为空"})


class UnlinkCheckSchema(Schema):
    allowed = fields.Boolean()
    reasons = fields.List(fields.String())


OrgPageSchema = page_of(OrgSchema)
EmployeePageSchema = page_of(EmployeeSchema)
AffiliationPageSchema = page_of(AffiliationSchema)


# --- certification from the business licence ----------------------------------------------

class LicenceUploadSchema(Schema):
    licence = fields.Raw(required=True, error_messages={"required": "请上传营业执照图片"},
                         metadata={"type": "string", "format": "binary",
                                   "description": "营业执照图片（JPG、PNG），清晰完整"})


class ReadingSchema(Schema):
    recognised = fields.Boolean()
    name = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)
    credit_code_problem = fields.String(allow_none=True)
    lines = fields.List(fields.String())
    message = fields.String()


class CertificationInputSchema(Schema):
    name = _text(200, required=True, label="单位名称")
    credit_code = fields.String(required=True,
                                error_messages={"required": "请填写统一社会信用代码"})
    email = fields.Email(required=True, error_messages={"required": "请填写邮箱",
                                                        "invalid": "邮箱格式不正确"})
    licence_file_id = FileId


class CertificationReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(
        ["approve", "reject"], error="审核结果应为通过（approve）或不通过（reject）"),
        error_messages={"required": "请选择审核结果"})
    reason = _text(500, allow_none=True, label="原因")


class CertificationSchema(Schema):
    status = fields.String(allow_none=True,
                           metadata={"description": "pending_review | approved | rejected"})
    status_title = fields.String()
    name = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    licence_file_id = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    reading = fields.Nested(ReadingSchema, allow_none=True)


# --- business permissions (业务权限) -----------------------------------------------------------

class PermissionSchema(Schema):
    unit_id = fields.String()
    unit_name = fields.String()
    business = fields.String(metadata={"description": "talent_intro（人才引进）"})
    business_title = fields.String()
    district_id = fields.String(allow_none=True)
    state = fields.String(allow_none=True, metadata={
        "description": "null 未开通 | pending 审核中 | approved 已开通 | rejected 业务权限审核不通过 | "
                       "re_review 修改资料待审核（权限仍有效） | withdrawn 已撤回"})
    state_title = fields.String()
    usable = fields.Boolean(metadata={"description": "可以进行需求申报"})
    action = fields.String(allow_none=True, metadata={
        "description": "单位可用的操作：申请开通 | 修改资料 | 重新申请；null 表示等待审核"})
    reason = fields.String(allow_none=True, metadata={"description": "不通过的原因"})
    instance_id = fields.String(allow_none=True, metadata={"description": "最近一次申请（查看详情）"})
    applied_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)


PermissionPageSchema = page_of(PermissionSchema)


class PermissionQuerySchema(PageQuerySchema):
    business = fields.String(load_default="talent_intro")
    state = fields.String(load_default=None, validate=validate.OneOf(
        ["pending", "approved", "rejected", "re_review", "withdrawn"]))


class PersonalDataSchema(Schema):
    """orgs' part of GET /me/export: {table: [rows]}."""

    affiliations = fields.List(fields.Dict())
    person_profile = fields.List(fields.Dict())
    businesses_in_progress = fields.List(fields.Dict())
