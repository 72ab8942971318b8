from marshmallow import Schema, fields, validate


class PasswordLoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=40),
                             metadata={"description": "用户名"})
    password = fields.String(required=True, validate=validate.Length(min=1, max=100),
                             load_only=True, metadata={"description": "密码"})


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenPairSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class AccountSchema(Schema):
    id = fields.String()
    username = fields.String()
    kind = fields.String()
    display_name = fields.String()
    org_id = fields.String(allow_none=True)
    roles = fields.List(fields.String())


class BusinessRecordSchema(Schema):
    instance_id = fields.String()
    process_key = fields.String()
    title = fields.String()
    outcome = fields.String()
    completed_at = fields.DateTime()
