"""Evaluation suites: scoring one answer, conflict scoring, conversations, suite forms, suite
libraries, baselines and tables. Every text here is written for these tests."""

import json

import pytest

from dossier.eval_suites import (
    SuiteError,
    SuiteSpec,
    load_baseline,
    open_suite_library,
    parse_suites,
    render,
    result_line,
    suite_data_dir,
    summarize,
    summary_path,
)
from dossier.evaluate import (
    EvalQuestion,
    EvalRecord,
    QuestionScores,
    aggregate,
    both_values_cited,
    found,
    run,
    score_question,
)
from dossier.schema import Answer, AnswerSentence, Citation, ModelInfo, Passage, Turn
from models.llm import Timings

OPENING_A = "The Vell river bridge will open on March 14, the city engineer said."
OPENING_B = "The contractor says the Vell river bridge opens on April 2."
OPENING_BOTH = "Reports differ on the opening date of the Vell river bridge."


def passage(n, source_id, text):
    return Passage(n=n, source_id=source_id, start=0, end=len(text), text=text)


def answer(sentences, passages, *, refused=False, ttft=0.5, total=2.0):
    """An Answer whose citations are the passages its sentences cite."""
    cited = sorted({n for _, ns, _ in sentences for n in ns})
    by_n = {p.n: p for p in passages}
    return Answer(
        question="q",
        standalone_question="q",
        answer="The sources do not say." if refused else " ".join(t for t, _, _ in sentences),
        refused=refused,
        sentences=[AnswerSentence(text=t, citations=ns, supported=ok) for t, ns, ok in sentences],
        citations=[
            Citation(**by_n[n].model_dump(exclude={"relevance"}), support=0.9) for n in cited
        ],
        passages=passages,
        model=ModelInfo(id="scripted", sha256="0" * 64),
        prompt_hash="h",
        timings=Timings(ttft_s=ttft, total_s=total, tokens_per_s=10.0),
    )


BRIDGE = [passage(1, "city", OPENING_A), passage(2, "builder", OPENING_B)]
DATES = [["March 14", "14 March"], ["April 2"]]


# --- conflict: both values named, each cited ---------------------------------------------


def test_a_key_fact_is_found_whatever_its_accents_case_and_spacing():
    assert found(["José Núñez"], "Jose  Nunez won the seat.")
    assert found(["Jose Nunez"], "JOSÉ NÚÑEZ won the seat.")
    assert found(["the Bund", "Bundestag"], "The German Bundestag voted.")
    assert not found(["José Núñez"], "Núñez won the seat.")


def test_both_values_each_cited_to_its_own_source():
    a = answer(
        [
            ("The city engineer gives March 14.", [1], True),
            ("The contractor gives April 2.", [2], True),
        ],
        BRIDGE,
    )
    assert both_values_cited(DATES, a) is True


def test_one_sentence_citing_each_source_for_its_value_counts():
    a = answer([("It opens on March 14 or on April 2.", [1, 2], True)], BRIDGE)
    assert both_values_cited(DATES, a) is True


@pytest.mark.parametrize(
    "sentences",
    [
        [("The bridge opens on March 14.", [1], True)],  # one value only
        [  # the second value is not supported
            ("The bridge opens on March 14.", [1], True),
            ("Some say April 2.", [2], False),
        ],
        [  # both values, but only the source that holds one of them is cited
            ("The bridge opens on March 14.", [1], True),
            ("Others say April 2.", [1], True),
        ],
    ],
)
def test_both_values_fails_without_each_value_cited_to_a_source_holding_it(sentences):
    assert both_values_cited(DATES, answer(sentences, BRIDGE)) is False


def test_two_values_credited_to_the_same_single_source_fail():
    both_in_one = [passage(1, "city", f"{OPENING_A} {OPENING_B}")]
    a = answer(
        [("It opens March 14.", [1], True), ("Or April 2.", [1], True)],
        both_in_one,
    )
    assert both_values_cited(DATES, a) is False


def test_refused_answer_never_names_both_values():
    a = answer([("The bridge opens on March 14 or April 2.", [1, 2], True)], BRIDGE, refused=True)
    assert both_values_cited(DATES, a) is False


def test_conflict_scoring_only_where_the_suite_or_question_asks_for_it():
    q = EvalQuestion(
        id="c1",
        question="When does the bridge open?",
        answerable=True,
        gold_sources=["city"],
        key_facts=DATES,
    )
    a = answer([("It opens on March 14.", [1], True)], BRIDGE)
    record = EvalRecord(id="c1", answer=a, retrieved_text=OPENING_A + OPENING_B, wall_s=2.5)
    plain = score_question(q, record)
    assert plain.conflict is False and plain.both_values_cited is None
    assert plain.key_fact_recall == 0.5 and plain.fact_hit == 1.0
    assert score_question(q, record, conflict=True).both_values_cited is False
    marked = q.model_copy(update={"conflict": True})
    assert score_question(marked, record).both_values_cited is False


# --- per-question scores and suite metrics ------------------------------------------------


def test_question_scores_count_gold_citations_and_timings():
    q = EvalQuestion(
        id="a1", question="When?", answerable=True, gold_sources=["city"], key_facts=[DATES[0]]
    )
    a = answer(
        [("It opens March 14.", [1], True), ("The contractor disagrees.", [2], False)], BRIDGE
    )
    s = score_question(q, EvalRecord(id="a1", answer=a, retrieved_text=OPENING_A, wall_s=3.25))
    assert (s.citations, s.gold_citations, s.gold_source_cited) == (2, 1, True)
    assert (s.sentences, s.unsupported_sentences) == (2, 1)
    assert (s.ttft_s, s.checked_s, s.wall_s) == (0.5, 2.0, 3.25)


def test_an_early_refusal_is_timed_by_the_eval_loop():
    q = EvalQuestion(id="u1", question="Who?", answerable=False)
    a = answer([], BRIDGE, refused=True, ttft=None, total=0.0)
    s = score_question(q, EvalRecord(id="u1", answer=a, retrieved_text="", wall_s=0.2))
    assert s.checked_s == 0.2 and s.ttft_s is None and s.fact_hit is None


def scores(**fields):
    base = {"answerable": True, "refused": False}
    return QuestionScores(**(base | fields))


def test_aggregate_pools_scores_and_leaves_undefined_figures_empty():
    m = aggregate(
        [
            scores(fact_hit=1.0, key_fact_recall=1.0, gold_source_cited=True, citations=2,
                   gold_citations=1, ttft_s=1.0, checked_s=4.0, wall_s=5.0),
            scores(refused=True, fact_hit=0.0, key_fact_recall=0.0, gold_source_cited=False,
                   ttft_s=3.0, checked_s=6.0, wall_s=7.0),
        ]
    )  # fmt: skip
    assert (m.questions, m.answerable, m.unanswerable) == (2, 2, 0)
    assert m.retrieval_fact_hit == 0.5 and m.citation_precision == 0.5
    assert m.false_refusals == 1 and m.false_refusal_rate == 0.5
    assert m.refusal_accuracy is None and m.both_values_cited_rate is None
    assert (m.ttft_p50_s, m.checked_p50_s, m.wall_p50_s) == (2.0, 5.0, 6.0)


def test_aggregate_says_where_answerable_questions_were_lost():
    m = aggregate(
        [
            scores(refused=True, refusal_reason="unsupported"),
            scores(refused=True, refusal_reason="does_not_answer"),
            scores(refused=True, refusal_reason="unsupported"),
            scores(key_fact_recall=0.0),  # answered, without the fact asked for
            scores(key_fact_recall=0.5),
            scores(answerable=False, refused=True, refusal_reason="model_refused"),
        ]
    )
    assert m.false_refusal_reasons == {"unsupported": 2, "does_not_answer": 1}
    assert m.answered_without_fact == 1


def test_the_table_shows_why_answerable_questions_were_refused():
    lost = [scores(refused=True, refusal_reason="model_refused"), scores(key_fact_recall=0.0)]
    lines = render(summarize([(suite("ferry"), None, lost)]))
    refused = next(i for i, line in enumerate(lines) if "false refusals" in line)
    assert lines[refused + 1].split() == ["why:", "model_refused", "1"]
    assert lines[refused + 2].split()[-1] == "1/2"


def test_aggregate_of_unanswerables_counts_refusals():
    m = aggregate([scores(answerable=False, refused=True), scores(answerable=False)])
    assert m.unanswerable_refused == 1 and m.refusal_accuracy == 0.5
    assert m.key_fact_recall is None and m.false_refusal_rate is None


# --- conversations ------------------------------------------------------------------------


def test_history_questions_are_asked_first_and_only_the_last_is_recorded():
    calls = []

    def answer_fn(question, history, shown):
        calls.append((question, [t.question for t in history]))
        return answer([(f"Reply to {question}", [1], True)], BRIDGE)

    q = EvalQuestion(
        id="h1",
        question="And the contractor?",
        answerable=True,
        history=["Who builds the bridge?", Turn(question="When?", answer="March 14 [1].")],
    )
    ticks = iter([10.0, 11.5])
    [record] = run([q], answer_fn, clock=lambda: next(ticks))
    assert calls == [
        ("Who builds the bridge?", []),
        ("And the contractor?", ["Who builds the bridge?", "When?"]),
    ]
    assert record.history[0].answer == "Reply to Who builds the bridge?"
    assert record.history[1].answer == "March 14 [1]."
    assert record.wall_s == 1.5  # the scored question only, not the turns before it


def test_fact_hit_reads_every_passage_the_model_was_shown():
    # GIVEN an answer that heard an early selection, then the selection its first draft was
    # written from, and reports only the narrower passage of a second look
    early = passage(1, "s9", "The ferry timetable changes in winter.")
    second_look = passage(1, "s2", OPENING_B)

    def answer_fn(question, history, shown):
        shown([early])
        shown([passage(1, "s1", OPENING_A), passage(2, "s2", OPENING_B)])
        return answer([("It opens on April 2 [1].", [1], True)], [second_look])

    q = EvalQuestion(id="f1", question="When does it open?", answerable=True,
                     key_facts=[["March 14"]])  # fmt: skip
    # WHEN the question is run and scored
    [record] = run([q], answer_fn, clock=lambda: 1.0)
    # THEN the first draft's passages count as shown, each once, and the early selection not
    assert record.retrieved_text == f"{OPENING_A}\n{OPENING_B}"
    assert score_question(q, record).fact_hit == 1.0


def test_question_file_history_accepts_questions_and_turns():
    q = EvalQuestion.model_validate_json(
        '{"id": "h", "question": "Why?", "answerable": true,'
        ' "history": ["What closed?", {"question": "When?", "answer": "Monday."}]}'
    )
    assert q.history == ["What closed?", Turn(question="When?", answer="Monday.")]


# --- naming suites ------------------------------------------------------------------------


@pytest.fixture
def suite_files(tmp_path):
    (tmp_path / "qa.jsonl").write_text('{"id": "a", "question": "Q?", "answerable": true}\n')
    (tmp_path / "ferries").mkdir()
    (tmp_path / "ferries" / "one.txt").write_text("Ferry Line Reopens\nThe ferry sailed again.")
    return tmp_path


def test_suite_forms(suite_files, monkeypatch):
    monkeypatch.chdir(suite_files)
    plain, pair = parse_suites(["qa.jsonl", "qa.jsonl:ferries"])
    assert plain.corpus is None and pair.corpus.name == "ferries"
    assert (plain.name, pair.name) == ("qa", "qa-2")  # names stay unique for the tables


def test_a_colon_only_splits_after_a_jsonl_name(tmp_path):
    # A drive letter or a colon in a folder name is part of the path.
    with pytest.raises(SuiteError, match="no such question file"):
        parse_suites([str(tmp_path / "C:qa.txt")])


def test_folder_form_pairs_question_files_with_corpus_folders(tmp_path):
    for name in ("noise", "conflict"):
        (tmp_path / f"{name}.jsonl").write_text('{"id": "x", "question": "Q?", "answerable": true}')
        (tmp_path / name).mkdir()
    specs = parse_suites([str(tmp_path)])
    assert [(s.name, s.corpus, s.conflict) for s in specs] == [
        ("conflict", tmp_path / "conflict", True),
        ("noise", tmp_path / "noise", False),
    ]


def test_folder_form_refuses_a_question_file_without_its_corpus(tmp_path):
    (tmp_path / "lonely.jsonl").write_text("")
    with pytest.raises(SuiteError, match="no corpus folder"):
        parse_suites([str(tmp_path)])


def test_manifest_paths_are_relative_to_it(suite_files, tmp_path, monkeypatch):
    manifest = suite_files / "suites.json"
    manifest.write_text(
        json.dumps(
            {"suites": [{"name": "ferry", "questions": "qa.jsonl", "corpus": "ferries",
                         "conflict": True}, {"questions": "qa.jsonl"}]}
        )
    )  # fmt: skip
    monkeypatch.chdir(tmp_path.parent)
    ferry, plain = parse_suites([str(manifest)])
    assert ferry == SuiteSpec(
        name="ferry", questions=suite_files / "qa.jsonl", corpus=suite_files / "ferries",
        conflict=True,
    )  # fmt: skip
    assert plain.name == "qa" and plain.corpus is None
    single = suite_files / "one.json"
    single.write_text('{"questions": "qa.jsonl", "corpus": "ferries"}')
    assert parse_suites([str(single)])[0].corpus == suite_files / "ferries"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"suites": [{"questions": "qa.jsonl", "corpse": "x"}]}', "corpse"),
        ("not json", "is not a suite manifest"),
        ('{"questions": "qa.jsonl", "corpus": "missing"}', "no such corpus folder"),
    ],
)
def test_bad_manifests_say_why(suite_files, text, problem):
    manifest = suite_files / "suites.json"
    manifest.write_text(text)
    with pytest.raises(SuiteError, match=problem):
        parse_suites([str(manifest)])


# --- a suite's own library ----------------------------------------------------------------


def test_suite_library_holds_exactly_its_corpus_and_is_reused(tmp_path, fake_embedder):
    corpus = tmp_path / "harbour"
    corpus.mkdir()
    (corpus / "ferry.txt").write_text("Ferry Line Reopens\nThe ferry to Gull Island sailed.")
    (corpus / "pier.txt").write_text("Pier Repairs Done\nThe north pier was repaired in May.")
    spec = SuiteSpec(name="harbour", questions=tmp_path / "qa.jsonl", corpus=corpus)
    work = tmp_path / "work"
    library, report = open_suite_library(spec, work, embedder=fake_embedder)
    assert sorted(report.added) == ["ferry", "pier"]  # no seed articles
    assert library.folder.parent == suite_data_dir(spec, work)
    library.close()

    (corpus / "pier.txt").unlink()
    library, report = open_suite_library(spec, work, embedder=fake_embedder)
    assert report.unchanged == ["ferry"] and report.added == []
    assert [s.id for s in library.sources()] == ["ferry"]  # the removed file left the library
    library.close()

    other = spec.model_copy(update={"corpus": tmp_path / "elsewhere"})
    assert suite_data_dir(other, work) != suite_data_dir(spec, work)


# --- results, baseline, tables ------------------------------------------------------------


def suite(name, *, conflict=False):
    return SuiteSpec(name=name, questions=f"{name}.jsonl", corpus=name, conflict=conflict)


def test_results_lines_round_trip_into_a_baseline(tmp_path):
    a = answer([("It opens March 14.", [1], True)], BRIDGE)
    record = EvalRecord(id="a1", answer=a, retrieved_text="", wall_s=1.0)
    s = scores(key_fact_recall=1.0)
    line = json.loads(result_line("bridge", record, s))
    assert line["suite"] == "bridge" and line["id"] == "a1" and line["answer"] == a.answer
    assert line["scores"]["key_fact_recall"] == 1.0 and line["wall_s"] == 1.0
    out = tmp_path / "run.jsonl"
    out.write_text(json.dumps(line) + "\n\n")
    assert load_baseline(out) == {"bridge": [s]}
    assert summary_path(out) == tmp_path / "run.summary.json"


def test_a_results_file_without_scores_is_not_a_baseline(tmp_path):
    old = tmp_path / "old.jsonl"
    old.write_text('{"id": "q1", "refused": false}\n')
    with pytest.raises(SuiteError, match="run it again with --out"):
        load_baseline(old)


def test_summary_compares_each_suite_with_its_baseline():
    now = [
        (suite("ferry"), "d1", [scores(key_fact_recall=1.0), scores(key_fact_recall=1.0)]),
        (suite("tram"), "d2", [scores(key_fact_recall=0.0, refused=True)]),
    ]
    before = {"ferry": [scores(key_fact_recall=0.5)], "other": [scores(key_fact_recall=0.0)]}
    summary = summarize(now, before)
    ferry, tram = summary.suites
    assert ferry.delta["key_fact_recall"] == 0.5 and ferry.delta["false_refusals"] == 0
    assert tram.delta is None  # not in the baseline
    assert summary.key_fact_recall == 0.6667  # overall: the three questions pooled
    # The overall baseline pools only the suites run now ("other" was not).
    assert summary.baseline.questions == 1 and summary.delta["key_fact_recall"] == 0.1667


def test_tables_one_per_suite_overall_and_changes():
    now = [
        (suite("ferry"), "d1", [scores(key_fact_recall=1.0, fact_hit=1.0)]),
        (suite("bridge", conflict=True), "d2", [scores(conflict=True, both_values_cited=True)]),
    ]
    lines = render(summarize(now, {"ferry": [scores(key_fact_recall=0.25, fact_hit=1.0)]}))
    text = "\n".join(lines)
    assert "== ferry: ferry.jsonl on ferry" in text and "== bridge" in text
    assert "== overall (all questions pooled)" in text
    recall = next(line for line in lines if line.strip().startswith("key-fact recall"))
    assert recall.split()[-2:] == ["1.000", "+0.750"]
    both = [line for line in lines if "both values named" in line]
    assert len(both) == 2  # the conflict suite's table and the overall one, not ferry's
    compact = lines[lines.index(next(x for x in lines if x.startswith("suite "))) :]
    assert [row.split()[0] for row in compact] == ["suite", "ferry", "bridge", "overall", "change"]


def test_a_single_suite_prints_no_separate_overall_table():
    lines = render(summarize([(suite("ferry"), None, [scores(key_fact_recall=1.0)])]))
    assert not any("overall (all" in line for line in lines)
    assert lines[-1].split()[:2] == ["overall", "1"]
