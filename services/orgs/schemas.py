from marshmallow import Schema, fields, validate

from services.common.schemas import PageQuerySchema, page_of

from .model import ORG_KINDS


class OrgSchema(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    parent_id = fields.String(allow_none=True)


class OrgQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(list(ORG_KINDS)))


class AffiliationSchema(Schema):
    unit_id = fields.String()
    unit_name = fields.String()
    status = fields.String()
    decided_at = fields.DateTime()


class EmployeeSchema(Schema):
    person_id = fields.String()
    person_name = fields.String()
    status = fields.String()
    decided_at = fields.DateTime()


OrgPageSchema = page_of(OrgSchema)
EmployeePageSchema = page_of(EmployeeSchema)
