"""Response schemas dumped from the dicts the service builds, without marshmallow's lookup per
field: an approval step's answer (the instance view, ~130 fields with its timeline) and an
inbox page went through Field.serialize → get_value → Schema.get_attribute → utils.get_value
for every field, more CPU than the conversions themselves.

`DirectDump._serialize` does what marshmallow's does (the same fields in the same order, the
same `_serialize` of each field, a missing key or an object that is not a plain dict still
through marshmallow's own path); it only takes a present key's value from the dict directly,
as `utils.get_value` would, and a String's text as `String._serialize` would.
"""
from __future__ import annotations

import marshmallow
from marshmallow import fields, missing
from marshmallow.utils import ensure_text_type


class DirectDump:
    """Mixin before the Schema base: `class XSchema(DirectDump, Schema)`."""

    def _serialize(self, obj, *, many: bool = False):
        if many and obj is not None:
            return [self._serialize(each) for each in obj]
        plan = self.__dict__.get("_direct_plan")
        if plan is None:
            plan = self._direct_plan = _plan(self)
        if not plan or type(obj) is not dict:
            return super()._serialize(obj, many=False)
        result = {}
        for attr, key, field, direct, text in plan:
            if direct and attr in obj:
                value = obj[attr]
                if not text:
                    value = field._serialize(value, attr, obj)
                elif value is not None and type(value) is not str:
                    value = ensure_text_type(value)
                result[key] = value
            else:  # absent (a dump_default, or left out), or a field of its own kind
                value = field.serialize(attr, obj, accessor=self.get_attribute)
                if value is not missing:
                    result[key] = value
        return result


def _plan(schema) -> tuple:
    """(attribute, key, field, read from the dict directly, is a String) per dump field; empty
    when the schema reads values its own way (then marshmallow's path serves every dump)."""
    if type(schema).get_attribute is not marshmallow.Schema.get_attribute or \
            schema.dict_class is not dict:
        return ()
    return tuple(
        (attr, field.data_key if field.data_key is not None else attr, field,
         field.attribute is None and "." not in attr and field._CHECK_ATTRIBUTE,
         type(field) is fields.String)
        for attr, field in schema.dump_fields.items())
