"""Schemas every service's API shares: the pagination query, the page envelope, and the
bounds of the values every list and path takes (page, per_page, versions, and every
<int:...> path parameter), so that no endpoint can forget them and no number too big for
the database reaches it."""
from marshmallow import Schema, fields, validate
from werkzeug.routing import IntegerConverter

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
