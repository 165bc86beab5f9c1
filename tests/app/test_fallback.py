"""The shipped model stands in when no checkpoint is given or the given one fails to load
(app/fallback.py): in the worker's jobs, and in the window (status bar and device label)."""

from __future__ import annotations

from pathlib import Path

import pytest

from motionlex.app import fallback
from motionlex.app.worker import RankWorker
from motionlex.core.steps import run_steps
from motionlex.resources import default_model_dir

LONG_WAIT_MS = 180000  # the shipped model loads and encodes on a busy 2-core machine


@pytest.fixture
def tiny_as_shipped(monkeypatch, tiny_checkpoint) -> Path:
    """The tiny checkpoint plays the shipped model (fast)."""
    monkeypatch.setattr(fallback, "default_model_dir", lambda: tiny_checkpoint)
    return tiny_checkpoint


@pytest.fixture
def worker(qapp, tmp_path) -> RankWorker:
    return RankWorker(cache_dir=tmp_path / "cache", device="cpu")


def test_bad_checkpoint_falls_back_with_a_note(worker, tiny_as_shipped, tmp_path):
    bad = tmp_path / "not_a_model"
    bad.mkdir()
    (bad / "notes.txt").write_text("hello")
    info = run_steps(fallback.checkpoint_steps(worker.load_checkpoint_steps, bad))
    assert info.checkpoint == str(tiny_as_shipped.resolve()) and worker.model is not None
    assert info.note.startswith(f"{bad} is not a motionlex model folder")
    assert info.note.endswith("; using the shipped model") and "\n" not in info.note
    missing = tmp_path / "typo"
    info = run_steps(fallback.checkpoint_steps(worker.load_checkpoint_steps, missing))
    assert f"{missing} is not a motionlex model folder (no such folder); using the shipped " \
           "model" == info.note


def test_a_loaded_model_stays_when_another_fails(worker, tiny_as_shipped, tmp_path):
    run_steps(worker.load_checkpoint_steps(tiny_as_shipped))
    with pytest.raises(ValueError, match="is not a motionlex model folder(.|\n)*The model "
                       "already open stays in use"):
        run_steps(fallback.checkpoint_steps(worker.load_checkpoint_steps, tmp_path / "typo",
                                       have_model=True))
    events = []
    worker.failed.connect(events.append)
    worker.load_checkpoint(str(tmp_path / "typo"))  # the slot, run here synchronously
    assert events and events[0].startswith(f"Loading checkpoint failed: {tmp_path / 'typo'} "
                                           "is not a motionlex model folder")
    assert events[0].count(str(tmp_path / "typo")) == 1  # the path named once
    assert events[0].endswith("The model already open stays in use.")


def test_none_given_and_ensure_model(worker, tiny_as_shipped):
    info = run_steps(fallback.checkpoint_steps(worker.load_checkpoint_steps, None, note="why"))
    assert info.note == "why" and info.checkpoint == str(tiny_as_shipped.resolve())
    w2 = RankWorker(cache_dir=worker.cache_dir, device="cpu")
    loaded = []
    w2.checkpointLoaded.connect(loaded.append)
    w2.ensure_model()  # no model: the shipped one
    w2.ensure_model()  # a model: nothing
    assert len(loaded) == 1 and w2.model is not None


def test_the_shipped_model_failing_is_an_error(worker, monkeypatch, tmp_path):
    monkeypatch.setattr(fallback, "default_model_dir", lambda: tmp_path)
    with pytest.raises(FileNotFoundError, match="is not a motionlex model folder"):
        run_steps(fallback.checkpoint_steps(worker.load_checkpoint_steps, tmp_path))


def test_window_bad_checkpoint_says_so_in_the_status_bar(qtbot, gl_platform, make_window,
                                                         tmp_path, tiny_as_shipped):
    w = make_window((1280, 800))
    with qtbot.waitSignal(w.checkpointShown, timeout=LONG_WAIT_MS) as blocker:
        w.open_checkpoint(tmp_path / "typo")
    info = blocker.args[0]
    msg = w.statusBar().currentMessage()
    assert msg == f"{tmp_path / 'typo'} is not a motionlex model folder (no such folder); " \
                  "using the shipped model."
    assert info.note in w.device_label.toolTip() and w.error_box is None
    # the status bar moves on; the notice over the 3D view stays until hidden
    assert w.model_notice.isVisible() and "using the shipped model" in w.model_notice.text()
    w.model_notice.linkActivated.emit("hide")
    assert not w.model_notice.isVisible()


def test_gallery_built_with_another_model_replaces_the_given_one_visibly(
        qtbot, gl_platform, make_window, tmp_path, tiny_checkpoint, gallery_index, save_tiny):
    other = save_tiny(tmp_path / "other_tiny", seed=1)  # another fingerprint
    w = make_window((1280, 800))
    with qtbot.waitSignal(w.checkpointShown, timeout=LONG_WAIT_MS):
        w.open_checkpoint(other)
    assert not w.model_notice.isVisible()
    with qtbot.waitSignal(w.galleryShown, timeout=LONG_WAIT_MS):
        w.open_gallery(gallery_index)
    assert w.model_info.checkpoint == str(tiny_checkpoint.resolve())
    notice = w.model_notice.text()
    assert w.model_notice.isVisible() and "replaces" in notice
    assert str(tiny_checkpoint) in notice and str(other.resolve()) in notice


def test_dataset_folder_without_checkpoint_opens_on_the_shipped_model(
        qtbot, gl_platform, make_window, tmp_path, bvh_folder):
    w = make_window((1280, 800))
    with qtbot.waitSignal(w.galleryShown, timeout=LONG_WAIT_MS) as blocker:
        w.open_gallery(bvh_folder)
    info = blocker.args[0]
    assert info.built and info.searchable and info.size == 2
    assert w.model_info.checkpoint == str(default_model_dir().resolve())
    assert "with the shipped model" in w.statusBar().currentMessage()
    assert not w.model_notice.isVisible()  # none given: the default, no warning banner
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as blocker:
        w.search("a person runs")
    assert len(blocker.args[0].hits) == 2
    assert w.statusBar().currentMessage() != ""
    w.close()
    # again, its index cached: nothing is encoded, and the status bar does not say it was
    # ("No checkpoint given: encoding … with the shipped model", audit 35 #9)
    again = make_window((1280, 800), tmp_path / "cache")
    with qtbot.waitSignal(again.galleryShown, timeout=LONG_WAIT_MS) as blocker:
        again.open_gallery(bvh_folder)
    assert not blocker.args[0].built
    said = again.statusBar().currentMessage()
    assert said == (f"Gallery opened: 2 motions. No checkpoint given: {bvh_folder.name} is "
                    "searched with the shipped model."), said


def test_mistyped_gallery_still_leaves_the_shipped_model(qtbot, gl_platform, make_window,
                                                          tmp_path, tiny_as_shipped):
    w = make_window((1280, 800))
    with qtbot.waitSignal(w.checkpointShown, timeout=LONG_WAIT_MS):
        w.open_gallery(tmp_path / "no_such_gallery")  # what main() does without --checkpoint
        w.client.ensure_model()
    assert w.gallery is None and w.model_info.checkpoint == str(tiny_as_shipped.resolve())
    assert w.device_label.text() != "no model"
    # the reason stays on the welcome page after the status bar has moved on
    welcome = w._welcome.text()
    assert "No gallery is open: " in welcome and "no_such_gallery" in welcome
    assert "the shipped model is used" in welcome


def test_explorer_command_on_a_bvh_folder_without_checkpoint(qapp, gl_platform, bvh_folder,
                                                             tmp_path, capsys):
    from motionlex.app.main import main

    png = tmp_path / "bvh.png"
    code = main(["--gallery", str(bvh_folder), "--query", "a person runs", "--screenshot",
                 str(png), "--settings", str(tmp_path / "s.ini"), "--cache",
                 str(tmp_path / "cache"), "--size", "1024x640", "--timeout", "400"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert png.is_file() and "Traceback" not in out.err
