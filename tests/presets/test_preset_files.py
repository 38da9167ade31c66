"""The preset files: made by the generator, listed by netbuilder.presets, laid out cleanly."""

from __future__ import annotations

import json
import re

import pytest

from netbuilder.cli import main
from netbuilder.core.compile import compile_graph
from netbuilder.core.io import load_graph
from netbuilder.presets import (CATALOG, DEFAULT_PRESET, GROUPS, PRESETS_DIR, PresetError, infer_group,
                                list_presets, load_preset, preset_path)
from preset_helpers import load_generator, preset_names


def test_files_are_exactly_what_the_generator_builds():
    built = load_generator().build_all()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in PRESETS_DIR.glob("*.json")}
    assert sorted(built) == sorted(on_disk), "run: python presets/make_presets.py"
    stale = [name for name, text in built.items() if on_disk[name] != text]
    assert not stale, f"out of date, run python presets/make_presets.py: {stale}"


def test_generator_check_mode_reports_a_stale_file(tmp_path, capsys):
    gen = load_generator()
    assert gen.main(["--out", str(tmp_path)]) == 0
    assert gen.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "mlp_iris.json").write_text("{}", encoding="utf-8")
    (tmp_path / "stray.json").write_text("{}", encoding="utf-8")
    assert gen.main(["--check", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "mlp_iris.json" in out and "stray.json" in out


def test_catalog_lists_every_file_once():
    assert sorted(CATALOG) == preset_names()
    assert set(CATALOG.values()) == set(GROUPS)
    assert DEFAULT_PRESET == "lenet_digits"


def test_list_presets_gives_title_group_shape_and_params():
    infos = list_presets()
    assert [i.name for i in infos] == list(CATALOG)
    by_name = {i.name: i for i in infos}
    lenet = by_name["lenet_digits"]
    assert lenet.file == PRESETS_DIR / "lenet_digits.json"
    assert lenet.input_shape == [1, 8, 8] and lenet.group == "CNNs"
    assert lenet.params == sum(p.numel() for p in compile_graph(load_preset("lenet_digits")).parameters())
    for info in infos:
        assert info.title and len(info.description) > 80, info.name
        assert info.group == CATALOG[info.name]
        assert info.params > 0


def test_inferred_group_agrees_with_the_catalog():
    # a user-added file gets a group from its layers; the shipped ones show the rule is sensible
    for name, group in CATALOG.items():
        assert infer_group(load_preset(name)) == group, name


def test_preset_path_and_load_preset():
    assert preset_path("vae") == preset_path("vae.json") == PRESETS_DIR / "vae.json"
    graph = load_preset("vae")
    graph.set_params("mu", {"out_features": 2})  # a fresh graph: the file is untouched
    assert load_preset("vae").nodes["mu"].params["out_features"] == 8
    with pytest.raises(PresetError, match="no preset named 'nope'.*lenet_digits"):
        preset_path("nope")


@pytest.mark.parametrize("name", preset_names())
def test_layout_runs_left_to_right_without_overlaps(name):
    graph = load_graph(PRESETS_DIR / f"{name}.json")
    for e in graph.edges:
        assert graph.nodes[e.src].pos[0] < graph.nodes[e.dst].pos[0], (e.src, e.dst)
    positions = [n.pos for n in graph]
    assert len(set(positions)) == len(positions)


@pytest.mark.parametrize("name", preset_names())
def test_node_ids_are_readable_and_loss_terms_name_real_nodes(name):
    graph = load_graph(PRESETS_DIR / f"{name}.json")
    for nid in graph.nodes:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", nid), nid
        # not the editor's automatic ids (conv2d_1, linear_2): each one says what the node is for
        assert not re.fullmatch(rf"{graph.nodes[nid].type.lower()}_\d+", nid), nid
    for term in graph.training.get("loss", []):
        for key in ("output", "node", "encoder"):
            if key in term:
                assert term[key].partition(":")[0] in graph.nodes, (name, term)


def test_presets_command_lists_them(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "googlenet" in out and "6,624,904" in out and "3×224×224" in out
    assert main(["presets", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in listed] == list(CATALOG)
    resnet = next(p for p in listed if p["name"] == "resnet18")
    assert resnet["params"] == 11_689_512 and resnet["input_shape"] == [3, 224, 224]
    assert resnet["group"] == "CNNs" and resnet["file"].endswith("resnet18.json")
