"""Admins: process definitions — list, validate, upload, versions, diff, deploy, migrate."""
from services.common.auth import current_claims, login_required

from .. import schemas, service
from .blueprints import admin, kit as _k


@admin.route("/definitions", methods=["GET"])
@admin.response(200, schemas.DefinitionSummarySchema(many=True))
@login_required()
def list_definitions():
    """全部流程定义：运行中版本、待发布版本、在办申请数"""
    return service.catalogue_of_definitions(_k().db, current_claims())


@admin.route("/definitions/<process_key>/validate", methods=["POST"])
@admin.arguments(schemas.DefinitionUploadSchema())
@admin.response(200, schemas.ValidSchema)
@login_required()
def validate_definition(body, process_key):
    """校验流程定义（不保存）"""
    return service.check(current_claims(), process_key, body["bpmn_xml"], body["forms"])


@admin.route("/definitions/<process_key>/versions", methods=["POST"])
@admin.arguments(schemas.DefinitionUploadSchema())
@admin.response(201, schemas.DefinitionSchema)
@login_required()
def upload_definition(body, process_key):
    """上传新版本（校验通过后保存为待发布）"""
    return service.upload(_k().db, current_claims(), process_key, body["bpmn_xml"],
                          body["forms"], body["note"])


@admin.route("/definitions/<process_key>/versions", methods=["GET"])
@admin.response(200, schemas.DefinitionSchema(many=True))
@login_required()
def list_versions(process_key):
    """版本列表（上传人、时间、在办申请数）"""
    return service.versions(_k().db, current_claims(), process_key)


@admin.route("/definitions/<process_key>/versions/<int:version>", methods=["GET"])
@admin.response(200, schemas.DefinitionFileSchema)
@login_required()
def download_version(process_key, version):
    """下载某版本的 BPMN 与表单"""
    return service.download(_k().db, current_claims(), process_key, version)


@admin.route("/definitions/<process_key>/versions/<int:version>/diff", methods=["GET"])
@admin.response(200, schemas.DiffSchema)
@login_required()
def diff_version(process_key, version):
    """与运行中版本的差异"""
    return service.diff(_k().db, current_claims(), process_key, version)


@admin.route("/definitions/<process_key>/versions/<int:version>/deploy", methods=["POST"])
@admin.response(200, schemas.DefinitionSchema)
@login_required()
def deploy_version(process_key, version):
    """发布（或回滚到）某版本：新申请按此版本办理，在办申请不变"""
    return service.make_current(_k().db, current_claims(), process_key, version)


@admin.route("/definitions/<process_key>/migrations", methods=["POST"])
@admin.arguments(schemas.MigrateSchema())
@admin.response(200, schemas.MigrationReportSchema)
@login_required()
def migrate(body, process_key):
    """把在办申请迁移到某版本（dry_run 只检查）"""
    return service.migrate(_k().db, _k().outbox, current_claims(), process_key, body["version"],
                           body["instance_ids"], body["dry_run"])
