"""The kit's base Schema: marshmallow's messages come out in Chinese, field by field, and a
message a schema wrote itself is kept. Every API schema of every service derives from it."""
import importlib

import pytest
from marshmallow import RAISE, ValidationError, fields, validate

from services.common.contracts import Payload
from services.common.schemas import Schema


class Address(Schema):
    city = fields.String(required=True)


class Sample(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=2, max=5))
    age = fields.Integer(validate=validate.Range(min=1, max=120))
    kind = fields.String(validate=validate.OneOf(["a", "b"]))
    code = fields.String(validate=validate.Regexp(r"^\d+$"))
    email = fields.Email()
    own = fields.String(validate=validate.Length(max=1, error="太长了"),
                        error_messages={"null": "请填写自己的"}, allow_none=False)
    born = fields.Date()
    tags = fields.List(fields.String(validate=validate.Length(max=2)),
                       validate=validate.Length(max=1))
    address = fields.Nested(Address)
    flags = fields.Dict(keys=fields.String(), values=fields.Boolean())


def _errors(data: dict) -> dict:
    with pytest.raises(ValidationError) as refused:
        Sample().load(data)
    return refused.value.messages


def test_marshmallows_messages_are_chinese_and_the_schemas_own_are_kept():
    assert _errors({"x": 1}) == {"name": ["必填项"], "x": ["不允许的字段"]}
    assert _errors({"name": "甲", "age": 0, "kind": "c", "code": "x1", "email": "nope",
                    "own": None, "born": "2026-02-30", "tags": ["abc", "d"],
                    "address": {}, "flags": {"k": "perhaps"}}) == {
        "name": ["长度应为 2-5 个字符"], "age": ["应在 1 到 120 之间"],
        "kind": ["取值不在允许范围内"], "code": ["格式不正确"], "email": ["电子邮箱格式不正确"],
        "own": ["请填写自己的"], "born": ["日期格式不正确"],
        "tags": {0: ["长度不能超过 2 个字符"]}, "address": {"city": ["必填项"]},
        "flags": {"k": {"value": ["应为是或否"]}}}
    assert _errors({"name": "甲乙", "own": "长长", "tags": ["a", "b"], "address": "x",
                    "age": "old"}) == {
        "own": ["太长了"], "tags": ["长度不能超过 1 项"], "address": {"_schema": ["格式不正确"]},
        "age": ["应为整数"]}


def test_every_api_schema_of_every_service_speaks_chinese():
    """A schema module split or added later must take Schema from services.common.schemas."""
    for service in ("identity", "orgs", "files", "workflow"):
        importlib.import_module(f"services.{service}")
    import marshmallow

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    strays = [f"{cls.__module__}.{cls.__qualname__}" for cls in below(marshmallow.Schema)
              if cls.__module__.startswith(("services.", "gateway."))
              and not issubclass(cls, (Schema, Payload))]  # bus contracts are not the API's
    assert strays == []
