"""The service skeleton over real HTTP: health, readiness, request ids, problems."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from adreport.service.app import create_app
from adreport.service.middleware import JsonFormatter, RequestIdFilter
from adreport.service.runtime import ServiceSettings
from tests.service.live import serve

PROBLEM = "application/problem+json"


@pytest.fixture
def base(tmp_path: Path) -> object:
    with serve(create_app(ServiceSettings(tmp_path))) as url:
        yield url


def test_health_and_readiness(base: str) -> None:
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{base}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["warehouse"] == "ok"


def test_openapi_document_is_served_under_v1(base: str) -> None:
    answer = httpx.get(f"{base}/api/v1/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api/v1"}]


def test_request_id_is_echoed_or_made(base: str) -> None:
    sent = httpx.get(f"{base}/healthz", headers={"X-Request-ID": "abc-123.x"})
    assert sent.headers["x-request-id"] == "abc-123.x"
    made = httpx.get(f"{base}/healthz").headers["x-request-id"]
    assert len(made) == 32
    # An id that could forge log lines is replaced, not echoed.
    forged = httpx.get(f"{base}/healthz", headers={"X-Request-ID": "a b\tc"})
    assert forged.headers["x-request-id"] != "a b\tc"


def test_unknown_path_is_a_problem_with_a_code(base: str) -> None:
    answer = httpx.get(f"{base}/api/v1/nowhere", headers={"X-Request-ID": "r1"})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["code"] == "not_found"
    assert body["request_id"] == "r1"
    assert body["status"] == 404


def test_json_log_line_carries_the_request_id() -> None:
    record = logging.LogRecord(
        "adreport.x", logging.INFO, "f", 1, "hello %s", ("you",), None
    )
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello you"
    assert line["level"] == "info"
    assert line["request_id"] == "-"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_adreport_serve_runs_uvicorn_with_json_logs(tmp_path: Path) -> None:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "adreport",
        "--data-dir",
        str(tmp_path),
        "serve",
        "--port",
        str(port),
        "--json-logs",
    ]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env={**os.environ}
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"{base}/readyz", headers={"X-Request-ID": "srv-1"})
                break
            except httpx.ConnectError:
                assert process.poll() is None, (
                    process.stderr.read() if process.stderr else ""
                )
                assert time.monotonic() < deadline, "adreport serve did not start"
                time.sleep(0.1)
        assert answer.status_code == 200
        assert answer.headers["x-request-id"] == "srv-1"
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=20)
    lines = [json.loads(x) for x in errors.splitlines() if x.startswith("{")]
    access = [x for x in lines if x.get("request_id") == "srv-1"]
    assert access, errors
    assert access[0]["status"] == 200
    assert access[0]["path"] == "/readyz"
    assert (tmp_path / "warehouse.duckdb").is_file()
