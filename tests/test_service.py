"""`icp serve`: a real uvicorn server on a loopback port, scored like `icp score`.

Scoring equals `icp score` on the same rows (in a batch and one record at a time); keys
(401/403/429, revoke); request size limit; no CORS unless configured; profile upload →
promote → scores change; diff; accounts of a workspace; /healthz, /metrics, /docs.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from _helpers import icp
from _service_helpers import bearer, new_key, running, settings_for
from icpkit.discover import learn
from icpkit.intake import load_table
from icpkit.profile import save_profile
from icpkit.synth import World


@pytest.fixture(scope="module")
def profile_path(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    table = load_table(
        pa.Table.from_pandas(world.training, preserve_index=False), kind="accounts"
    ).table
    path = tmp_path_factory.mktemp("profile") / "icp.yaml"
    save_profile(learn(table, "IsWon").profile, path)
    return path


@pytest.fixture(scope="module")
def rows_csv(world_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 300 rows of the synthetic CRM's accounts export, as exported."""
    out = tmp_path_factory.mktemp("rows") / "accounts.csv"
    with (world_dir / "accounts.csv").open(encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))[:301]
    with out.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(lines)
    return out


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def served(profile_path: Path, tmp_path: Path) -> Iterator[tuple[str, Any, dict[str, str]]]:
    """A server on a copy of the profile: (base URL, settings, one key per scope)."""
    target = tmp_path / "icp.yaml"
    shutil.copy(profile_path, target)
    settings = settings_for(target)
    keys = {scope: new_key(settings, scope) for scope in ("score", "read", "admin")}
    with running(settings) as (url, _app):
        yield url, settings, keys


def test_scores_equal_icp_score_in_batch_and_one_by_one(
    served: tuple[str, Any, dict[str, str]],
    profile_path: Path,
    rows_csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _, keys = served
    code, _, _ = icp(capsys, "score", rows_csv, "--profile", profile_path, "-o", tmp_path / "s.csv")
    assert code == 0
    expected = read_rows(tmp_path / "s.csv")
    rows = read_rows(rows_csv)
    response = httpx.post(f"{url}/v1/score", json={"records": rows}, headers=bearer(keys["score"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["profile_version"] == 1
    got = body["results"]
    assert len(got) == len(expected) == 300

    def same(result: dict[str, Any], row: dict[str, str]) -> bool:
        return (
            result["icp_score"] == int(row["icp_score"])
            and result["icp_tier"] == row["icp_tier"]
            and (result["icp_segment"] or "") == row["icp_segment"]
            and "; ".join(result["icp_reasons"]) == row["icp_reasons"]
        )

    assert all(same(r, e) for r, e in zip(got, expected, strict=True))
    assert len({r["icp_tier"] for r in got}) >= 3  # the rows span tiers: a real comparison
    with httpx.Client(headers=bearer(keys["score"])) as client:
        for row, exp in list(zip(rows, expected, strict=True))[:40]:
            one = client.post(f"{url}/v1/score", json={"records": [row]}).json()["results"][0]
            assert same(one, exp), (row, one, exp)


def test_unknown_columns_are_ignored_and_said(served: tuple[str, Any, dict[str, str]]) -> None:
    url, _, keys = served
    record = {"Industry": "Software", "NumberOfEmployees": "51-200", "Favourite Colour": "teal"}
    response = httpx.post(
        f"{url}/v1/score", json={"records": [record]}, headers=bearer(keys["score"])
    )
    assert response.status_code == 200
    body = response.json()
    assert "Favourite Colour" in body["ignored_columns"]
    assert "Industry" not in body["ignored_columns"]
    assert 0 <= body["results"][0]["icp_score"] <= 100


def test_unreadable_value_is_a_warning_on_its_record(
    served: tuple[str, Any, dict[str, str]],
) -> None:
    url, _, keys = served
    records = [
        {"Industry": "Software", "NumberOfEmployees": "lots and lots"},
        {"Industry": "Software", "NumberOfEmployees": "120"},
    ]
    body = httpx.post(
        f"{url}/v1/score", json={"records": records}, headers=bearer(keys["score"])
    ).json()
    first, second = body["results"]
    assert any("lots and lots" in w for w in first["warnings"])
    assert second["warnings"] == []


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"records": []}, ["body", "records"]),
        ({"records": [{"a": {"nested": 1}}]}, ["body", "records", 0, "a"]),
        ({"rows": [{"a": 1}]}, ["body", "records"]),
        ({"records": [{"a": 1}] * 10_001}, ["body", "records"]),
        ({"records": "Software"}, ["body", "records"]),
    ],
)
def test_invalid_body_is_422_with_the_field_path(
    served: tuple[str, Any, dict[str, str]], payload: Any, where: list[Any]
) -> None:
    url, _, keys = served
    response = httpx.post(f"{url}/v1/score", json=payload, headers=bearer(keys["score"]))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"][0]["loc"][: len(where)] == where
    assert body["error"]["code"] == 422


def test_body_that_is_not_json_is_422(served: tuple[str, Any, dict[str, str]]) -> None:
    url, _, keys = served
    response = httpx.post(
        f"{url}/v1/score",
        content=b"{not json",
        headers={**bearer(keys["score"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 422


def test_keys_401_403_and_revoke(
    served: tuple[str, Any, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, settings, keys = served
    record = {"records": [{"Industry": "Software"}]}
    assert httpx.post(f"{url}/v1/score", json=record).status_code == 401
    bad = keys["score"][:-4] + "AAAA"
    assert httpx.post(f"{url}/v1/score", json=record, headers=bearer(bad)).status_code == 401
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert httpx.post(f"{url}/v1/score", json=record, headers=basic).status_code == 401
    # Scopes: score < read < admin.
    assert httpx.get(f"{url}/v1/profiles", headers=bearer(keys["score"])).status_code == 403
    assert httpx.get(f"{url}/v1/profiles", headers=bearer(keys["read"])).status_code == 200
    assert (
        httpx.post(f"{url}/v1/score", json=record, headers=bearer(keys["admin"])).status_code == 200
    )
    assert (
        httpx.post(f"{url}/v1/profiles/1/promote", headers=bearer(keys["read"])).status_code == 403
    )
    key_id = keys["score"].split("_")[1]
    code, _, _ = icp(capsys, "keys", "revoke", settings.target, key_id)
    assert code == 0
    revoked = httpx.post(f"{url}/v1/score", json=record, headers=bearer(keys["score"]))
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["error"]["message"]


def test_rate_limit_is_429_with_retry_after(profile_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "icp.yaml"
    shutil.copy(profile_path, target)
    # One token per 100 s: no refill can happen while the test runs, however slow the machine.
    settings = settings_for(target, rate_per_second=0.01, rate_burst=3)
    key, other = new_key(settings, "score"), new_key(settings, "score")
    record = {"records": [{"Industry": "Software"}]}
    with running(settings) as (url, _), httpx.Client() as client:
        codes = [
            client.post(f"{url}/v1/score", json=record, headers=bearer(key)).status_code
            for _ in range(5)
        ]
        assert codes[:3] == [200, 200, 200]
        assert codes[3:] == [429, 429]
        limited = client.post(f"{url}/v1/score", json=record, headers=bearer(key))
        assert int(limited.headers["Retry-After"]) >= 1
        # The limit is per key: another key still gets through.
        assert client.post(f"{url}/v1/score", json=record, headers=bearer(other)).status_code == 200


def test_request_size_limit_is_413(profile_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "icp.yaml"
    shutil.copy(profile_path, target)
    settings = settings_for(target, max_body_bytes=10_000)
    key = new_key(settings, "score")
    big = {"records": [{"Industry": "Software", "Notes": "x" * 200}] * 100}
    with running(settings) as (url, _):
        response = httpx.post(f"{url}/v1/score", json=big, headers=bearer(key))
        assert response.status_code == 413
        assert response.json()["error"]["code"] == 413
        small = {"records": [{"Industry": "Software"}]}
        assert httpx.post(f"{url}/v1/score", json=small, headers=bearer(key)).status_code == 200


def test_no_cors_unless_configured(profile_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "icp.yaml"
    shutil.copy(profile_path, target)
    origin = {"Origin": "https://app.example.com"}
    preflight = {**origin, "Access-Control-Request-Method": "POST"}
    with running(settings_for(target)) as (url, _):
        assert (
            "access-control-allow-origin" not in httpx.get(f"{url}/healthz", headers=origin).headers
        )
        options = httpx.options(f"{url}/v1/score", headers=preflight)
        assert "access-control-allow-origin" not in options.headers
    configured = settings_for(target, cors_origins=("https://app.example.com",))
    with running(configured) as (url, _):
        got = httpx.get(f"{url}/healthz", headers=origin).headers
        assert got["access-control-allow-origin"] == "https://app.example.com"
        other = httpx.get(f"{url}/healthz", headers={"Origin": "https://evil.example"}).headers
        assert "access-control-allow-origin" not in other


def test_upload_promote_changes_scores_and_diff(
    served: tuple[str, Any, dict[str, str]],
) -> None:
    url, _, keys = served
    with httpx.Client(base_url=url, headers=bearer(keys["admin"])) as admin:
        _promote_flow(admin)


def _promote_flow(admin: httpx.Client) -> None:
    record = {"records": [{"Industry": "Software", "NumberOfEmployees": "120"}]}
    before = admin.post("/v1/score", json=record).json()
    assert before["profile_version"] == 1
    profile = admin.get("/v1/profiles/1").json()
    assert profile["version"] == 1
    profile["intercept"] = profile.get("intercept", 0) - 30
    uploaded = admin.post("/v1/profiles", json=profile, params={"note": "stricter"})
    assert uploaded.status_code == 201
    assert uploaded.json() == {"version": 2, "active": 1}
    # Uploading does not change what scores; promoting does.
    assert admin.post("/v1/score", json=record).json()["results"] == before["results"]
    assert admin.post("/v1/profiles/2/promote").json()["active"] == 2
    after = admin.post("/v1/score", json=record).json()
    assert after["profile_version"] == 2
    assert after["results"][0]["icp_score"] < before["results"][0]["icp_score"]
    listed = admin.get("/v1/profiles").json()
    assert listed["active"] == 2
    assert [(v["version"], v["active"], v["note"]) for v in listed["versions"]][1:] == [
        (2, True, "stricter")
    ]
    assert listed["versions"][0]["note"].endswith("icp.yaml")  # seeded from the served file
    diff = admin.get("/v1/profiles/1/diff/2").json()
    assert diff["summary"]["changed"] is True
    assert any(c["part"] == "intercept" for c in diff["changes"])
    yaml_text = admin.get("/v1/profiles/2", params={"format": "yaml"})
    assert yaml_text.headers["content-type"].startswith("application/yaml")
    assert "version: 2" in yaml_text.text
    assert admin.get("/v1/profiles/9").status_code == 404
    assert admin.post("/v1/profiles/9/promote").status_code == 404


def test_invalid_profile_upload_is_422_naming_the_field(
    served: tuple[str, Any, dict[str, str]],
) -> None:
    url, _, keys = served
    bad = {"name": "x", "attributes": [{"name": "industry", "kind": "categorical", "bins": 5}]}
    response = httpx.post(f"{url}/v1/profiles", json=bad, headers=bearer(keys["admin"]))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:3] == ["body", "attributes", 0]
    empty = httpx.post(f"{url}/v1/profiles", json={}, headers=bearer(keys["admin"]))
    assert empty.status_code == 422
    assert "at least one attribute" in empty.json()["error"]["message"]
    listed = httpx.get(f"{url}/v1/profiles", headers=bearer(keys["admin"])).json()
    assert [v["version"] for v in listed["versions"]] == [1]  # nothing half-saved


def test_healthz_metrics_and_local_docs(served: tuple[str, Any, dict[str, str]]) -> None:
    url, _, keys = served
    assert httpx.get(f"{url}/healthz").json()["status"] == "ok"
    records = {"records": [{"Industry": "Software"}, {"Industry": "Education"}]}
    tiers = [
        r["icp_tier"]
        for r in httpx.post(f"{url}/v1/score", json=records, headers=bearer(keys["score"])).json()[
            "results"
        ]
    ]
    text = httpx.get(f"{url}/metrics").text
    assert 'icp_http_requests_total{method="POST",route="/v1/score",status="200"} 1.0' in text
    assert 'icp_http_request_seconds_bucket{le="0.5",route="/v1/score"}' in text
    for tier in set(tiers):
        assert f'icp_records_scored_total{{tier="{tier}"}} {tiers.count(tier)}.0' in text
    docs = httpx.get(f"{url}/docs")
    assert docs.status_code == 200
    assert "/openapi.json" in docs.text
    # Everything the page loads comes from this server: no script or style from elsewhere.
    assert " src=" not in docs.text
    assert "<link" not in docs.text
    assert "http://" not in docs.text
    assert "https://" not in docs.text
    spec = httpx.get(f"{url}/openapi.json").json()
    assert "/v1/score" in spec["paths"]


def test_concurrent_requests_coalesced_answer_as_if_alone(
    served: tuple[str, Any, dict[str, str]], rows_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests queued for the worker thread share scoring calls and answer as if alone.
    Small compiled requests are scored on the event loop instead (batching.INLINE_MAX):
    set to 0 here so that every request takes the queue (the server runs in this process).
    """
    import asyncio

    from icpkit.service import batching

    monkeypatch.setattr(batching, "INLINE_MAX", 0)
    url, _, keys = served
    rows = read_rows(rows_csv)[:24]
    # Two shapes of request: full exports, and a short form with three fields.
    short = [{k: r[k] for k in ("Industry", "NumberOfEmployees", "Id")} for r in rows[12:]]
    requests = [[r] for r in rows[:12]] + [[r] for r in short] + [rows[:5]]
    with httpx.Client(headers=bearer(keys["score"])) as client:
        alone = [client.post(f"{url}/v1/score", json={"records": r}).json() for r in requests]

    async def together() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(headers=bearer(keys["score"])) as client:
            calls = [client.post(f"{url}/v1/score", json={"records": r}) for r in requests]
            return [r.json() for r in await asyncio.gather(*calls)]

    def calls() -> float:
        lines = httpx.get(f"{url}/metrics").text.splitlines()
        return float(next(x for x in lines if x.startswith("icp_score_calls_total ")).split()[1])

    before = calls()
    assert asyncio.run(together()) == alone
    assert calls() - before < len(requests)  # some requests did share a scoring call
    assert alone[12]["ignored_columns"] == ["Id"]
    assert "NumberOfEmployees" not in alone[0]["ignored_columns"]
