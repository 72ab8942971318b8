"""Alembic: one shared environment (services/common/alembic), one migration history per
service (services/<name>/migrations/versions).

    python -m services.common.migrate [service ...]          upgrade to head
    python -m services.common.migrate revision SERVICE "msg"  autogenerate a new revision

In PostgreSQL each service connects as a role of its own that owns only its database. With
RENCAI_DATABASE_ADMIN_URL (a superuser, e.g. postgresql+psycopg://root@127.0.0.1:5432) the
command provisions that: the role named in the service's RENCAI_DATABASE_URL (login, its
password from the URL if any, no other powers), its database owned by it and closed to every
other role, the migrations run as the administrator (so the tables are not the service's to
alter or drop), then the role is granted what it uses — SELECT/INSERT/UPDATE/DELETE on its
tables, only SELECT/INSERT on insert-only ones (services.common.db.is_insert_only).
"""
from __future__ import annotations

import sys

from alembic import command
from alembic.config import Config

from .config import PROJECT_ROOT, SERVICES, ProcessSettings, Settings


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


def _quoted(connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def provision(service_url: str, admin_url: str) -> str:
    """The service's role and database (see the module's text); returns the URL, on the
    service's database, that migrations run with (the administrator's)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url, admin = make_url(service_url), make_url(admin_url)
    if not url.username or url.username == admin.username:
        raise SystemExit(f"RENCAI_DATABASE_URL of a service names its own role, not "
                         f"{admin.username!r}: e.g. postgresql+psycopg://rencai_identity@host/"
                         "rencai_identity")
    engine = create_engine(admin.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        role, database = _quoted(connection, url.username), _quoted(connection, url.database)
        if not connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                  {"r": url.username}).first():
            try:
                connection.execute(text(f"CREATE ROLE {role} LOGIN"))
            except Exception:  # noqa: BLE001 - made meanwhile by a concurrent run
                pass
        connection.execute(text(f"ALTER ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                                "NOREPLICATION NOBYPASSRLS"))
        if url.password:
            password = connection.exec_driver_sql("SELECT quote_literal(%s)",
                                                  (url.password,)).scalar()
            connection.execute(text(f"ALTER ROLE {role} PASSWORD {password}"))
        if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"),
                              {"d": url.database}).first():
            connection.execute(text(f"ALTER DATABASE {database} OWNER TO {role}"))
        else:
            connection.execute(text(f"CREATE DATABASE {database} OWNER {role}"))
        connection.execute(text(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC"))
    engine.dispose()
    on_database = admin.set(database=url.database)
    engine = create_engine(on_database, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        # Since PostgreSQL 15 the database owner owns schema public and could drop any table
        # in it; the administrator keeps it, the service may only use it.
        connection.execute(text("ALTER SCHEMA public OWNER TO CURRENT_USER"))
        connection.execute(text("REVOKE ALL ON SCHEMA public FROM PUBLIC"))
        connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {_quoted(connection, url.username)}"))
    engine.dispose()
    return on_database.render_as_string(hide_password=False)


def grant_service_role(connection, role: str) -> None:
    """After migrations: the service's role may read and write its tables, append to and read
    its insert-only ones (audit), and nothing else."""
    from sqlalchemy import text

    from .db import is_insert_only

    quoted = _quoted(connection, role)
    connection.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted}"))
    tables = connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
    for table in tables:
        if table == "alembic_version":
            rights = "SELECT"
        elif is_insert_only(table):
            rights = "SELECT, INSERT"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        connection.execute(text(f"GRANT {rights} ON {_quoted(connection, table)} TO {quoted}"))
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))


def migrate(service: str, database_url: str, admin_url: str | None = None) -> None:
    """Upgrade to head; with an administrator URL (PostgreSQL), provision the service's role
    and database first and grant the role its rights after."""
    if not admin_url or not database_url.startswith("postgresql"):
        ensure_database(database_url)
        upgrade(service, database_url)
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    migrations_url = provision(database_url, admin_url)
    upgrade(service, migrations_url)
    engine = create_engine(migrations_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        grant_service_role(connection, make_url(database_url).username)
    engine.dispose()


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
    admin_url = ProcessSettings.from_env().database_admin_url
    for name in sys.argv[1:] or SERVICES:
        migrate(name, Settings.from_env(name).database_url, admin_url)
        print(f"migrated {name}" + (" (its role provisioned)" if admin_url else ""))
