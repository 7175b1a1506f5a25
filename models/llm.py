"""The language model runtime: one streaming call over llama-cpp-python, cancellable, timed.

Consecutive calls on the same `LlamaCppLLM` reuse the KV cache for the longest shared token
prefix (llama-cpp-python does this when the cache is not reset), so a long, fixed system
prompt is evaluated once and later questions only pay for their own tokens.

The chat prompt is laid out and tokenised by `models.chat_template` (message content never
makes control tokens); the logits processors that constrain a reply are in `models.logits`.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel

from models.chat_template import ChatTemplate, Message, chat_prompt_tokens
from models.gguf import context_length
from models.grammar_sampler import GreedyGrammarSampler
from models.logits import ChoiceProbe, CitationMarkers
from models.resolve import ResolvedModel, resolve_llm

PROMPT_CACHE_BYTES = 512 << 20  # saved KV states of recent prompts, reused by longest prefix


class Timings(BaseModel):
    """Figures of one `stream` call."""

    load_s: float = 0.0  # time spent loading the model during this call (0 once loaded)
    prompt_tokens: int = 0  # tokens of the chat-formatted prompt
    cached_prompt_tokens: int = 0  # of those, reused from the KV cache instead of evaluated
    ttft_s: float | None = None  # call start (after loading) to first text; None if none came
    completion_tokens: int = 0  # tokens sampled, the end-of-turn token included
    total_s: float = 0.0  # call start (after loading) to end
    tokens_per_s: float = 0.0  # generation speed after the first token
    cancelled: bool = False

    @property
    def evaluated_prompt_tokens(self) -> int:
        return self.prompt_tokens - self.cached_prompt_tokens


class Completion:
    """One model call: iterate it for the reply's text pieces.

    `timings` is set when the call ends (finished, cancelled or closed early). Each call
    carries its own figures, so calls made from several threads never mix them up.
    """

    def __init__(self, run: Callable[[Completion], Iterator[str]]) -> None:
        self.timings: Timings | None = None
        self._pieces = run(self)  # a generator: nothing runs before the first piece is asked

    def __iter__(self) -> Completion:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        """Stop generating now (the model stops before its next decode step)."""
        self._pieces.close()

    def text(self) -> str:
        """The whole reply (consumes the pieces)."""
        return "".join(self)


@runtime_checkable
class LLM(Protocol):
    """What the core needs from a language model."""

    @property
    def model_id(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def n_ctx(self) -> int: ...

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
        """The reply to `messages`, in pieces; it stops early when `cancel` is set.

        `grammar` (GBNF, llama.cpp's grammar format) constrains what the model may write;
        `markers` are the only numbers a bracketed citation marker may name ("[4]" cannot
        follow passages 1 to 3), where the backend can constrain it.
        """
        ...

    def count_tokens(self, text: str) -> int: ...

    def count_tokens_many(self, texts: list[str]) -> list[int]:
        """Tokens of each text, in one go: passage selection and summary parts size many
        candidate sentences, and a model behind a server must not be asked once per sentence."""
        ...


@runtime_checkable
class ChoiceScorer(Protocol):
    """A model that can say how likely each of a few one-word replies is, not just pick one.

    A YES/NO judgment made by picking the likelier word throws away how sure the model was;
    with the probabilities a caller can ask for more certainty than a coin's edge.
    """

    def choice_probabilities(
        self,
        messages: list[Message],
        choices: Sequence[str],
        *,
        cancel: threading.Event | None = None,
    ) -> dict[str, float]:
        """Each choice's probability as the reply's first token, among `choices` only (they
        sum to 1); all 0.0 when the call was cancelled."""
        ...


class Cancelled(Exception):
    """Raised inside llama-cpp-python's loop to stop it between two decode steps."""


def physical_cores() -> int:
    """Physical cores this process may use: SMT siblings share one core's arithmetic units."""
    try:
        allowed = os.sched_getaffinity(0)
    except AttributeError:  # not Linux
        allowed = None
    if allowed is not None:
        cores = set()
        for cpu in allowed:
            topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
            try:
                package = (topology / "physical_package_id").read_text().strip()
                core = (topology / "core_id").read_text().strip()
            except OSError:
                return max(1, len(allowed))
            cores.add((package, core))
        return max(1, len(cores))
    logical = os.cpu_count() or 1
    # Without topology, assume 2-way SMT on larger machines (llama.cpp's own guess).
    return max(1, logical // 2) if logical > 4 else logical


class _Meter:
    """Counts of one call, filled in from inside llama-cpp-python's decode loop."""

    def __init__(self, cancel: threading.Event | None) -> None:
        self.cancel = cancel
        self.prompt_tokens: int | None = None
        self.prompt_evaluated = 0
        self.sampled = 0


@functools.cache
def _metered_llama_class() -> type:
    """A Llama subclass that meters evaluation and can be cancelled between batches.

    Built on first use so importing this module does not load the native library.
    """
    from llama_cpp import (
        Llama,
        LlamaState,
        llama_state_get_data,
        llama_state_get_size,
        llama_state_set_data,
    )

    class MeteredLlama(Llama):
        meter: _Meter | None = None

        def eval(self, tokens):
            meter = self.meter
            if meter is None:
                return super().eval(tokens)
            if meter.prompt_tokens is None:
                # The first eval of a call gets the prompt minus the prefix already cached.
                meter.prompt_tokens = self.n_tokens + len(tokens)
                meter.prompt_evaluated = len(tokens)
            # Feed one batch at a time so a cancel during a long prompt takes effect quickly.
            for start in range(0, max(len(tokens), 1), self.n_batch):
                if meter.cancel is not None and meter.cancel.is_set():
                    raise Cancelled
                super().eval(tokens[start : start + self.n_batch])
            return None

        def _init_sampler(self, **options):
            if _greedy_under_grammar_only(options):
                grammar = options["grammar"]
                return GreedyGrammarSampler(
                    self._model.vocab, grammar._grammar, grammar._root, self._n_vocab
                )
            return super()._init_sampler(**options)

        def sample(self, *args, **kwargs):
            token = super().sample(*args, **kwargs)
            if self.meter is not None:
                self.meter.sampled += 1
            return token

        # llama-cpp-python's own save/load also copies its n_batch x vocabulary logits array
        # (311 MB for Qwen's 152k vocabulary): 0.7 s per save after every reply and 1.7 s per
        # restore. Sampling reads the context's logits, and that array is only written when
        # logits_all is on (it is off), so these keep just the tokens and the context state.
        def save_state(self):
            size = llama_state_get_size(self._ctx.ctx)
            buffer = (ctypes.c_uint8 * size)()
            n_bytes = llama_state_get_data(self._ctx.ctx, buffer, size)
            return LlamaState(
                input_ids=self.input_ids.copy(),
                scores=np.empty((0, 0), dtype=np.single),
                n_tokens=self.n_tokens,
                llama_state=ctypes.string_at(buffer, n_bytes),
                llama_state_size=n_bytes,
                seed=self._seed,
            )

        def load_state(self, state) -> None:
            self.input_ids = state.input_ids.copy()
            self.n_tokens = state.n_tokens
            self._seed = state.seed
            self._requires_eval = True  # restored logits are stale: replay a token first
            buffer = (ctypes.c_uint8 * state.llama_state_size).from_buffer_copy(state.llama_state)
            if llama_state_set_data(self._ctx.ctx, buffer, state.llama_state_size) != (
                state.llama_state_size
            ):
                raise RuntimeError("Failed to restore the llama state")

    return MeteredLlama


class LlamaCppLLM:
    """A GGUF model run by llama-cpp-python on the CPU, loaded lazily on first use."""

    def __init__(
        self,
        model: ResolvedModel,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_batch: int = 512,
    ) -> None:
        self._model = model
        trained = (model.spec.context_length if model.spec else None) or context_length(model.path)
        # A window larger than the model was trained for only produces garbage.
        self._n_ctx = min(n_ctx, trained) if trained else n_ctx
        self._n_threads = n_threads or physical_cores()
        self._n_batch = n_batch
        self._llama: Any = None
        self._chat: ChatTemplate | None = None
        self._load_lock = threading.Lock()
        # One generation at a time: a llama context is not safe to share between threads.
        self._generate_lock = threading.Lock()

    @classmethod
    def from_name(cls, name_or_path: str | Path, cache_dir: Path, **kwargs: Any) -> LlamaCppLLM:
        """Resolve a catalog name or .gguf path (see `resolve_llm`) and wrap it, not loaded yet."""
        return cls(resolve_llm(name_or_path, cache_dir), **kwargs)

    @property
    def model_id(self) -> str:
        return self._model.model_id

    @property
    def sha256(self) -> str:
        return self._model.sha256

    @property
    def path(self) -> Path:
        return self._model.path

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    @property
    def n_threads(self) -> int:
        return self._n_threads

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def load(self) -> float:
        """Load the weights now if not yet loaded; return the seconds it took (0 if loaded)."""
        if self._llama is not None:
            return 0.0
        with self._load_lock:
            if self._llama is not None:
                return 0.0
            started = time.perf_counter()
            self._llama = _metered_llama_class()(
                model_path=str(self._model.path),
                n_ctx=self._n_ctx,
                n_threads=self._n_threads,
                n_threads_batch=self._n_threads,
                n_batch=self._n_batch,
                verbose=False,
            )
            # One KV cache alone would lose the answer prompt's prefix whenever another prompt
            # (condensing a follow-up, a summary) runs in between; saved states keep it.
            from llama_cpp import LlamaRAMCache

            self._llama.set_cache(LlamaRAMCache(capacity_bytes=PROMPT_CACHE_BYTES))
            self._chat = ChatTemplate.of(self._llama)
            return time.perf_counter() - started

    def close(self) -> None:
        """Free the weights; the next call loads them again."""
        with self._load_lock, self._generate_lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None
                self._chat = None

    def count_tokens_many(self, texts: list[str]) -> list[int]:
        """Exact counts: the tokenizer is in this process, so each text costs microseconds."""
        return [self.count_tokens(text) for text in texts]

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes with this model's tokenizer (loads the model if needed).

        Counted as message content is tokenised in the prompt (control-token text is plain
        text), so a message's content takes exactly this many prompt tokens.
        """
        self.load()
        return len(self._tokenize(text, False))

    def prompt_tokens(self, messages: list[Message]) -> list[int]:
        """The token ids `stream` evaluates for `messages` (loads the model if needed)."""
        self.load()
        return chat_prompt_tokens(messages, self._chat.render, self._tokenize, bos=self._chat.bos)

    def _tokenize(self, text: str, special: bool) -> list[int]:
        return self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=special)

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
        """The reply to `messages` (formatted with the model's own chat template), in pieces.

        Setting `cancel` from another thread, or closing the completion, stops generation
        before the next decode step; the completion's `timings` are set when it ends.
        """
        options = _Request(
            max_tokens=max_tokens,
            temperature=temperature,
            stop=stop or [],
            grammar=grammar,
            markers=tuple(markers) if markers else None,
        )
        return Completion(lambda done: self._generate(done, messages, options, cancel))

    def choice_probabilities(
        self,
        messages: list[Message],
        choices: Sequence[str],
        *,
        cancel: threading.Event | None = None,
    ) -> dict[str, float]:
        """Each choice's probability as the reply's first token (see `ChoiceScorer`).

        Each choice is scored by its first token, so choices must start with different
        tokens ("YES" and "NO" do). One decode step after the prompt, which shares the
        prompt cache with `stream`.
        """
        self.load()
        tokens = [self._tokenize(choice, False)[0] for choice in choices]
        if len(set(tokens)) != len(tokens):
            raise ValueError(f"choices {list(choices)} do not start with distinct tokens")
        probe = ChoiceProbe(tokens)
        options = _Request(max_tokens=1, temperature=0.0, stop=[], probe=probe)
        Completion(lambda done: self._generate(done, messages, options, cancel)).text()
        if probe.probabilities is None:  # cancelled before the first step
            return dict.fromkeys(choices, 0.0)
        return dict(zip(choices, probe.probabilities, strict=True))

    def _generate(
        self,
        done: Completion,
        messages: list[Message],
        options: _Request,
        cancel: threading.Event | None,
    ) -> Iterator[str]:
        if cancel is not None and cancel.is_set():
            done.timings = Timings(cancelled=True)  # cancelled before it began: no load
            return
        load_s = self.load()
        with self._generate_lock:
            llama = self._llama
            meter = _Meter(cancel)
            llama.meter = meter
            started = time.perf_counter()
            first_at: float | None = None
            cancelled = False
            chunks = iter(())
            try:
                chat = self._chat
                # What create_chat_completion did, minus parsing content for control tokens:
                # the same template and stop strings, and its sampling defaults are
                # create_completion's. The end-of-turn token needs no stopping criterion:
                # create_completion stops on every end-of-generation token itself.
                chunks = llama.create_completion(
                    prompt=chat_prompt_tokens(messages, chat.render, self._tokenize, bos=chat.bos),
                    stream=True,
                    max_tokens=options.max_tokens,
                    temperature=options.temperature,
                    stop=list(options.stop) + chat.stop,
                    grammar=_compiled_grammar(options.grammar) if options.grammar else None,
                    logits_processor=_processors(llama, options),
                )
                for chunk in chunks:
                    if cancel is not None and cancel.is_set():
                        cancelled = True
                        break
                    piece = chunk["choices"][0]["text"]
                    if piece:
                        if first_at is None:
                            first_at = time.perf_counter()
                        yield piece
            except Cancelled:
                cancelled = True
            except GeneratorExit:
                cancelled = True
                raise
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()  # unwinds llama-cpp-python's generators: no more decoding
                llama.meter = None
                done.timings = _timings(meter, load_s, started, first_at, cancelled)


@dataclass(frozen=True)
class _Request:
    max_tokens: int
    temperature: float
    stop: list[str]
    grammar: str | None = None
    markers: tuple[int, ...] | None = None
    probe: ChoiceProbe | None = None


def _processors(llama: Any, options: _Request) -> list | None:
    processors = [CitationMarkers(llama, options.markers)] if options.markers else []
    if options.probe is not None:
        processors.append(options.probe)
    return processors or None


def _greedy_under_grammar_only(options: dict) -> bool:
    """Whether llama-cpp-python's sampler chain would be: grammar, then greedy, nothing else
    (no logits processor, every penalty neutral): `GreedyGrammarSampler` picks the same tokens
    faster."""
    return (
        options.get("grammar") is not None
        and options.get("temp") == 0.0
        and options.get("logits_processor") is None
        and options.get("repeat_penalty", 1.0) == 1.0
        and options.get("frequency_penalty", 0.0) == 0.0
        and options.get("presence_penalty", 0.0) == 0.0
    )


@functools.lru_cache(maxsize=16)
def _compiled_grammar(text: str) -> Any:
    """llama.cpp's parsed form of a GBNF grammar; parsing is repeated work, so keep a few."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


def _timings(
    meter: _Meter, load_s: float, started: float, first_at: float | None, cancelled: bool
) -> Timings:
    ended = time.perf_counter()
    prompt = meter.prompt_tokens or 0
    after_first = ended - first_at if first_at is not None else 0.0
    return Timings(
        load_s=load_s,
        prompt_tokens=prompt,
        cached_prompt_tokens=max(0, prompt - meter.prompt_evaluated),
        ttft_s=first_at - started if first_at is not None else None,
        completion_tokens=meter.sampled,
        total_s=ended - started,
        tokens_per_s=(meter.sampled - 1) / after_first if after_first > 0 else 0.0,
        cancelled=cancelled,
    )
