"""`make bench`'s statement counter: one byte per round trip, per database and process."""
import os

from sqlalchemy import text

from services.common.db import Database


def test_counts_every_statement_begin_and_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("RENCAI_SQL_COUNT_DIR", str(tmp_path))
    db = Database(f"sqlite:///{tmp_path / 'counted.db'}")
    with db.transaction() as session:
        session.execute(text("SELECT 1"))
        session.execute(text("SELECT 2"))
    db.dispose()
    counted = tmp_path / f"counted.db.{os.getpid()}"
    assert counted.stat().st_size == 4  # BEGIN, two statements, COMMIT


def test_counts_nothing_unless_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("RENCAI_SQL_COUNT_DIR", raising=False)
    db = Database(f"sqlite:///{tmp_path / 'quiet.db'}")
    with db.transaction() as session:
        session.execute(text("SELECT 1"))
    db.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quiet.db"]


def test_a_forked_worker_never_reuses_its_parents_connections(tmp_path):
    """gunicorn --preload forks after the app connected: the child starts with an empty pool."""
    db = Database(f"sqlite:///{tmp_path / 'forked.db'}")
    with db.transaction() as session:
        session.execute(text("SELECT 1"))
    assert db.engine.pool.checkedin() == 1
    child = os.fork()
    if child == 0:  # the worker: nothing pooled from the parent
        os._exit(0 if db.engine.pool.checkedin() == 0 else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert db.engine.pool.checkedin() == 1  # the parent's connection is still its own
    db.dispose()


def test_a_row_loaded_once_is_not_loaded_again_in_the_same_use_case(tmp_path, monkeypatch):
    from sqlalchemy import Column, String
    from sqlalchemy.orm import DeclarativeBase

    class Base(DeclarativeBase):
        pass

    class Thing(Base):
        __tablename__ = "thing"
        id = Column(String, primary_key=True)

    monkeypatch.setenv("RENCAI_SQL_COUNT_DIR", str(tmp_path))
    db = Database(f"sqlite:///{tmp_path / 'kept.db'}")
    Base.metadata.create_all(db.engine)
    with db.transaction() as session:
        session.add(Thing(id="a"))
    counted = tmp_path / f"kept.db.{os.getpid()}"
    with db.transaction() as session:
        before = counted.stat().st_size
        assert session.get(Thing, "a").id == "a"  # loaded, then dropped by the caller
        assert session.get(Thing, "a").id == "a"  # found in the session, no second SELECT
        assert counted.stat().st_size - before == 2  # BEGIN + one SELECT
    db.dispose()
