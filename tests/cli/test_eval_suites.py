"""`dossier eval` with several suites, each on its own small corpus written here, and a
scripted model that answers from the passages it is shown."""

import json
import re

import pytest

import dossier.models
import dossier.runtime
from cli.main import EXIT_ERROR, EXIT_OK
from prompts import REFUSAL
from tests.cli.helpers import run

ARTICLES = {
    "harbour/ferry.txt": (
        "Ferry Line To Gull Island Reopens\n"
        "The ferry line between Port Elmsworth and Gull Island reopened on Monday after a "
        "three-week closure. Repairs to the north pier cost 2.4 million euros, harbour master "
        "Ines Calder said."
    ),
    "harbour/bakery.txt": (
        "Hollin Street Bakery Wins Bread Prize\n"
        "The Hollin Street bakery won the regional bread prize on Saturday. The bakery's owner "
        "is Tomas Brell, who said the sourdough recipe came from his grandmother."
    ),
    "tram/tram.txt": (
        "Marrow Council Approves Tram Extension\n"
        "The Marrow city council approved a tram extension of six kilometres on Thursday. "
        "Dana Ruel is the finance chief of Marrow. Dana Ruel said the tram project will cost "
        "180 million euros."
    ),
    "tram/park.txt": (
        "Riverside Park Opens In Marrow\n"
        "A riverside park opened in Marrow on Sunday with 400 newly planted oak trees."
    ),
    "conflict/engineer.txt": (
        "Vell Bridge Opening Date Announced\n"
        "The Vell river bridge will open on March 14, the city engineer said on Friday."
    ),
    "conflict/contractor.txt": (
        "Contractor Names Vell Bridge Date\n"
        "The Vell river bridge will open on April 2, the contractor said in a statement."
    ),
}

HARBOUR = [
    {"id": "h1", "question": "How much did the repairs to the north pier cost?",
     "answerable": True, "gold_sources": ["ferry"], "key_facts": [["2.4 million"]]},
    {"id": "h2", "question": "Who is the owner of the Hollin Street bakery?",
     "answerable": True, "gold_sources": ["bakery"], "key_facts": [["Tomas Brell"]]},
    {"id": "h3", "question": "What does a ferry ticket to Gull Island cost?",
     "answerable": False},
]  # fmt: skip
TRAM = [
    {"id": "t1", "question": "How many kilometres long is the Marrow tram extension?",
     "answerable": True, "gold_sources": ["tram"], "key_facts": [["six kilometres"]]},
    {"id": "t2", "question": "What did she say the project will cost?", "answerable": True,
     "gold_sources": ["tram"], "key_facts": [["180 million"]],
     "history": ["Who is the finance chief of Marrow?"]},
]  # fmt: skip
CONFLICT = [
    {"id": "c1", "question": "When will the Vell river bridge open?", "answerable": True,
     "gold_sources": ["engineer"], "key_facts": [["March 14"], ["April 2"]]},
]  # fmt: skip

# Question (as the model sees it) -> the answer, each {sentence} with the passage that holds
# it cited. The scripted model only copies from what it is shown, as a good model would.
ANSWERS = {
    "north pier": ["Repairs to the north pier cost 2.4 million euros"],
    "Hollin Street bakery": ["The owner of the Hollin Street bakery is Tomas Brell"],
    "tram extension": ["The Marrow city council approved a tram extension of six kilometres"],
    "finance chief": ["Dana Ruel is the finance chief of Marrow"],
    "Dana Ruel say": ["Dana Ruel said the tram project will cost 180 million euros"],
    "Vell river bridge": [
        "The city engineer said the Vell river bridge will open on March 14",
        "The contractor said the Vell river bridge will open on April 2",
    ],
}
STANDALONE = {"What did she say the project will cost?": "What did Dana Ruel say the tram "
              "project will cost?"}  # fmt: skip
_KEY = re.compile(r"\d[\d.]* \w+|March 14|April 2|Tomas Brell|six kilometres|Dana Ruel")


def scripted_reply(messages, answers=ANSWERS):
    user = messages[-1]["content"]
    if "Follow-up question:" in user:  # the condense call of a follow-up
        follow_up = user.split("Follow-up question:")[-1].split("\n")[0].strip()
        return STANDALONE.get(follow_up, follow_up)
    question = user.split("Question:")[-1].split("\n")[0]
    passages = dict(re.findall(r"^\[(\d+)\] (.*)$", user, flags=re.M))
    for topic, sentences in answers.items():
        if topic in question:
            return " ".join(f"{s} [{_cite(s, passages)}]." for s in sentences)
    return REFUSAL


def _cite(sentence, passages):
    key = _KEY.findall(sentence)[-1]  # the fact the sentence gives: the passage holding it
    return next(n for n, text in passages.items() if key in text)


@pytest.fixture(autouse=True)
def fake_models(monkeypatch, fake_embedder):
    from tests.fakes import ScriptedLLM

    llm = ScriptedLLM(scripted_reply)
    monkeypatch.setattr(dossier.runtime, "shared_embedder", lambda cache: fake_embedder)
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: llm)
    return llm


@pytest.fixture
def suites(tmp_path):
    """harbour.jsonl + harbour/, tram.jsonl + tram/, conflict.jsonl + conflict/ in tmp_path."""
    for name, text in ARTICLES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text + "\n", encoding="utf-8")
    for name, questions in (("harbour", HARBOUR), ("tram", TRAM), ("conflict", CONFLICT)):
        lines = "".join(json.dumps(q) + "\n" for q in questions)
        (tmp_path / f"{name}.jsonl").write_text(lines, encoding="utf-8")
    return tmp_path


def pair(folder, name):
    return f"{folder / name}.jsonl:{folder / name}"


def row(lines, label):
    return next(line for line in lines if line.strip().startswith(label)).split()


def test_two_suites_each_on_its_own_corpus_print_two_tables_and_overall(capsys, suites):
    work = suites / "work"
    argv = ["eval", pair(suites, "harbour"), pair(suites, "tram"), "--work-dir", work]
    code, out, err = run(capsys, *argv)
    assert code == EXIT_OK
    lines = out.splitlines()
    titles = [line for line in lines if line.startswith("== ")]
    assert [t.split(":")[0] for t in titles] == [
        "== harbour",
        "== tram",
        "== overall (all questions pooled)",
    ]
    harbour = lines[lines.index(titles[0]) : lines.index(titles[1])]
    assert row(harbour, "key-fact recall")[-1] == "1.000"
    assert row(harbour, "unanswerable refused")[-2:] == ["1/1", "1.000"]
    assert row(harbour, "citation precision")[-1] == "1.000"
    summary = lines[lines.index(next(x for x in lines if x.startswith("suite "))) :]
    assert [r.split()[:2] for r in summary[1:]] == [
        ["harbour", "3"],
        ["tram", "2"],
        ["overall", "5"],
    ]
    # Each suite got a library of its own corpus only: no seed articles, nothing shared.
    assert "harbour: 2 sources from" in err and "tram: 2 sources from" in err
    assert len([d for d in work.iterdir() if (d / "library").is_dir()]) == 2
    assert "harbour/h3: refused" in err

    # A second run finds the libraries again: nothing is ingested twice.
    code, _, err = run(capsys, *argv)
    assert code == EXIT_OK and "(0 added, 0 replaced, 2 unchanged, 0 failed)" in err


def test_results_file_and_json_summary(capsys, suites):
    out_file = suites / "run.jsonl"
    code, out, _ = run(capsys, "--data-dir", suites / "data", "eval", suites, "--out", out_file,
                       "--json")  # fmt: skip
    assert code == EXIT_OK
    document = json.loads(out)
    assert [s["name"] for s in document["suites"]] == ["conflict", "harbour", "tram"]
    assert document["questions"] == 6 and document["key_fact_recall"] == 1.0
    assert (suites / "data" / "eval").is_dir()  # the default work folder
    records = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [(r["suite"], r["id"]) for r in records] == [
        ("conflict", "c1"), ("harbour", "h1"), ("harbour", "h2"), ("harbour", "h3"),
        ("tram", "t1"), ("tram", "t2"),
    ]  # fmt: skip
    h1 = records[1]
    assert h1["refused"] is False and h1["citations"][0]["source_id"] == "ferry"
    assert h1["scores"]["fact_hit"] == 1.0 and h1["scores"]["gold_source_cited"] is True
    assert h1["scores"]["wall_s"] > 0 and h1["scores"]["checked_s"] > 0
    assert json.loads((suites / "run.summary.json").read_text()) == document


def test_conflict_suite_scores_both_values_each_cited(capsys, suites):
    code, out, _ = run(capsys, "eval", pair(suites, "conflict"), "--json")
    assert code == EXIT_OK
    [suite] = json.loads(out)["suites"]
    assert suite["conflict"] is True
    assert suite["metrics"]["conflict_questions"] == 1
    assert suite["metrics"]["both_values_cited_rate"] == 1.0


def test_conflict_suite_with_one_value_fails_it(capsys, suites, fake_models):
    one_side = {"Vell river bridge": ["The Vell river bridge will open on March 14"]}
    fake_models._replies = lambda messages: scripted_reply(messages, one_side)
    code, out, _ = run(capsys, "eval", pair(suites, "conflict"), "--json")
    metrics = json.loads(out)["suites"][0]["metrics"]
    assert metrics["both_values_cited_rate"] == 0.0 and metrics["key_fact_recall"] == 0.5


def test_follow_up_is_asked_after_its_history(capsys, suites, fake_models):
    out_file = suites / "tram.results.jsonl"
    code, _, _ = run(capsys, "eval", pair(suites, "tram"), "--out", out_file)
    assert code == EXIT_OK
    t2 = [json.loads(line) for line in out_file.read_text().splitlines()][-1]
    assert t2["history"] == [
        {"question": "Who is the finance chief of Marrow?",
         "answer": "Dana Ruel is the finance chief of Marrow [1]."}
    ]  # fmt: skip
    assert t2["standalone_question"] == "What did Dana Ruel say the tram project will cost?"
    assert t2["scores"]["key_fact_recall"] == 1.0
    condense = [c for c in fake_models.calls if "Follow-up question:" in c[-1]["content"]]
    assert len(condense) == 1 and "Who is the finance chief" in condense[0][-1]["content"]


def test_baseline_shows_the_change_per_suite(capsys, suites, fake_models):
    before = suites / "before.jsonl"
    argv = ["eval", pair(suites, "harbour"), pair(suites, "tram")]
    assert run(capsys, *argv, "--out", before)[0] == EXIT_OK
    # Worse now: the bakery question is refused.
    worse = {k: v for k, v in ANSWERS.items() if k != "Hollin Street bakery"}
    fake_models._replies = lambda messages: scripted_reply(messages, worse)
    code, out, _ = run(capsys, *argv, "--baseline", before, "--json")
    assert code == EXIT_OK
    harbour, tram = json.loads(out)["suites"]
    assert harbour["delta"]["false_refusals"] == 1 and harbour["delta"]["key_fact_recall"] == -0.5
    assert tram["delta"]["key_fact_recall"] == 0.0
    code, out, _ = run(capsys, *argv, "--baseline", before)
    lines = out.splitlines()
    assert row(lines, "answerable refused")[-3:] == ["1/2", "0.500", "+1"]
    assert lines[-1].split()[0] == "change"


def test_an_old_results_file_is_refused_as_baseline_before_any_question(capsys, suites,
                                                                        fake_models):  # fmt: skip
    old = suites / "old.jsonl"
    old.write_text('{"id": "h1", "refused": false}\n')
    code, out, err = run(capsys, "eval", pair(suites, "harbour"), "--baseline", old)
    assert code == EXIT_ERROR and out == ""
    assert err.startswith(f"dossier: {old}: line 1 has no suite and scores")
    assert fake_models.calls == []


def test_a_missing_corpus_is_named_before_any_question(capsys, suites, fake_models):
    code, _, err = run(capsys, "eval", pair(suites, "harbour"), f"{suites / 'tram.jsonl'}:nope")
    assert code == EXIT_ERROR and err == "dossier: nope: no such corpus folder\n"
    assert fake_models.calls == []


def test_a_plain_question_file_runs_on_the_data_dir_library_as_before(capsys, suites):
    # The library of --data-dir is used as it is (here: harbour's articles ingested into it).
    data = suites / "mine"
    assert run(capsys, "--data-dir", data, "ingest", suites / "harbour")[0] == EXIT_OK
    code, out, err = run(capsys, "--data-dir", data, "eval", suites / "harbour.jsonl")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0] == f"== harbour: {suites / 'harbour.jsonl'} on the --data-dir library"
    assert not any(line.startswith("== overall") for line in lines)
    assert row(lines, "key-fact recall")[-1] == "1.000"
    assert "sources from" not in err  # nothing ingested for it
