"""Task forms: JSON Schemas under bpmn/forms/<process>/<task>.schema.json, validated
server-side before the engine sees any data. A form may `$ref` a sibling file
(e.g. the review form every reviewing task shares)."""
from __future__ import annotations

import json
import threading
from pathlib import Path

from cachetools import LRUCache
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from services.common.errors import ValidationFailed

BASE_URI = "https://rencai.example/forms/"


def load_forms(forms_dir: Path) -> dict[str, dict]:
    """{'start': {...}, 'unit_review': {...}, 'review': {...}} from one process's folder."""
    if not forms_dir.is_dir():
        return {}
    return {path.name.removesuffix(".schema.json"): json.loads(path.read_text("utf-8"))
            for path in sorted(forms_dir.glob("*.schema.json"))}


VALIDATORS_KEPT = 256
_VALIDATORS: "LRUCache[tuple, tuple[dict, Draft202012Validator]]" = LRUCache(VALIDATORS_KEPT)
_VALIDATORS_LOCK = threading.Lock()  # cachetools' caches are not thread-safe


def _validator(process_key: str, forms: dict[str, dict], form_name: str) -> Draft202012Validator:
    """The form's validator, built once per forms dict: a definition version's forms are one
    dict kept in memory (service/reads.py), and building the registry and resolving its
    $refs anew took more time than validating. Keyed by the dict's identity, holding the
    dict so that the identity stays its own."""
    key = (id(forms), process_key, form_name)
    with _VALIDATORS_LOCK:
        kept = _VALIDATORS.get(key)
    if kept is not None and kept[0] is forms:
        return kept[1]
    validator = _new_validator(process_key, forms, form_name)
    with _VALIDATORS_LOCK:
        _VALIDATORS[key] = (forms, validator)
    return validator


def _new_validator(process_key: str, forms: dict[str, dict],
                   form_name: str) -> Draft202012Validator:
    base = f"{BASE_URI}{process_key}/"
    registry = Registry().with_resources(
        (f"{base}{name}.schema.json", Resource.from_contents(schema, DRAFT202012))
        for name, schema in forms.items())
    schema = {"$ref": f"{base}{form_name}.schema.json"}
    return Draft202012Validator(schema, registry=registry)


def resolved_schema(process_key: str, forms: dict[str, dict], form_name: str) -> dict:
    """The form a client renders: the task's schema with a top-level $ref followed."""
    schema = forms[form_name]
    while "$ref" in schema and len(schema) == 1:
        schema = forms[schema["$ref"].removesuffix(".schema.json")]
    return schema


def _title(form: dict, parts: list) -> str:
    """The title the form gives the field at `parts` (conditional subschemas carry none)."""
    schema = form
    for part in parts:
        schema = schema.get("items", {}) if isinstance(part, int) else \
            schema.get("properties", {}).get(part, {})
    return schema.get("title") or (str(parts[-1]) if parts else "表单")


def _message(error, form: dict) -> tuple[str, str]:
    """(field, Chinese message) for one jsonschema error."""
    parts = list(error.absolute_path)
    path = ".".join(str(part) for part in parts)
    parent_schema = error.schema
    if not isinstance(error.schema, dict):  # a boolean schema (false: nothing allowed)
        return path, f"{_title(form, parts)}格式不正确"
    title = error.schema.get("title") or _title(form, parts)
    kind = error.validator
    if kind == "not" and error.validator_value == {}:  # a field a condition rules out
        return path, f"不应填写{title}"
    if kind == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        field = f"{path}.{missing}" if path else missing
        return field, f"请填写{_title(form, parts + [missing])}"
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(parent_schema.get("properties", {})))
        return (path or extra[0]), f"不允许的字段：{'、'.join(extra)}"
    if kind in ("enum", "const"):
        return path, f"{title}的取值不正确"
    if kind == "minLength":
        return path, (f"请填写{title}" if error.validator_value == 1
                      else f"{title}至少 {error.validator_value} 个字")
    if kind == "maxLength":
        return path, f"{title}不能超过 {error.validator_value} 个字"
    if kind in ("minimum", "exclusiveMinimum"):
        return path, f"{title}不能小于 {error.validator_value}"
    if kind in ("maximum", "exclusiveMaximum"):
        return path, f"{title}不能大于 {error.validator_value}"
    if kind in ("minItems",):
        return path, f"{title}至少需要 {error.validator_value} 项"
    return path, f"{title}格式不正确"


def validate(process_key: str, forms: dict[str, dict], form_name: str, data: dict) -> dict:
    if form_name not in forms:
        raise ValidationFailed("该环节没有可提交的表单")
    errors: dict[str, str] = {}
    form = resolved_schema(process_key, forms, form_name)
    for error in _validator(process_key, forms, form_name).iter_errors(data):
        field, message = _message(error, form)
        errors.setdefault(field or "_form", message)
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors)
    return data


def schema_problem(process_key: str, forms: dict[str, dict], form_name: str) -> str | None:
    """Why a form cannot be used (not a valid JSON Schema, a $ref to a missing form), or None."""
    from jsonschema.exceptions import SchemaError
    from referencing.exceptions import Unresolvable

    schema = forms[form_name]
    if not isinstance(schema, dict):
        return "表单应为 JSON 对象"
    try:
        Draft202012Validator.check_schema(schema)
        for _ in _new_validator(process_key, forms, form_name).iter_errors({}):
            pass
    except SchemaError as error:
        return f"表单不是有效的 JSON Schema：{error.message}"
    except Unresolvable as error:
        return f"表单引用的文件不存在：{error}"
    except Exception as error:  # noqa: BLE001 - anything else makes the form unusable
        return f"表单无法使用：{error}"
    return None
