"""workflow's blueprints (their names are the OpenAPI tags and the endpoints' prefixes); the
rooms of api/ add their routes to them."""
from flask_smorest import Blueprint

from services.common.app import kit

__all__ = ["admin", "blp", "kit", "portal"]

blp = Blueprint("workflow", __name__, description="业务办理：申请、待办与审核")
admin = Blueprint("workflow-admin", __name__, url_prefix="/admin",
                  description="管理员：流程定义、版本迁移、办理异常、业务限制、通知公告")
portal = Blueprint("workflow-portal", __name__, description="门户：人才服务列表、在办业务、通知与提示")
