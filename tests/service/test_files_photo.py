"""The ID-photo crop step (裁切照片): crop box in, standard-size JPEG without metadata out."""
from __future__ import annotations

import io

from PIL import Image

from tests.service.test_files import PDF, assert_problem, make_jpeg, post_file, stored_files
# the shared fixtures
from tests.service.test_files import app, client, files_config, settings, signing_key, token  # noqa: F401


def test_crop_scales_strips_metadata_and_replaces_the_photo(client, settings, token):
    alice = token()
    original = post_file(client, alice, make_jpeg(600, 800, exif=True), "我的照片.jpg")
    assert original.status_code == 201, original.get_data(as_text=True)
    source = original.get_json()
    reply = client.post(f"/attachments/{source['id']}/crop", headers=alice,
                        json={"x": 50, "y": 60, "width": 400, "height": 560})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    body = reply.get_json()
    assert body["message"] == "保存成功"
    cropped = body["attachment"]
    assert cropped["content_type"] == "image/jpeg" and cropped["display_name"] == "我的照片.jpg"
    assert cropped["size"] <= 2 * 1024 * 1024

    content = client.get(f"/attachments/{cropped['id']}/content", headers=alice).get_data()
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG" and image.size == (295, 413)
    assert not image.getexif() and "icc_profile" not in image.info
    assert "exif" not in image.info and "comment" not in image.info
    # the cropped photo takes the slot; the uploaded one is gone with its bytes
    page = client.get("/attachments?category=id_photo", headers=alice).get_json()
    assert [a["id"] for a in page["items"]] == [cropped["id"]]
    assert len(stored_files(settings)) == 1


def test_crop_box_is_checked_and_only_photos_are_cropped(client, token):
    alice = token()
    photo = post_file(client, alice, make_jpeg(300, 400), "照片.jpg").get_json()["id"]
    outside = client.post(f"/attachments/{photo}/crop", headers=alice,
                          json={"x": 100, "y": 0, "width": 250, "height": 300})
    assert assert_problem(outside, 422)["errors"] == {"width": "裁切框超出照片宽度（300 像素）"}
    missing = client.post(f"/attachments/{photo}/crop", headers=alice, json={"x": 0})
    assert {"y", "width", "height"} <= set(assert_problem(missing, 422)["errors"])
    negative = client.post(f"/attachments/{photo}/crop", headers=alice,
                           json={"x": -1, "y": 0, "width": 100, "height": 100})
    assert "x" in assert_problem(negative, 422)["errors"]
    document = post_file(client, alice, PDF, "学位.pdf", "degree").get_json()["id"]
    not_photo = client.post(f"/attachments/{document}/crop", headers=alice,
                            json={"x": 0, "y": 0, "width": 100, "height": 100})
    assert "attachment_id" in assert_problem(not_photo, 422)["errors"]
    # someone else's photo does not exist for you
    assert_problem(client.post(f"/attachments/{photo}/crop", headers=token(),
                               json={"x": 0, "y": 0, "width": 100, "height": 100}), 404)
