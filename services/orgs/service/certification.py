"""单位认证 from the business licence (seed 003): upload the licence, the system reads the
unit name and the credit code, the user checks (and may correct) them, adds an email and
submits. When the reading succeeded, the code's check character is right and nothing was
corrected, the certification passes at once; otherwise it waits for staff review.
重新认证 is simply uploading and submitting again."""
from __future__ import annotations

from services.common import audit
from services.common.auth import Claims
from services.common.bus import Outbox
from services.common.db import Database, utcnow
from services.common.errors import Conflict, ValidationFailed

from .. import ocr
from ..model import (CERTIFICATION_TITLES, UnitCertification, credit_code_problem,
                     normalise_credit_code)
from .access import changeable_unit, require_admin, visible_unit
from .hierarchy import _check_credit_code, _check_name, org_payload

UNREADABLE = ("未能从图片中识别出单位名称和统一社会信用代码，请上传清晰的营业执照，"
              "或手动填写后提交，由工作人员审核")


def _reading_view(reading: dict | None) -> dict:
    reading = reading or {}
    code = reading.get("credit_code")
    recognised = bool(reading.get("recognised"))
    return {"recognised": recognised, "name": reading.get("name"), "credit_code": code,
            "credit_code_problem": credit_code_problem(code) if code else None,
            "lines": reading.get("lines", []),
            "message": "识别成功，请核对单位名称和统一社会信用代码" if recognised else UNREADABLE}


def certification_view(row: UnitCertification | None) -> dict:
    if row is None:
        return {"status": None, "status_title": "未认证", "reading": None}
    return {"status": row.status,
            "status_title": CERTIFICATION_TITLES.get(row.status, "未认证"),
            "name": row.name, "credit_code": row.credit_code, "email": row.email,
            "licence_file_id": row.licence_file_id, "submitted_at": row.submitted_at,
            "decided_at": row.decided_at, "reason": row.reason,
            "reading": _reading_view(row.reading) if row.reading is not None else None}


def recognise_licence(db: Database, claims: Claims, unit_id: str, image: bytes) -> dict:
    """Reads the uploaded licence (outside any transaction: OCR takes a second) and keeps
    what it found for the submission."""
    with db.reading() as session:
        changeable_unit(session, claims, unit_id)
    if not image:
        raise ValidationFailed("请上传营业执照图片", {"licence": "请上传营业执照图片"})
    try:
        reading = ocr.read_licence(image)
        stored = {"recognised": reading.recognised, "name": reading.name,
                  "credit_code": reading.credit_code, "lines": reading.lines[:50]}
    except ocr.UnreadableImage:
        raise ValidationFailed("无法打开该文件，请上传清晰的营业执照图片（JPG或PNG）",
                               {"licence": "文件不是可识别的图片"})
    except ocr.OcrUnavailable:  # manual entry and staff review still work
        stored = {"recognised": False, "name": None, "credit_code": None, "lines": []}
    with db.transaction() as session:
        unit = changeable_unit(session, claims, unit_id)
        row = session.get(UnitCertification, unit.id)
        if row is None:
            row = UnitCertification(unit_id=unit.id)
            session.add(row)
        row.reading, row.read_at = stored, utcnow()
    return _reading_view(stored)


def submit_certification(db: Database, outbox: Outbox, claims: Claims, unit_id: str,
                         data: dict) -> dict:
    name = _check_name(data["name"])
    code = normalise_credit_code(data["credit_code"])
    if problem := credit_code_problem(code):
        raise ValidationFailed(problem, {"credit_code": problem})
    with db.transaction() as session:
        unit = changeable_unit(session, claims, unit_id)
        row = session.get(UnitCertification, unit.id)
        if row is None or row.reading is None:
            raise ValidationFailed("请先上传营业执照", {"licence": "请先上传营业执照"})
        _check_credit_code(session, "unit", code, unit.id)  # held by another unit: 409
        reading = row.reading
        automatic = bool(reading.get("recognised")) and reading.get("credit_code") == code \
            and reading.get("name") == name
        row.name, row.credit_code, row.email = name, code, data["email"]
        row.licence_file_id = data.get("licence_file_id")
        row.submitted_at, row.reason, row.decided_by = utcnow(), None, None
        audit.record(session, "unit.certification_submitted", "unit", unit.id, claims=claims,
                     after={"name": name, "credit_code": code, "automatic": automatic})
        if automatic:
            _approve(session, outbox, unit, row)
        else:
            row.status, row.decided_at = "pending_review", None
            outbox.add(session, "orgs.unit.certification_submitted", unit.id,
                       {"unit_id": unit.id})
        return certification_view(row)


def certified_payload(unit) -> dict:
    """One shape for orgs.unit.certified, whoever certified (account_id: the unit's account
    when orgs knows it, else null)."""
    return {"unit_id": unit.id, "name": unit.name, "credit_code": unit.credit_code,
            "account_id": unit.account_id}


def _approve(session, outbox: Outbox, unit, row: UnitCertification) -> None:
    row.status, row.decided_at = "approved", utcnow()
    renamed = unit.name != row.name
    unit.name, unit.credit_code, unit.updated_at = row.name, row.credit_code, utcnow()
    outbox.add(session, "orgs.unit.certified", unit.id, certified_payload(unit))
    if renamed:
        outbox.add(session, "orgs.org.updated", unit.id, org_payload(unit))


def review_certification(db: Database, outbox: Outbox, claims: Claims, unit_id: str,
                         decision: str, reason: str | None) -> dict:
    """Staff review of a certification the system could not pass by itself."""
    require_admin(claims)
    with db.transaction() as session:
        unit = visible_unit(session, claims, unit_id)
        row = session.get(UnitCertification, unit.id)
        if row is None or row.status != "pending_review":
            raise Conflict("该单位没有待审核的认证")
        row.decided_by = claims.sub
        audit.record(session, "unit.certification_reviewed", "unit", unit.id, claims=claims,
                     reason=reason, detail={"decision": decision})
        if decision == "approve":
            _check_credit_code(session, "unit", row.credit_code, unit.id)
            _approve(session, outbox, unit, row)
        else:
            if not (reason or "").strip():
                raise ValidationFailed("请填写不通过的原因", {"reason": "请填写不通过的原因"})
            row.status, row.decided_at, row.reason = "rejected", utcnow(), reason.strip()
            outbox.add(session, "orgs.unit.certification_rejected", unit.id,
                       {"unit_id": unit.id, "reason": row.reason})
        return certification_view(row)


def get_certification(db: Database, claims: Claims, unit_id: str) -> dict:
    with db.reading() as session:
        unit = visible_unit(session, claims, unit_id)
        return certification_view(session.get(UnitCertification, unit.id))


def certify_directly(db: Database, outbox: Outbox, unit_id: str,
                     account_id: str | None = None) -> None:
    """Records a passed certification under the unit's registered name and code (demo data),
    publishing orgs.unit.certified (with the unit's account, when known) as a recognised
    licence does."""
    with db.transaction() as session:
        from ..model import Org

        unit = session.get(Org, unit_id)
        if unit is None or unit.kind != "unit" or not unit.credit_code:
            raise ValidationFailed("单位不存在或没有统一社会信用代码", {"unit_id": "无法认证"})
        row = session.get(UnitCertification, unit.id)
        if row is None:
            row = UnitCertification(unit_id=unit.id)
            session.add(row)
        row.name, row.credit_code, row.submitted_at = unit.name, unit.credit_code, utcnow()
        row.reading = {"recognised": True, "name": unit.name, "credit_code": unit.credit_code,
                       "lines": []}
        row.status, row.decided_at = "approved", utcnow()
        if account_id is not None:
            unit.account_id = account_id
        outbox.add(session, "orgs.unit.certified", unit.id, certified_payload(unit))
