"""Alembic: one shared environment (services/common/alembic), one migration history per
service (services/<name>/migrations/versions).

    python -m services.common.migrate [service ...]          upgrade to head
    python -m services.common.migrate revision SERVICE "msg"  autogenerate a new revision
"""
from __future__ import annotations

import sys

from alembic import command
from alembic.config import Config

from .config import PROJECT_ROOT, SERVICES, Settings


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(PROJECT_ROOT / "services" / "common" / "alembic"))
    config.set_main_option("version_locations",
                           str(PROJECT_ROOT / "services" / service / "migrations" / "versions"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def upgrade(service: str, database_url: str) -> None:
    command.upgrade(alembic_config(service, database_url), "head")


def ensure_database(database_url: str) -> None:
    """Creates a PostgreSQL database if it is missing (the stack: one per service)."""
    if not database_url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                    {"name": url.database}).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def _render_item(type_, obj, _context):
    # Our wrappers are plain column types in the database.
    from .db import UtcDateTime
    from .pii import EncryptedString

    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, EncryptedString):  # ciphertext is plain text
        return f"sa.String(length={obj.impl.length})"
    return False


def run_migrations_for(target_metadata) -> None:
    """Body of every service's migrations/env.py."""
    from alembic import context
    from sqlalchemy import engine_from_config, pool

    config = context.config
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          render_item=_render_item)
        with context.begin_transaction():
            context.run_migrations()


if __name__ == "__main__":
    if sys.argv[1:2] == ["revision"]:
        name, message = sys.argv[2], sys.argv[3]
        command.revision(alembic_config(name, Settings.from_env(name).database_url),
                         message=message, autogenerate=True)
        sys.exit(0)
    for name in sys.argv[1:] or SERVICES:
        url = Settings.from_env(name).database_url
        ensure_database(url)
        upgrade(name, url)
        print(f"migrated {name}")
