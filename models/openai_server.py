"""A language model served by an OpenAI-compatible HTTP server on this machine.

Users may already run llama.cpp's `llama-server`, `python -m llama_cpp.server`, Ollama,
LM Studio or vLLM. The model string `openai:http://127.0.0.1:PORT/v1#MODEL` picks such a
server (`#MODEL` optional: the first model the server lists is used).

Dossier stays offline: `models.server_spec` accepts only loopback addresses, decided without
DNS, unless the caller passes `allow_remote=True`, and the URL contacted is rebuilt from the
checked parts. Proxy variables from the environment are ignored (a proxy could be remote) and
redirects are not followed (a loopback server could redirect elsewhere).

Unlike `LlamaCppLLM`, the server renders the chat template itself: whether control-token
text inside message content (`<|im_start|>` in an article) becomes a real control token is
the server's choice, not ours.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from models.llm import Completion, Message, Timings
from models.resolve import ModelError
from models.server_spec import EXAMPLE, parse_server_model

# When the server does not say how long its context is: llama-cpp-python's server and
# Ollama default to 2048 tokens, the smallest window of the common servers. Too small only
# shortens prompts; too large makes the server cut or refuse them.
DEFAULT_N_CTX = 2048
# Token estimate when the server has no tokenize endpoint: English text averages about
# four characters a token in BPE vocabularies; rounding up errs towards shorter prompts.
CHARS_PER_TOKEN = 4
_CONNECT_TIMEOUT_S = 5.0  # loopback answers at once, or nothing is listening
_TIMEOUT_S = 600.0  # between two bytes: a big model on a CPU may take minutes on a long prompt
_CANCEL_POLL_S = 0.05  # how often the cancel watcher looks whether the stream ended
_ERROR_TEXT = 300  # characters of a server's error body quoted in a message


class ServerUnavailable(ModelError):
    """The server cannot be reached, or answered something other than the OpenAI API."""


def build(spec: str, options: Any) -> OpenAIServerLLM:
    """The backend builder for `models.backends.register("openai", build)`.

    `options` is a `models.backends.BackendOptions` (read: `allow_remote`; threads and the
    cache folder do not apply to a server). Nothing is contacted here.
    """
    return OpenAIServerLLM.from_spec(spec, allow_remote=options.allow_remote)


# --- the model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    """What one `stream` call asks of the server besides the messages."""

    max_tokens: int
    temperature: float
    stop: list[str] | None
    grammar: str | None


@dataclass(frozen=True)
class _ServerInfo:
    """What the server told us when first contacted."""

    model_id: str
    n_ctx: int


class _Reply:
    """Counts of one streamed reply."""

    def __init__(self) -> None:
        self.first_at: float | None = None
        self.pieces = 0
        self.usage: dict[str, Any] = {}


class OpenAIServerLLM:
    """A model behind an OpenAI-compatible HTTP server; implements `models.llm.LLM`.

    Nothing is contacted until a property or method needs the server (`connect()` does it
    on purpose), so constructing one is free and a server started later is found.
    """

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        n_ctx: int | None = None,
        api_key: str | None = None,
        timeout_s: float = _TIMEOUT_S,
        transport: Any = None,
    ) -> None:
        """`base_url` as `parse_server_model` returns it (use `from_spec` for a model string).

        `n_ctx`: the window the server was started with, when the user knows it better than
        the server says (the smaller of the two is used). `api_key` is sent as a bearer
        token (vLLM and llama-server can require one). `transport` replaces the HTTP
        transport (tests).
        """
        self._base_url = base_url.rstrip("/")
        self._requested_model = model
        self._n_ctx_hint = n_ctx
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._transport = transport
        self._clients: dict[bool, Any] = {}  # by `streams`, see `_http`
        self._info: _ServerInfo | None = None
        self._tokenize_path: str | None = None  # "" once known that there is none
        # Separate locks: the probe holds its own while it uses the client's.
        self._info_lock = threading.Lock()
        self._client_lock = threading.Lock()
        self._tokenize_lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: str, *, allow_remote: bool = False, **kwargs: Any) -> OpenAIServerLLM:
        """The model for `openai:URL[#MODEL]` (see `parse_server_model`); nothing contacted."""
        base_url, model = parse_server_model(spec, allow_remote=allow_remote)
        return cls(base_url, model, **kwargs)

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def model_id(self) -> str:
        """The id the server reports for the model (contacts the server on first use)."""
        return self._server().model_id

    @property
    def sha256(self) -> str:
        """NOT a hash of the weights: the server does not expose them.

        A stable stand-in derived from the base URL and the reported model id, so caches
        keyed on (model_id, sha256) tell servers and models apart. If the server swaps the
        weights behind the same id and URL, this does not change.
        """
        key = f"openai-server\n{self._base_url}\n{self.model_id}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    @property
    def n_ctx(self) -> int:
        """The server's context window if it reports one (llama-server's /props, vLLM's
        `max_model_len`), capped by the `n_ctx` given; else that, else `DEFAULT_N_CTX`."""
        return self._server().n_ctx

    def connect(self) -> float:
        """Contact the server now if not done yet; the seconds it took (0 if done before).

        Raises `ServerUnavailable` naming the URL when nothing answers there.
        """
        if self._info is not None:
            return 0.0
        started = time.perf_counter()
        self._server()
        return time.perf_counter() - started

    def close(self) -> None:
        """Close the HTTP connections; the next call opens new ones."""
        with self._client_lock:
            clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    # --- what the server says about itself ---

    def _server(self) -> _ServerInfo:
        with self._info_lock:
            if self._info is None:  # a failure is not remembered: the server may start later
                self._info = self._probe()
            return self._info

    def _probe(self) -> _ServerInfo:
        listing = self._get_json(self._url("/models"))
        data = listing.get("data") if isinstance(listing, dict) else None
        entries = [e for e in data or [] if isinstance(e, dict) and isinstance(e.get("id"), str)]
        if not entries:
            raise ServerUnavailable(f"The model server at {self._base_url} lists no models.")
        ids = [e["id"] for e in entries]
        wanted = self._requested_model or ids[0]
        if wanted not in ids:
            raise ServerUnavailable(
                f"The model server at {self._base_url} has no model {wanted!r}; "
                f"it serves: {', '.join(ids)}."
            )
        entry = entries[ids.index(wanted)]
        reported = _positive_int(entry.get("max_model_len")) or self._props_n_ctx()
        hints = [n for n in (reported, self._n_ctx_hint) if n]
        return _ServerInfo(model_id=wanted, n_ctx=min(hints) if hints else DEFAULT_N_CTX)

    def _props_n_ctx(self) -> int | None:
        """llama-server's slot context from GET /props; None from servers without it."""
        response = self._request("GET", self._root_url("/props"))
        if response.status_code != 200:
            return None
        try:
            props = response.json()
        except ValueError:
            return None
        if not isinstance(props, dict):
            return None
        settings = props.get("default_generation_settings")
        nested = settings.get("n_ctx") if isinstance(settings, dict) else None
        return _positive_int(nested) or _positive_int(props.get("n_ctx"))

    # --- tokens ---

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes, from the server's tokenizer when it has an endpoint for it
        (llama-server's /tokenize, llama-cpp-python's /extras/tokenize/count); otherwise an
        estimate of one token per `CHARS_PER_TOKEN` characters, rounded up.

        llama-cpp-python's endpoint parses control-token text and may add BOS, so its count
        can differ by a token or so from how the content is tokenised inside a prompt.
        """
        if not text:
            return 0
        with self._tokenize_lock:
            path = self._tokenize_path
        if path is None:
            return self._discover_tokenizer(text)
        if path:
            count = self._server_count(path, text)
            if count is not None:
                return count
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    def count_tokens_many(self, texts: list[str]) -> list[int]:
        """One request for all `texts`: the server counts them joined, and each text gets its
        share by length (an estimate within a token or so per text; the budgets it feeds are
        approximate anyway, and a request per candidate sentence would cost more than it saves).
        """
        joined = "\n".join(texts)
        if not joined:
            return [0] * len(texts)
        per_char = self.count_tokens(joined) / len(joined)
        return [math.ceil(len(text) * per_char) if text else 0 for text in texts]

    def _discover_tokenizer(self, text: str) -> int:
        """Try each known endpoint once; remember the first that counts (or that none does)."""
        for path in _TOKENIZE_BODIES:
            count = self._server_count(path, text)
            if count is not None:
                with self._tokenize_lock:
                    self._tokenize_path = path
                return count
        with self._tokenize_lock:
            self._tokenize_path = ""
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    def _server_count(self, path: str, text: str) -> int | None:
        body = _TOKENIZE_BODIES[path](text, self._server().model_id)
        response = self._request("POST", self._root_url(path), json=body)
        if response.status_code != 200:
            return None  # 404/405: not this server's endpoint; 4xx: not its request shape
        try:
            answer = response.json()
        except ValueError:
            return None
        if isinstance(answer, dict):
            if isinstance(answer.get("tokens"), list):
                return len(answer["tokens"])
            return _positive_int(answer.get("count"), allow_zero=True)
        return None

    # --- generation ---

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        cancel: threading.Event | None = None,
        grammar: str | None = None,
        markers: Sequence[int] | None = None,
    ) -> Completion:
        """The reply to `messages` from the server's streaming chat completion, in pieces.

        `grammar` (GBNF) is sent as the `grammar` field, which llama.cpp's server and
        llama-cpp-python's server honour; a server that ignores it replies unconstrained.
        `markers` is not sent: a server grammar over a whole answer costs more than it saves,
        and the answer check rejects a marker naming a passage that was not shown.

        Setting `cancel` (from any thread) or closing the completion closes the HTTP
        connection at once, even while waiting for the server's next byte; the server
        notices the disconnect and stops generating. The completion's `timings` are set
        when it ends: prompt and completion tokens from the server's `usage` when it
        sends one, else completion tokens are the pieces received (one token each on
        llama.cpp servers) and prompt tokens 0 (unknown); times are measured here.
        """
        return Completion(
            lambda done: self._generate(
                messages,
                _Options(max_tokens, temperature, stop, grammar),
                cancel,
                lambda t: setattr(done, "timings", t),
            )
        )

    def _generate(
        self,
        messages: list[Message],
        options: _Options,
        cancel: threading.Event | None,
        record: Callable[[Timings], None],
    ) -> Iterator[str]:
        """`stream`'s generator; `record` receives the timings when it ends."""
        if cancel is not None and cancel.is_set():
            record(Timings(cancelled=True))
            return
        info = self._server()
        body: dict[str, Any] = {
            "model": info.model_id,
            "messages": messages,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "stream": True,
            "stream_options": {"include_usage": True},  # the token counts, in a last chunk
        }
        if options.stop:
            body["stop"] = list(options.stop)
        if options.grammar:
            body["grammar"] = options.grammar
        reply = _Reply()
        started = time.perf_counter()
        cancelled = False
        pieces = self._pieces(body, reply, cancel)
        try:
            for piece in pieces:
                if reply.first_at is None:
                    reply.first_at = time.perf_counter()
                yield piece
                if cancel is not None and cancel.is_set():
                    cancelled = True
                    break
        except GeneratorExit:
            cancelled = True
            raise
        except _Cancelled:
            cancelled = True
        finally:
            pieces.close()  # closes the HTTP response now, not when garbage is collected
            record(_timings(reply, started, cancelled))

    def _pieces(
        self, body: dict[str, Any], reply: _Reply, cancel: threading.Event | None
    ) -> Iterator[str]:
        """The text pieces of one streamed reply; `_Cancelled` when `cancel` cut it short."""
        import httpx2

        url = self._url("/chat/completions")
        try:
            with _CancelWatch(cancel) as watch:
                trace = {"trace": watch.trace}
                client = self._http(streams=True)
                with client.stream("POST", url, json=body, extensions=trace) as response:
                    # A transport that made no connection event (tests) may still have one.
                    watch.arm(response.extensions.get("network_stream"))
                    if response.status_code != 200:
                        response.read()
                        raise ServerUnavailable(_http_error(url, response))
                    for event in httpx2.EventSource(response):
                        if cancel is not None and cancel.is_set():
                            raise _Cancelled
                        chunk = _chunk(url, event.data)
                        if chunk is None:  # [DONE]
                            return
                        if isinstance(chunk.get("usage"), dict):
                            reply.usage = chunk["usage"]
                        piece = _delta_text(chunk)
                        if piece:
                            reply.pieces += 1
                            yield piece
        except httpx2.TransportError as exc:
            if cancel is not None and cancel.is_set():
                raise _Cancelled from None  # the watcher shut the socket: as asked
            raise ServerUnavailable(_transport_error(url, exc)) from exc

    # --- HTTP ---

    def _http(self, *, streams: bool = False) -> Any:
        """The client for short requests, or (`streams`) the one for replies.

        Replies get a new connection each (no keep-alive), so the connection event that
        hands `_CancelWatch` the socket always fires; on loopback a connection is free.
        """
        import httpx2  # here, not at import: most runs never use a server

        with self._client_lock:
            if streams not in self._clients:
                headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
                self._clients[streams] = httpx2.Client(
                    timeout=httpx2.Timeout(self._timeout_s, connect=_CONNECT_TIMEOUT_S),
                    limits=httpx2.Limits(max_keepalive_connections=0 if streams else 4),
                    trust_env=False,  # no proxy from the environment: it could be remote
                    follow_redirects=False,  # a redirect could point off this machine
                    headers=headers,
                    transport=self._transport,
                )
            return self._clients[streams]

    def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        import httpx2

        try:
            return self._http().request(method, url, **kwargs)
        except httpx2.TransportError as exc:
            raise ServerUnavailable(_transport_error(url, exc)) from exc

    def _get_json(self, url: str) -> Any:
        response = self._request("GET", url)
        if response.status_code != 200:
            raise ServerUnavailable(_http_error(url, response))
        try:
            return response.json()
        except ValueError:
            raise ServerUnavailable(
                f"The server at {url} did not answer with JSON: is it an OpenAI-compatible "
                "model server?"
            ) from None

    def _url(self, path: str) -> str:
        return self._base_url + path

    def _root_url(self, path: str) -> str:
        """`path` at the server's root: llama.cpp's extra endpoints live beside /v1."""
        root = self._base_url.removesuffix("/v1")
        return root + path


# Tokenize endpoints by server, with the request body each expects.
_TOKENIZE_BODIES = {
    # llama.cpp's llama-server: count content as plain text, no BOS.
    "/tokenize": lambda text, model: {
        "content": text,
        "add_special": False,
        "parse_special": False,
    },
    # llama-cpp-python's server; `model` picks among several, None means its default.
    "/extras/tokenize/count": lambda text, model: {"input": text, "model": model},
}


class _Cancelled(Exception):
    """The reply was cut short because `cancel` was set."""


class _CancelWatch:
    """Shuts a streaming request's socket down as soon as `cancel` is set.

    Checking `cancel` between chunks is not enough: before the first token the server may
    read the prompt for a minute (llama-server does not even send its headers until then),
    and a read blocked on the socket sees no event. A shutdown wakes that read (it ends
    with an error the stream reports as cancelled), and the closed connection is how the
    server learns to stop. The socket is taken from httpcore's `trace` request extension
    as soon as the connection is made, before the request is sent.
    """

    def __init__(self, cancel: threading.Event | None) -> None:
        self._cancel = cancel
        self._socket: Any = None
        self._done = False
        self._lock = threading.Lock()  # no shutdown once the stream is over

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's `trace` callback: arm on the new connection's stream."""
        if event == "connection.connect_tcp.complete":
            self.arm(info.get("return_value"))

    def arm(self, network_stream: Any) -> None:
        """Start watching the socket under `network_stream` (once; None is ignored)."""
        if self._cancel is None or network_stream is None:
            return
        sock = network_stream.get_extra_info("socket")
        with self._lock:
            if sock is None or self._socket is not None or self._done:
                return
            self._socket = sock
        threading.Thread(target=self._watch, name="openai-server-cancel", daemon=True).start()

    def __enter__(self) -> _CancelWatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._done = True

    def _watch(self) -> None:
        while not self._done:
            if self._cancel.wait(_CANCEL_POLL_S):
                with self._lock:
                    if not self._done:
                        _shutdown(self._socket)
                return


def _shutdown(sock: Any) -> None:
    import socket

    with contextlib.suppress(OSError):  # already closed by the server or by the reader
        sock.shutdown(socket.SHUT_RDWR)


def _chunk(url: str, data: str) -> dict[str, Any] | None:
    """One SSE data field as JSON; None for the `[DONE]` marker."""
    if data.strip() == "[DONE]":
        return None
    try:
        chunk = json.loads(data)
    except ValueError:
        raise ServerUnavailable(
            f"The server at {url} streamed something that is not JSON."
        ) from None
    if not isinstance(chunk, dict):
        raise ServerUnavailable(f"The server at {url} streamed something that is not a chunk.")
    if "error" in chunk:  # llama-server and vLLM report failures mid-stream this way
        raise ServerUnavailable(f"The model server at {url} failed: {_error_text(chunk)}")
    return chunk


def _delta_text(chunk: dict[str, Any]) -> str:
    choices = chunk.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return ""  # the usage chunk has no choices
    delta = choices[0].get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""


def _timings(reply: _Reply, started: float, cancelled: bool) -> Timings:
    ended = time.perf_counter()
    usage = reply.usage
    completion = _positive_int(usage.get("completion_tokens"), allow_zero=True)
    if completion is None:
        completion = reply.pieces
    details = usage.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    after_first = ended - reply.first_at if reply.first_at is not None else 0.0
    return Timings(
        load_s=0.0,  # the server loaded the model before we came
        prompt_tokens=_positive_int(usage.get("prompt_tokens"), allow_zero=True) or 0,
        cached_prompt_tokens=_positive_int(cached, allow_zero=True) or 0,
        ttft_s=reply.first_at - started if reply.first_at is not None else None,
        completion_tokens=completion,
        total_s=ended - started,
        tokens_per_s=(completion - 1) / after_first if after_first > 0 and completion > 1 else 0.0,
        cancelled=cancelled,
    )


def _positive_int(value: Any, *, allow_zero: bool = False) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value > 0 or (allow_zero and value == 0) else None


def _transport_error(url: str, exc: Exception) -> str:
    import httpx2

    what = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout):
        return (
            f"No model server answers at {url} ({what}). Start the server, or check the "
            f"address in the model setting ({EXAMPLE})."
        )
    if isinstance(exc, httpx2.TimeoutException):
        return f"The model server at {url} stopped answering ({what})."
    if isinstance(exc, httpx2.SSEError):
        return f"The server at {url} did not stream its reply as the OpenAI API does ({what})."
    return f"The connection to the model server at {url} failed ({what})."


def _http_error(url: str, response: Any) -> str:
    try:
        detail = _error_text(response.json())
    except ValueError:
        detail = response.text
    detail = " ".join(detail.split())[:_ERROR_TEXT]
    return f"The model server at {url} answered HTTP {response.status_code}: {detail}"


def _error_text(body: Any) -> str:
    """The message in an OpenAI-style `{"error": {"message": ...}}` or FastAPI `detail`."""
    if isinstance(body, dict):
        error = body.get("error", body.get("detail"))
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if error is not None:
            return str(error)
    return str(body)
