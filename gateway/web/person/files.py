"""附件管理: 未上传 / 已上传 slots, fuzzy search (Chinese, pinyin, initials), upload (type and
size checked in the browser before sending, and by files), view through a short signed link,
delete (a locked file says which application holds it); and the photo step shared by 个人信息
and 技能竞赛: 上传 → 裁切照片 (cropperjs) → 保存成功."""
from __future__ import annotations

import io
import json

from flask import abort, flash, redirect, render_template, request, url_for

from ..auth import api, login_required
from ..client import ApiError
from . import bp

PHOTO_RATIO = (295, 413)  # 一寸照片, as files stores it


@bp.route("/attachments", methods=["GET"])
@login_required
def attachments():
    q = request.args.get("q", "").strip()
    slots = api().get("files", "slots", q=q)
    return render_template("person/attachments.html", slots=slots, q=q)


@bp.route("/attachments/upload", methods=["POST"])
@login_required
def upload_attachment():
    upload = request.files.get("file")
    category = request.form.get("category", "other")
    if not upload or not upload.filename:
        flash("请选择要上传的文件", "warning")
        return redirect(url_for("person.attachments") + f"#slot-{category}")
    try:
        stored = api().upload("files", "attachments", {"category": category}, "file",
                              upload.filename, upload.stream, upload.mimetype)
        flash(f"“{stored.get('display_name') or upload.filename}”上传成功", "success")
    except ApiError as error:
        if error.status >= 500:
            raise
        flash(next(iter(error.errors.values()), error.detail), "danger")
    return redirect(url_for("person.attachments") + f"#slot-{category}")


@bp.route("/attachments/<attachment_id>/view")
@login_required
def view_attachment(attachment_id):
    link = api().post("files", f"attachments/{attachment_id}/links")
    return redirect(link["url"])


@bp.route("/attachments/<attachment_id>/delete", methods=["POST"])
@login_required
def delete_attachment(attachment_id):
    try:
        api().delete("files", f"attachments/{attachment_id}")
        flash("附件已删除", "success")
    except ApiError as error:
        if error.status >= 500:
            raise
        holders = _holders(attachment_id) if error.status == 409 else []
        flash(error.detail + (f"（{'、'.join(holders)}）" if holders else ""), "danger")
    return redirect(url_for("person.attachments"))


def _holders(attachment_id: str) -> list[str]:
    """Which of my applications in progress hold the file (only asked when a delete is
    refused, so the page can say which application to wait for)."""
    names = []
    for summary in api().get("workflow", "in-progress")["items"][:10]:
        detail = api().get("workflow", f"instances/{summary['id']}")
        if attachment_id in json.dumps(detail.get("application") or {}):
            names.append(f"{detail['title']}，{detail['stage']}")
    return names


# --- the photo step ------------------------------------------------------------------------

def _photo_target(purpose: str) -> tuple[str, str]:
    """(what the photo is for, the page to return to)."""
    if purpose == "profile":
        return "个人信息证件照片", url_for("person.profile")
    if purpose == "competitor":
        return "技能竞赛个人基本信息照片", url_for("person.competitor")
    if purpose.startswith("registration-"):
        return "竞赛报名照片", url_for("person.registration", registration_id=purpose[13:])
    abort(404)


def _use_photo(purpose: str, file_id: str) -> None:
    client = api()
    if purpose == "profile":
        profile = client.get("identity", "me/profile")
        body = {k: profile.get(k) for k in ("general", "education", "study_history",
                                             "work_history")}
        client.put("identity", "me/profile", {**body, "photo_file_id": file_id})
    elif purpose == "competitor":
        client.put("workflow", "me/competitor/photo", {"file_id": file_id})
    else:
        client.put("workflow", f"me/competition-registrations/{purpose[13:]}/photo",
                   {"file_id": file_id})


@bp.route("/photo/<purpose>", methods=["GET", "POST"])
@login_required
def photo(purpose):
    """上传照片: 浏览 → 上传; then 裁切照片."""
    title, back = _photo_target(purpose)
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        if not upload or not upload.filename:
            error = "请选择照片"
        else:
            try:
                stored = api().upload("files", "attachments", {"category": "id_photo"}, "file",
                                      upload.filename, upload.stream, upload.mimetype)
                return redirect(url_for("person.crop", purpose=purpose, attachment_id=stored["id"]))
            except ApiError as failed:
                if failed.status >= 500:
                    raise
                error = next(iter(failed.errors.values()), failed.detail)
    return render_template("person/photo.html", title=title, back=back, error=error,
                           purpose=purpose)


@bp.route("/photo/<purpose>/<attachment_id>", methods=["GET", "POST"])
@login_required
def crop(purpose, attachment_id):
    """裁切照片: cropperjs sets the box; without JavaScript the centred box is used."""
    title, back = _photo_target(purpose)
    client = api()
    link = client.post("files", f"attachments/{attachment_id}/links")["url"]
    errors, message = {}, None
    if request.method == "POST":
        box = {k: request.form.get(k, type=int) for k in ("x", "y", "width", "height")}
        try:
            cropped = client.post("files", f"attachments/{attachment_id}/crop", box)
            _use_photo(purpose, cropped["attachment"]["id"])
            flash(cropped.get("message") or "保存成功", "success")
            return redirect(back)
        except ApiError as error:
            if error.status >= 500:
                raise
            message, errors = error.detail, error.errors
    status, body, _ = client.raw("GET", "files", f"attachments/{attachment_id}/content")
    if status != 200:
        abort(404)
    from PIL import Image  # the crop page only: not loaded in every gateway process

    width, height = Image.open(io.BytesIO(body)).size
    box = _centred_box(width, height)
    return render_template("person/crop.html", title=title, back=back, link=link, box=box,
                           errors=errors, message=message, ratio=PHOTO_RATIO[0] / PHOTO_RATIO[1])


def _centred_box(width: int, height: int) -> dict:
    ratio = PHOTO_RATIO[0] / PHOTO_RATIO[1]
    if width / height > ratio:
        w, h = int(height * ratio), height
    else:
        w, h = width, int(width / ratio)
    return {"x": (width - w) // 2, "y": (height - h) // 2, "width": w, "height": h}
