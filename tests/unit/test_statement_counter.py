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
