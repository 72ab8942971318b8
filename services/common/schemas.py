"""Schemas every service's API shares: the pagination query and the page envelope."""
from marshmallow import Schema, fields, validate


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1),
                          metadata={"description": "页码，从 1 开始"})
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100),
                              metadata={"description": "每页条数，最多 100"})


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """A page of `item_schema`: {items, total, page, per_page}."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
    }, name=f"{item_schema.__name__.removesuffix('Schema')}PageSchema")
