"""需求申报's server-side rules (services/workflow/checks.py): ID numbers kept masked and
sealed, never plain; attachments complete and named "XX单位-姓名-材料名称"; and the process
settings that switch them on."""
from pathlib import Path
from types import SimpleNamespace

import pytest

from services.common.errors import ValidationFailed
from services.common.pii import blind_index, configure
from services.workflow import checks, engine
from services.workflow.businesses.plan_project import plan_project
from services.workflow.businesses.talent import talent_demand

NUMBER = "110105198503070019"  # valid GB 11643 (demo data)
UNIT = "北京智能制造研究院"


@pytest.fixture(autouse=True)
def key(tmp_path):
    import os

    configure(os.environ["RENCAI_PII_KEY"], tmp_path)


def test_id_number_is_masked_sealed_and_indexed_never_plain():
    stored = checks.protect(("id_number",), {"name": "张三", "id_number": NUMBER.lower()})
    assert stored["id_number"] == "110***********0019"
    assert NUMBER not in repr(stored)
    assert stored["id_number_index"] == blind_index(NUMBER)
    assert checks.reveal(stored, "id_number") == NUMBER


def test_resubmission_with_the_masked_value_or_without_it_keeps_the_number():
    stored = checks.protect(("id_number",), {"id_number": NUMBER})
    for resent in ({"id_number": stored["id_number"]}, {}):
        again = checks.protect(("id_number",), resent, stored)
        assert again["id_number_sealed"] == stored["id_number_sealed"]
    changed = checks.protect(("id_number",), {"id_number": "110108199005120021"}, stored)
    assert checks.reveal(changed, "id_number") == "110108199005120021"


@pytest.mark.parametrize("value, message", [
    ("11010519850307001", "身份证号码应为18位（最后一位可为X）"),
    ("110105198503070018", "身份证号码校验位不正确，请核对后重新输入")])
def test_bad_id_numbers_are_refused_with_the_field(value, message):
    with pytest.raises(ValidationFailed) as error:
        checks.protect(("id_number",), {"id_number": value})
    assert error.value.errors == {"id_number": message}


def _attachment(kind, material, person="张三"):
    return {"file_id": f"f-{kind}", "kind": kind, "name": f"{UNIT}-{person}-{material}.pdf"}


def _held(*attachments, owner: str = "unit-1") -> dict:
    """The check's context: workflow's read model of files holding these attachments."""
    return {"unit_name": UNIT, "owner_id": "unit-1",
            "files": {a["file_id"]: SimpleNamespace(owner_id=owner, name=a["name"])
                      for a in attachments}}


def test_declaration_needs_every_material_named_by_the_rule():
    complete = [_attachment("social_insurance", "社会保险个人权益记录"),
                _attachment("integrity_statement", "诚信声明"), _attachment("other", "获奖证书")]
    checked = talent_demand({"name": "张三", "attachments": complete}, _held(*complete))
    assert checked["attachment_ids"] == ["f-social_insurance", "f-integrity_statement", "f-other"]
    badly_named = _attachment("social_insurance", "社保", person="李四")
    with pytest.raises(ValidationFailed) as error:
        talent_demand({"name": "张三", "attachments": [badly_named]}, _held(badly_named))
    assert error.value.errors == {
        "attachments.integrity_statement": "请上传《诚信声明》",
        "attachments.supporting": "请上传所选“引进依据及条件”需要佐证的材料",
        "attachments.0.name": f"附件“{UNIT}-李四-社保.pdf”应按“{UNIT}-张三-材料名称”格式命名"
                              "（XX单位-姓名-材料名称）"}


def test_declaration_files_and_names_are_those_files_holds():
    """An id files never heard of, or another unit's file, is refused; the name is the one
    files holds, whatever the client says."""
    complete = [_attachment("social_insurance", "社会保险个人权益记录"),
                _attachment("integrity_statement", "诚信声明"), _attachment("other", "获奖证书")]
    held = _held(*complete)
    disguised = [{**complete[0], "name": "随便起的名字.pdf"}] + complete[1:]
    checked = talent_demand({"name": "张三", "attachments": disguised}, held)
    assert checked["attachments"][0]["name"] == complete[0]["name"]
    with pytest.raises(ValidationFailed) as error:
        talent_demand({"name": "张三", "attachments": complete + [
            {"file_id": "f-unknown", "kind": "other", "name": f"{UNIT}-张三-其他.pdf"}]}, held)
    assert list(error.value.errors) == ["attachments.3.file_id"]
    with pytest.raises(ValidationFailed) as error:
        talent_demand({"name": "张三", "attachments": complete},
                             _held(*complete, owner="unit-2"))
    assert set(error.value.errors) == {f"attachments.{i}.file_id" for i in range(3)}


def test_process_settings_of_the_talent_processes():
    root = Path(__file__).resolve().parents[2] / "bpmn"
    demand = engine.process_settings((root / "talent_demand.bpmn").read_bytes(), "talent_demand")
    assert (demand.starters, demand.permission, demand.pii_fields,
            demand.unique_field, demand.check) == \
        (("unit",), "talent_intro", ("id_number",), "id_number", "talent_demand")
    assert engine.stage_titles((root / "talent_demand.bpmn").read_bytes(), "talent_demand") == \
        {"initial_review": "待审核", "re_review": "待复审", "revise": "未通过",
         "end_approved": "已完成"}
    grants = engine.process_settings((root / "business_permission.bpmn").read_bytes(),
                                     "business_permission")
    assert grants.grants_permission == "talent_intro" and grants.unit_from == "account"
    unsafe = (root / "talent_demand.bpmn").read_bytes().replace(
        b'rencai:check="talent_demand"', b'rencai:check="os.system"')
    assert engine.settings_problem(unsafe, "talent_demand") == \
        f"rencai:check 只能是 {'、'.join(sorted(checks.CHECKS))}"


def test_plan_project_needs_the_education_certificate_and_a_work_proof():
    def slot(kind, file_id):
        return {"kind": kind, "file_id": file_id, "name": f"{file_id}.pdf"}

    complete = [slot("education_certificate", "f-1"), slot("work_proof", "f-2"),
                slot("work_proof", "f-3"), slot("achievement", "f-2")]
    checked = plan_project({"project_name": "x", "attachments": complete}, {})
    assert checked["attachment_ids"] == ["f-1", "f-2", "f-3"]
    assert checked["attachments"] == complete
    with pytest.raises(ValidationFailed) as error:
        plan_project({"attachments": [slot("work_proof", "f-2")]}, {})
    assert error.value.errors == {"attachments.education_certificate": "请上传学历学位证书"}
    with pytest.raises(ValidationFailed) as error:
        plan_project({}, {})
    assert set(error.value.errors) == {"attachments.education_certificate",
                                       "attachments.work_proof"}


def test_process_settings_of_plan_project_and_title_evaluation():
    root = Path(__file__).resolve().parents[2] / "bpmn"
    plan = engine.process_settings((root / "plan_project.bpmn").read_bytes(), "plan_project")
    assert plan.check == "plan_project" and plan.one_per_applicant is False
    title = engine.process_settings((root / "title_evaluation.bpmn").read_bytes(),
                                    "title_evaluation")
    assert title.one_per_applicant is True and title.check is None


def test_the_xlsx_export_keeps_text_as_text():
    from io import BytesIO

    from openpyxl import load_workbook

    from services.workflow.businesses.talent.service import _csv, _xlsx

    rows = [["序号", "身份证号", "引进依据及条件", "年龄"],
            [1, "110105198503070019", "=HYPERLINK(\"http://x\")\x0b", 38], [2, None, "", None]]
    sheet = load_workbook(BytesIO(_xlsx(rows))).active
    assert sheet.title == "通过名单" and sheet.freeze_panes == "A2"
    assert sheet["B2"].value == "110105198503070019" and sheet["B2"].data_type == "s"
    assert sheet["C2"].value == "=HYPERLINK(\"http://x\")" and sheet["C2"].data_type == "s"
    assert sheet["D2"].value == 38 and sheet["A1"].font.bold
    assert sheet["B3"].value is None
    assert _csv(rows).decode("utf-8").split("\r\n")[2] == "2,,,"
    # the CSV keeps what a unit typed but as text: Excel never runs it as a formula
    assert _csv(rows).decode("utf-8").split("\r\n")[1] == \
        '1,110105198503070019,"\'=HYPERLINK(""http://x"")\x0b",38'
