"""The one form renderer: any process's JSON Schema (bpmn/forms/<process>/<task>.schema.json,
or one an admin deploys later) becomes a page, and the posted page becomes the JSON the API
validates. Objects are fieldsets, arrays of objects repeatable rows, enums selects or radios,
booleans checkboxes (a `const: true` one is a confirmation), `if/then/else` conditional
fields, and attachment fields (items with a `file_id`, `attachment_ids`, `*_file_id`) pick
from 附件管理 or upload a new file. Field names are the API's error paths
(`education.0.school`), so `errors{field: msg}` lands beside its field."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field as dc_field
from typing import Any

MONTH = "^\\d{4}-\\d{2}$"
YEAR = "^\\d{4}$"
ROW = "__index__"  # the row index in the blank row that JavaScript copies for 添加


@dataclass
class Field:
    path: str
    name: str
    schema: dict
    kind: str
    title: str
    description: str = ""
    required: bool = False
    value: Any = None
    error: str | None = None
    children: list["Field"] = dc_field(default_factory=list)
    rows: list["Field"] = dc_field(default_factory=list)
    blank: "Field | None" = None
    options: list[tuple[str, str]] = dc_field(default_factory=list)
    show_if: dict | None = None      # {"field": path, "values": [...], "negate": bool}
    required_if: dict | None = None
    upload_kinds: list[tuple[str, str]] = dc_field(default_factory=list)

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-")

    @property
    def show_if_json(self) -> str:
        return json.dumps(self.show_if, ensure_ascii=False) if self.show_if else ""

    @property
    def required_if_json(self) -> str:
        return json.dumps(self.required_if, ensure_ascii=False) if self.required_if else ""

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()
        for row in self.rows:
            yield from row.walk()


# --- reading a schema ----------------------------------------------------------------------

def enum_options(schema: dict) -> list[tuple[str, str]]:
    """(value, label): labels from `oneOf[{const, title}]`, `x-enumTitles`, or the Chinese
    description ("approve 通过；reject 不通过" or "学历学位证书、工作经历证明" in enum order)."""
    if "oneOf" in schema and all("const" in s for s in schema["oneOf"]):
        return [(str(s["const"]), s.get("title", str(s["const"]))) for s in schema["oneOf"]]
    values = [str(v) for v in schema.get("enum", [])]
    if "x-enumTitles" in schema:
        return list(zip(values, schema["x-enumTitles"]))
    description = schema.get("description", "")
    labels = {}
    for part in re.split("[；;]", description):
        bits = part.strip().split(None, 1)
        if len(bits) == 2 and bits[0] in values:
            labels[bits[0]] = bits[1]
    if not labels and all(v.isascii() for v in values):
        parts = [p.strip() for p in description.split("、")]
        if len(parts) == len(values):
            labels = dict(zip(values, parts))
    return [(v, labels.get(v, v)) for v in values]


def _labels_from_description(schema: dict, options: list[tuple[str, str]]) -> bool:
    return "oneOf" not in schema and "x-enumTitles" not in schema and \
        any(value != label for value, label in options) and \
        all(value in schema.get("description", "") for value, _ in options)


def is_attachment_list(name: str, schema: dict) -> bool:
    items = schema.get("items", {})
    return schema.get("type") == "array" and (
        "file_id" in items.get("properties", {}) or
        (name.endswith("attachment_ids") and items.get("type") == "string"))


def _kind(name: str, schema: dict, required: bool) -> str:
    kind = schema.get("type")
    if kind == "object":
        return "fieldset"
    if kind == "array":
        items = schema.get("items", {})
        if is_attachment_list(name, schema):
            return "attachments" if "file_id" in items.get("properties", {}) else "attachment_ids"
        if items.get("type") == "object":
            return "rows"
        if "enum" in items:
            return "checkboxes"
        return "lines"
    if kind == "boolean":
        if schema.get("const") is True:
            return "confirm"
        return "yesno" if required else "checkbox"
    if "enum" in schema or "oneOf" in schema:
        return "radios" if len(schema.get("enum") or schema.get("oneOf")) <= 4 else "select"
    if kind in ("integer", "number"):
        return kind
    if kind == "string":
        if name.endswith("file_id"):
            return "attachment"
        if schema.get("format") == "date":
            return "date"
        if schema.get("pattern") == MONTH:
            return "month"
        if schema.get("maxLength", 0) > 200:
            return "textarea"
    return "text"


def _conditions(schema: dict) -> tuple[dict, dict, dict]:
    """From `if/then/else` (also inside allOf): extra properties, {name: show condition},
    {name: required condition}."""
    extra, show, required = {}, {}, {}
    blocks = [schema] + [s for s in schema.get("allOf", []) if isinstance(s, dict)]
    for block in blocks:
        test = block.get("if", {}).get("properties", {})
        if len(test) != 1:
            continue
        (controller, rule), = test.items()
        values = rule.get("enum") or ([rule["const"]] if "const" in rule else [])
        for branch, negate in (("then", False), ("else", True)):
            part = block.get(branch) or {}
            other = block.get("else" if branch == "then" else "then") or {}
            condition = {"field": controller, "values": values, "negate": negate}
            for name, sub in part.get("properties", {}).items():
                if sub == {"not": {}} or sub is False:
                    continue
                if name not in schema.get("properties", {}):
                    extra[name] = sub
                forbidden = other.get("properties", {}).get(name) in ({"not": {}}, False)
                if forbidden or name not in schema.get("properties", {}):
                    show[name] = condition
            for name in part.get("required", []):
                required[name] = condition
                forbidden = other.get("properties", {}).get(name) in ({"not": {}}, False)
                if forbidden:
                    show[name] = condition
    return extra, show, required


def _error_for(errors: dict, path: str) -> str | None:
    return errors.get(path)


def build(schema: dict, data: dict | None = None, errors: dict | None = None,
          path: str = "", name: str = "", required: bool = False) -> Field:
    """The field tree of `schema` filled with `data` and the API's `errors`."""
    errors = errors or {}
    kind = _kind(name, schema, required) if path else "fieldset"
    node = Field(path=path, name=name, schema=schema, kind=kind,
                 title=schema.get("title", name), description=schema.get("description", ""),
                 required=required, value=data, error=_error_for(errors, path) if path else None)
    if kind == "fieldset":
        extra, show, conditional = _conditions(schema)
        properties = {**schema.get("properties", {}), **extra}
        needed = set(schema.get("required", []))
        value = data if isinstance(data, dict) else {}
        node.value = value
        for key, sub in properties.items():
            child_path = f"{path}.{key}" if path else key
            child = build(sub, value.get(key), errors, child_path, key, key in needed)
            if key in show:
                child.show_if = {**show[key], "field": _sibling(path, show[key]["field"])}
            if key in conditional and key not in needed:
                child.required_if = {**conditional[key],
                                     "field": _sibling(path, conditional[key]["field"])}
            node.children.append(child)
    elif kind in ("rows", "attachments"):
        items = schema.get("items", {})
        # One blank row to fill (also without JavaScript); blank rows are not sent.
        rows = (data if isinstance(data, list) else []) + [{}]
        node.rows = [build(items, row, errors, f"{path}.{i}", str(i)) for i, row in
                     enumerate(rows)]
        node.blank = build(items, {}, {}, f"{path}.{ROW}", ROW)
    if kind == "attachments":
        kind_schema = items.get("properties", {}).get("kind")
        node.upload_kinds = enum_options(kind_schema) if kind_schema else []
    elif kind in ("radios", "select"):
        node.options = enum_options(schema)
        if _labels_from_description(schema, node.options):
            node.description = ""  # "approve 通过；reject 不通过" became the labels
    elif kind == "checkboxes":
        node.options = enum_options(schema["items"])
    if node.error is None and path:
        node.error = _nested_error(errors, path, node)
    return node


def _sibling(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _nested_error(errors: dict, path: str, node: Field) -> str | None:
    """An error below this field that no rendered child shows (e.g. the API's
    `attachments.work_proof`) is shown on this field."""
    if node.kind in ("fieldset", "rows", "attachments"):
        shown = {f.path for f in node.walk()}
        for key, message in errors.items():
            if key.startswith(path + ".") and key not in shown and not any(
                    key.startswith(p + ".") for p in shown if p != path and p):
                return message
    return None


def unplaced_errors(root: Field, errors: dict) -> dict:
    """Errors no field shows (e.g. `_form`): shown at the top of the page."""
    shown = {f.path for f in root.walk() if f.error}
    placed = {key for key in errors for p in shown if key == p or key.startswith(p + ".")}
    return {k: v for k, v in errors.items() if k not in placed}


# --- reading a posted form -----------------------------------------------------------------

def parse(schema: dict, form, attachments: dict | None = None) -> dict:
    """The JSON of a posted form (a MultiDict). Empty inputs are left out, so the API names
    what is missing; numbers that do not parse are sent as typed, so the API says why."""
    return _parse_object(schema, form, "", attachments or {})


def _parse_object(schema: dict, form, path: str, attachments: dict) -> dict:
    extra, show, _ = _conditions(schema)
    properties = {**schema.get("properties", {}), **extra}
    needed = set(schema.get("required", []))
    result = {}
    for key, sub in properties.items():
        child_path = f"{path}.{key}" if path else key
        value = _parse_value(key, sub, form, child_path, key in needed, attachments)
        if value is not None:
            result[key] = value
    for key, condition in show.items():  # a hidden conditional field is not sent
        if key in result and not _holds(condition, result):
            result.pop(key)
    return result


def _holds(condition: dict, data: dict) -> bool:
    value = data.get(condition["field"])
    inside = value in condition["values"]
    return inside != condition.get("negate", False)


def _row_indexes(form, path: str) -> list[int]:
    pattern = re.compile(re.escape(path) + r"\.(\d+)\.")
    return sorted({int(m.group(1)) for key in form.keys() for m in [pattern.match(key)] if m})


def _parse_value(name: str, schema: dict, form, path: str, required: bool, attachments: dict):
    kind = _kind(name, schema, required)
    if kind == "fieldset":
        value = _parse_object(schema, form, path, attachments)
        return value or None
    if kind in ("rows", "attachments"):
        rows = []
        for index in _row_indexes(form, path):
            row = _parse_object(schema.get("items", {}), form, f"{path}.{index}", attachments)
            if kind == "attachments" and row.get("file_id") and not row.get("name"):
                row["name"] = attachments.get(row["file_id"], {}).get("name", row["file_id"])
            if row and (kind == "rows" or row.get("file_id")):
                rows.append(row)
        return rows if rows or f"{path}.__present" in form else None
    if kind in ("checkboxes", "attachment_ids", "lines"):
        values = [v for v in form.getlist(path) if v.strip()]
        return values if values or f"{path}.__present" in form else None
    raw = form.get(path)
    if kind == "confirm":
        return True if raw in ("on", "true", "1") else None
    if kind in ("checkbox", "yesno"):
        if raw in ("on", "true", "1"):
            return True
        if raw in ("false", "0") or (kind == "checkbox" and f"{path}.__present" in form):
            return False
        return None
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    if kind == "integer":
        return int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    if kind == "number":
        try:
            return float(raw) if "." in raw else int(raw)
        except ValueError:
            return raw
    if kind in ("radios", "select") and schema.get("type") == "integer":
        return int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    return raw

