import json

import pytest

from motionlex.core.cli import main


def test_describe_a_real_bvh_with_the_default_model(shared_data, tmp_path, monkeypatch, capsys):
    bvh = shared_data / "raw_bvh" / "bandai_2_wave-right-hand_normal_001.bvh"
    if not bvh.is_file():
        pytest.skip(f"{bvh} not found")
    monkeypatch.setenv("MOTIONLEX_CACHE", str(tmp_path / "cache"))
    assert main(["describe", str(bvh), "-k", "3", "--json"]) == 0
    first = capsys.readouterr()
    out = json.loads(first.out)
    # the first describe with a model encodes its bank (tens of seconds): a bar says so
    assert "encoding the caption bank (once per model): 100%" in first.err
    assert f"{out['bank_size']}/{out['bank_size']}" in first.err
    assert out["method"].startswith("retrieval") and out["bank_size"] > 100
    bank = out["bank_source"]  # a description that ends in the file, no label inside it
    assert bank.startswith("training captions in ") and bank.endswith("caption_bank.txt")
    assert len(out["captions"]) == 3 and "wave" in out["captions"][0]["caption"]
    # the words of a caption as those of a search hit: {word, contribution}
    first = out["captions"][0]
    assert {"score", "dense", "lexical"} <= set(first)
    assert all(set(w) == {"word", "contribution"} for w in first["words"])
    # the motion's words carry a share, as 'words --json' does (it said "weight", a name
    # 'words' gives the raw weight, ten times larger): shares of a unit vector
    shares = [w["share"] for w in out["motion_words"]]
    assert shares == sorted(shares, reverse=True) and 0 < shares[0] <= 1
    assert sum(s * s for s in shares) <= 1 + 1e-5 and "weight" not in out["motion_words"][0]
    assert main(["describe", str(bvh), "-k", "2"]) == 0  # cached bank, table
    second = capsys.readouterr()
    text = second.out
    assert "caption bank" not in second.err  # cached: no bar
    assert "retrieved, not generated" in text and "heaviest words" in text
    assert "(training captions in " in text and "txt (" not in text
    # the shipped model carries its captions' hubness: ranked by CSLS, which names the punch
    # take's action (by fused score: "someone waves goodbye with both hands like an old person.")
    assert out["ranked_by"] == "csls" and "hubness (CSLS)" in text
    punch = shared_data / "raw_bvh" / "bandai_1_punch_normal_001.bvh"
    assert main(["describe", str(punch), "-k", "1", "--json"]) == 0
    assert "punch" in json.loads(capsys.readouterr().out)["captions"][0]["caption"]


def test_describe_errors_name_the_problem(tmp_path, capsys):
    assert main(["describe", str(tmp_path / "none.bvh")]) == 2
    assert "none.bvh" in capsys.readouterr().err
    # a caption given as the file: what describe takes, and the command for a text's words
    assert main(["describe", "a person waves"]) == 2
    err = capsys.readouterr().err
    assert "takes a motion file (.bvh, .npy), not a text" in err
    assert "motionlex words 'a person waves'" in err


def test_describe_shows_a_bank_caption_without_its_escape_codes(shared_data, tmp_path,
                                                                monkeypatch, capsys):
    """A caption bank line holding terminal escape codes is printed as a reader sees it."""
    import shutil

    from motionlex.resources import default_model_dir

    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    (model / "caption_bank.txt").write_text(
        "a person \x1b[2J\x1b[31mwaves\x1b[0m the right hand\na person walks\n",
        encoding="utf-8")
    monkeypatch.setenv("MOTIONLEX_CACHE", str(tmp_path / "cache"))
    bvh = shared_data / "raw_bvh" / "bandai_2_wave-right-hand_normal_001.bvh"
    assert main(["describe", str(bvh), "-k", "2", "--checkpoint", str(model)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "a person [2J [31mwaves [0m the right hand" in out


def test_words_group_forms_sums_each_words_forms(capsys):
    """`words --group-forms` prints one row per word as the explorer's panel does: the
    default model spreads "raises" over raised, raises, raising (three rows without it)."""
    from motionlex.core.cli import main

    assert main(["words", "a person raises both hands", "-k", "8"]) == 0
    plain = [ln.split()[2] for ln in capsys.readouterr().out.splitlines()[1:9]]
    assert {"raised", "raises", "raising"} <= set(plain)
    assert main(["words", "a person raises both hands", "-k", "8", "--group-forms"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:9]
    rows = [ln.split() for ln in lines]
    words = [r[2] for r in rows]
    assert len(words) == 8 == len(set(words)) and {"raise", "hand"} <= set(words)
    assert not {"raised", "raises", "raising", "hands", "handed"} & set(words)
    weights = [float(r[0]) for r in rows]
    assert weights == sorted(weights, reverse=True)
    # each row lists the forms it sums, in the table and the JSON (CLI audit 36 D3)
    raise_row = next(ln for ln in lines if ln.split()[2] == "raise")
    assert "[" in raise_row and {"raised", "raises", "raising"} <= set(
        raise_row.split("[", 1)[1].split("]")[0].replace(",", " ").split())
    import json

    assert main(["words", "a person raises both hands", "-k", "3", "--group-forms",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    raise_json = next(w for w in doc["words"] if w["word"] == "raise")
    assert {"raised", "raises", "raising"} <= set(raise_json["forms"])

