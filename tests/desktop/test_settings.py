"""Settings: model picker from the catalog, passages per question, reload on a new model."""

from __future__ import annotations

from desktop.views.settings_dialog import SettingsDialog
from tests.fakes import ScriptedLLM


def test_the_model_picker_lists_the_catalog_and_a_new_model_loads_in_the_background(
    qtbot, make_window
):
    # GIVEN the window, whose model factory counts what it is asked to load
    asked = []

    def factory(prefs):
        asked.append(prefs.model)
        return ScriptedLLM([])

    window, app = make_window(None, llm_factory=factory)
    choices = app.model_choices()
    assert [value for value, _ in choices][:3] == ["default", "fast", "tiny"]
    dialog = SettingsDialog(app.engine.prefs, choices, window)
    qtbot.addWidget(dialog)
    # WHEN the user picks the fast model and 3 passages, and confirms
    dialog.model.setCurrentIndex(dialog.model.findData("fast"))
    dialog.k.setValue(3)
    app.apply_preferences(dialog.preferences())
    # THEN the model reloads off the GUI thread and questions use 3 passages
    qtbot.waitUntil(lambda: app.engine.ready and asked == ["", "fast"], timeout=10000)
    assert app.engine.prefs.k == 3
    assert window.model_status.text() == "Model: scripted"


def test_a_gguf_file_can_be_chosen_by_path(qtbot, make_window, tmp_path):
    from desktop.preferences import Preferences

    window, app = make_window(ScriptedLLM([]))
    path = str(tmp_path / "my-model.gguf")
    dialog = SettingsDialog(Preferences(model=path), app.model_choices(), window)
    qtbot.addWidget(dialog)
    assert dialog.preferences().model == path
    assert dialog.model.currentText() == "my-model.gguf"


def test_a_model_server_can_be_chosen_and_is_what_the_app_builds(qtbot, make_window, monkeypatch):
    from desktop.engine import runtime_of
    from desktop.views import settings_dialog

    window, app = make_window(ScriptedLLM([]))
    dialog = SettingsDialog(app.engine.prefs, app.model_choices(), window)
    qtbot.addWidget(dialog)
    # WHEN the user enters the address of a server on this machine
    monkeypatch.setattr(
        settings_dialog.QInputDialog,
        "getText",
        lambda *args, **kwargs: (" http://127.0.0.1:8080/v1#qwen ", True),
    )
    dialog._ask_server()
    prefs = dialog.preferences()
    # THEN the preference names that server, and the construction point builds its backend
    assert prefs.model == "openai:http://127.0.0.1:8080/v1#qwen"
    from models.openai_server import OpenAIServerLLM

    assert isinstance(runtime_of(prefs).llm(), OpenAIServerLLM)  # not contacted until used
