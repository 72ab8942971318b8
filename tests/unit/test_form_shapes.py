"""One concept has one name across the processes' forms (bpmn/forms/*): a file is named by
`attachments: [{kind, file_id, name}]` in every form a person or unit fills in, and the
exam exemption is one field in 申请计划项目 and 政工职评."""
from __future__ import annotations

import json

import pytest

from services.common.config import PROJECT_ROOT
from services.workflow.checks import run_check, with_attachment_ids

FORMS = sorted((PROJECT_ROOT / "bpmn" / "forms").glob("*/*.schema.json"))
# Not filled in by a person: workflow builds 技能竞赛报名 from the competition pages (the
# cropped photo), and identity's identity.appeal.filed event starts 实名认证人工申诉.
BUILT_BY_SERVICES = {"skills_competition", "realname_appeal"}


def _properties(path) -> dict:
    return json.loads(path.read_text()).get("properties", {})


@pytest.mark.parametrize("path", FORMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_files_are_named_one_way(path):
    properties = _properties(path)
    if path.parent.name not in BUILT_BY_SERVICES:
        assert "attachment_ids" not in properties
    if "attachments" in properties:
        items = properties["attachments"]["items"]
        assert set(items["properties"]) == {"kind", "file_id", "name"}
        assert set(items["required"]) == {"kind", "file_id", "name"}
        assert items["properties"]["file_id"]["maxLength"] == 36


def test_the_exam_exemption_is_one_field():
    shapes = {key: _properties(PROJECT_ROOT / "bpmn" / "forms" / key / "start.schema.json")
              for key in ("plan_project", "title_evaluation")}
    assert shapes["plan_project"]["exam_exemption"]["enum"] == \
        shapes["title_evaluation"]["exam_exemption"]["enum"]
    assert not {"exam_exempt", "exemption_type"} & set(shapes["title_evaluation"])


def test_what_files_locks_comes_from_the_attachments_in_every_process():
    data = {"attachments": [{"kind": "other", "file_id": "f-1", "name": "a.pdf"},
                            {"kind": "other", "file_id": "f-1", "name": "a.pdf"},
                            {"kind": "labour_contract", "file_id": "f-2", "name": "b.pdf"}]}
    assert with_attachment_ids(data)["attachment_ids"] == ["f-1", "f-2"]
    assert run_check(None, data, {})["attachment_ids"] == ["f-1", "f-2"]
    assert "attachment_ids" not in run_check(None, {"name": "x"}, {})
