"""Atomic writes leave either the whole new file or nothing, with an ordinary file mode."""
import os

import pytest

from ilt_xl.atomic_write import atomic_target


def test_new_file_gets_the_mode_open_would_give(tmp_path):
    umask = os.umask(0o022)
    try:
        target = tmp_path / "plan.xlsx"
        with atomic_target(target) as temp:
            temp.write_bytes(b"data")
        assert target.read_bytes() == b"data"
        assert target.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


def test_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"old")
    target.chmod(0o640)
    with atomic_target(target) as temp:
        temp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and target.stat().st_mode & 0o777 == 0o640


def test_a_failed_write_leaves_the_target_and_no_temporary_file(tmp_path):
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_target(target) as temp:
            temp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]
