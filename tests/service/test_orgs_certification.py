"""orgs: unit certification from the business licence, with real offline OCR (RapidOCR) on
licence images drawn here with a CJK font (Noto Sans CJK, shipped by a pip package)."""
import io
import sys
from pathlib import Path

import pytest

from tests.service.test_orgs_fixtures import migrated_orgs_db, signing_key, world  # noqa: F401

# Installed by the test extra (cvttf-NotoSansCJK-Regular puts it at the venv's root).
FONT = Path(sys.prefix) / "NotoSansCJKtc-Regular.otf"

CODE = "91110105MA00000012"


def licence(name: str = "北京星河软件有限公司", code: str = CODE) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    big, font = ImageFont.truetype(str(FONT), 60), ImageFont.truetype(str(FONT), 36)
    picture = Image.new("RGB", (1100, 700), (250, 246, 236))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((20, 20, 1080, 680), outline=(180, 40, 40), width=6)
    draw.text((430, 50), "营业执照", fill="black", font=big)
    draw.text((80, 200), f"统一社会信用代码  {code}", fill="black", font=font)
    draw.text((80, 290), f"名称  {name}", fill="black", font=font)
    draw.text((80, 380), "类型  有限责任公司", fill="black", font=font)
    draw.text((80, 470), "住所  北京市朝阳区科技园1号", fill="black", font=font)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def blank() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(out, "PNG")
    return out.getvalue()


def upload(world, image: bytes, who="sibling"):
    response = world.client.post(f"/units/{world.sibling}/certification/licence",
                                 data={"licence": (io.BytesIO(image), "执照.png")},
                                 headers=world.as_(who), content_type="multipart/form-data")
    return response.status_code, response.get_json()


def test_a_readable_licence_with_a_valid_code_passes_at_once(world):
    status, reading = upload(world, licence())
    assert status == 200, reading
    assert reading["recognised"] is True
    assert (reading["name"], reading["credit_code"]) == ("北京星河软件有限公司", CODE)
    status, body = world.call("POST", f"/units/{world.sibling}/certification",
                              world.as_("sibling"), {"name": reading["name"], "credit_code": CODE,
                                                     "email": "hr@xinghe.example.cn"})
    assert status == 200 and body["status"] == "approved" and body["status_title"] == "已通过"
    home = world.call("GET", f"/units/{world.sibling}/home", world.as_("sibling"), None)[1]
    assert home["certification_title"] == "已通过"
    assert world.events("orgs.unit.certified")[-1]["data"] == {
        "unit_id": world.sibling, "name": "北京星河软件有限公司", "credit_code": CODE,
        "account_id": None}  # one shape: the account is null when orgs does not know it
    status, org = world.call("GET", f"/orgs/{world.sibling}", world.as_("admin"), None)
    assert org["credit_code"] == CODE


def test_an_unreadable_image_asks_for_manual_entry_and_staff_review(world):
    status, reading = upload(world, blank())
    assert status == 200 and reading["recognised"] is False
    assert "手动填写" in reading["message"] and "审核" in reading["message"]
    status, body = world.call("POST", f"/units/{world.sibling}/certification",
                              world.as_("sibling"), {"name": "北京星河软件有限公司",
                                                     "credit_code": CODE,
                                                     "email": "hr@xinghe.example.cn"})
    assert status == 200 and body["status"] == "pending_review"
    review = f"/units/{world.sibling}/certification/review"
    assert world.call("POST", review, world.as_("sibling"), {"decision": "approve"})[0] == 403
    status, body = world.call("POST", review, world.as_("admin"), {"decision": "reject"})
    assert status == 422 and body["errors"] == {"reason": "请填写不通过的原因"}
    status, body = world.call("POST", review, world.as_("admin"),
                              {"decision": "reject", "reason": "执照不清晰"})
    assert status == 200 and body["status"] == "rejected" and body["reason"] == "执照不清晰"
    # 重新认证: upload a clear licence and submit again.
    upload(world, licence())
    status, body = world.call("POST", f"/units/{world.sibling}/certification",
                              world.as_("sibling"), {"name": "北京星河软件有限公司",
                                                     "credit_code": CODE,
                                                     "email": "hr@xinghe.example.cn"})
    assert body["status"] == "approved"


def test_a_corrected_reading_waits_for_review(world):
    status, reading = upload(world, licence(name="北京星河软件有限公司"))
    status, body = world.call("POST", f"/units/{world.sibling}/certification",
                              world.as_("sibling"), {"name": "北京星河软件（集团）有限公司",
                                                     "credit_code": CODE,
                                                     "email": "hr@xinghe.example.cn"})
    assert status == 200 and body["status"] == "pending_review"
    status, body = world.call("POST", f"/units/{world.sibling}/certification/review",
                              world.as_("admin"), {"decision": "approve"})
    assert body["status"] == "approved"
    assert world.events("orgs.org.updated")[-1]["data"]["name"] == "北京星河软件（集团）有限公司"


@pytest.mark.parametrize("payload, field, words", [
    ({"name": "甲", "credit_code": "91110105MA00000013", "email": "a@b.cn"}, "credit_code",
     "校验位"),
    ({"name": "甲", "credit_code": CODE, "email": "not-an-email"}, "email", "邮箱格式"),
    ({"name": "甲", "credit_code": CODE}, "email", "请填写邮箱"),
    ({"name": "甲", "credit_code": CODE, "email": "a@b.cn"}, "licence", "请先上传营业执照"),
])
def test_bad_submissions_name_the_field(world, payload, field, words):
    status, body = world.call("POST", f"/units/{world.sibling}/certification",
                              world.as_("sibling"), payload)
    assert status == 422 and words in body["errors"][field], body


def test_what_is_not_an_image_is_422_and_others_cannot_upload(world):
    status, body = upload(world, b"%PDF-1.4 not an image")
    assert status == 422 and "licence" in body["errors"]
    assert upload(world, licence(), who="unit")[0] == 404
    assert upload(world, licence(), who="supervisor")[0] == 403
    response = world.client.post(f"/units/{world.sibling}/certification/licence", data={},
                                 headers=world.as_("sibling"),
                                 content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["errors"] == {
        "licence": "请上传营业执照图片"}


def test_parsing_undoes_ocrs_usual_confusions_only_when_the_check_character_agrees():
    from services.orgs.ocr import parse_lines

    reading = parse_lines(["营业执照", "统一社会信用代码", "9111O1O5MAOOOOOO12", "名称：", "北京星河"])
    assert (reading.credit_code, reading.name, reading.recognised) == (CODE, "北京星河", True)
    wrong = parse_lines(["统一社会信用代码 91110105MA00000013", "名称 北京星河"])
    assert wrong.credit_code == "91110105MA00000013" and wrong.recognised is False


def test_without_a_working_ocr_engine_the_unit_fills_in_by_hand(world, monkeypatch):
    from services.orgs import ocr

    def broken(_image):
        raise ocr.OcrUnavailable("libGL.so.1: cannot open shared object file")

    monkeypatch.setattr(ocr, "read_licence", broken)
    status, reading = upload(world, licence())
    assert status == 200 and reading["recognised"] is False and "手动填写" in reading["message"]
