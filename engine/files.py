"""The one door in and the one door out: every file Chronicle reads, and every file it writes.

Reading (`read_bytes`, `read_text`):

* a regular file only: it is opened without blocking, so a FIFO is refused at once instead of
  waiting for a writer forever, and a device, a socket or a folder is refused before a byte is
  read;
* at most a size limit: a file over it is refused (`TooLarge`), never read whole;
* when the caller passes `inside=` (the story folder), the file must lie inside it once every
  link is followed: a story folder from someone else cannot link `chapters/x.yaml` to a file
  of the reader's and have it read, or quoted back (`Outside`);
* text is UTF-8, with a byte-order mark allowed (Windows Notepad adds one).

Writing (`write`):

* to a fresh temporary file in the target's folder, created exclusive and without following a
  link (`tempfile.mkstemp`: a link planted under a predictable name is never followed), then
  flushed, fsynced, and renamed over the target, and the folder fsynced: a crash or a kill at any
  moment leaves the old file or the new one, whole. Ctrl-C during a write is held back until the
  write is done;
* with `new=True` the target must not exist yet (it is linked into place, never overwriting);
* a target that is a folder, a missing parent folder, a read-only or full disk: one message,
  "cannot write PATH: why" (`FileError`).

A failure is always a `FileError` (an `OSError`), whose `str()` is one sentence for a person.
`tests/test_architecture.py` holds every other module of `engine/` to not opening a file itself.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "FileError",
    "Missing",
    "NotRegular",
    "Outside",
    "TooLarge",
    "NotText",
    "MAX_BYTES",
    "exists",
    "read_bytes",
    "read_text",
    "decode_text",
    "write",
    "open_stream",
    "rename",
    "remove",
    "fsync_dir",
    "make_folder",
    "list_folder",
    "kind_of",
    "is_inside",
    "locked",
    "lock_fd",
    "unlock_fd",
    "quiet_output",
    "TMP_SUFFIX",
]

MAX_BYTES = 32 * 1024 * 1024  # the default limit on a file read
TMP_SUFFIX = ".tmp"
# Tests set this to a number of seconds to sleep between writing a file and renaming it into
# place, so they can kill the process mid-write.
DELAY_ENV = "CHRONICLE_TEST_SAVE_DELAY"
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class FileError(OSError):
    """A file that cannot be read or written; str() is one sentence: "cannot read X: why"."""

    def __init__(
        self,
        path: str | os.PathLike,
        why: str,
        *,
        writing: bool = False,
        folder: bool = False,
        errno_: int | None = None,
    ):
        super().__init__(errno_ or 0, why)
        self.path = os.fspath(path)
        self.why = why
        self.writing = writing
        self.folder = folder  # the problem is a folder on the way (unreadable), not the file itself
        self.strerror = why  # what callers that print `exc.strerror` show

    def __str__(self) -> str:
        what = f"the folder {self.path.rstrip(os.sep)}{os.sep}" if self.folder else self.path
        return f"cannot {'write' if self.writing else 'read'} {what}: {self.why}"


class Missing(FileError, FileNotFoundError):
    """There is no such file."""


class NotRegular(FileError):
    """A FIFO, a device, a socket or a folder: nothing Chronicle reads."""


class Outside(FileError):
    """The path leads (through a link) outside the folder it must stay in. The target was not read."""


class TooLarge(FileError):
    """The file is over the size limit; `size` is how large it is (at least), `limit` the limit."""

    def __init__(self, path, size: int, limit: int):
        super().__init__(path, f"it is {size:,} bytes, over the {_mib(limit)} allowed")
        self.size = size
        self.limit = limit


class NotText(FileError):
    """The bytes are not UTF-8 text."""


def _mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


# ---- reading ------------------------------------------------------------------------------


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "it is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "it is a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "it is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "it is a socket, not a regular file"
    return "it is not a regular file"


def is_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Does `path`, every link followed, lie inside `folder` (every link followed)?"""
    try:
        real = os.path.realpath(path)
        base = os.path.realpath(folder)
    except (OSError, ValueError):
        return False
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _why(exc: OSError) -> str:
    if isinstance(exc, FileError):
        return exc.why
    if exc.errno == errno.ENOENT:
        return "there is no such file"
    if exc.errno == errno.EISDIR:
        return "it is a folder, not a file"
    if exc.errno == errno.ELOOP:
        return "it is a link that leads round in a loop"
    return exc.strerror or str(exc)


def exists(path: str | os.PathLike, *, shown: str | None = None) -> bool:
    """Is there a file or folder at `path`? False when there is none; FileError (with `folder`
    set, naming the folder) when a folder on the way cannot be read, where pathlib would raise."""
    name = shown if shown is not None else os.fspath(path)
    try:
        os.stat(path)
        return True
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return True  # there is a link; reading it says what is wrong with it
        if exc.errno == errno.EACCES:
            raise FileError(os.path.dirname(name) or ".", _why(exc), folder=True, errno_=exc.errno) from None
        raise FileError(name, _why(exc), errno_=exc.errno) from None


def read_bytes(
    path: str | os.PathLike,
    *,
    limit: int = MAX_BYTES,
    inside: str | os.PathLike | None = None,
    shown: str | None = None,
) -> bytes:
    """The bytes of the regular file at `path` (at most `limit` of them); FileError otherwise.

    `inside`: the folder the file must lie in, every link followed (the story folder, for
    files the story names); a file that leads elsewhere is refused without being opened.
    `shown`: how the file is named in a message (default: the path as given)."""
    name = shown if shown is not None else os.fspath(path)
    target: str | os.PathLike = path
    if inside is not None:
        if not is_inside(path, inside):
            raise Outside(name, "it leads outside the story folder (through a link), so it is not read")
        target = os.path.realpath(path)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | _CLOEXEC)
    except FileNotFoundError:
        raise Missing(name, "there is no such file", errno_=errno.ENOENT) from None
    except OSError as exc:
        raise FileError(name, _why(exc), errno_=exc.errno) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(name, kind_of(st.st_mode))
        if st.st_size > limit:
            raise TooLarge(name, st.st_size, limit)
        os.set_blocking(fd, True)
        chunks, got = [], 0
        while got <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > limit:  # it grew while being read (or /proc said 0)
            raise TooLarge(name, got, limit)
        return b"".join(chunks)
    except FileError:
        raise
    except OSError as exc:
        raise FileError(name, _why(exc), errno_=exc.errno) from None
    finally:
        os.close(fd)


def decode_text(raw: bytes, name: str) -> str:
    """UTF-8 bytes as text, a byte-order mark dropped; NotText says where it is not UTF-8."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise NotText(name, "it is UTF-16 text, not UTF-8") from None
        line = raw.count(b"\n", 0, exc.start) + 1
        raise NotText(name, f"it is not UTF-8 text (line {line})") from None


def read_text(
    path: str | os.PathLike,
    *,
    limit: int = MAX_BYTES,
    inside: str | os.PathLike | None = None,
    shown: str | None = None,
) -> str:
    """read_bytes, decoded as UTF-8 (a byte-order mark allowed)."""
    name = shown if shown is not None else os.fspath(path)
    return decode_text(read_bytes(path, limit=limit, inside=inside, shown=name), name)


def list_folder(path: str | os.PathLike, *, shown: str | None = None) -> list[os.DirEntry]:
    """The entries of a folder, sorted by name; FileError when it cannot be read."""
    name = shown if shown is not None else os.fspath(path)
    try:
        with os.scandir(os.fspath(path)) as it:
            return sorted(it, key=lambda e: e.name)
    except FileNotFoundError:
        raise Missing(name, "there is no such folder", errno_=errno.ENOENT) from None
    except NotADirectoryError:
        raise NotRegular(name, "it is a file, not a folder") from None
    except OSError as exc:
        raise FileError(name, _why(exc), folder=True, errno_=exc.errno) from None


# ---- writing ------------------------------------------------------------------------------


def make_folder(path: str | os.PathLike, *, shown: str | None = None) -> None:
    """Create a folder and its parents (nothing when it is there); FileError (writing) otherwise."""
    name = shown if shown is not None else os.fspath(path)
    try:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        raise FileError(name, "it is a file, not a folder", writing=True) from None
    except OSError as exc:
        raise FileError(name, _why(exc), writing=True, errno_=exc.errno) from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


def write(
    path: str | os.PathLike,
    data: str | bytes,
    *,
    new: bool = False,
    parents: bool = False,
    durable: bool = True,
    shown: str | None = None,
) -> int:
    """Write `data` (text is written as UTF-8) to `path` whole or not at all; the bytes written.

    `new`: refuse to replace a file that is there. `parents`: create missing parent folders.
    `durable=False` (a cache) skips the fsyncs: a crash may then lose the new file, never half-write it.
    FileError (writing) says what went wrong; the old file, if any, is left as it was."""
    name = shown if shown is not None else os.fspath(path)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    path = Path(path)
    folder = path.parent
    if parents:
        make_folder(folder, shown=str(folder) if shown is None else os.path.dirname(name) or ".")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise FileError(name, _why(exc), writing=True, errno_=exc.errno) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise FileError(name, "it is a folder", writing=True, errno_=errno.EISDIR)
    if st is not None and new:
        raise FileError(name, "it is there already (nothing was overwritten)", writing=True, errno_=errno.EEXIST)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise FileError(name, kind_of(st.st_mode).replace("not a regular file", "not a file to replace"), writing=True)
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_UMASK
    with _sigint_held():
        try:
            # mkstemp: O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600, a name nobody can guess
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=TMP_SUFFIX, dir=folder)
        except FileNotFoundError:
            raise FileError(name, f"there is no folder {folder}", writing=True, errno_=errno.ENOENT) from None
        except OSError as exc:
            raise FileError(name, _why(exc), writing=True, errno_=exc.errno) from None
        try:
            try:
                os.fchmod(fd, mode)
            except OSError:
                pass
            with os.fdopen(fd, "wb") as f:
                f.write(raw)
                f.flush()
                if durable:
                    os.fsync(f.fileno())
            _test_delay()
            if new:
                try:
                    os.link(tmp, path)  # never replaces: fails when the name was taken meanwhile
                finally:
                    os.unlink(tmp)
            else:
                os.replace(tmp, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, FileExistsError):
                raise FileError(name, "it is there already (nothing was overwritten)", writing=True) from None
            if isinstance(exc, OSError):
                raise FileError(name, _why(exc), writing=True, errno_=exc.errno) from None
            raise
        if durable:
            fsync_dir(folder)
    return len(raw)


def open_stream(path: str | os.PathLike, *, shown: str | None = None) -> TextIO:
    """A text file written as it happens (a transcript), for the rare output that cannot wait to
    be written whole: created or emptied, never through a link; FileError (writing) otherwise."""
    name = shown if shown is not None else os.fspath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise FileError(name, _why(exc), writing=True, errno_=exc.errno) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise FileError(name, "it is a folder", writing=True, errno_=errno.EISDIR)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | _CLOEXEC, 0o666)
    except OSError as exc:
        why = "it is a link (not followed)" if exc.errno == errno.ELOOP else _why(exc)
        raise FileError(name, why, writing=True, errno_=exc.errno) from None
    return os.fdopen(fd, "w", encoding="utf-8")


def rename(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Move a file within one folder, durably (Ctrl-C held back); OSError as os.replace gives it."""
    with _sigint_held():
        os.replace(src, dst)
        fsync_dir(Path(dst).parent)


def remove(path: str | os.PathLike) -> None:
    """Delete a file; nothing when it is not there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make a rename in `folder` durable (where the platform allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _test_delay() -> None:
    delay = os.environ.get(DELAY_ENV)
    if delay:
        try:
            time.sleep(float(delay))
        except ValueError:
            pass


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold back Ctrl-C (SIGINT) until the block is done, then deliver it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[Any] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda *a: got.append(a))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if got:
            if callable(previous):
                previous(*got[0])
            elif previous == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)


# ---- locks and descriptors ------------------------------------------------------------------

try:
    import fcntl
except ImportError:  # not a POSIX system: no locks
    fcntl = None  # type: ignore[assignment]


def lock_fd(path: str | os.PathLike, *, wait: bool) -> int | None:
    """An exclusive lock on the lock file `path` (created, never followed through a link): its
    descriptor, held until closed. None when another process holds it and `wait` is False.
    Where locks are not supported (or the folder cannot be written), -1: carry on unlocked."""
    if fcntl is None:
        return -1
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _CLOEXEC | _NOFOLLOW, 0o644)
    except OSError:
        return -1
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError:
        os.close(fd)
        return -1
    return fd


def unlock_fd(fd: int | None) -> None:
    """Let go of a lock lock_fd gave (closing its descriptor drops the lock)."""
    if fd is not None and fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)


@contextlib.contextmanager
def locked(path: str | os.PathLike) -> Iterator[None]:
    """Hold the lock file `path` for the block, waiting for another process to let go of it."""
    fd = lock_fd(path, wait=True)
    try:
        yield
    finally:
        unlock_fd(fd)


def quiet_output(fileno: int) -> None:
    """Point a descriptor (stdout that can no longer be written) at the null device, so that
    Python's last flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY | _CLOEXEC)
        try:
            os.dup2(devnull, fileno)
        finally:
            os.close(devnull)
    except (OSError, ValueError):
        pass
