"""Answer latency: `ask` next to raw llama-cpp-python on the very same prompt, in one run.

For each development question: time to first token and decode speed of `ask` (end to end, from
the question to the first streamed piece, and the model call alone), then the same chat messages
sent straight to a plain `llama_cpp.Llama` with the same settings (the baseline). Also: prompt
tokens per question, and what prompt-prefix reuse saves on a follow-up question.

    python bench/answer.py [--model default|fast|PATH] [--n 17]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import DEV_QUESTIONS, peak_rss_mb  # also puts the repo on sys.path, models offline

from dossier.ask import MAX_ANSWER_TOKENS, AskEvents, ask
from dossier.evaluate import load_questions
from dossier.runtime import Runtime, Settings
from dossier.schema import Turn
from models.llm import LlamaCppLLM


class Recording:
    """Passes every call to the real model; keeps the messages and timings of the first answer
    call since `reset` (a second look, if any, is a later call and is not what TTFT measures)."""

    def __init__(self, llm: LlamaCppLLM) -> None:
        self.llm = llm
        self.reset()

    def reset(self) -> None:
        self.last_messages: list[dict] | None = None
        self.first = None  # the first answer call's Completion (a second look is not mixed in)
        self.answer_calls = 0

    def __getattr__(self, name):
        return getattr(self.llm, name)

    def stream(self, messages, **kwargs):
        # condensing sends a lone user message, the judge a system one with a grammar
        answering = messages[0]["role"] == "system" and kwargs.get("grammar") is None
        if answering:
            self.answer_calls += 1
        first = answering and self.answer_calls == 1
        if first:
            self.last_messages = messages
        completion = self.llm.stream(messages, **kwargs)
        if first:
            self.first = completion  # its timings are read once the answer has streamed
        return completion


def raw_stream(llama, messages) -> dict:
    """TTFT and decode speed of plain llama-cpp-python streaming the same chat."""
    started = time.perf_counter()
    first = None
    pieces = 0
    for chunk in llama.create_chat_completion(
        messages=messages, stream=True, max_tokens=MAX_ANSWER_TOKENS, temperature=0.0
    ):
        if chunk["choices"][0]["delta"].get("content"):
            pieces += 1
            if first is None:
                first = time.perf_counter()
    ended = time.perf_counter()
    return {
        "ttft_s": (first - started) if first else None,
        "tokens_per_s": (pieces - 1) / (ended - first) if first and ended > first else 0.0,
    }


def pct(values, q):
    values = sorted(v for v in values if v is not None)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="default")
    parser.add_argument("--n", type=int, default=None, help="first N questions only")
    args = parser.parse_args()

    from llama_cpp import Llama

    work = Path(tempfile.mkdtemp(prefix="dossier-bench-answer-"))
    # A fresh library holding the seeds; the model from the user's data folder, where the
    # bundled weights are already assembled.
    library = Runtime(Settings.resolve(data=work / "data")).library()
    llm = Runtime(Settings.resolve(model=args.model)).llm()
    load_s = llm.load()
    raw = Llama(
        model_path=str(llm.path),
        n_ctx=llm.n_ctx,
        n_threads=llm.n_threads,
        n_threads_batch=llm.n_threads,
        n_batch=512,
        verbose=False,
    )
    recording = Recording(llm)
    questions = load_questions(DEV_QUESTIONS)
    questions = questions[: args.n] if args.n else questions
    # Warm both: the first call evaluates the shared system prompt, which later calls reuse.
    ask(questions[0].question, library=library, llm=recording)
    if recording.last_messages:
        raw_stream(raw, recording.last_messages)

    print(f"model {llm.model_id}, {llm.n_threads} threads, n_ctx {llm.n_ctx}, load {load_s:.1f} s")
    print(f"{'id':4} {'prompt':>6} {'cached':>6} {'e2e ttft':>8} {'ask ttft':>8} {'raw ttft':>8}"
          f" {'ask tok/s':>9} {'raw tok/s':>9}")  # fmt: skip
    rows = []
    for q in questions:
        recording.reset()
        first_piece: list[float] = []

        def on_token(_piece: str, seen: list[float] = first_piece) -> None:
            if not seen:
                seen.append(time.perf_counter())

        started = time.perf_counter()
        answer = ask(
            q.question, library=library, llm=recording, events=AskEvents(on_token=on_token)
        )
        e2e = first_piece[0] - started if first_piece else None
        if recording.last_messages is None:  # refused before the model: nothing to compare
            print(f"{q.id:4} refused without a model call")
            continue
        t = (recording.first.timings if recording.first else None) or answer.timings
        base = raw_stream(raw, recording.last_messages)
        second_look = " (+ a second look)" if recording.answer_calls > 1 else ""
        row = {
            "id": q.id,
            "prompt_tokens": t.prompt_tokens,
            "cached": t.cached_prompt_tokens,
            "e2e_ttft": e2e,
            "checked": answer.timings.total_s,
            "ask_ttft": t.ttft_s,
            "raw_ttft": base["ttft_s"],
            "ask_tps": t.tokens_per_s,
            "raw_tps": base["tokens_per_s"],
        }
        rows.append(row)
        print(
            f"{q.id:4} {t.prompt_tokens:6d} {t.cached_prompt_tokens:6d} {e2e or 0:8.2f} "
            f"{t.ttft_s or 0:8.2f} {base['ttft_s'] or 0:8.2f} {t.tokens_per_s:9.1f} "
            f"{base['tokens_per_s']:9.1f}{second_look}"
        )

    def median(key):
        return statistics.median(r[key] for r in rows if r[key] is not None)

    print()
    print(f"questions with a model call: {len(rows)}")
    prompt = [r["prompt_tokens"] for r in rows]
    print(f"prompt tokens per question: mean {statistics.mean(prompt):.0f}, "
          f"min {min(prompt)}, max {max(prompt)}; evaluated (not cached) mean "
          f"{statistics.mean(r['prompt_tokens'] - r['cached'] for r in rows):.0f}")  # fmt: skip
    print(f"TTFT p50 / p95: ask end to end {median('e2e_ttft'):.2f} / "
          f"{pct([r['e2e_ttft'] for r in rows], 95):.2f} s; ask model call "
          f"{median('ask_ttft'):.2f} / {pct([r['ask_ttft'] for r in rows], 95):.2f} s; "
          f"raw llama-cpp {median('raw_ttft'):.2f} / "
          f"{pct([r['raw_ttft'] for r in rows], 95):.2f} s")  # fmt: skip
    print(f"fully checked answer p50 / p95: {median('checked'):.2f} / "
          f"{pct([r['checked'] for r in rows], 95):.2f} s (judge calls included)")  # fmt: skip
    print(f"ratio ask model-call TTFT / raw: {median('ask_ttft') / median('raw_ttft'):.2f}x; "
          f"end to end / raw: {median('e2e_ttft') / median('raw_ttft'):.2f}x")  # fmt: skip
    print(f"decode tokens/s p50: ask {median('ask_tps'):.1f}, raw {median('raw_tps'):.1f} "
          f"(ratio {median('ask_tps') / median('raw_tps'):.2f}x)")  # fmt: skip

    # Prefix reuse on a follow-up: the same follow-up with the KV cache kept, then emptied.
    first_q = "What did Blinken say in Kyiv?"
    first = ask(first_q, library=library, llm=recording)
    history = [Turn(question=first_q, answer=first.answer)]
    follow = "And what did Kirby say?"
    recording.reset()
    warm = ask(follow, history=history, library=library, llm=recording)
    messages = recording.last_messages
    warm_t = (recording.first.timings if recording.first else None) or warm.timings
    # Forget every cached token, live and saved: the whole prompt is evaluated again.
    llm._llama.reset()
    if llm._llama.cache is not None:
        llm._llama.cache.cache_state.clear()
    cold_started = time.perf_counter()
    completion = llm.stream(messages, max_tokens=1)
    list(completion)
    cold = completion.timings
    cold_wall = time.perf_counter() - cold_started
    print(
        f"follow-up '{follow}' -> '{warm.standalone_question}': prompt {warm_t.prompt_tokens}"
        f" tokens, {warm_t.cached_prompt_tokens} reused from the cache, TTFT "
        f"{warm_t.ttft_s:.2f} s; same prompt with the cache emptied: "
        f"{cold.prompt_tokens - cold.cached_prompt_tokens} evaluated, TTFT "
        f"{cold.ttft_s or cold_wall:.2f} s (prefix reuse saves "
        f"{(cold.ttft_s or cold_wall) - warm_t.ttft_s:.2f} s)"
    )
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
