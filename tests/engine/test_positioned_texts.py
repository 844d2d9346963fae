"""Value cells typed from their byte positions in the span (PositionedTexts) give what typing the
same texts as bytes objects gives (ListedTexts): kinds, numbers, texts, errors and refusals."""
from __future__ import annotations

import random

import numpy as np
import pytest

from ilt_xl.engine import cell_locator
from ilt_xl.engine.byte_positions import fixed_width, padded, words_of
from ilt_xl.engine.value_cells import (_BOOLEAN, _DATE, _ERROR, _INLINE, _NUMBER, _OTHER, _SHARED, _STR, ListedTexts,
                                     PositionedTexts, ValueTyper, _readings)

TEXTS = {
    b"": [b"0", b"1", b"-2.5", b"1E+300", b"1.5e-7", b" 3 ", b"0.1000000000000000055511151231257827",
          b"1234567890123456789012345678901234567890", b"12345678901234567890123456789012",
          b"1234567890123456789012345678901", b"", b"45658.333333333336"],
    b"n": [b"7", b"", b"-0"],
    b"s": [b"0", b"12", b"0000000000000000000001", b"00000000000000000000000000000000003", b""],
    b"str": [b"", b"a", b"R&amp;D", b"x_x0001_y", b"a", b"long text past thirty-two bytes of key, twice"],
    b"inlineStr": [b"S1", b"S1 &amp; co", b" a ", b"", b"\xc3\xa9t\xc3\xa9", b"S1"],
    b"b": [b"1", b"0", b"true", b" 1 ", b""],
    b"e": [b"#N/A", b"#DIV/0!", b"#SPILL!", b""],
    b"d": [b"2024-02-29", b"12:30:00", b"2024-02-29T06:00:00"],
    b"x": [b"1"],
}
BAD = {b"": [b"abc", b"1,5"], b"s": [b"x"]}


def _cells(rng: random.Random, n: int, bad: bool) -> tuple[list[bytes], list[bytes]]:
    pool = {t: v + (BAD.get(t, []) if bad else []) for t, v in TEXTS.items()}
    types = [rng.choice(list(pool)) for _ in range(n)]
    return types, [rng.choice(pool[t]) for t in types]


def _typed(types, texts):
    typer = ValueTyper("p.xlsx", "S")
    typer.add(types, texts)
    try:
        return typer.finish()
    except Exception as exc:        # the same refusal either way
        return type(exc), str(exc)


def _positioned(raw: list[bytes], rng: random.Random) -> PositionedTexts:
    """The texts laid out in one span with random bytes between them (no NUL)."""
    span, starts, ends = bytearray(), [], []
    for text in raw:
        span += bytes(rng.randint(1, 255) for _ in range(rng.randint(0, 9)))
        starts.append(len(span))
        span += text
        ends.append(len(span))
    return PositionedTexts(padded(bytes(span)), np.array(starts, np.int64), np.array(ends, np.int64))


@pytest.mark.parametrize("seed", range(30))
def test_typing_from_positions_is_typing_the_texts(seed):
    rng = random.Random(seed)
    types, raw = _cells(rng, rng.randint(0, 60), bad=seed % 3 == 2)
    positioned = _positioned(raw, rng)
    assert positioned.tolist() == raw
    listed, got = _typed(types, ListedTexts(raw)), _typed(types, positioned)
    if isinstance(listed, tuple):
        assert got == listed
        return
    assert got.kind.tolist() == listed.kind.tolist()
    assert got.num.tobytes() == listed.num.tobytes()
    assert got.code.tolist() == listed.code.tolist() and got.objects == listed.objects


def test_fixed_width_reads_texts_as_numpy_bytes_at_any_width():
    texts = [b"", b"1", b"12345678", b"123456789", b"x" * 61, b"y" * 64]
    span = b"".join(texts)
    starts = np.cumsum([0] + [len(t) for t in texts[:-1]])
    sizes = np.array([len(t) for t in texts])
    for width in (64, 72, 128):
        got = fixed_width(words_of(padded(span)), starts, sizes, width)
        assert got.dtype == np.dtype(f"S{width}") and got.tolist() == texts


@pytest.mark.parametrize("seed", range(20))
def test_types_given_once_each_with_codes_type_as_the_cells_own(seed):
    """The scan gives each span's t attributes as the distinct ones and a code per cell: typed the
    same as with every cell's own (t attributes of 9 bytes and more read as their first 9, as ever)."""
    rng = random.Random(seed)
    types, raw = _cells(rng, rng.randint(0, 60), bad=seed % 3 == 2)
    types = [t + b"X" if t == b"inlineStr" and rng.random() < 0.2 else t for t in types]     # read as inlineStr
    distinct = list(dict.fromkeys(types))
    codes = np.array([distinct.index(t) for t in types], np.int64)
    typer = ValueTyper("p.xlsx", "S")
    typer.add(np.array(distinct, dtype=object), ListedTexts(raw), codes)
    try:
        got = typer.finish()
    except Exception as exc:
        got = type(exc), str(exc)
    want = _typed(types, ListedTexts(raw))
    if isinstance(want, tuple):
        assert got == want
        return
    assert got.kind.tolist() == want.kind.tolist() and got.num.tobytes() == want.num.tobytes()
    assert got.code.tolist() == want.code.tolist() and got.objects == want.objects


def test_each_t_attribute_is_read_as_its_first_nine_bytes_compare():
    names = [b"", b"n", b"s", b"str", b"inlineStr", b"inlineStrX", b"b", b"e", b"d", b"x", b"STR", b"nn"]
    got = _readings(np.array(names, dtype="S9")).tolist()
    assert got == [_NUMBER, _NUMBER, _SHARED, _STR, _INLINE, _INLINE, _BOOLEAN, _ERROR, _DATE, _OTHER, _OTHER, _OTHER]


needs_compiled = pytest.mark.skipif(getattr(cell_locator.compiled, "numbers", None) is None,
                                    reason="the cell locator was not built here")


def _number_texts(rng: random.Random) -> list[bytes]:
    """Texts of numbers in every shape the reader may meet, plain decimal ones mostly."""
    out = []
    for _ in range(400):
        shape = rng.randrange(6)
        if shape == 0:          # what Excel writes: the shortest text of a double
            x = rng.choice([rng.random(), rng.uniform(-1e6, 1e6), rng.lognormvariate(0, 20), float(rng.randrange(10**6))])
            out.append(repr(x).encode())
        elif shape == 1:        # digits around a point, leading and trailing zeros, up to 30 of them
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 30)))
            at = rng.randint(0, len(digits))
            out.append((rng.choice(["", "-", "+"]) + digits[:at] + rng.choice([".", ""]) + digits[at:]).encode())
        elif shape == 2:        # exponents near and past the exact ones, and past the doubles
            out.append(f"{rng.randint(0, 10**rng.randint(1, 20))}{rng.choice('eE')}{rng.choice(['', '+', '-'])}"
                       f"{rng.randint(0, 400)}".encode())
        elif shape == 3:        # 2**53 and its neighbours, scaled
            m = 2**53 + rng.randint(-3, 3)
            out.append(f"{m}e{rng.randint(-25, 25)}".encode())
        elif shape == 4:        # the 17 digits of a double, point anywhere
            out.append(f"{rng.random():.17e}".encode())
        else:                   # what is no plain number
            out.append(rng.choice([b" 1", b"1 ", b"1_0", b"inf", b"-nan", b".", b"-", b"1e", b"1e+", b"e5", b"1.2.3",
                                   b"1e00001", b"0x10", b"\xc2\xb51", b"9" * 70]))
    return out


@needs_compiled
@pytest.mark.parametrize("seed", range(10))
def test_numbers_are_read_in_the_span_exactly_as_numpy_reads_them(seed):
    rng = random.Random(seed)
    texts = _number_texts(rng)
    positioned = _positioned(texts, rng)
    read = 0
    for i, text in enumerate(texts):
        got = cell_locator.compiled.numbers(positioned.a, positioned.starts[i:i + 1], positioned.starts[i:i + 1] + positioned.sizes[i:i + 1])
        try:
            with np.errstate(over="ignore"):        # past the doubles: inf, as numpy reads it
                want = np.array([text]).astype(np.float64)
        except ValueError:
            assert got is None, text
            continue
        if got is not None:
            assert np.frombuffer(got, np.float64).tobytes() == want.tobytes(), text
            read += 1
    assert read > 300       # plain numbers are read by the locator, not left to numpy
    # all at once: read there when every text is a plain number, else numpy's reading (or refusal)
    plain = [i for i, t in enumerate(texts) if cell_locator.compiled.numbers(
        positioned.a, positioned.starts[i:i + 1], positioned.starts[i:i + 1] + positioned.sizes[i:i + 1]) is not None]
    idx = np.array(plain, np.int64)
    assert positioned.floats(idx).tobytes() == ListedTexts(texts).numbers(idx).astype(np.float64).tobytes()
