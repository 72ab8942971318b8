"""files inside the whole system (embedded): a real plan-project submission references an
uploaded attachment; workflow's events lock it and open it to the reviewers; signed links
go through the gateway without a token."""
from __future__ import annotations

import io

from tests.service.test_files import PDF
from tests.support import APPLICATION


def upload(embedded, user, body: bytes, name: str, category: str):
    client = embedded.gateway.test_client()
    return client.post("/api/files/attachments", content_type="multipart/form-data",
                       headers={"Authorization": f"Bearer {user.token}"},
                       data={"category": category, "file": (io.BytesIO(body), name)})


def raw_get(embedded, path: str, user=None):
    headers = {"Authorization": f"Bearer {user.token}"} if user else {}
    return embedded.gateway.test_client().get(path, headers=headers)


def test_submission_locks_and_opens_to_the_reviewers(embedded, gateway):
    applicant = gateway.login("zhangsan")
    uploaded = upload(embedded, applicant, PDF, "学位证书.pdf", "degree")
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    attachment_id = uploaded.get_json()["id"]
    slots = applicant.get("/api/files/slots?q=xwzs").body
    assert [s["status"] for s in slots if s["type"]["key"] == "degree"] == ["已上传"]

    unit = gateway.login("zhizao")
    assert raw_get(embedded, f"/api/files/attachments/{attachment_id}/content", unit) \
        .status_code == 404  # not before an application references it

    instance = applicant.submit({**APPLICATION, "attachments": [  # + a work proof files ignores
        {"kind": "education_certificate", "file_id": attachment_id, "name": "学位证书.pdf"},
        *[a for a in APPLICATION["attachments"] if a["kind"] == "work_proof"]]})
    gateway.sync()

    deleted = embedded.gateway.test_client().delete(
        f"/api/files/attachments/{attachment_id}",
        headers={"Authorization": f"Bearer {applicant.token}"})
    assert deleted.status_code == 409
    assert deleted.get_json()["detail"] == "该附件已被提交的申请引用，不能删除"

    content = raw_get(embedded, f"/api/files/attachments/{attachment_id}/content", unit)
    assert content.status_code == 200 and content.get_data() == PDF
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    listed = unit.get(f"/api/files/instances/{instance['id']}/attachments")
    assert listed.status == 200 and [a["id"] for a in listed.body] == [attachment_id]
    other_body = gateway.login("jiaowei")
    assert raw_get(embedded, f"/api/files/attachments/{attachment_id}/content",
                   other_body).status_code == 404

    # the next reviewer gets access when the task reaches them
    kewei = gateway.login("kewei")
    assert raw_get(embedded, f"/api/files/attachments/{attachment_id}", kewei).status_code == 404
    assert unit.decide(instance["id"], "approve", "同意").status == 200
    gateway.sync()
    assert raw_get(embedded, f"/api/files/attachments/{attachment_id}", kewei).status_code == 200

    link = kewei.post(f"/api/files/attachments/{attachment_id}/links", {})
    assert link.status == 201, link
    served = raw_get(embedded, link.body["url"])  # no bearer token
    assert served.status_code == 200 and served.get_data() == PDF
    assert raw_get(embedded, link.body["url"] + "x").status_code == 404
    # the rest of files still wants a token at the gateway
    assert raw_get(embedded, f"/api/files/attachments/{attachment_id}").status_code == 401


def test_bad_input_through_the_gateway(embedded, gateway):
    from tests.service.test_files import make_jpeg, png_bomb

    zhang, li = gateway.login("zhangsan"), gateway.login("lisi")
    exe = upload(embedded, zhang, b"MZ\x90\x00" + b"\x00" * 200, "简历.pdf", "degree")
    assert exe.status_code == 422 and "file" in exe.get_json()["errors"]
    bomb = upload(embedded, zhang, png_bomb(), "bomb.png", "id_photo")
    assert bomb.status_code == 422 and "像素过大" in bomb.get_json()["errors"]["file"]
    empty = upload(embedded, zhang, b"", "空.pdf", "degree")
    assert empty.status_code == 422
    assert empty.get_json()["errors"]["file"] == "文件内容为空，请重新选择"

    photo = upload(embedded, zhang, make_jpeg(400, 560), "../../照片.jpg", "id_photo")
    assert photo.status_code == 201 and photo.get_json()["display_name"] == "照片.jpg"
    photo_id = photo.get_json()["id"]
    assert raw_get(embedded, f"/api/files/attachments/{photo_id}", li).status_code == 404
    cropped = zhang.post(f"/api/files/attachments/{photo_id}/crop",
                         {"x": 0, "y": 0, "width": 400, "height": 560})
    assert cropped.status == 201 and cropped.body["message"] == "保存成功"
    slots = zhang.get("/api/files/slots?q=zjz").body  # 证件照
    assert [(s["type"]["key"], s["status"]) for s in slots] == [("id_photo", "已上传")]
    # files learnt the person's unit from orgs' events: the default name is complete
    statement = zhang.get("/api/files/slots?q=诚信声明").body
    assert statement[0]["default_name"] == "北京智能制造研究院-张三-诚信声明"
