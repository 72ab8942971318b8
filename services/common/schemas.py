"""Schemas every service's API shares: the base `Schema` that speaks Chinese, the pagination
query, the page envelope, and the bounds of the values every list and path takes (page,
per_page, versions, and every <int:...> path parameter), so that no endpoint can forget them
and no number too big for the database reaches it."""
import copy

import marshmallow
from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

# marshmallow's default messages in Chinese, by the field class that defines them; a field
# takes those of every class it derives from (the nearest wins), as marshmallow does.
FIELD_MESSAGES = {
    fields.Field: {"required": "必填项", "null": "不能为空", "validator_failed": "取值不正确"},
    fields.String: {"invalid": "应为文本", "invalid_utf8": "应为文本"},
    fields.Number: {"invalid": "应为数字", "too_large": "数值过大"},
    fields.Integer: {"invalid": "应为整数"},
    fields.Float: {"special": "应为数字"},
    fields.Decimal: {"special": "应为数字"},
    fields.Boolean: {"invalid": "应为是或否"},
    fields.UUID: {"invalid_uuid": "编号格式不正确"},
    fields.DateTime: {"invalid": "时间格式不正确", "invalid_awareness": "时间格式不正确",
                      "format": "时间格式不正确"},
    fields.Date: {"invalid": "日期格式不正确", "format": "日期格式不正确"},
    fields.Email: {"invalid": "电子邮箱格式不正确"},
    fields.Url: {"invalid": "网址格式不正确"},
    fields.Mapping: {"invalid": "应为对象"},
    fields.List: {"invalid": "应为列表"},
    fields.Tuple: {"invalid": "应为列表"},
    fields.Nested: {"type": "应为对象"},
    fields.Enum: {"unknown": "取值不在允许范围内"},
}
# Validators whose one message is a constant (Email and URL also stand inside those fields).
VALIDATOR_MESSAGES = {
    validate.OneOf: "取值不在允许范围内",
    validate.Regexp: "格式不正确",
    validate.Email: "电子邮箱格式不正确",
    validate.URL: "网址格式不正确",
}


def _merged(field_class: type, messages_of) -> dict:
    """The messages of every class `field_class` derives from, the nearest winning."""
    merged: dict = {}
    for cls in reversed(field_class.__mro__):
        merged.update(messages_of(cls))
    return merged


def _english(cls: type) -> dict:
    return cls.__dict__.get("default_error_messages", {})


def _chinese(cls: type) -> dict:
    return FIELD_MESSAGES.get(cls, {})


def _chinese_validator(validator, field: fields.Field):
    """A copy of `validator` with Chinese messages, unless it was given its own (`error=`)."""
    if isinstance(validator, (validate.Length, validate.Range)) and validator.error is None:
        validator = copy.copy(validator)
        if isinstance(validator, validate.Length):
            unit = " 项" if isinstance(field, (fields.List, fields.Tuple, fields.Mapping)) \
                else " 个字符"
            validator.message_min = f"长度不能少于 {{min}}{unit}"
            validator.message_max = f"长度不能超过 {{max}}{unit}"
            validator.message_all = f"长度应为 {{min}}-{{max}}{unit}"
            validator.message_equal = f"长度应为 {{equal}}{unit}"
        else:
            low = "不能小于 {min}" if validator.min_inclusive else "应大于 {min}"
            high = "不能大于 {max}" if validator.max_inclusive else "应小于 {max}"
            validator.message_min, validator.message_max = low, high
            validator.message_all = "应在 {min} 到 {max} 之间" if \
                validator.min_inclusive and validator.max_inclusive else f"{low}，{high}"
        return validator
    chinese = VALIDATOR_MESSAGES.get(type(validator))
    if chinese and validator.error == validator.default_message:
        validator = copy.copy(validator)
        validator.error = chinese
    return validator


def chinese_messages(field: fields.Field) -> None:
    """Gives `field` (and the fields inside it) the Chinese default messages, keeping those
    the schema gave it (`error_messages=`, `validate.X(error=...)`)."""
    english = _merged(type(field), _english)
    given = {key: text for key, text in field.error_messages.items() if english.get(key) != text}
    # Assigned, never updated in place: a schema instance's fields share these with the class.
    field.error_messages = {**field.error_messages, **_merged(type(field), _chinese), **given}
    field.validators = [_chinese_validator(v, field) for v in field.validators]
    inner = [getattr(field, "inner", None), getattr(field, "key_field", None),
             getattr(field, "value_field", None), *getattr(field, "tuple_fields", ())]
    for each in inner:
        if each is not None:
            chinese_messages(each)


class Schema(marshmallow.Schema):
    """The base of every service's schemas: what a client sent wrong is answered in Chinese,
    field by field (flattened into the 422 problem by errors.flatten_marshmallow)."""

    error_messages = {"unknown": "不允许的字段", "type": "格式不正确"}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        chinese_messages(field_obj)

# The largest page and version a client may ask for: far beyond any real list, and small
# enough that offset = page * per_page and every integer column hold them in any database.
MAX_PAGE = 100_000
MAX_INT = 2**31 - 1


def Page(**kwargs) -> fields.Integer:  # noqa: N802 — a field factory reads like a field
    return fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "页码，从 1 开始"}, **kwargs)


def PerPage(**kwargs) -> fields.Integer:  # noqa: N802
    return fields.Integer(load_default=20, validate=validate.Range(min=1, max=100),
                          metadata={"description": "每页条数，最多 100"}, **kwargs)


def Version(**kwargs) -> fields.Integer:  # noqa: N802
    return fields.Integer(validate=validate.Range(min=1, max=MAX_INT), **kwargs)


class PageQuerySchema(Schema):
    page = Page()
    per_page = PerPage()


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """A page of `item_schema`: {items, total, page, per_page}."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
    }, name=f"{item_schema.__name__.removesuffix('Schema')}PageSchema")


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every service's routes: 1..MAX_INT, anything else is a 404 (not a
    number the database cannot hold)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 — werkzeug's signature
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def bounded_int_openapi(converter) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": MAX_INT}
