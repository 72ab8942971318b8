"""The web client's one form renderer over every form in bpmn/forms/: each schema becomes a
page whose inputs carry the API's field paths, and the posted page reads back as the same JSON
(round trip through real HTML), conditional fields follow if/then/else, and the API's errors
land beside their fields."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from lxml import html
from werkzeug.datastructures import MultiDict

from gateway.web import forms
from services.common.config import PROJECT_ROOT
from services.workflow.forms import load_forms, resolved_schema

FORMS = sorted((PROJECT_ROOT / "bpmn" / "forms").glob("*/*.schema.json"))
WEB_SCHEMAS = sorted((PROJECT_ROOT / "gateway" / "web" / "schemas").glob("*.schema.json"))
FILES = [{"id": "file-1", "name": "学位证书.pdf"}, {"id": "file-2", "name": "劳动合同.pdf"}]


def schema_of(path: Path) -> dict:
    process = path.parent.name
    return resolved_schema(process, load_forms(path.parent), path.name.removesuffix(".schema.json"))


@pytest.fixture(scope="module")
def app():
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "gateway" / "web" / "templates"))
    from gateway.web import filters
    filters.register(app)
    return app


def render(app, root, files=FILES) -> str:
    with app.test_request_context():
        return render_template_string(
            '{% from "_form.html" import render %}<form>{{ render(root, files) }}</form>',
            root=root, files=files)


def sample(name: str, schema: dict):
    """A value a person could type for the field (enough to exercise every widget)."""
    kind = forms._kind(name, schema, True)
    if kind == "fieldset":
        return {k: sample(k, s) for k, s in schema.get("properties", {}).items()
                if not (s.get("type") == "boolean" and s.get("const") is not True and k != "exam_exempt")}
    if kind in ("rows", "attachments"):
        item = sample("item", schema["items"])
        if kind == "attachments":
            item = {k: v for k, v in item.items()}
            item["file_id"], item["name"] = "file-1", "学位证书.pdf"
        return [item]
    if kind in ("attachment_ids",):
        return ["file-2"]
    if kind == "checkboxes":
        return [forms.enum_options(schema["items"])[0][0]]
    if kind == "lines":
        return ["一"]
    if kind in ("confirm", "yesno"):
        return True
    if kind in ("radios", "select"):
        value = forms.enum_options(schema)[0][0]
        return int(value) if schema.get("type") == "integer" else value
    if kind in ("integer", "number"):
        return schema.get("minimum", 1) if isinstance(schema.get("minimum", 1), int) else 1
    if kind == "date":
        return "2026-01-31"
    if kind == "month":
        return "2026-01"
    if kind == "attachment":
        return "file-1"
    if schema.get("pattern") == "^\\d{4}$":
        return "2026"
    return "测试内容"


def posted(page: str) -> MultiDict:
    """What the browser would send for this HTML form (outside the hidden row template)."""
    tree = html.fromstring(page)
    for template in tree.xpath("//template"):
        template.drop_tree()
    pairs = []
    for element in tree.xpath("//input|//select|//textarea"):
        name = element.get("name")
        if not name or element.get("type") == "file":
            continue
        if element.tag == "select":
            chosen = [o.get("value") for o in element.xpath(".//option[@selected]")]
            pairs += [(name, v) for v in chosen[:1]]
        elif element.get("type") in ("checkbox", "radio"):
            if element.get("checked") is not None:
                pairs.append((name, element.get("value") or "on"))
        elif element.tag == "textarea":
            pairs.append((name, element.text or ""))
        else:
            pairs.append((name, element.get("value") or ""))
    return MultiDict(pairs)


@pytest.mark.parametrize("path", FORMS + WEB_SCHEMAS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_form_renders_and_reads_back_what_was_filled(app, path):
    schema = schema_of(path) if path in FORMS else json.loads(path.read_text("utf-8"))
    if path.name == "registration.schema.json":  # a competition's occupations, as the page does
        schema["properties"]["occupation_code"]["oneOf"] = [{"const": "6-31-01-03", "title": "电工"}]
        schema["properties"]["level"]["enum"] = ["三级/高级工"]
    data = sample("", schema)
    page = render(app, forms.build(schema, data))
    tree = html.fromstring(page)
    for label in tree.xpath("//label[@for]"):  # every label names a control that exists
        assert tree.xpath(f'//*[@id="{label.get("for")}"]'), label.get("for")
    for key, sub in schema.get("properties", {}).items():
        if sub.get("type") in ("string", "integer", "number", "boolean") and \
                forms._kind(key, sub, True) not in ("yesno",):
            assert tree.xpath(f'//*[@name="{key}"]'), f"no input for {key}"
        assert sub.get("title", key) in page  # the schema's Chinese title is shown
    back = forms.parse(schema, posted(page), {f["id"]: f for f in FILES})
    assert back == data


def test_an_array_of_objects_has_a_blank_row_and_a_row_template(app):
    schema = schema_of(PROJECT_ROOT / "bpmn/forms/plan_project/start.schema.json")
    page = render(app, forms.build(schema, {"education": [{"school": "清华大学", "degree": "博士"}]}))
    tree = html.fromstring(page)
    assert tree.xpath('//input[@name="education.0.school"]/@value') == ["清华大学"]
    assert tree.xpath('//input[@name="education.1.school"]')  # one blank row to fill
    template = tree.xpath("//fieldset[@data-repeat='education']//template")[0]
    assert "education.__index__.school" in html.tostring(template, encoding="unicode")
    # A blank row is not sent; a half-filled one is, so the API can say what is missing.
    form = MultiDict([("education.0.school", "清华大学"), ("education.0.degree", "博士"),
                      ("education.1.school", ""), ("education.2.school", "北大"),
                      ("education.__present", "1")])
    assert forms.parse(schema, form)["education"] == [
        {"school": "清华大学", "degree": "博士"}, {"school": "北大"}]


def test_conditional_fields_follow_if_then_else(app):
    # A field shown only when another has a value (as a form an admin deploys may have it).
    schema = {"type": "object", "required": ["exam_exempt"], "properties": {
        "exam_exempt": {"title": "是否免考", "type": "boolean"},
        "exemption_type": {"title": "免考类型", "type": "string",
                           "enum": ["业绩突出免考", "年龄条件免考"]}},
        "if": {"properties": {"exam_exempt": {"const": True}}, "required": ["exam_exempt"]},
        "then": {"required": ["exemption_type"]},
        "else": {"properties": {"exemption_type": {"not": {}}}}}
    root = forms.build(schema, {})
    exemption = next(f for f in root.children if f.name == "exemption_type")
    assert exemption.show_if == {"field": "exam_exempt", "values": [True], "negate": False}
    page = render(app, root)
    assert 'data-show-if="{&#34;field&#34;: &#34;exam_exempt&#34;' in page
    not_exempt = MultiDict([("exam_exempt", "false"), ("exemption_type", "业绩突出免考")])
    assert "exemption_type" not in forms.parse(schema, not_exempt)  # hidden: not sent
    exempt = MultiDict([("exam_exempt", "true"), ("exemption_type", "业绩突出免考")])
    assert forms.parse(schema, exempt)["exemption_type"] == "业绩突出免考"
    review = schema_of(PROJECT_ROOT / "bpmn/forms/plan_project/unit_review.schema.json")
    comment = next(f for f in forms.build(review, {}).children if f.name == "comment")
    assert comment.required_if == {"field": "decision", "values": ["reject", "return"],
                                   "negate": False} and comment.show_if is None
    decision = next(f for f in forms.build(review, {}).children if f.name == "decision")
    assert decision.options == [("approve", "通过"), ("reject", "不通过"),
                                ("return", "退回申请人修改")]


def test_the_apis_errors_land_beside_their_fields_and_typed_values_stay(app):
    schema = schema_of(PROJECT_ROOT / "bpmn/forms/plan_project/start.schema.json")
    errors = {"project_name": "请填写项目名称", "education.0.school": "请填写学校",
              "attachments.work_proof": "请至少上传一份工作经历证明", "_form": "整体错误"}
    data = {"summary": "已经写好的情况", "education": [{"degree": "博士"}], "exam_exempt": "x"}
    root = forms.build(schema, data, errors)
    page = render(app, root)
    tree = html.fromstring(page)
    assert tree.xpath('//p[@id="f-project_name-error"]/text()') == ["请填写项目名称"]
    assert tree.xpath('//p[@id="f-education-0-school-error"]/text()') == ["请填写学校"]
    assert tree.xpath('//p[@id="f-attachments-error"]/text()') == ["请至少上传一份工作经历证明"]
    assert tree.xpath('//input[@id="f-project_name"]/@aria-invalid') == ["true"]
    assert tree.xpath('//textarea[@name="summary"]/text()') == ["已经写好的情况"]
    assert forms.unplaced_errors(root, errors) == {"_form": "整体错误"}


def test_attachment_fields_pick_from_the_files_and_offer_an_upload(app):
    schema = schema_of(PROJECT_ROOT / "bpmn/forms/plan_project/start.schema.json")
    tree = html.fromstring(render(app, forms.build(schema, {})))
    options = tree.xpath('//select[@name="attachments.0.file_id"]/option/text()')
    assert options[1:] == ["学位证书.pdf", "劳动合同.pdf"]
    assert tree.xpath('//input[@type="file" and @name="attachments.__upload"]')
    kinds = tree.xpath('//select[@name="attachments.__upload_kind"]/option/text()')
    assert kinds == ["学历学位证书", "工作经历证明", "业绩成果材料", "其他材料"]
    # The name of a picked file comes from 附件管理 when the row does not carry it.
    form = MultiDict([("attachments.0.kind", "work_proof"), ("attachments.0.file_id", "file-2")])
    assert forms.parse(schema, form, {f["id"]: f for f in FILES})["attachments"] == [
        {"kind": "work_proof", "file_id": "file-2", "name": "劳动合同.pdf"}]


def test_the_api_keeps_a_forms_field_order(embedded):
    """The renderer shows fields in the schema's order, so the API must not sort them."""
    from tests.support import Gateway

    processes = Gateway.in_process(embedded).login("zhangsan").get("/api/workflow/processes").body
    start = next(p for p in processes if p["process_key"] == "plan_project")["start_form"]
    written = json.loads((PROJECT_ROOT / "bpmn/forms/plan_project/start.schema.json").read_text())
    assert list(start["properties"]) == list(written["properties"])


def test_a_description_that_named_the_choices_is_not_repeated_as_a_hint():
    from gateway.web import forms

    schema = {"type": "object", "properties": {"decision": {
        "title": "审核结果", "type": "string", "enum": ["approve", "reject"],
        "description": "approve 通过；reject 不通过"}}}
    field = forms.build(schema).children[0]
    assert field.options == [("approve", "通过"), ("reject", "不通过")]
    assert field.description == ""
