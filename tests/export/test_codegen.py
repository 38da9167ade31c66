"""Code export: a readable, standalone PyTorch file that equals the compiled graph."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import warnings

import pytest
import torch

from core_cases import ALL_CASES, build_case_graph
from export_graphs import code_graphs, lenet, residual_block, vae

from netbuilder.core import modules as nb_modules
from netbuilder.interchange.codegen import CodegenError, class_name, generate_code
from netbuilder.core.compile import compile_graph
from netbuilder.interchange.export import export_graph, random_inputs
from netbuilder.core.shapes import check

# Runs a generated file with `import netbuilder` made impossible: only torch is there.
ONLY_TORCH = textwrap.dedent("""
    import runpy, sys
    sys.modules["netbuilder"] = None  # any import of netbuilder now fails
    runpy.run_path(sys.argv[1], run_name="__main__")
""")


def _load(source: str, tmp_path, name: str = "generated"):
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    namespace: dict = {"__name__": name, "__file__": str(path)}
    exec(compile(source, str(path), "exec"), namespace)
    return namespace


def _own_lines(source: str) -> list[str]:
    """The lines codegen writes itself (not the NetBuilder classes it copies in)."""
    tree = ast.parse(source)
    copied = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))
              and hasattr(nb_modules, n.name)}
    lines = source.splitlines()
    skip = set()
    for n in tree.body:
        if getattr(n, "name", None) in copied:
            skip.update(range(n.lineno - 1, n.end_lineno))
    return [line for i, line in enumerate(lines) if i not in skip]


@pytest.mark.parametrize("make", list(code_graphs().values()), ids=list(code_graphs()))
def test_generated_module_matches_the_compiled_graph(make, tmp_path):
    graph = make()
    source = generate_code(graph)
    ns = _load(source, tmp_path)
    model = ns[class_name(graph)]()
    gm = compile_graph(graph).eval()
    assert list(model.state_dict()) == list(gm.state_dict())  # same keys, same order: weights load as is
    model.load_state_dict(gm.state_dict())
    model.eval()
    inputs = random_inputs(graph, check(graph), 3)
    expected, got = gm(*inputs), model(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(expected) == len(got)
    for a, b in zip(expected, got):
        assert torch.equal(a, b)


@pytest.mark.parametrize("make", list(code_graphs().values()), ids=list(code_graphs()))
def test_generated_code_reads_like_hand_written_pytorch(make):
    graph = make()
    source = generate_code(graph)
    compile(source, "generated.py", "exec")
    own = _own_lines(source)
    assert all(len(line) <= 79 for line in own), [line for line in own if len(line) > 79]
    assert not any(line.rstrip() != line for line in source.splitlines())  # no trailing spaces
    assert "fx" not in source and "GraphModule" not in source and "netbuilder" not in source
    tree = ast.parse(source)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name(graph)]
    methods = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    assert methods == {"__init__", "forward"}
    imports = {a.name for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
               for a in n.names} | {n.module for n in tree.body if isinstance(n, ast.ImportFrom)}
    assert imports <= {"torch", "nn", "annotations", "__future__", "Path", "pathlib"}


def test_a_chain_reads_x_equals_layer_of_x():
    source = generate_code(lenet())
    assert "        x = self.conv2d_1(x)  # (N, 6, 28, 28)" in source
    assert "        x = self.linear_3(x)  # (N, 10)" in source
    assert "        return x" in source
    assert "nn.Conv2d(1, 6, 5, padding=2)" in source  # PyTorch's defaults are left out
    assert "nn.AvgPool2d(2)" in source


def test_a_skip_connection_reads_like_torchvision():
    source = generate_code(residual_block())
    assert "        out = self.conv_a(x)" in source
    assert "        out = self.bn_b(out)" in source
    assert "        x = x + out" in source


def test_several_outputs_return_a_tuple_and_keep_their_names():
    source = generate_code(vae())
    assert "mu = self.mu(x)" in source and "logvar = self.logvar(x)" in source
    assert "x = self.z(mu, logvar)" in source
    assert "return x, mu, logvar" in source
    assert "-> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:" in source


def test_only_the_netbuilder_classes_used_are_copied_in_with_their_helpers():
    source = generate_code(vae())
    tree = ast.parse(source)
    top = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    assert {"DenseStack", "_activation", "Sampling"} <= top
    assert not {"RBM", "Recurrent", "ConvStack", "Step"} & top
    assert "class Step" not in generate_code(lenet())


@pytest.mark.parametrize("make", [lenet, vae], ids=["lenet", "vae"])
def test_generated_file_runs_with_only_torch(make, tmp_path):
    path = tmp_path / "model.py"
    path.write_text(generate_code(make()), encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", ONLY_TORCH, str(path)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "output shape" in run.stdout


def test_exported_weights_load_by_default_in_the_generated_file(tmp_path):
    graph = lenet()
    gm = compile_graph(graph).eval()
    with torch.no_grad():
        for p in gm.parameters():
            p.add_(0.5)  # "trained": different from any fresh initialisation
    result = export_graph(graph, tmp_path / "lenet.py", "py", state_dict=gm.state_dict())
    assert result.extra_files == [tmp_path / "lenet.pt"]
    x = torch.randn(2, 1, 28, 28)
    torch.save({"x": x, "y": gm(x).detach()}, tmp_path / "expected.pt")
    check_code = ONLY_TORCH.replace('run_name="__main__"', 'run_name="generated"') + textwrap.dedent("""
        import torch
        module = runpy.run_path(sys.argv[1], run_name="generated")
        data = torch.load(sys.argv[2], weights_only=True)
        model = module["load_model"]()
        assert torch.equal(model(data["x"]), data["y"]), "weights were not loaded"
        print("ok")
    """)
    run = subprocess.run([sys.executable, "-c", check_code, str(tmp_path / "lenet.py"), str(tmp_path / "expected.pt")],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path.parent)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith("ok")


def test_node_ids_that_are_not_python_names_still_make_valid_code(tmp_path):
    graph = lenet()
    graph.set_meta(name="3 layers: ρ-net")  # non-ASCII, leading digit
    source = generate_code(graph)
    assert f"class {class_name(graph)}(nn.Module)" in source and class_name(graph).isascii()
    assert class_name(graph).isidentifier()
    _load(source, tmp_path)


def test_a_graph_with_shape_errors_is_refused_with_the_reason():
    graph = lenet()
    graph.set_params("conv2d_1", {"kernel_size": 31, "padding": 0})
    with pytest.raises(CodegenError, match="conv2d_1"):
        generate_code(graph)


CASES = [c for c in ALL_CASES if c.type != "Input"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_layer_case_exports_to_code_that_matches(case, tmp_path):
    """Keras layer_test style: each layer type and variant, as code, gives the compiled graph's outputs."""
    with warnings.catch_warnings():
        if case.warns:
            warnings.filterwarnings("ignore", message=case.warns)
        result = export_graph(build_case_graph(case), tmp_path / "case.py", "py")
    assert result.max_abs_diff <= 1e-5
