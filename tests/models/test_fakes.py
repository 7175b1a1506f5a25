import threading

import pytest

from models.llm import Timings
from tests.fakes import ScriptedLLM

MESSAGES = [{"role": "system", "content": "Rules."}, {"role": "user", "content": "A question?"}]


def test_replies_in_order_word_by_word_and_records_calls():
    llm = ScriptedLLM(["The answer is here [1].", "Second reply."])
    pieces = list(llm.stream(MESSAGES))
    assert pieces == ["The", " answer", " is", " here", " [1]."]
    assert "".join(llm.stream(MESSAGES)) == "Second reply."
    assert llm.calls == [MESSAGES, MESSAGES]
    assert llm.calls[0] is not MESSAGES  # a copy: later mutation does not rewrite history
    with pytest.raises(AssertionError, match="ran out of replies"):
        llm.stream(MESSAGES)


def test_callable_script_stop_and_max_tokens():
    llm = ScriptedLLM(lambda messages: f"Echo: {messages[-1]['content']} END more")
    assert "".join(llm.stream(MESSAGES, stop=[" END"])) == "Echo: A question?"
    assert list(llm.stream(MESSAGES, max_tokens=2)) == ["Echo:", " A"]


def test_timings_and_identity():
    llm = ScriptedLLM(["one two three"])
    completion = llm.stream(MESSAGES)
    list(completion)
    t = completion.timings
    assert isinstance(t, Timings) and t.completion_tokens == 3 and not t.cancelled
    assert t.prompt_tokens == llm.count_tokens("Rules.") + llm.count_tokens("A question?")
    assert t.ttft_s is not None and t.total_s >= t.ttft_s
    assert llm.model_id == "scripted" and llm.sha256 == "0" * 64


def test_cancel_from_another_thread():
    llm = ScriptedLLM(["word " * 200], piece_delay_s=0.002)
    cancel = threading.Event()
    got = []
    completion = llm.stream(MESSAGES, cancel=cancel)
    for piece in completion:
        got.append(piece)
        if len(got) == 3:
            threading.Thread(target=cancel.set).start()
            cancel.wait(5)
    assert len(got) == 3 and completion.timings.cancelled


def test_close_marks_cancelled():
    llm = ScriptedLLM(["a b c d"])
    stream = llm.stream(MESSAGES)
    next(stream)
    stream.close()
    assert stream.timings.cancelled and stream.timings.completion_tokens == 1
