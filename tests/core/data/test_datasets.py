import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from motionlex.core.data.datasets import MotionDataset
from motionlex.core.data.layout import SeveralDatasetsError, detect_layout
from motionlex.core.data.text_files import (
    Caption,
    DatasetError,
    MissingIdsError,
    WordlessCaptionError,
    parse_caption_line,
    read_caption_corpus,
    read_captions,
    read_meta,
)


def _split_ids(root: Path, split: str) -> list[str]:
    return [ln.strip() for ln in (root / f"{split}.txt").read_text().splitlines() if ln.strip()]


def test_bandai_train_split(shared_data):
    ds = MotionDataset(shared_data / "bandai", "train")
    assert [r.id for r in ds.records] == _split_ids(shared_data / "bandai", "train")  # 2,932
    s = ds[0]
    assert s.motion.joints.shape[1:] == (22, 3) and s.motion.fps == 20.0
    assert len(s.captions) == 2 and s.captions[0].whole_clip
    assert s.record.meta["action"] and s.record.meta["split"] == "train"
    val = MotionDataset(shared_data / "bandai", "val")
    assert [r.id for r in val.records] == _split_ids(shared_data / "bandai", "val")
    assert not {r.id for r in val.records} & {r.id for r in ds.records}


def test_humanml3d_samples_and_spans(shared_data, tmp_path):
    ds = MotionDataset(shared_data / "humanml3d_samples", "all")
    samples, report = ds.scan()
    assert report.kept == 7 and not report.skipped
    assert sum(len(s.captions) for s in samples) == 4  # only 000000 has texts
    pairs = list(ds.pairs(samples))
    assert len(pairs) == 4 and all(m.num_frames == samples[0].motion.num_frames for m, _ in pairs)
    # a caption span crops the motion (HumanML3D start/end in seconds)
    root = tmp_path / "h"
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    src = shared_data / "humanml3d_samples" / "new_joints" / "000000.npy"
    (root / "new_joints" / "a.npy").write_bytes(src.read_bytes())
    (root / "texts" / "a.txt").write_text("a person walks#a/DET person/NOUN#1.0#3.0\n")
    (motion, text), = MotionDataset(root, "all").pairs()
    assert motion.num_frames == 40 and text == "a person walks"


def test_bvh_files_in_a_joints_dataset_are_reported_not_silently_ignored(shared_data, tmp_path):
    root = tmp_path / "h"
    (root / "new_joints").mkdir(parents=True)
    (root / "extra").mkdir()
    src = shared_data / "humanml3d_samples" / "new_joints" / "000000.npy"
    (root / "new_joints" / "a.npy").write_bytes(src.read_bytes())
    bvh = (shared_data / "raw_bvh" / "bandai_1_bow_normal_001.bvh").read_bytes()
    (root / "bow.bvh").write_bytes(bvh)
    (root / "extra" / "kick.BVH").write_bytes(bvh)
    ds = MotionDataset(root, "all")
    assert [r.id for r in ds.records] == ["a"]  # the joints layout is what is read
    skipped = dict(ds.report.skipped)
    assert set(skipped) == {"bow.bvh", "extra/kick.BVH"}
    assert "only new_joints/*.npy is read" in skipped["bow.bvh"]
    assert "2 skipped" in ds.report.summary()


def test_cmu_sets(shared_data):
    for name, split, n in [("cmu_kitml", "train", 21), ("cmu_extra", "all", 90)]:
        samples, report = MotionDataset(shared_data / name, split).scan()
        assert report.kept == n and all(s.captions for s in samples)


def test_caption_line_parsing():
    c = parse_caption_line("a man kicks.#a/DET man/NOUN#0.0#0.0")
    assert c == Caption("a man kicks.", "a/DET man/NOUN", 0.0, 0.0) and c.whole_clip
    assert parse_caption_line("just text").text == "just text"
    assert parse_caption_line("x#t#nan#nan").whole_clip
    # one NaN bound leaves that side open (HumanML3D's loader: NaN -> 0.0), not the whole clip
    half = [parse_caption_line(line) for line in ("x#t#2.0#nan", "x#t#nan#3.5")]
    assert [(c.start, c.end) for c in half] == [(2.0, 0.0), (0.0, 3.5)]
    for bad, match in [("a#b#c", "4 fields"), ("#t#0#0", "empty caption"),
                       ("x#t#zero#1", "not numbers"), ("x#t#2.0#1.0", "invalid span"),
                       ("x#t#1.0#inf", "not finite"), ("x#t#-inf#1", "not finite"),
                       ("x#t#2.0#2.0", "invalid span")]:  # no frame between start and end
        with pytest.raises(DatasetError, match=match):
            parse_caption_line(bad, "f.txt", 3)


def _copy_layout(shared_data, tmp_path, ids):
    root = tmp_path / "ds"
    (root / "new_joints").mkdir(parents=True)
    (root / "texts").mkdir()
    for i in ids:
        src = shared_data / "cmu_kitml"
        npy = (src / "new_joints" / f"{i}.npy").read_bytes()
        (root / "new_joints" / f"{i}.npy").write_bytes(npy)
        (root / "texts" / f"{i}.txt").write_bytes((src / "texts" / f"{i}.txt").read_bytes())
    return root


def test_missing_ids_all_reported_or_skipped(shared_data, tmp_path):
    ids = sorted(p.stem for p in (shared_data / "cmu_kitml" / "new_joints").glob("*.npy"))[:3]
    root = _copy_layout(shared_data, tmp_path, ids)
    (root / "train.txt").write_text("\n".join(ids + ["ghost1", "ghost2"]) + "\n")
    with pytest.raises(MissingIdsError) as e:
        MotionDataset(root, "train")
    assert e.value.missing == ["ghost1", "ghost2"] and "train.txt" in str(e.value)
    # the scan that lists them (of this split), in the message; Python's way in a note
    assert f"'motionlex scan {root} --split train' lists them" in str(e.value)
    assert "skip_missing" not in str(e.value)
    assert "skip_missing=True" in "".join(getattr(e.value, "__notes__", ["skip_missing=True"]))
    ds = MotionDataset(root, "train", skip_missing=True)
    assert len(ds) == 3 and [n for n, _ in ds.report.skipped] == ["ghost1", "ghost2"]
    with pytest.raises(FileNotFoundError, match="splits here: .*train"):
        MotionDataset(root, "val")
    # file names where ids are meant: say what an id is (the message said "remove them")
    (root / "train.txt").write_text("\n".join(f"new_joints/{i}.npy" for i in ids) + "\n")
    with pytest.raises(MissingIdsError, match=f"write {ids[0]}, not new_joints/{ids[0]}.npy"):
        MotionDataset(root, "train")


def test_scan_reports_bad_files_and_keeps_going(shared_data, tmp_path):
    ids = sorted(p.stem for p in (shared_data / "cmu_kitml" / "new_joints").glob("*.npy"))[:4]
    root = _copy_layout(shared_data, tmp_path, ids)
    good = np.load(root / "new_joints" / f"{ids[0]}.npy")
    bad = good.copy()
    bad[5, 3] = np.nan
    np.save(root / "new_joints" / "nan.npy", bad)
    (root / "new_joints" / "trunc.npy").write_bytes(
        (root / "new_joints" / f"{ids[0]}.npy").read_bytes()[:300])
    np.save(root / "new_joints" / "joints23.npy", np.zeros((10, 23, 3), np.float32))
    np.save(root / "new_joints" / "oneframe.npy", good[:1])
    (root / "texts" / "badcap.txt").write_text("a#b#c\n")
    np.save(root / "new_joints" / "badcap.npy", good)
    # centimetres (issue 15 item 6: was read as millimetres, a 17 cm person)
    np.save(root / "new_joints" / "cm.npy", good * (0.1 if np.ptp(good[0], 0).max() > 50 else 100))
    samples, report = MotionDataset(root, "all").scan()
    skipped = dict(report.skipped)
    assert report.kept == len(samples) == 4
    assert set(skipped) == {"nan", "trunc", "joints23", "oneframe", "badcap", "cm"}
    assert "cm.npy" in skipped["cm"] and "neither metres nor millimetres" in skipped["cm"]
    assert "NaN" in skipped["nan"] and "nan.npy" in skipped["nan"]
    assert "truncated" in skipped["trunc"] or "trunc.npy" in skipped["trunc"]
    assert "23 joints" in skipped["joints23"]
    assert "at least 2" in skipped["oneframe"]
    assert "badcap.txt:1" in skipped["badcap"]
    assert "6 skipped" in report.summary()
    slow, report = MotionDataset(root, "all", fps=0.1).scan()
    assert not slow and "frame rate 0.1 fps is outside" in dict(report.skipped)[ids[0]]


def test_every_joint_file_of_a_dataset_is_read_on_its_skeleton(shared_data, tmp_path, caplog,
                                                                make_subset):
    """A 21-joint file among SMPL-22 files is refused (it used to be read as a KIT-ML body
    at 12.5 fps); a Z-up file is kept with a warning, as a single file gets."""
    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:6]
    root = make_subset(src, tmp_path / "b", ids)
    odd = root / "new_joints" / f"{ids[1]}.npy"
    np.save(odd, np.load(odd)[:, :21])
    zup = root / "new_joints" / f"{ids[2]}.npy"
    np.save(zup, np.load(zup)[:, :, [0, 2, 1]])
    with caplog.at_level("WARNING", logger="motionlex"):
        samples, report = MotionDataset(root, "all").scan()
    skipped = dict(report.skipped)
    assert list(skipped) == [ids[1]] and report.kept == len(samples) == 5
    assert (f"{ids[1]}.npy: 21 joints, where this dataset's files have 22 (smpl22)"
            in skipped[ids[1]])
    assert {s.motion.skeleton.name for s in samples} == {"smpl22"}
    warned = [r.getMessage() for r in caplog.records if "not upright along +Y" in r.getMessage()]
    assert len(warned) == 1 and f"{ids[2]}.npy" in warned[0]
    # and the report names it (a log line was easy to miss beside the progress bar)
    assert report.not_upright == [ids[2]]
    assert "1 usable motion kept but not upright along +Y" in report.summary()
    assert report.summary().rstrip().endswith(ids[2])


def test_swapped_left_right_joints_are_reported(shared_data, tmp_path, caplog, make_subset):
    """DESIGN: sides are checked on data, not assumed from joint names. Real Bandai files
    pass; the same files with left and right joints exchanged are reported once."""
    from motionlex.core.motion.skeleton import SMPL22

    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:8]
    root = make_subset(src, tmp_path / "b", ids)
    with caplog.at_level("WARNING", logger="motionlex"):
        MotionDataset(root, "all").scan()
    assert not [r for r in caplog.records if "look swapped" in r.getMessage()]
    for f in (root / "new_joints").glob("*.npy"):
        np.save(f, np.load(f)[:, SMPL22.mirror_permutation()])
    caplog.clear()
    with caplog.at_level("WARNING", logger="motionlex"):
        samples, _ = MotionDataset(root, "all").scan()
    warned = [r.getMessage() for r in caplog.records if "look swapped" in r.getMessage()]
    assert len(samples) == 8 and len(warned) == 1
    assert str(root) in warned[0] and "smpl22" in warned[0] and "first 8 files" in warned[0]


def test_layout_and_corpus_errors(shared_data, tmp_path):
    assert detect_layout(shared_data / "bandai") == "joints"
    assert detect_layout(shared_data / "raw_bvh") == "bvh"
    with pytest.raises(FileNotFoundError, match="dataset folder not found"):
        detect_layout(tmp_path / "nope")
    with pytest.raises(DatasetError, match="not a motion dataset"):
        detect_layout(tmp_path)
    # the data root: its one BVH subfolder was read as the dataset, the rest left out silently
    with pytest.raises(DatasetError, match=r"holds several datasets \(bandai, .*raw_bvh "
                                           r"\(BVH\)\), not one") as caught:
        detect_layout(shared_data)
    # the command line's advice; the explorer words its own from the fields (app/texts.py)
    assert str(caught.value).endswith("the command line takes several as their own --data "
                                      "options")
    assert isinstance(caught.value, SeveralDatasetsError)
    assert caught.value.names[0] == "bandai" and "raw_bvh (BVH)" in caught.value.names
    assert caught.value.root == shared_data and caught.value.example == shared_data / "bandai"
    # a BVH folder with one converted dataset inside is still a BVH folder
    takes = tmp_path / "takes"
    (takes / "converted" / "new_joints").mkdir(parents=True)
    shutil.copy(shared_data / "raw_bvh" / "cmu_07_03_daz.bvh", takes / "walk.bvh")
    assert detect_layout(takes) == "bvh"
    (takes / "more" / "new_joints").mkdir(parents=True)  # two: a folder of datasets
    with pytest.raises(DatasetError, match="holds several datasets"):
        detect_layout(takes)
    with pytest.raises(FileNotFoundError, match="caption file not found"):
        read_captions(tmp_path / "x.txt")
    corpus = read_caption_corpus(shared_data / "kitml_text", "train")
    assert len(corpus) > 9000 and all(isinstance(c, str) and c for c in corpus[:100])
    # the split file filters a TMR annotations.json: no validation caption trains the text
    ann = json.loads((shared_data / "kitml_text" / "annotations.json").read_text())
    train = set(_split_ids(shared_data / "kitml_text", "train"))
    assert len(corpus) == sum(len(v["annotations"]) for k, v in ann.items() if k in train)
    val_only = ({a["text"].strip() for k, v in ann.items() if k not in train
                 for a in v["annotations"]}
                - {a["text"].strip() for k, v in ann.items() if k in train
                   for a in v["annotations"]})
    assert val_only and not val_only & set(corpus)
    val_lines = [ln for i in _split_ids(shared_data / "bandai", "val")
                 for ln in (shared_data / "bandai" / "texts" / f"{i}.txt").read_text().splitlines()
                 if ln.strip()]
    assert len(read_caption_corpus(shared_data / "bandai", "val")) == len(val_lines)  # 140
    # an empty split file keeps nothing in a HumanML3D layout too (it used to fall back to
    # every texts/*.txt, val and test captions included: auditor's finding)
    assert (shared_data / "cmu_kitml" / "val.txt").read_text().strip() == ""
    assert read_caption_corpus(shared_data / "cmu_kitml", "val") == []
    assert len(read_caption_corpus(shared_data / "cmu_kitml")) == 21
    (tmp_path / "annotations.json").write_text('{"a": {"nope": 1}}')
    with pytest.raises(DatasetError, match="annotations"):
        read_caption_corpus(tmp_path)


@pytest.mark.parametrize("text,problem", [
    ("[1, 2]", "must be a JSON object of id -> metadata object, got list"),
    ("null", "got NoneType"),
    ('{"a": {"action": "run"}, "b": 3}', r"metadata of 1 ids is not a JSON object \(first: 'b'\)"),
    ('{"a": ', "not valid JSON"),
])
def test_malformed_meta_json_is_a_dataset_error_naming_the_file(tmp_path, text, problem):
    """Fuzz finding (issue 15): a meta.json that is a list, null or holds non-objects ended in
    AttributeError/TypeError; now a DatasetError naming the file."""
    path = tmp_path / "meta.json"
    path.write_text(text)
    with pytest.raises(DatasetError, match=problem) as e:
        read_meta(path)
    assert str(path) in str(e.value)
    good = tmp_path / "good.json"
    good.write_text('{"a": {"action": "run"}}')
    assert read_meta(good) == {"a": {"action": "run"}}


def test_a_bvh_folder_is_read_with_its_subfolders(shared_data, tmp_path):
    """CMU's BVH releases keep one folder per subject: ids are paths below the folder,
    captions sit beside their file, hidden folders are skipped, and of two files of one id
    (kick.bvh, kick.BVH) the ".bvh" one is read and the other reported."""
    import shutil

    src = shared_data / "raw_bvh"
    (tmp_path / "07").mkdir()
    (tmp_path / ".trash").mkdir()
    shutil.copy(src / "cmu_07_03_daz.bvh", tmp_path / "07" / "07_03.bvh")
    (tmp_path / "07" / "07_03.txt").write_text("a person walks forward#a/X#0.0#0.0\n")
    shutil.copy(src / "cmu_08_01_daz.bvh", tmp_path / "walk.bvh")
    shutil.copy(src / "cmu_08_01_daz.bvh", tmp_path / "walk.BVH")
    shutil.copy(src / "cmu_08_01_daz.bvh", tmp_path / ".trash" / "old.bvh")
    ds = MotionDataset(tmp_path, "all")
    assert [r.id for r in ds.records] == ["07/07_03", "walk"]
    assert [c.text for c in ds.records[0].captions] == ["a person walks forward"]
    assert ds.records[1].path.name == "walk.bvh"  # of one id, the ".bvh" file is read
    assert [i for i, _ in ds.report.skipped] == ["walk"]
    assert ds.load_motion(ds.records[0]).num_frames > 0
    # a caption file beside a motion file is no split: no split files here
    (tmp_path / "walk.txt").write_text("a person walks#a/X#0.0#0.0\n")
    with pytest.raises(FileNotFoundError, match="has no split files; .*--split all"):
        MotionDataset(tmp_path, "train")


def test_a_bvh_folder_index_json_gives_captions_labels_and_true_fps(shared_data, tmp_path):
    """raw_bvh/index.json: the CMU takes' KIT-ML captions and every take's action reach the
    dataset (as evaluate reads them), a label-only take "a person ACTION"; true_fps replaces
    a wrong header rate; a sidecar caption file wins; a broken index.json is named."""
    raw = shared_data / "raw_bvh"
    ds = MotionDataset(raw, "all")
    by_id = {r.id: r for r in ds.records}
    assert [c.text for c in by_id["cmu_07_03_daz"].captions] == ["A person walks forward."]
    # a take with only an action label is captioned from it, as evaluate reads it
    assert [c.text for c in by_id["bandai_1_kick_normal_001"].captions] == ["a person kicks"]
    assert by_id["bandai_1_kick_normal_001"].meta["action"] == "kick"
    root = tmp_path / "b"
    root.mkdir()
    src = raw / "cmu_07_03_daz.bvh"  # header 120 fps
    (root / "walk.bvh").write_bytes(src.read_bytes())
    (root / "index.json").write_text(json.dumps({"walk.bvh": {"true_fps": 60.0,
                                                              "kitml_caption": "walks"}}))
    header = MotionDataset(raw, "all").load_motion(by_id["cmu_07_03_daz"])
    (rec,) = MotionDataset(root, "all").records
    slow = MotionDataset(root, "all").load_motion(rec)
    assert slow.num_frames == pytest.approx(2 * header.num_frames, abs=2)  # twice as long
    (root / "walk.txt").write_text("a person strolls#a/DET#0.0#0.0\n")
    assert [c.text for c in MotionDataset(root, "all").records[0].captions] == [
        "a person strolls"]
    (root / "index.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="index.json: expected an object"):
        MotionDataset(root, "all")
    # a true_fps that is no positive number skips the file, naming the index (true read
    # as 1 fps made the take 30 times too long; "30" ended in a TypeError)
    (root / "walk.txt").unlink()
    for bad in (True, "30", -5, float("inf")):
        (root / "index.json").write_text(json.dumps({"walk.bvh": {"true_fps": bad}}))
        samples, report = MotionDataset(root, "all").scan()
        assert not samples and len(report.skipped) == 1
        assert "index.json: true_fps of walk.bvh must be a positive number" in (
            report.summary())
    # one caption per entry, as text: a list or a number is refused, not written as "[...]"
    for bad in (["walks", "a walk"], 5):
        (root / "index.json").write_text(json.dumps({"walk.bvh": {"caption": bad}}))
        with pytest.raises(ValueError, match=r"index.json \(walk.bvh\): caption must be text"):
            MotionDataset(root, "all")


def test_a_byte_order_mark_is_not_part_of_an_id_or_a_caption(shared_data, tmp_path,
                                                             make_subset):
    """Files saved by Windows editors start with a UTF-8 BOM: the first split id and the
    first caption used to keep it (an id that matched no file, a caption "\\ufeffa ...")."""
    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:3]
    root = make_subset(src, tmp_path / "bom", ids)
    for f in (root / "all.txt", root / "texts" / f"{ids[0]}.txt"):
        f.write_text(f.read_text(), encoding="utf-8-sig")
    assert (root / "all.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    samples, report = MotionDataset(root, "all").scan()
    assert report.kept == 3 and not report.skipped
    assert [s.record.id for s in samples] == ids
    first = samples[0].captions[0].text
    assert not first.startswith("\ufeff") and first == read_captions(
        src / "texts" / f"{ids[0]}.txt")[0].text


def test_a_gallery_index_given_as_a_dataset_is_named_as_one(tmp_path):
    idx = tmp_path / "g.mlx"
    idx.mkdir()
    (idx / "manifest.json").write_text("{}")
    np.save(idx / "dense.npy", np.zeros((3, 8), np.float16))
    with pytest.raises(DatasetError, match="is a gallery index .*motionlex search --index"):
        detect_layout(idx)  # it used to say: holds .npy files, give the folder above it


def test_a_new_joints_folder_given_as_a_motion_points_to_its_dataset(shared_data):
    from motionlex.core.motion.files import load_motion_file

    with pytest.raises(FileNotFoundError) as e:
        load_motion_file(shared_data / "bandai" / "new_joints")
    assert f"'motionlex index --data {shared_data / 'bandai'} --out" in str(e.value)


def test_scan_names_caption_spans_outside_their_clip(shared_data, tmp_path, make_subset,
                                                     capsys):
    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:2]
    root = make_subset(src, tmp_path / "spans", ids)
    cap = root / "texts" / f"{ids[0]}.txt"
    cap.write_text(cap.read_text() + "a person bows late#a/DET person/NOUN#100.0#200.0\n"
                   "a person twitches#a/DET person/NOUN#0.0#0.05\n")  # 1 frame from the start
    samples, report = MotionDataset(root, "all").scan()
    assert report.kept == 2 and not report.skipped  # the motion stays usable
    assert len(report.spans) == 2 and {r[0] for r in report.spans} == {ids[0]}
    assert "'a person bows late'" in report.spans[0][1] and "after the clip's end" in (
        report.spans[0][1])
    assert "'a person twitches'" in report.spans[1][1] and "keeps 1 frame(s)" in (
        report.spans[1][1])
    assert "2 captions of usable motions left out" in report.summary()
    # the scan command counts the usable captions only
    from motionlex.core.cli import main

    total = sum(len(s.captions) for s in samples)
    assert main(["scan", str(root), "-q"]) == 0
    assert f"captions: {total - 2};" in capsys.readouterr().out


def test_broken_links_are_skipped_and_named(shared_data, tmp_path, make_subset):
    """A dangling symbolic link among the motion files: the scan stopped on it ("motion
    file not found", even with skip_missing) and a BVH folder left it out without a word;
    now each is skipped, named as a broken link, and the other motions are read."""
    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:3]
    root = make_subset(src, tmp_path / "links", ids)
    f = root / "new_joints" / f"{ids[1]}.npy"
    f.unlink()
    f.symlink_to(tmp_path / "nowhere" / f.name)
    samples, report = MotionDataset(root, "all").scan()
    assert [s.record.id for s in samples] == [ids[0], ids[2]]
    assert report.skipped == [(ids[1], f"motion file not found: {f} is a broken link (to "
                                       f"{tmp_path / 'nowhere' / f.name})")]
    bvh = tmp_path / "bvh"
    bvh.mkdir()
    (bvh / "bow.bvh").write_bytes((shared_data / "raw_bvh" /
                                   "bandai_1_bow_normal_001.bvh").read_bytes())
    (bvh / "kick.bvh").symlink_to("/nonexistent/kick.bvh")
    samples, report = MotionDataset(bvh, "all").scan()
    assert [s.record.id for s in samples] == ["bow"]
    assert report.skipped == [("kick", f"motion file not found: {bvh / 'kick.bvh'} is a broken "
                                       f"link (to /nonexistent/kick.bvh)")]
    # a split that lists it names it once; one that does not, not at all
    (bvh / "val.txt").write_text("bow\nkick\n")
    (bvh / "test.txt").write_text("bow\n")
    assert len(MotionDataset(bvh, "val").scan()[1].skipped) == 1
    assert MotionDataset(bvh, "test").scan()[1].skipped == []


def test_a_caption_without_words_is_left_out_and_named(shared_data, tmp_path, make_subset,
                                                       capsys):
    """Probe D05/T09: a caption of punctuation alone ("...!!!") was a training and
    evaluation caption, while the same text as a query is refused. Now such a line (or an
    empty one) is left out and named in the scan report; its motion keeps its other
    captions, and a caption corpus drops it too (it once refused the whole corpus)."""
    from motionlex.core.cli import main
    from motionlex.core.data.pairs import load_pair_examples

    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:3]
    root = make_subset(src, tmp_path / "words", ids, {"train": ids})
    cap = root / "texts" / f"{ids[0]}.txt"
    kept = cap.read_text().splitlines()
    cap.write_text("...!!!#a/X#0.0#0.0\n" + "\n".join(kept) + "\n")
    with pytest.raises(WordlessCaptionError, match=r"f.txt:3: caption '\.\.\.!!!' has no words"):
        parse_caption_line("...!!!#a/X#0.0#0.0", "f.txt", 3)
    with pytest.raises(WordlessCaptionError, match="has no words"):
        parse_caption_line("42 ?!")  # digits are no words either
    why = (f"{cap}:1: caption '...!!!' has no words (a caption describes the motion in "
           "English, e.g. 'a person walks forward')")
    samples, report = MotionDataset(root, "all").scan()
    assert [s.record.id for s in samples] == ids and report.skipped == []
    assert [c.text for c in samples[0].captions] == [ln.split("#")[0] for ln in kept]
    assert report.wordless == [(ids[0], why)]
    assert main(["scan", str(root), "-q"]) == 0
    out = capsys.readouterr().out
    assert "3 usable motions" in out and f"  {ids[0]}: {why}" in out
    assert "1 caption left out (no words" in out
    # training reads the same dataset: no pair of "...!!!", the motion's others are there
    pairs = load_pair_examples([root], "train", progress=False)
    assert all(p.caption != "...!!!" for p in pairs) and {p.motion_id for p in pairs} == set(ids)
    # text corpora drop it as they drop an empty text: a texts/ folder and annotations.json
    assert "...!!!" not in read_caption_corpus(root, "train")
    assert len(read_caption_corpus(root, "train")) == 2 * len(ids)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "annotations.json").write_text(json.dumps(
        {"a": {"annotations": [{"text": "...!!!"}, {"text": "a person waves"}, {"text": " "}]}}))
    assert read_caption_corpus(tmp_path / "corpus") == ["a person waves"]


def test_a_bvh_index_caption_without_words_counts_as_none(shared_data, tmp_path):
    """As an empty caption: the next key is read (the action label through the prompt)."""
    root = tmp_path / "b"
    root.mkdir()
    for name in ("bow", "kick"):
        shutil.copy(shared_data / "raw_bvh" / f"bandai_1_{name}_normal_001.bvh",
                    root / f"{name}.bvh")
    (root / "index.json").write_text(json.dumps({
        "bow.bvh": {"caption": "!!!", "action": "bow"},
        "kick.bvh": {"caption": "...", "kitml_caption": "a person kicks"}}))
    ds = MotionDataset(root, "all")
    caps = {r.id: [c.text for c in r.captions] for r in ds.records}
    assert caps == {"bow": ["a person bows"], "kick": ["a person kicks"]}


def test_a_bvh_index_entry_whose_action_is_not_text_is_refused_by_name():
    from motionlex.core.data.bvh_folders import bvh_index_caption

    with pytest.raises(ValueError, match=r"index.json \(kick.bvh\): action must be text, "
                                         r"got list"):
        bvh_index_caption({"action": ["kick", "punch"]}, "a person {action}",
                          "index.json (kick.bvh)")
    assert bvh_index_caption({"action": "kick"}, "a person {action}", "x") == "a person kicks"


def test_a_caption_path_that_is_a_folder_is_reported(shared_data, tmp_path, make_subset, capsys):
    """Probe D09: texts/ID.txt made a folder was read as "no caption" without a word (a
    folder at new_joints/ID.npy is reported); now the motion is skipped with the reason."""
    from motionlex.core.cli import main

    src = shared_data / "bandai"
    ids = [ln for ln in (src / "val.txt").read_text().split() if ln][:3]
    root = make_subset(src, tmp_path / "dirs", ids)
    cap = root / "texts" / f"{ids[0]}.txt"
    cap.unlink()
    cap.mkdir()
    why = (f"{cap} is a folder, not a caption file (one 'caption#tokens#start#end' line per "
           "caption)")
    samples, report = MotionDataset(root, "all").scan()
    assert [s.record.id for s in samples] == ids[1:] and report.skipped == [(ids[0], why)]
    assert main(["scan", str(root), "-q"]) == 0
    out = capsys.readouterr().out
    assert f"  {ids[0]}: {why}" in out and "without one" not in out
    with pytest.raises(DatasetError, match="is a folder, not a caption file"):
        read_captions(cap)
    cap.rmdir()  # a broken link there is named too, not "no caption"
    cap.symlink_to(tmp_path / "gone.txt")
    assert MotionDataset(root, "all").report.skipped == [
        (ids[0], f"{cap} is a broken link (to {tmp_path / 'gone.txt'}), not a caption file")]
    cap.unlink()  # no caption file at all: a motion without captions, as before
    assert [r.id for r in MotionDataset(root, "all").records] == ids


def test_repr_names_the_folder_split_and_counts(shared_data):
    """A dataset printed as ``<...MotionDataset object at 0x...>``; it says what it holds now,
    as GalleryIndex and Searcher do."""
    val = MotionDataset(shared_data / "bandai", "val")
    assert repr(val) == (f"MotionDataset({str(shared_data / 'bandai')!r}, split='val', joints "
                         f"on smpl22, 70 motions, 140 captions, 0 skipped)")
    assert len(val) == 70 and sum(len(r.captions) for r in val.records) == 140
    bvh = MotionDataset(shared_data / "raw_bvh", "all", canonical=False)
    assert repr(bvh).endswith("split='all', bvh native skeletons, 10 motions, 10 captions, "
                              "0 skipped, raw)")
