"""Where the datahub keeps its files, and the one way it writes them (atomic, durable).

DATA_DIR/datahub/
  versions/<hash>.parquet   immutable table versions, named by content hash
  files/<hash>.<ext>        immutable plain-file versions
  uploads/                  uploads waiting for (or failing) ingest
  work/                     scratch files of a running ingest
  exports/<hash>.<fmt>      derived downloads (CSV, XLSX, JSON), rebuilt when missing

A file is first written as a temporary file in its final directory, fsynced, then
`os.replace`d to its name: a reader sees the whole file or no file, never half of one.
"""

import os
import tempfile
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


def root() -> Path:
    return Path(settings.DATA_DIR) / "datahub"


def area(name: str) -> Path:
    path = root() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def absolute(relative: str) -> Path:
    path = (root() / relative).resolve()
    if root().resolve() not in path.parents:
        raise ValueError("path outside the datahub store")
    return path


def relative(path: Path) -> str:
    return str(path.resolve().relative_to(root().resolve()))


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(final: Path):
    """Yield a temporary path next to `final`; on success it becomes `final` atomically."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp_path, final)
        _fsync_dir(final.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomic(final: Path, writer: Callable[[Path], None]) -> Path:
    with atomic_path(final) as tmp:
        writer(tmp)
    return final


def scratch(suffix: str) -> Path:
    return area("work") / f"{uuid.uuid4().hex}{suffix}"
