"""The warm process: answers as the in-process search does, only for its own settings and code,
and goes away by itself. Every server a test starts is killed when the test ends."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docagent.cli.main import app
from docagent.warm import client
from docagent.warm.common import PROTOCOL, WarmPaths, receive, send

runner = CliRunner()
SEARCH = {"tenant": "default", "collection": "demo", "query": "회사의 매출액은 얼마인가", "k": 3,
          "mode": "hybrid"}
CLI_SEARCH = ["search", "--collection", "demo", "회사의 매출액은 얼마인가", "--k", "3"]


def _held_lock_pids(run_dir: Path) -> list[int]:
    """Pids of the servers still holding their lock files (each writes its pid there)."""
    pids = []
    for lock in run_dir.glob("warm-*.lock"):
        fd = os.open(lock, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pids.append(int(lock.read_text().strip() or 0))
        finally:
            os.close(fd)
    return [p for p in pids if p > 0]


def _gone(pid: int) -> bool:
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)  # our child when CliRunner started it here
        return reaped == pid
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait_gone(pid: int, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


def _kill_servers(home: Path) -> None:
    for log in (home / "run").glob("*.log"):  # shown when a test failed
        print(f"== {log.name}\n{log.read_text()}")
    for pid in _held_lock_pids(home / "run"):
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)


def _short_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="dw-", dir="/tmp")) / "home"  # AF_UNIX paths are short
    home.mkdir()
    return home


def _ingest(tmp: Path, pdf: bytes) -> None:
    (tmp / "a.pdf").write_bytes(pdf)
    res = runner.invoke(app, ["ingest", str(tmp / "a.pdf"), "--collection", "demo"])
    assert res.exit_code == 0, res.output


@pytest.fixture
def warm(settings, monkeypatch):
    """Settings with the warm process on, in a home of its own; its servers die with the test."""
    from docagent.settings import Settings, get_settings

    home = _short_home()
    monkeypatch.setenv("DOCAGENT_HOME", str(home))
    monkeypatch.setenv("DOCAGENT_WARM_IDLE_S", "120")
    get_settings.cache_clear()
    yield Settings()
    _kill_servers(home)
    get_settings.cache_clear()
    shutil.rmtree(home.parent, ignore_errors=True)


@pytest.fixture
def collection(warm, tmp_path, sample_pdf):
    _ingest(tmp_path, sample_pdf)
    return warm


@pytest.fixture(scope="module")
def served(tmp_path_factory, sample_pdf):
    """One collection and its running server, shared by the tests that leave both as they are."""
    from docagent.settings import Settings, get_settings

    home = _short_home()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCAGENT_HOME", str(home))
        mp.setenv("DOCAGENT_WARM_IDLE_S", "120")
        mp.setenv("DOCAGENT_INGEST_WORKERS", "1")
        get_settings.cache_clear()
        _ingest(tmp_path_factory.mktemp("warm"), sample_pdf)
        _started(Settings())
        yield home
        _kill_servers(home)
    get_settings.cache_clear()
    shutil.rmtree(home.parent, ignore_errors=True)


@pytest.fixture
def server(served, monkeypatch):
    """The shared server's settings, in this test's environment."""
    from docagent.settings import Settings, get_settings

    monkeypatch.setenv("DOCAGENT_HOME", str(served))
    monkeypatch.setenv("DOCAGENT_WARM_IDLE_S", "120")
    get_settings.cache_clear()
    yield Settings()
    get_settings.cache_clear()


def _settings():
    from docagent.settings import Settings

    return Settings()


def _started(settings) -> int:
    """Start the server for ``settings`` through a search, and return its pid."""
    for _ in range(3):  # a server exits if our code is edited while it starts: a new key
        if client.call(settings, "search", SEARCH) is not None:
            return client.request(WarmPaths.of(settings), "ping", {})["pid"]
    raise AssertionError("no warm server answered")


@pytest.fixture
def no_local_search(monkeypatch):
    """From here on a search in this process fails: what comes back was served."""
    def refuse(*_a, **_k):
        raise AssertionError("searched in the test process, not in the warm one")

    monkeypatch.setattr("docagent.search.search", refuse)


def _cli(*args: str):
    return runner.invoke(app, list(args))


def _idle(monkeypatch, seconds: str) -> None:
    """Set DOCAGENT_WARM_IDLE_S for what follows, CLI included (it caches its settings)."""
    from docagent.settings import get_settings

    monkeypatch.setenv("DOCAGENT_WARM_IDLE_S", seconds)
    get_settings.cache_clear()


def test_served_search_is_byte_identical_to_in_process(server, monkeypatch, request):
    _idle(monkeypatch, "0")
    local = [_cli(*CLI_SEARCH, "--json"), _cli(*CLI_SEARCH)]
    _idle(monkeypatch, "120")
    pid = _started(_settings())
    request.getfixturevalue("no_local_search")
    served = [_cli(*CLI_SEARCH, "--json"), _cli(*CLI_SEARCH)]
    assert [r.exit_code for r in local + served] == [0, 0, 0, 0]
    assert json.loads(local[0].stdout)["results"]
    assert [r.stdout_bytes for r in served] == [r.stdout_bytes for r in local]
    assert client.request(WarmPaths.of(_settings()), "ping", {})["pid"] == pid


def test_errors_come_back_as_the_same_cli_errors(server, monkeypatch, request):
    bad = [["search", "--collection", "nope", "질문"], ["search", "--collection", "demo", "  "],
           ["search", "--collection", "demo", "질문", "--k", "0"]]
    _idle(monkeypatch, "0")
    local = [_cli(*args) for args in bad]
    _idle(monkeypatch, "120")
    _started(_settings())
    request.getfixturevalue("no_local_search")
    served = [_cli(*args) for args in bad]
    assert [(r.exit_code, r.output) for r in served] == [(r.exit_code, r.output) for r in local]
    assert all(r.exit_code == 2 for r in served) and "does not exist" in served[0].output


def test_verbose_searches_here_so_its_logs_reach_the_terminal(server, monkeypatch):
    calls = []
    monkeypatch.setattr("docagent.search.search", lambda *a, **k: calls.append(a) or [])
    res = _cli("-v", *CLI_SEARCH, "--json")
    assert res.exit_code == 0 and json.loads(res.stdout) == {"results": []} and len(calls) == 1


def test_concurrent_clients_get_the_same_answers(server):
    settings = _settings()
    _started(settings)
    paths = WarmPaths.of(settings)
    expected = client.request(paths, "search", SEARCH)
    answers: list = []

    def ask() -> None:
        answers.append(client.request(paths, "search", SEARCH))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert answers == [expected] * 8 and expected


def test_idle_timeout_stops_the_server(collection, monkeypatch):
    _idle(monkeypatch, "1")
    settings = _settings()
    pid = _started(settings)
    assert _wait_gone(pid)
    assert not WarmPaths.of(settings).sock.exists()


def test_idle_zero_starts_nothing(collection, monkeypatch):
    _idle(monkeypatch, "0")
    assert client.call(_settings(), "search", SEARCH) is None
    assert not list((collection.home / "run").glob("*.sock"))


def test_a_stale_socket_is_replaced_and_old_files_pruned(collection):
    settings = _settings()
    paths = WarmPaths.of(settings)
    paths.run_dir.mkdir(mode=0o700, exist_ok=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(paths.sock))  # a file with nobody listening, as a killed server leaves it
    dead.close()
    old, recent = (WarmPaths("0" * 20, paths.run_dir), WarmPaths("1" * 20, paths.run_dir))
    for p in (old.lock, old.log, recent.lock, recent.log):
        p.write_text("")
    for p in (old.lock, old.log):
        os.utime(p, (time.time() - 3 * 86400,) * 2)
    with pytest.raises(client.NoServer):
        client.request(paths, "ping", {})
    assert client.call(settings, "search", SEARCH) is not None
    assert client.request(paths, "ping", {})["pid"] > 0
    assert not old.lock.exists() and not old.log.exists()
    assert recent.lock.exists() and recent.log.exists()


def test_other_settings_get_another_server_and_are_refused_by_this_one(server, monkeypatch):
    first = _settings()
    pid = _started(first)
    monkeypatch.setenv("DOCAGENT_SEARCH_K", "7")
    second = _settings()
    assert WarmPaths.of(second).key != WarmPaths.of(first).key
    assert _started(second) != pid
    # a request naming other settings (or another home, or other code) is not answered
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(WarmPaths.of(first).sock))
        send(sock, {"v": PROTOCOL, "key": WarmPaths.of(second).key, "op": "ping", "args": {}})
        reply = receive(sock, 1 << 20, time.monotonic() + 30)
    assert reply["ok"] is False and reply["error"]["code"] == "wrong_server"


def test_code_change_gives_another_key(server, monkeypatch):
    before = WarmPaths.of(_settings()).key
    monkeypatch.setattr("docagent.warm.common.code_stamp", lambda: "other code")
    assert WarmPaths.of(_settings()).key != before


def test_bad_requests_are_refused_and_the_server_goes_on(server):
    settings = _settings()
    _started(settings)
    paths = WarmPaths.of(settings)
    for args, fragment in (({**SEARCH, "k": "3"}, "k must be an integer"),
                           ({**SEARCH, "mode": "fuzzy"}, "mode must be"),
                           ({**SEARCH, "query": None}, "query must be a string")):
        with pytest.raises(client.ServedError, match=fragment):
            client.request(paths, "search", args)
    with pytest.raises(client.ServedError, match="unknown operation"):
        client.request(paths, "drop_tables", {})
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(paths.sock))
        sock.sendall(b"not json\n")
        sock.settimeout(30)
        assert sock.recv(100) == b""  # dropped
    assert client.request(paths, "search", SEARCH)


def test_a_server_that_does_not_answer_is_left_behind(collection, monkeypatch):
    settings = _settings()
    paths = WarmPaths.of(settings)
    paths.run_dir.mkdir(mode=0o700, exist_ok=True)
    mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mute.bind(str(paths.sock))
    mute.listen(8)  # accepts (the kernel does) and never replies
    monkeypatch.setattr(client, "REPLY_TIMEOUT_S", 0.5)
    try:
        assert client.call(settings, "search", SEARCH) is None
        res = _cli(*CLI_SEARCH, "--json")  # the command answers from its own process
        assert res.exit_code == 0 and json.loads(res.stdout)["results"]
    finally:
        mute.close()


def test_removing_the_socket_stops_the_server(collection):
    settings = _settings()
    pid = _started(settings)
    WarmPaths.of(settings).sock.unlink()
    assert _wait_gone(pid)


def test_a_home_without_a_database_starts_nothing(warm, monkeypatch):
    assert client.call(_settings(), "search", SEARCH) is None
    monkeypatch.setenv("DOCAGENT_HOME", str(warm.home / "missing"))
    assert client.call(_settings(), "search", SEARCH) is None
    assert not (warm.home / "run").exists() and not (warm.home / "missing").exists()
