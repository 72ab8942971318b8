"""Each service connects to PostgreSQL as its own role (rencai_<service>), which owns only its
database, cannot reach another service's, cannot alter its tables, and may only append to and
read the insert-only (audit) tables."""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from services.common.config import SERVICES
from services.common.db import is_insert_only
from services.common.migrate import grant_service_role


def _as(url: str, database: str | None = None):
    url = make_url(url)
    return create_engine(url.set(database=database) if database else url,
                         isolation_level="AUTOCOMMIT")


def test_the_services_connect_as_their_own_roles_not_as_a_superuser(stack, gateway):
    assert gateway.login("kewei").get("/api/workflow/tasks").status == 200  # every service used
    admin = create_engine(stack.urls["identity"])
    with admin.connect() as connection:
        for name, database in stack.databases.items():
            role = f"rencai_{name}"
            assert connection.execute(text(
                "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles "
                "WHERE rolname = :r"), {"r": role}).scalar() is False
            assert connection.execute(text(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :d"),
                {"d": database}).scalar() == role
            users = set(connection.execute(text(
                "SELECT usename FROM pg_stat_activity WHERE datname = :d AND usename <> "
                "current_user"), {"d": database}).scalars())
            assert users == {role}, f"{name} is used by {users}"
    admin.dispose()


def test_the_identity_role_cannot_reach_the_workflow_database(stack):
    engine = _as(stack.service_urls["identity"], stack.databases["workflow"])
    with pytest.raises(OperationalError, match="permission denied for database"):
        engine.connect()
    engine.dispose()
    for name in SERVICES:  # nor any other service's role
        if name != "workflow":
            engine = _as(stack.service_urls[name], stack.databases["workflow"])
            with pytest.raises(OperationalError):
                engine.connect()
            engine.dispose()


def test_a_service_role_cannot_alter_or_drop_its_tables(stack):
    engine = _as(stack.service_urls["identity"])
    with engine.connect() as connection:
        for statement in ("DROP TABLE account", "ALTER TABLE account ADD COLUMN x int",
                          "TRUNCATE login_guard", "CREATE TABLE mine (id int)"):
            with pytest.raises(ProgrammingError, match="must be owner|permission denied"):
                connection.execute(text(statement))
        connection.execute(text("UPDATE login_guard SET failures = failures WHERE false"))
    engine.dispose()


def test_insert_only_tables_refuse_update_and_delete_to_the_service_role(stack):
    """Every table named as insert-only (services.common.db.INSERT_ONLY_TABLES, or a name
    ending in "audit") in each service's database, and a probe one made here."""
    admin = create_engine(stack.urls["identity"], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE TABLE probe_audit (id serial PRIMARY KEY, what text)"))
        grant_service_role(connection, "rencai_identity")  # what migrate does after migrating
    admin.dispose()
    try:
        for name in SERVICES:
            engine = _as(stack.service_urls[name])
            with engine.connect() as connection:
                tables = [t for t in connection.execute(text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
                    if is_insert_only(t)]
                if name == "identity":
                    assert "probe_audit" in tables
                    connection.execute(text("INSERT INTO probe_audit (what) VALUES ('seen')"))
                    assert connection.execute(text("SELECT what FROM probe_audit")).scalar() == "seen"
                for table in tables:
                    column = connection.execute(text(
                        "SELECT column_name FROM information_schema.columns WHERE table_name = "
                        ":t ORDER BY ordinal_position LIMIT 1"), {"t": table}).scalar()
                    for statement in (f"UPDATE {table} SET {column} = {column}",
                                      f"DELETE FROM {table}", f"TRUNCATE {table}"):
                        with pytest.raises(ProgrammingError, match="permission denied"):
                            connection.execute(text(statement))
            engine.dispose()
    finally:
        admin = create_engine(stack.urls["identity"], isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("DROP TABLE probe_audit"))
        admin.dispose()
