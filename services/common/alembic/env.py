"""The one Alembic environment; each service keeps its own history in
services/<service>/migrations/versions (see services/common/migrate.py)."""
import importlib

from alembic import context

from services.common.migrate import run_migrations_for

service = context.config.attributes["service"]
run_migrations_for(importlib.import_module(f"services.{service}.model").Base.metadata)
