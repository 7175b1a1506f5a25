"""The construction point: settings resolved once, everything built from them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import dossier.models
import dossier.runtime
from dossier.runtime import Runtime, Settings
from dossier.settings import DEFAULT_K
from tests.conftest import REPO
from tests.fakes import ScriptedLLM


def test_explicit_settings_win_over_the_environment_which_wins_over_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("DOSSIER_DATA_DIR", str(tmp_path / "env-data"))
    monkeypatch.setenv("DOSSIER_MODEL", "fast")
    monkeypatch.setenv("DOSSIER_THREADS", "3")
    from_env = Settings.resolve()
    assert from_env.data_dir == tmp_path / "env-data"
    assert (from_env.model, from_env.threads, from_env.k) == ("fast", 3, DEFAULT_K)
    explicit = Settings.resolve(data=tmp_path / "flag", model="tiny", threads=1, k=4)
    assert explicit.data_dir == tmp_path / "flag"
    assert (explicit.model, explicit.threads, explicit.k) == ("tiny", 1, 4)
    monkeypatch.delenv("DOSSIER_MODEL")
    assert Settings.resolve().model == "default"


def test_the_embedder_cache_follows_the_data_folder_in_use(tmp_path, isolated_data_dir):
    # GIVEN a data folder other than $DOSSIER_DATA_DIR
    runtime = Runtime(Settings.resolve(data=tmp_path / "chosen"))
    # THEN the embedder built for it caches its exported model under that folder
    assert runtime.embedder._cache_dir == tmp_path / "chosen" / "cache"
    assert runtime.library_dir == tmp_path / "chosen" / "dossiers" / "demo" / "library"


def test_the_desktop_data_folder_setting_reaches_the_embedder(tmp_path):
    pytest.importorskip("PySide6")  # the desktop front end is part of every install
    from desktop.engine import runtime_of
    from desktop.preferences import Preferences

    runtime = runtime_of(Preferences(data_dir=str(tmp_path / "gui-data")))
    assert runtime.settings.data_dir == tmp_path / "gui-data"
    assert runtime.embedder._cache_dir == tmp_path / "gui-data" / "cache"


def test_one_model_instance_per_model_and_options(monkeypatch, tmp_path):
    built = []
    monkeypatch.setattr(
        dossier.models, "build_llm", lambda spec, options: built.append(spec) or ScriptedLLM([])
    )
    monkeypatch.setattr(dossier.models, "_loaded", {})
    settings = Settings.resolve(data=tmp_path, model="fast")
    assert Runtime(settings).llm() is Runtime(settings).llm()
    assert Runtime(Settings.resolve(data=tmp_path, model="tiny")).llm() is not None
    assert built == ["fast", "tiny"]


def test_the_library_is_opened_once_with_the_runtimes_embedder(fake_embedder, tmp_path):
    runtime = Runtime(Settings.resolve(data=tmp_path), embedder=fake_embedder)
    library = runtime.library(seed=False)
    assert runtime.library() is library and library.embedder is fake_embedder
    runtime.close()


@pytest.mark.slow
def test_data_dir_flag_puts_the_embedder_cache_there_and_nothing_in_the_user_folder(tmp_path):
    # GIVEN no $DOSSIER_DATA_DIR and a HOME whose user data folder would be the default
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOSSIER_", "XDG_"))}
    # (and no install-time export, so the first-use export runs and must land there)
    env.update(HOME=str(home), HF_HUB_OFFLINE="1", DOSSIER_PREPARED_DIR="")
    chosen = tmp_path / "chosen"
    # WHEN the real CLI searches with --data-dir (the real embedder loads and exports itself)
    result = subprocess.run(
        [sys.executable, "-m", "cli", "--data-dir", str(chosen), "search", "missile range"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # THEN the embedder's cache is under the chosen folder, and nothing under HOME
    assert any((chosen / "cache" / "embedder").rglob("*")), "no embedder cache under --data-dir"
    assert [p for p in home.rglob("*")] == []
