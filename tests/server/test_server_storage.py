"""Storage: a file database survives a restart; concurrent creates from many threads lose nothing."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from server_helpers import PARENT, create, get, job_json

from vertex_tuning.server import create_app
from vertex_tuning.server.lifecycle import ManualClock
from vertex_tuning.server.testing import serve


def test_file_database_survives_a_restart(tmp_path: Path) -> None:
    db, clock = str(tmp_path / "jobs.sqlite"), ManualClock()
    with serve(create_app(db_path=db, clock=clock, job_duration=100)) as url, httpx.Client(base_url=url) as http:
        kept = create(http, labels={"keep": "me"})
        cancelled = create(http)["name"]
        http.post(f"/v1/{cancelled}:cancel", json={})
        source = create(http)["name"]
        clock.advance(100)
        op = http.post(f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", json={"tunedModelRef": {"tuningJob": source}}).json()
    with serve(create_app(db_path=db, clock=clock, job_duration=100)) as url, httpx.Client(base_url=url) as http:
        again = get(http, kept["name"])
        assert {k: again[k] for k in ("name", "labels", "createTime", "baseModel")} == {
            k: kept[k] for k in ("name", "labels", "createTime", "baseModel")}
        assert again["state"] == "JOB_STATE_SUCCEEDED"
        assert get(http, cancelled)["state"] == "JOB_STATE_CANCELLED"
        assert get(http, op["name"])["name"] == op["name"]
        names = [j["name"] for j in http.get(f"/v1/{PARENT}/tuningJobs", params={"pageSize": 100}).json()["tuningJobs"]]
        assert kept["name"] in names and len(names) == 4  # three jobs plus the one the rebase made
        fresh = create(http)["name"]
        assert fresh not in names  # ids continue after a restart instead of reusing old ones


def test_memory_database_starts_empty_each_time() -> None:
    for _ in range(2):
        with serve(create_app()) as url:
            assert httpx.get(f"{url}/v1/{PARENT}/tuningJobs").json() == {}


def test_concurrent_creates_from_16_threads_lose_nothing(http: httpx.Client) -> None:
    def create_many(worker: int) -> list[str]:
        with httpx.Client(base_url=str(http.base_url)) as own:
            return [create(own, labels={"worker": str(worker)})["name"] for _ in range(20)]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(create_many, range(16)))
    names = [name for batch in results for name in batch]
    assert len(set(names)) == 16 * 20
    listed = http.get(f"/v1/{PARENT}/tuningJobs", params={"pageSize": 1000}).json()["tuningJobs"]
    assert sorted(j["name"] for j in listed) == sorted(names)


def test_concurrent_creates_into_a_file_database_lose_nothing(tmp_path: Path) -> None:
    app = create_app(db_path=str(tmp_path / "db.sqlite"))
    with serve(app) as url:
        def create_many(_: int) -> list[str]:
            with httpx.Client(base_url=url) as own:
                return [create(own)["name"] for _ in range(10)]

        with ThreadPoolExecutor(16) as pool:
            names = [n for batch in pool.map(create_many, range(16)) for n in batch]
    reopened = create_app(db_path=str(tmp_path / "db.sqlite"))
    stored = reopened.state.store.jobs_before(PARENT, None, 1000)
    assert sorted(row.name for row in stored) == sorted(names) and len(set(names)) == 160


def test_a_full_database_is_resource_exhausted_naming_it_and_loses_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite's own "database or disk is full" (SQLITE_FULL), made real by capping the file's page count."""
    db = str(tmp_path / "jobs.sqlite")
    app = create_app(db_path=db)
    caplog.set_level(logging.DEBUG, logger="vertex_tuning.server")
    with serve(app) as url, httpx.Client(base_url=url) as http:
        kept = create(http)["name"]
        store = app.state.store
        with store._lock:
            (pages,) = store._db.execute("PRAGMA page_count").fetchone()
            store._db.execute(f"PRAGMA max_page_count = {pages}")
        big = {"description": "x" * 100_000}  # needs pages the database may no longer have
        response = http.post(f"/v1/{PARENT}/tuningJobs", json=job_json(**big))
        assert response.status_code == 429, response.text
        error = response.json()["error"]
        assert error["status"] == "RESOURCE_EXHAUSTED" and db in error["message"]
        assert [j["name"] for j in http.get(f"/v1/{PARENT}/tuningJobs").json()["tuningJobs"]] == [kept]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
