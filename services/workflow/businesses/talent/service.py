"""Talent introduction (人才引进, seed 003): the declarations list of 需求申报 and its export.
The rules its settings switch on (业务权限, piiFields, uniqueField, check) are the core's
(service/rules.py); its check is in this package's __init__."""
from __future__ import annotations

import csv
import io
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common import audit as audit_log
from services.common.auth import Claims
from services.common.db import Database, paginate, utcnow
from services.common.errors import Forbidden, NotFound, ValidationFailed

from ... import checks
from ...model import Instance, OrgEntry
from ...routing import org_name
from ...service.base import CHINA, is_admin, last_reason, public_application
from ...service.definitions import current_definition


# --- 需求申报: the unit's list and the district's export ---------------------------------------

def _declarations_query(session: Session, claims: Claims, process_key: str):
    query = select(Instance).where(Instance.process_key == process_key)
    if claims.kind == "unit" and claims.org:
        return query.where(Instance.unit_id == claims.org)
    if claims.kind == "staff" and claims.has_role("district") and claims.org:
        units = select(OrgEntry.org_id).where(OrgEntry.district_id == claims.org)
        return query.where(Instance.unit_id.in_(units))
    if is_admin(claims):
        return query
    raise Forbidden("仅用人单位和区委人才办工作人员可以查看需求申报")


PERSON_FIELDS = ("name", "id_number", "gender", "age", "political_status", "professional_title",
                 "education", "degree", "institution", "major", "introduction_basis")


def declaration_view(session: Session, instance: Instance) -> dict:
    application = public_application(instance.application) or {}
    return {"id": instance.id, "title": instance.title, "unit_id": instance.unit_id,
            "unit_name": org_name(session, instance.unit_id),
            **{field: application.get(field) for field in PERSON_FIELDS},
            "status": instance.stage, "reason": last_reason(session, instance),
            "submitted_at": instance.started_at, "updated_at": instance.updated_at,
            "completed_at": instance.completed_at,
            "can_reapply": instance.status == "returned"}


def declarations(db: Database, claims: Claims, process_key: str, status: str | None,
                 page: int, per_page: int) -> dict:
    """查看个人信息审核列表: every declaration of the unit (district staff: of the units in
    their district) with its status 待审核 / 待复审 / 未通过 / 已完成, newest first."""
    with db.reading() as session:
        if current_definition(session, process_key) is None:
            raise NotFound("业务不存在")
        query = _declarations_query(session, claims, process_key)
        if status:
            query = query.where(Instance.stage == status)
        result = paginate(session, query.order_by(Instance.started_at.desc(), Instance.id),
                          page, per_page)
        result["items"] = [declaration_view(session, i) for i in result["items"]]
    return result


EXPORT_COLUMNS = [("序号", None), ("申报单位", "unit_name"), ("姓名", "name"),
                  ("身份证号", "id_number"), ("性别", "gender"), ("年龄", "age"),
                  ("政治面貌", "political_status"), ("职称", "professional_title"),
                  ("最高学历", "education"), ("最高学位", "degree"),
                  ("最高学历（学位）所在院校", "institution"), ("所学专业", "major"),
                  ("引进依据及条件", "introduction_basis"), ("状态", "status"),
                  ("复审通过时间", "completed_at")]


EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _passed_rows(session: Session, claims: Claims,
                 process_key: str) -> tuple[list[list], list[str]]:
    """The passed list as rows: the column titles, then one row per person (None: empty);
    and the instances they come from."""
    query = _declarations_query(session, claims, process_key).where(
        Instance.status == "completed", Instance.outcome == "approved")
    rows, instance_ids = [[title for title, _ in EXPORT_COLUMNS]], []
    for number, instance in enumerate(
            session.scalars(query.order_by(Instance.completed_at, Instance.id)).all(), start=1):
        instance_ids.append(instance.id)
        view = declaration_view(session, instance)
        view["id_number"] = checks.reveal(instance.application, "id_number")
        view["completed_at"] = instance.completed_at.astimezone(CHINA).strftime(
            "%Y-%m-%d %H:%M") if instance.completed_at else None
        rows.append([number] + [view.get(key) for _, key in EXPORT_COLUMNS[1:]])
    return rows, instance_ids


FORMULA_STARTS = ("=", "+", "-", "@")


def _csv(rows: list[list]) -> bytes:
    """What a unit typed may start like a formula ("=..."): Excel would run it, so such a
    cell is written with a leading apostrophe, which Excel shows as text."""
    out = io.StringIO()
    csv.writer(out).writerows(  # None is written as an empty field
        [["'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in row]
         for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _preamble(claims: Claims, reason: str, export_id: str, at) -> list[list]:
    """The lines above the column titles: the list is internal, who exported it, when, why."""
    return [["内部资料：含个人身份信息，仅用于报送市人才工作局，不得外传或用于其他用途"],
            [f"导出人：{claims.name or claims.sub}（账号 {claims.sub}）",
             f"导出时间：{at.astimezone(CHINA).strftime('%Y-%m-%d %H:%M:%S')}（北京时间）"],
            [f"导出事由：{reason}", f"导出编号：{export_id}"],
            []]


def _xlsx(rows: list[list], title_row: int = 1, header: str | None = None) -> bytes:
    """One sheet, header in bold and frozen. Every text is a text cell: an ID number stays
    whole, and what a unit typed ("=...") is never taken for a formula; control characters
    XLSX cannot hold are dropped. `title_row`: where the column titles are (the preamble is
    above); `header`: the printed page header (内部资料, exporter, time)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "通过名单"
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            if r <= title_row:
                cell.font = Font(bold=True)
    table = rows[title_row - 1:]
    for c in range(1, len(table[0]) + 1):  # CJK characters are about two wide
        widest = max(len(str(row[c - 1] if row[c - 1] is not None else "")) for row in table)
        sheet.column_dimensions[get_column_letter(c)].width = min(widest * 2 + 2, 60)
    sheet.freeze_panes = f"A{title_row + 1}"
    if header:  # on every printed page
        sheet.oddHeader.center.text = "内部资料"
        sheet.oddHeader.right.text = header
        sheet.evenHeader.center.text = "内部资料"
        sheet.evenHeader.right.text = header
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_passed(db: Database, claims: Claims, process_key: str,
                  fmt: str = "csv", reason: str = "") -> tuple[bytes, str, str]:
    """区委人才办 reports the passed list (已完成) to the city: CSV (UTF-8 with BOM, opens in
    Excel) or XLSX of its district's declarations; (body, file name, content type). The list
    goes to the city bureau, which needs the people's full ID numbers: they are unsealed here
    and nowhere else. So the file says 内部资料 with who exported it, when and why, and the
    export (reason, whose applications) is on the audit log in the same transaction."""
    if not (claims.kind == "staff" and (claims.has_role("district") or is_admin(claims))):
        raise Forbidden("仅区委人才办工作人员可以导出通过名单")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写导出事由", {"reason": "请填写导出事由（如：报送市人才工作局）"})
    export_id, now = str(uuid.uuid4()), utcnow()
    with db.transaction() as session:
        rows, instance_ids = _passed_rows(session, claims, process_key)
        district = org_name(session, claims.org) or "区委人才办"
        audit_log.record(session, "declarations.exported", "export", export_id, claims=claims,
                         reason=reason, detail={"process_key": process_key, "format": fmt,
                                                "rows": len(instance_ids),
                                                "instance_ids": instance_ids})
    preamble = _preamble(claims, reason, export_id, now)
    if fmt == "xlsx":
        body = _xlsx(preamble + rows, title_row=len(preamble) + 1,
                     header=f"导出人 {claims.name or claims.sub} · "
                            f"{now.astimezone(CHINA).strftime('%Y-%m-%d %H:%M')}")
    else:
        body = _csv(preamble + rows)
    return body, f"{district}-需求申报通过名单.{fmt}", EXPORT_TYPES[fmt]
