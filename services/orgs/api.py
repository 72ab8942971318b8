from flask_smorest import Blueprint

from services.common.app import kit
from services.common.auth import current_claims, login_required

from . import schemas, service

blp = Blueprint("orgs", __name__, description="机构、单位与人员关联")


@blp.route("/orgs", methods=["GET"])
@blp.arguments(schemas.OrgQuerySchema, location="query")
@blp.response(200, schemas.OrgPageSchema)
@login_required()
def list_orgs(query):
    """机构列表（工作人员）"""
    return service.list_orgs(kit().db, current_claims(), query.get("kind"), query["page"],
                             query["per_page"])


@blp.route("/orgs/<org_id>", methods=["GET"])
@blp.response(200, schemas.OrgSchema)
@login_required()
def get_org(org_id):
    """机构信息"""
    return service.get_org(kit().db, org_id)


@blp.route("/me/affiliation", methods=["GET"])
@blp.response(200, schemas.AffiliationSchema)
@login_required()
def my_affiliation():
    """本人关联的单位"""
    return service.my_affiliation(kit().db, current_claims())


@blp.route("/units/<unit_id>/employees", methods=["GET"])
@blp.arguments(schemas.PageQuerySchema, location="query")
@blp.response(200, schemas.EmployeePageSchema)
@login_required()
def unit_employees(query, unit_id):
    """单位的在职人员"""
    return service.unit_employees(kit().db, current_claims(), unit_id, query["page"],
                                  query["per_page"])
