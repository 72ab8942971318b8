"""workflow's HTTP surface: parse with schemas, call the use cases, return. No logic here.
One module per room; the businesses bring their own pages (hooks.Business.blueprints)."""
from .. import hooks
from . import definitions, instances, operations, portal, tasks  # noqa: F401 - their routes
from .blueprints import admin, blp, portal as portal_blueprint

blueprints = [blp, admin, portal_blueprint, *hooks.blueprints()]
