"""Param descriptors: the typed, declarative schema of one layer parameter.

The inspector builds its form from these, the file loader validates with them,
and the docs print their help text. A Param never knows about Qt or torch.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass, field
from typing import Any, Literal

ParamKind = Literal[
    "int",  # a single integer, optionally bounded
    "float",  # a single number
    "bool",
    "choice",  # one string out of `choices`
    "str",
    "ints",  # an int, or a tuple of `length` ints (kernel_size, stride...)
    "padding",  # like "ints", or one of the strings "same" / "valid"
    "groups",  # an int >= 1, or "depthwise" (= the inferred input channels)
    "shape",  # a list of positive ints or null (unknown size), e.g. Input.shape
    "int_list",  # a list of positive ints of any length, e.g. Encoder.sizes
    "optional_int",  # an int, or null
    "optional_ints",  # like "ints", or null (e.g. pooling stride = kernel_size)
]


class ParamError(ValueError):
    """A parameter value that does not fit its declaration."""


_INT64 = 2**63
# float32's largest value: the models are float32, and torch refuses a scalar beyond it
# ("value cannot be converted to type float without overflow", e.g. LeakyReLU(1e300))
_FLOAT_MAX = 3.4028234663852886e38
# The most entries a list-valued param (Encoder.sizes, Split sections, Input.shape) may have:
# real networks use a handful, and 100,000 entries made check and the inspector hang.
MAX_LIST = 1024
# The longest text param (characters); a message never echoes more than reprlib's 30 of it.
MAX_STR = 1_000


def _short(value: Any) -> str:
    """repr for a message; a giant integer as its digit count."""
    if _is_int(value) and abs(value) >= _INT64:
        return f"a number with about {int(value.bit_length() * 0.30103) + 1} digits"  # str() may refuse it
    return repr(value)


def _brief(value: Any) -> str:
    """repr for a message, shortened: a 10 MB string or a huge list is never echoed whole."""
    return reprlib.repr(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Param:
    """One parameter of a layer type: kind, default, limits and help."""

    name: str
    kind: ParamKind
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)
    length: int | None = None  # tuple length for "ints"/"padding"

    def validate(self, value: Any) -> Any:
        """Return `value` normalised (tuples as lists) or raise ParamError."""
        check = getattr(self, f"_check_{self.kind}")
        return check(value)

    # -- one checker per kind; each returns the JSON-friendly normal form --
    def _bounded(self, value: float) -> None:
        if self.min is not None and value < self.min:
            raise ParamError(f"{self.name} must be ≥ {_fmt(self.min)}, got {_short(value)}")
        if self.max is not None and value > self.max:
            raise ParamError(f"{self.name} must be ≤ {_fmt(self.max)}, got {_short(value)}")

    def _check_int(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise ParamError(f"{self.name} must be an integer, got {_brief(value)}")
        if not -_INT64 <= value < _INT64:  # PyTorch sizes are 64-bit; 10**400 is never a size
            raise ParamError(f"{self.name} must fit in 64 bits (at most {_INT64 - 1}), got {_short(value)}")
        self._bounded(value)
        return value

    def _check_float(self, value: Any) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ParamError(f"{self.name} must be a number, got {_brief(value)}")
        if value != value or value in (float("inf"), float("-inf")):
            raise ParamError(f"{self.name} must be a finite number, got {_short(value)}")
        if abs(value) > _FLOAT_MAX:
            raise ParamError(f"{self.name} must be within ±3.4e38 (float32's range), got {_short(value)}")
        self._bounded(value)
        return float(value)

    def _check_bool(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ParamError(f"{self.name} must be true or false, got {_brief(value)}")
        return value

    def _check_choice(self, value: Any) -> str:
        if value not in self.choices:
            options = ", ".join(repr(c) for c in self.choices)
            raise ParamError(f"{self.name} must be one of {options}; got {_brief(value)}")
        return value

    def _check_str(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ParamError(f"{self.name} must be text, got {_brief(value)}")
        if len(value) > MAX_STR:
            raise ParamError(f"{self.name} is {len(value):,} characters long; the limit is {MAX_STR:,}")
        return value

    def _check_list_length(self, value: list | tuple) -> None:
        if len(value) > MAX_LIST:
            raise ParamError(f"{self.name} has {len(value):,} entries; the limit is {MAX_LIST:,}")

    def _check_ints(self, value: Any) -> int | list[int]:
        if isinstance(value, (list, tuple)):
            self._check_list_length(value)
            if self.length is not None and len(value) != self.length:
                raise ParamError(
                    f"{self.name} must be one integer or {self.length} integers, "
                    f"got {len(value)} values {_brief(list(value))}"
                )
            if not value:
                raise ParamError(f"{self.name} must not be empty")
            return [self._check_int(v) for v in value]
        return self._check_int(value)

    def _check_optional_ints(self, value: Any) -> int | list[int] | None:
        return None if value is None else self._check_ints(value)

    def _check_padding(self, value: Any) -> str | int | list[int]:
        if isinstance(value, str):
            if value not in ("same", "valid"):
                raise ParamError(f"{self.name} must be 'same', 'valid' or integers; got {_brief(value)}")
            return value
        return self._check_ints(value)

    def _check_groups(self, value: Any) -> str | int:
        if value == "depthwise":
            return value
        if isinstance(value, str):
            raise ParamError(f"{self.name} must be a positive integer or 'depthwise'; got {_brief(value)}")
        value = self._check_int(value)
        if value < 1:  # the kind's own rule, whatever the declared bounds
            raise ParamError(f"{self.name} must be ≥ 1 or 'depthwise', got {_brief(value)}")
        return value

    def _check_optional_int(self, value: Any) -> int | None:
        return None if value is None else self._check_int(value)

    def _check_shape(self, value: Any) -> list[int | None]:
        if not isinstance(value, (list, tuple)) or not value:
            raise ParamError(f"{self.name} must be a non-empty list of sizes, got {_brief(value)}")
        self._check_list_length(value)
        out: list[int | None] = []
        for v in value:
            if v is None:
                out.append(None)
                continue
            if isinstance(v, float) and v.is_integer():  # 28.0 from a JSON writer is 28, as for "int"
                v = int(v)
            if not _is_int(v) or v < 1:
                raise ParamError(f"{self.name}: every size must be a positive integer or null, got {v!r}")
            self._bounded(v)
            out.append(v)
        return out

    def _check_int_list(self, value: Any) -> list[int]:
        if not isinstance(value, (list, tuple)) or not value:
            raise ParamError(f"{self.name} must be a non-empty list of integers, got {_brief(value)}")
        self._check_list_length(value)
        return [self._check_int(v) for v in value]

    def to_dict(self) -> dict[str, Any]:
        """The JSON view of this declaration (for docs, schema and tools)."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "default": self.default, "help": self.help}
        for key in ("min", "max", "length"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.choices:
            out["choices"] = list(self.choices)
        return out


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
