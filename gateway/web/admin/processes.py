"""流程模型: the list of every definition, the bpmn-js modeler (validate, save as a draft),
the versions (deploy, roll back, download), the diff against the deployed version, and a new
process from a template. All through workflow's admin API."""
from __future__ import annotations

import difflib
import io
import json
import re

from flask import flash, redirect, render_template, request, send_file, url_for

from .. import forms as schema_forms
from ..auth import api
from ..client import ApiError
from . import admin_required, bp

# Lane names are roles (DESIGN §6); workflow's model holds the same list, but pages reach the
# services only over HTTP, so the modeler's choice of roles is kept here.
LANE_TITLES = {"applicant": "申请人", "unit": "用人单位", "supervisor": "归口单位",
               "bureau": "市局", "expert": "专家", "district": "区委人才办",
               "committee": "竞赛组委会", "admin": "管理员"}
KEY = re.compile(r"^[a-z][a-z0-9_]{2,63}$")

# start → the applicant's task → one review in the unit lane → end (issue 14). Each task's
# form is given in the modeler; the start form is a minimal one to edit.
TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:rencai="https://rencai.example/bpmn/extensions"
  id="{key}_definitions" targetNamespace="https://rencai.example/bpmn">
  <bpmn:collaboration id="{key}_collaboration">
    <bpmn:participant id="{key}_participant" name="{name}" processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:laneSet id="{key}_lanes">
      <bpmn:lane id="lane_applicant" name="applicant">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fill</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_unit" name="unit">
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_approved</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="提交申请" />
    <bpmn:sequenceFlow id="flow_1" sourceRef="start" targetRef="fill" />
    <bpmn:userTask id="fill" name="补充材料" />
    <bpmn:sequenceFlow id="flow_2" sourceRef="fill" targetRef="review" />
    <bpmn:userTask id="review" name="单位审核" />
    <bpmn:sequenceFlow id="flow_3" sourceRef="review" targetRef="end_approved" />
    <bpmn:endEvent id="end_approved" name="办结" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="{key}_diagram">
    <bpmndi:BPMNPlane id="{key}_plane" bpmnElement="{key}_collaboration">
      <bpmndi:BPMNShape id="{key}_participant_di" bpmnElement="{key}_participant" isHorizontal="true">
        <dc:Bounds x="100" y="60" width="720" height="300" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_applicant_di" bpmnElement="lane_applicant" isHorizontal="true">
        <dc:Bounds x="130" y="60" width="690" height="150" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_unit_di" bpmnElement="lane_unit" isHorizontal="true">
        <dc:Bounds x="130" y="210" width="690" height="150" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="192" y="117" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="fill_di" bpmnElement="fill"><dc:Bounds x="290" y="95" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="460" y="245" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_approved_di" bpmnElement="end_approved"><dc:Bounds x="652" y="267" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_1_di" bpmnElement="flow_1"><di:waypoint x="228" y="135" /><di:waypoint x="290" y="135" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_2_di" bpmnElement="flow_2"><di:waypoint x="390" y="135" /><di:waypoint x="510" y="135" /><di:waypoint x="510" y="245" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_3_di" bpmnElement="flow_3"><di:waypoint x="560" y="285" /><di:waypoint x="652" y="285" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
START_FORM = {"title": "申请表", "type": "object", "required": ["summary"],
              "properties": {"summary": {"title": "申请事项", "type": "string", "maxLength": 200}}}
# What the 「插入审核表单」 button puts in: the decision every review of Rencai takes.
REVIEW_FORM = {
    "title": "审核意见", "type": "object", "additionalProperties": False, "required": ["decision"],
    "properties": {
        "decision": {"title": "审核结果", "type": "string", "enum": ["approve", "reject", "return"],
                     "description": "approve 通过；reject 不通过；return 退回申请人修改"},
        "comment": {"title": "审核意见", "type": "string", "maxLength": 500}},
    "if": {"properties": {"decision": {"enum": ["reject", "return"]}}},
    "then": {"required": ["comment"], "properties": {"comment": {"minLength": 1}}}}
STATE_TITLES = {"draft": "待发布", "deployed": "运行中", "retired": "已停用"}


def _definitions(key: str) -> str:
    return f"admin/definitions/{key}"


@bp.route("/processes")
@admin_required
def processes():
    rows = api().get("workflow", "admin/definitions")
    return render_template("admin/processes.html", rows=rows)


@bp.route("/processes/new", methods=["GET", "POST"])
@admin_required
def new_process():
    values, errors = {}, {}
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ("process_key", "name")}
        if not KEY.match(values["process_key"]):
            errors["process_key"] = "流程编号须以小写字母开头，由 3–64 位小写字母、数字或下划线组成"
        if not values["name"]:
            errors["name"] = "请填写流程名称"
        if not errors:
            existing = {d["process_key"] for d in api().get("workflow", "admin/definitions")}
            if values["process_key"] in existing:
                errors["process_key"] = "该流程编号已存在，请换一个或打开已有流程"
        if not errors:
            xml = TEMPLATE.format(key=values["process_key"], name=_xml_escape(values["name"]))
            return _modeler(values["process_key"], xml, {"start": START_FORM}, title=values["name"],
                            is_new=True)
    return render_template("admin/new_process.html", values=values, errors=errors,
                           message="请检查填写的内容" if errors else None)


def _xml_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _modeler(key: str, xml: str, process_forms: dict, *, title: str, errors: dict | None = None,
             message: str | None = None, note: str = "", version: int | None = None,
             is_new: bool = False, status: int = 200):
    errors = errors or {}
    element_errors = {k: v for k, v in errors.items() if k.startswith(("bpmn.", "forms."))}
    return render_template(
        "admin/modeler.html", key=key, xml=xml, forms_json=json.dumps(process_forms,
                                                                     ensure_ascii=False),
        title=title, errors=errors, element_errors=element_errors, message=message, note=note,
        version=version, is_new=is_new, lanes=LANE_TITLES,
        review_form=json.dumps(REVIEW_FORM, ensure_ascii=False)), status


@bp.route("/processes/<key>/edit", methods=["GET", "POST"])
@admin_required
def modeler(key: str):
    if request.method == "GET":
        version = request.args.get("version", type=int)
        if version is None:
            version = max(v["version"] for v in api().get("workflow", f"{_definitions(key)}/versions"))
        file = api().get("workflow", f"{_definitions(key)}/versions/{version}")
        return _modeler(key, file["bpmn_xml"], file["form_schemas"], title=file["name"],
                        version=version)
    xml = request.form.get("bpmn_xml", "")
    note = request.form.get("note", "").strip()
    title = request.form.get("title", key)
    is_new = request.form.get("is_new") == "1"  # not saved yet: no version history to link
    try:
        process_forms = json.loads(request.form.get("forms") or "{}")
        assert isinstance(process_forms, dict)
    except (ValueError, AssertionError):
        return _modeler(key, xml, {}, title=title, note=note, is_new=is_new, status=422,
                        errors={"forms": "表单数据不是有效的 JSON"}, message="表单数据不是有效的 JSON")
    body = {"bpmn_xml": xml, "forms": process_forms, "note": note or None}
    action = request.form.get("action")
    try:
        if action == "save":
            saved = api().post("workflow", f"{_definitions(key)}/versions", body)
            flash(f"已保存为第 {saved['version']} 版（{STATE_TITLES.get(saved['state'], saved['state'])}）",
                  "success")
            return redirect(url_for("admin.versions", key=key))
        api().post("workflow", f"{_definitions(key)}/validate", body)
    except ApiError as error:
        if error.status not in (400, 409, 422):
            raise
        return _modeler(key, xml, process_forms, title=title, errors=error.errors or
                        {"bpmn": error.detail}, message="流程定义未通过校验", note=note,
                        is_new=is_new, status=422)
    flash("校验通过：可以保存为草稿", "success")
    return _modeler(key, xml, process_forms, title=title, note=note, is_new=is_new)


@bp.route("/forms/preview", methods=["POST"])
@admin_required
def form_preview():
    """htmx: the form a schema gives, drawn by the web frame's renderer (as applicants see
    it), or why it cannot be drawn."""
    text = request.form.get("schema", "").strip()
    if not text:
        return render_template("admin/_form_preview.html", problem="尚未设置表单")
    try:
        schema = json.loads(text)
        if not isinstance(schema, dict):
            raise ValueError("表单须是一个 JSON 对象")
        field = schema_forms.build(schema)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        return render_template("admin/_form_preview.html", problem=f"无法预览：{error}")
    return render_template("admin/_form_preview.html", field=field, problem=None)


@bp.route("/processes/<key>")
@admin_required
def versions(key: str):
    return versions_page(key)


def versions_page(key: str, report: dict | None = None, migrate_errors: dict | None = None,
                  target: int | None = None):
    """版本历史 with deploy / roll back, and the migration of running instances (with the
    report of a dry run or of the migration)."""
    rows = api().get("workflow", f"{_definitions(key)}/versions")
    deployed = next((v for v in rows if v["state"] == "deployed"), None)
    titles = {}
    if report:
        found = api().get("workflow", "admin/instances", process_key=key, per_page=100)
        titles = {i["id"]: i for i in found["items"]}
    return render_template("admin/versions.html", key=key, rows=rows, deployed=deployed,
                           name=(deployed or rows[0])["name"], states=STATE_TITLES,
                           report=report, migrate_errors=migrate_errors or {}, target=target,
                           titles=titles), 422 if migrate_errors else 200


@bp.route("/processes/<key>/versions/<int:version>/deploy", methods=["POST"])
@admin_required
def deploy(key: str, version: int):
    rows = {v["version"]: v for v in api().get("workflow", f"{_definitions(key)}/versions")}
    rollback = version in rows and rows[version]["state"] == "retired"
    api().post("workflow", f"{_definitions(key)}/versions/{version}/deploy", {})
    flash(f"已{'回滚到' if rollback else '发布'}第 {version} 版：新申请按此版本办理，在办申请不变",
          "success")
    return redirect(url_for("admin.versions", key=key))


@bp.route("/processes/<key>/versions/<int:version>/download")
@admin_required
def download(key: str, version: int):
    file = api().get("workflow", f"{_definitions(key)}/versions/{version}")
    return send_file(io.BytesIO(file["bpmn_xml"].encode()), mimetype="application/xml",
                     as_attachment=True, download_name=f"{key}-v{version}.bpmn")


@bp.route("/processes/<key>/versions/<int:version>/diff")
@admin_required
def diff(key: str, version: int):
    changes = api().get("workflow", f"{_definitions(key)}/versions/{version}/diff")
    old = api().get("workflow", f"{_definitions(key)}/versions/{changes['from_version']}")
    new = api().get("workflow", f"{_definitions(key)}/versions/{version}")
    form_diffs = {}
    for name in changes["forms_changed"] + changes["forms_added"] + changes["forms_removed"]:
        before = json.dumps(old["form_schemas"].get(name), ensure_ascii=False, indent=2)
        after = json.dumps(new["form_schemas"].get(name), ensure_ascii=False, indent=2)
        form_diffs[name] = "".join(difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True),
            fromfile=f"v{changes['from_version']}/{name}", tofile=f"v{version}/{name}"))
    return render_template("admin/diff.html", key=key, version=version, changes=changes,
                           old=old, new=new, form_diffs=form_diffs)
