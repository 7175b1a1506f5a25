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
