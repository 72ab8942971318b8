"""The response schemas' direct dump (services/workflow/schemas/direct.py) answers exactly as
marshmallow's own path: the same keys in the same order, the same values."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import marshmallow
import pytest

from services.workflow import schemas
from services.workflow.schemas.direct import DirectDump

AT = datetime(2026, 11, 26, 21, 30, 5, 123456, tzinfo=timezone.utc)


def entry(n: int, **changes) -> dict:
    return {"at": AT + timedelta(minutes=n), "stage": f"第{n}级审核", "action": "approve",
            "action_title": "通过", "actor_name": "张三", "actor_org": None,
            "actor_role": "unit", "comment": "同意", "task_id": f"t{n}",
            "detail": {"score": n} if n % 2 else None, **changes}


def instance(**changes) -> dict:
    return {"id": "i1", "process_key": "bench_chain", "title": "基准审核链：甲", "business_key": None,
            "status": "running", "status_title": "办理中", "outcome": None, "stage": "审核中",
            "holder": "用人单位：某公司", "started_at": AT, "completed_at": None,
            "current_stage": [{"task_id": "t3", "title": "第3级审核", "task_key": "step3",
                               "holder": "用人单位：某公司", "assignee_name": None, "due_at": AT}],
            "last_action": entry(2), "withdrawable": False, "applicant_name": "李四",
            "updated_at": AT, "application": {"a": [1, 2], "b": None}, "result": None,
            "timeline": [entry(1, action="submit"), entry(2)], **changes}


def task(n: int, **changes) -> dict:
    return {"id": f"t{n}", "title": "第1级审核", "task_key": "step1", "status": "ready",
            "created_at": AT, "completed_at": None, "decision": None,
            "candidate_group": "unit:u1", "group_title": "用人单位：某公司", "assignee": None,
            "assignee_name": None, "delegated_by": None, "due_at": None, "overdue": False,
            "instance_id": "i1", "instance_title": "基准审核链：甲", "instance_status": "running",
            "stage": "审核中", "process_key": "bench_chain", "applicant_name": "李四", **changes}


CASES = [
    (schemas.InstanceSchema(), instance()),
    (schemas.InstanceSchema(), instance(incident="脚本出错", return_reason="材料不全")),
    # left out, None where a value is expected, numbers and bytes where text is
    (schemas.InstanceSchema(), {k: v for k, v in instance(title=12, stage=b"\xe5\xae\xa1").items()
                                if k not in ("timeline", "holder", "result")}),
    (schemas.InstanceSchema(), instance(last_action=None, current_stage=[], withdrawable=1)),
    (schemas.InstanceSchema(only=("id", "timeline")), instance()),
    (schemas.InstanceSummarySchema(many=True), [instance(), instance(id="i2")]),
    (schemas.TaskPageSchema(), {"items": [task(1), task(2, overdue=True, due_at=AT)],
                                "total": 2, "page": 1, "per_page": 10, "next_cursor": None}),
    (schemas.TaskPageSchema(), {"items": [], "total": None, "page": None, "per_page": 10}),
    (schemas.AuditSchema(), type("Row", (), entry(3))()),  # an object, not a dict
]


@pytest.mark.parametrize("schema, obj", CASES)
def test_the_direct_dump_answers_as_marshmallow_does(schema, obj, monkeypatch):
    direct = schema.dump(obj)
    monkeypatch.setattr(DirectDump, "_serialize", marshmallow.Schema._serialize)
    plain = schema.dump(obj)
    assert json.dumps(direct, ensure_ascii=False, default=str) == \
        json.dumps(plain, ensure_ascii=False, default=str)
    assert direct == plain
