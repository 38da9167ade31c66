"""A checkpoint changed after it was saved is refused by name — bit flips anywhere, bad fields — never half-used."""

from __future__ import annotations

import pytest
import torch

from netbuilder.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, state_digest


def saved(tmp_path, **extra):
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    torch.manual_seed(0)
    path = tmp_path / "c.pt"
    save_checkpoint(path, graph={"nodes": [], "edges": []}, settings={"lr": 0.1}, model=model, epoch=3, step=30,
                    **extra)
    return path, model


def test_a_flipped_bit_in_the_weights_is_refused(tmp_path):
    path, model = saved(tmp_path)
    data = bytearray(path.read_bytes())
    weight = model[0].weight.detach().numpy().tobytes()
    at = bytes(data).find(weight[:16])
    assert at > 0, "tensor bytes are stored uncompressed in torch's zip"
    data[at + 5] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="do not match the hash"):
        load_checkpoint(path)


def test_bit_flips_anywhere_are_refused_or_change_nothing(tmp_path):
    path, _ = saved(tmp_path)
    original = path.read_bytes()
    reference = load_checkpoint(path)
    for at in range(0, len(original), max(1, len(original) // 97)):
        damaged = bytearray(original)
        damaged[at] ^= 0x04
        path.write_bytes(bytes(damaged))
        try:
            state = load_checkpoint(path)
        except CheckpointError:
            continue  # refused with a message: fine
        # a flip in zip padding or a name torch ignores leaves the state intact: then it must be identical
        assert state["epoch"] == reference["epoch"] and state["step"] == reference["step"]
        for key, tensor in reference["model"].items():
            assert torch.equal(state["model"][key], tensor), f"byte {at}: weights changed silently"


def _rewrite(path, **changes):
    state = torch.load(path, weights_only=True)
    state.update(changes)
    state.pop("sha256")
    state["sha256"] = state_digest(state)  # a consistent hash: only the field check can catch it
    torch.save(state, path)


@pytest.mark.parametrize("field,value", [("epoch", -5), ("step", -1), ("epoch", 2.5), ("epoch", True),
                                         ("step", "7"), ("model", [1, 2]), ("optimizer", "adam")])
def test_bad_fields_are_refused_naming_the_field(tmp_path, field, value):
    path, _ = saved(tmp_path)
    _rewrite(path, **{field: value})
    with pytest.raises(CheckpointError, match=f"field '{field}'"):
        load_checkpoint(path)


def test_a_missing_hash_on_a_version_2_file_is_refused(tmp_path):
    path, _ = saved(tmp_path)
    state = torch.load(path, weights_only=True)
    del state["sha256"]
    torch.save(state, path)
    with pytest.raises(CheckpointError, match="integrity hash is missing"):
        load_checkpoint(path)
