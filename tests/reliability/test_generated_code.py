"""`export --format py` writes valid Python for every name and description the format accepts,
and in time linear in the graph (issues 16 and 17)."""

from __future__ import annotations

import ast
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netbuilder.core.graph import Graph
from netbuilder.interchange.codegen import class_name, doc_escape, generate_code


def _tiny(name: str, description: str = "") -> Graph:
    graph = Graph(name=name, description=description)
    graph.add_node("Input", {"shape": [3]}, id="x_in")
    graph.add_node("Linear", {"out_features": 2}, id="fc")
    graph.add_node("Output", {}, id="out")
    graph.add_edge("x_in", "fc")
    graph.add_edge("fc", "out")
    return graph


def _docstrings(code: str) -> tuple[str, str]:
    tree = ast.parse(code)  # a SyntaxError fails the test
    compile(code, "<generated>", "exec")
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    code.encode("utf-8")  # no lone surrogate can reach the file
    return ast.get_docstring(tree, clean=False), ast.get_docstring(cls, clean=False)


HOSTILE = ["None", "True", "class", 'C:\\Users', "ends with \\", "nul\x00inside", 'has """ quotes', '"', '""', '\\"""', "'''",
           "tab\tand\nnewline\r", "\u2028line sep", "half \ud83d", "ü ß 漢字 😀", "\\x00 \\N{bad} \\u12"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_give_valid_code_that_keeps_the_name(name):
    module_doc, class_doc = _docstrings(generate_code(_tiny(name, description=name)))
    assert module_doc.splitlines()[0] if "\n" not in name and "\r" not in name else True
    assert module_doc.startswith(f"{class_name(_tiny(name))}: {name}")
    assert name.split()[0] in class_doc or not name.strip()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(min_size=1, max_size=40), description=st.text(max_size=120))
def test_random_strings_compile_and_round_trip_the_name(name, description):
    graph = _tiny(name, description)
    module_doc, _ = _docstrings(generate_code(graph))
    cls = class_name(graph)
    title = f"{cls}: {name}" if name != cls else cls
    assert module_doc.startswith(title)


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_doc_escape_is_exact(text):
    assert ast.literal_eval(f'"""{doc_escape(text)}"""') == text


def _chain(n: int, name: str = "chain") -> Graph:
    graph = Graph(name=name)
    graph.add_node("Input", {"shape": [4]}, id="x_in")
    prev = "x_in"
    for i in range(n):
        graph.add_node("ReLU", {}, id=f"r{i}")
        graph.add_edge(prev, f"r{i}", check_cycle=False)
        prev = f"r{i}"
    graph.add_node("Output", {}, id="out")
    graph.add_edge(prev, "out", check_cycle=False)
    return graph


def _seconds(graph: Graph) -> float:
    start = time.perf_counter()
    generate_code(graph)
    return time.perf_counter() - start


@pytest.mark.slow
def test_code_generation_is_linear_in_the_chain_length():
    generate_code(_chain(10))  # imports
    small, large = _seconds(_chain(2_000)), _seconds(_chain(8_000))
    assert large < 4 * small * 2.5 + 0.5, (small, large)  # 4× the nodes: ~4× the time, never 16×


def test_a_10_mb_name_is_generated_in_linear_time():
    start = time.perf_counter()
    code = generate_code(_tiny("n" * 10_000_000))
    assert time.perf_counter() - start < 20
    _docstrings(code)
