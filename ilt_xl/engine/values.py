"""Cell values as typed numpy blocks: the engine's one representation of scalars, columns and ranges.

A :class:`Block` is a 2-D grid with a ``kind`` code per element (empty, number, text, boolean,
error), the numeric value of numbers and booleans in ``num``, and Python objects (text, error)
in ``obj``. Numeric columns therefore stay float64 arrays; mixed ones pay for objects only where
they hold text or errors.
"""
from __future__ import annotations

import numpy as np

EMPTY, NUM, STR, BOOL, ERR = 0, 1, 2, 3, 4


class XlError(str):
    """An Excel error value (``#N/A``): a text that is no text. Each error is one object
    (:data:`ERRORS`), equal only to itself and hashed by identity, so that the text "#N/A" and the
    error #N/A never meet in a comparison, a dict or a hash table (``pd.factorize``); its ``str``
    is its code. (The engine's own: the `formulas` library, whose errors behave the same way, is
    imported only when one of its functions is called, and ``formulas_bridge`` translates.)"""

    __slots__ = ()

    def __repr__(self) -> str:
        return str.__str__(self)

    def __eq__(self, other) -> bool:
        return self is other

    def __ne__(self, other) -> bool:
        return self is not other

    def __hash__(self) -> int:
        return id(self)

    def __copy__(self) -> "XlError":
        return self

    def __deepcopy__(self, memo) -> "XlError":
        return self

    def __reduce__(self):
        return _error, (str.__str__(self),)


def _error(code: str) -> XlError:
    """The error called ``code`` (unpickling gives the one object, not a copy)."""
    return ERRORS.get(code) or XlError(code)


ERRORS: dict[str, XlError] = {code: XlError(code) for code in (
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")}
E_NA, E_VALUE, E_DIV0, E_REF, E_NAME, E_NUM, E_NULL = (
    ERRORS["#N/A"], ERRORS["#VALUE!"], ERRORS["#DIV/0!"], ERRORS["#REF!"], ERRORS["#NAME?"], ERRORS["#NUM!"],
    ERRORS["#NULL!"])


def error_code(value: object) -> str | None:
    """The error text (``'#N/A'``) when ``value`` is an error (XlError or an Excel error string), else None."""
    if isinstance(value, XlError):
        return str(value)
    if isinstance(value, str) and value in ERRORS:
        return value
    return None


class Block:
    """A 2-D grid of cell values: ``kind`` (int8 codes), ``num`` (float64), ``obj`` (object or None).

    ``num`` holds numbers, booleans as 1/0 and 0 for empty cells; ``obj`` holds the text of STR
    elements and the XlError of ERR elements (other elements are unspecified).
    """

    __slots__ = ("kind", "num", "_obj")

    def __init__(self, kind: np.ndarray, num: np.ndarray, obj: np.ndarray | None = None):
        self.kind, self.num, self._obj = kind, num, obj

    @property
    def obj(self) -> np.ndarray:
        """Objects of STR/ERR elements (allocated on first use: numeric blocks never need it)."""
        if self._obj is None:
            self._obj = np.empty(self.kind.shape, dtype=object)
        return self._obj

    @obj.setter
    def obj(self, value: np.ndarray | None) -> None:
        self._obj = value

    @property
    def shape(self) -> tuple[int, int]:
        return self.kind.shape

    @classmethod
    def numbers(cls, values) -> "Block":
        """A block of plain numbers (2-D or 1-D as a column); NaN/inf become #NUM!."""
        num = np.asarray(values, dtype=np.float64)
        if num.ndim == 0:
            num = num.reshape(1, 1)
        elif num.ndim == 1:
            num = num.reshape(-1, 1)
        kind = np.full(num.shape, NUM, dtype=np.int8)
        bad = ~np.isfinite(num)
        if bad.any():
            obj = np.empty(num.shape, dtype=object)
            obj[bad] = E_NUM
            kind[bad] = ERR
            return cls(kind, num, obj)
        return cls(kind, num)

    @classmethod
    def from_objects(cls, values) -> "Block":
        """A block from Python values (float/int, str, bool, XlError or error string, None = empty)."""
        arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values.astype(object)
        if arr.ndim == 0:
            arr = arr.reshape(1, 1)
        elif arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        flat = arr.ravel()
        if set(map(type, flat)) <= {float, int}:
            return cls.numbers(flat.astype(np.float64).reshape(arr.shape))
        kind = np.empty(flat.shape, dtype=np.int8)
        num = np.zeros(flat.shape, dtype=np.float64)
        obj = np.empty(flat.shape, dtype=object)
        for i, v in enumerate(flat):
            if v is None:
                kind[i] = EMPTY
            elif isinstance(v, (bool, np.bool_)):
                kind[i], num[i] = BOOL, float(v)
            elif isinstance(v, (int, float, np.integer, np.floating)):
                f = float(v)
                if np.isfinite(f):
                    kind[i], num[i] = NUM, f
                else:
                    kind[i], obj[i] = ERR, E_NUM
            elif isinstance(v, XlError):
                kind[i], obj[i] = ERR, ERRORS.get(str(v), v)
            elif isinstance(v, str):
                if v in ERRORS:
                    kind[i], obj[i] = ERR, ERRORS[v]
                else:
                    kind[i], obj[i] = STR, v
            elif hasattr(v, "dtype") or type(v).__name__ in ("date", "datetime", "Timestamp", "datetime64"):
                from ilt_xl.core.serial_dates import to_serial
                try:
                    kind[i], num[i] = NUM, to_serial(v)
                except ValueError:
                    kind[i], obj[i] = ERR, E_VALUE
            else:
                kind[i], obj[i] = ERR, E_VALUE
        return cls(kind.reshape(arr.shape), num.reshape(arr.shape), obj.reshape(arr.shape))

    @classmethod
    def scalar(cls, value) -> "Block":
        """A 1x1 block holding ``value``."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls.numbers([[value]])
        return cls.from_objects(np.array([[value]], dtype=object))

    @classmethod
    def errors(cls, shape: tuple[int, int], error: XlError) -> "Block":
        """A block of ``shape`` filled with one error."""
        obj = np.empty(shape, dtype=object)
        obj[...] = error
        return cls(np.full(shape, ERR, dtype=np.int8), np.zeros(shape), obj)

    def objects(self) -> np.ndarray:
        """The values as an object array of Python values (None for empty)."""
        out = np.empty(self.kind.shape, dtype=object)
        k = self.kind
        m = k == NUM
        out[m] = self.num[m].tolist() if m.any() else []
        m = k == BOOL
        if m.any():
            out[m] = (self.num[m] != 0).tolist()
        m = (k == STR) | (k == ERR)
        if m.any():
            out[m] = self.obj[m]
        return out

    def value(self, i: int = 0, j: int = 0):
        """The Python value of one element (None for empty)."""
        k = self.kind[i, j]
        if k == NUM:
            return float(self.num[i, j])
        if k == BOOL:
            return bool(self.num[i, j])
        if k == EMPTY:
            return None
        return self.obj[i, j]

    def take(self, rows, cols=slice(None)) -> "Block":
        """Sub-block by numpy indexing (rows, cols)."""
        return Block(self.kind[rows, cols], self.num[rows, cols], None if self._obj is None else self._obj[rows, cols])

