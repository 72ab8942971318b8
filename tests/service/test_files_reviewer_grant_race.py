"""workflow.task.created grants the task's candidate group the instance's files
(files.instance_reviewer). Two deliveries for the same instance and group at once — an
expert panel's tasks, or a redelivery beside the first — once both found no grant and both
inserted one: `UNIQUE constraint failed: instance_reviewer` in the log and a retried event.
The grant is now an insert that ignores an existing row."""
from __future__ import annotations

import threading
import uuid

from sqlalchemy import func, select

from services.common.db import Database
from services.files.service import access
from services.files.model import Base, InstanceReviewer


def _envelope(instance_id: str, group: str) -> dict:
    return {"id": str(uuid.uuid4()), "type": "workflow.task.created",
            "data": {"task_id": str(uuid.uuid4()), "instance_id": instance_id,
                     "task_key": "expert_review", "candidate_group": group}}


def test_concurrent_grants_for_one_group_make_one_row_and_no_error(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'files.db'}")
    Base.metadata.create_all(db.engine)
    errors: list[BaseException] = []
    instances = [str(uuid.uuid4()) for _ in range(15)]

    def deliver(instance_id, barrier):
        barrier.wait()
        try:
            with db.transaction() as session:
                access.on_task_created(session, _envelope(instance_id, "expert:pool"))
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    for instance_id in instances:  # the three experts' tasks of one panel, at once
        barrier = threading.Barrier(3)
        threads = [threading.Thread(target=deliver, args=(instance_id, barrier))
                   for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    with db.reading() as session:
        rows = session.execute(select(InstanceReviewer.instance_id, func.count())
                               .group_by(InstanceReviewer.instance_id)).all()
    assert sorted(rows) == sorted((i, 1) for i in instances)
    # Delivered again later (a replay): still one grant, still no error.
    with db.transaction() as session:
        access.on_task_created(session, _envelope(instances[0], "expert:pool"))
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(InstanceReviewer)) == 15
    db.dispose()
