"""Admins' process definitions: upload, validate, versions, diff, deploy, migrate."""
from marshmallow import fields, validate

from services.common.schemas import Schema, Version


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
