"""Find an nn.Module in user code: `package.module:Name` or `path/file.py:Name`.

Loading a file runs it, as `python file.py` would (minus `__main__`): callers
do this only when the user asked, and say so.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import torch


class ModuleImportError(ValueError):
    """The module cannot be imported at all (not found, not traceable...)."""


def load_module_object(spec: str, kwargs: dict[str, Any] | None = None) -> "torch.nn.Module":
    """`package.module:Name` or `path/to/file.py:Name` → an nn.Module.

    Name may be a class (built with `kwargs`), a factory function, or a module
    instance. A file is executed to find it: callers must say so to the user.
    """
    import torch

    where, sep, attr = spec.rpartition(":")
    if not sep or not where or not attr:
        raise ModuleImportError(f"{spec!r}: expected MODULE_OR_FILE:Name, e.g. mymodels.py:LeNet or pkg.nets:MLP")
    source = _load_file(Path(where)) if where.endswith(".py") or os.sep in where or "/" in where else _import(where)
    try:
        obj = getattr(source, attr)
    except AttributeError:
        raise ModuleImportError(f"{where} has no {attr!r}") from None
    if isinstance(obj, torch.nn.Module):
        return obj
    if not callable(obj):
        raise ModuleImportError(f"{where}:{attr} is neither an nn.Module class nor a function returning one")
    try:
        module = obj(**(kwargs or {}))
    except Exception as exc:  # user code may raise anything
        raise ModuleImportError(f"building {attr}({_kwargs_text(kwargs)}) failed: "
                                f"{type(exc).__name__}: {exc}") from None
    if not isinstance(module, torch.nn.Module):
        raise ModuleImportError(f"{where}:{attr}() returned {type(module).__name__}, not an nn.Module")
    return module


def _kwargs_text(kwargs: dict | None) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in (kwargs or {}).items())


def _import(name: str) -> Any:
    # `python -m` finds modules in the current folder; the `netbuilder` console script
    # would not, so `netbuilder import mymodels:Net` run beside mymodels.py gets it too
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    if added:
        sys.path.append(cwd)  # last: never shadows an installed package
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ModuleImportError(f"cannot import module {name!r}: {exc}") from None
    except Exception as exc:
        raise ModuleImportError(f"importing {name!r} failed: {type(exc).__name__}: {exc}") from None
    finally:
        if added:
            sys.path.remove(cwd)


def _load_file(path: Path) -> Any:
    if not path.is_file():
        raise ModuleImportError(f"{path}: no such file")
    name = "_netbuilder_user_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModuleImportError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # so the file's own sibling imports work
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ModuleImportError(f"running {path} failed: {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(str(path.resolve().parent))
    return module
