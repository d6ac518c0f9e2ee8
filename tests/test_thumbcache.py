"""Kept thumbnails on the host: the app gets back, in one file operation (``kept-thumb``),
only what was kept of a grant's file as it is now, and nothing of a file it cannot reach."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pyshell import containment, fileurls, fsapi
from pyshell.capabilities import Grant
from pyshell.fileservice import FileService
from pyshell.thumbcache import ThumbCache

JPEG = b"\xff\xd8\xff\xe0 pretend thumbnail"


@pytest.fixture(params=["descriptor", "portable"])
def service(request, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FileService:
    monkeypatch.setenv(containment.ENV, request.param)
    root = tmp_path / "pics"
    root.mkdir()
    (root / "cat.jpg").write_bytes(b"a big picture")
    (tmp_path / "secret.jpg").write_bytes(b"not the app's")
    (root / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    return FileService([Grant("g0", "/pics", root, False)],
                       thumbs=ThumbCache(tmp_path / "cache"))


def kept(fs: FileService, path: str, px: int = 200) -> tuple[dict | None, bytes]:
    """What one file's lookup answers: its entry and the bytes."""
    reply, data = fsapi.perform(fs, "kept-thumbs", {"items": [{"g": "g0", "p": path,
                                                               "px": px}]}, b"")
    [found] = reply["ok"]["found"]
    return found, data


def made_from(answer: tuple[dict | None, bytes], fs: FileService) -> str:
    """The file a "none kept" answer's URL serves (the page makes the thumbnail from it)."""
    found, data = answer
    assert found is not None and data == b"", answer
    entry = fs.urls.lookup(fileurls.token_of(found["url"]))
    assert entry is not None
    return entry.path


def test_a_kept_thumbnail_comes_back_for_the_same_file_and_size(service, tmp_path) -> None:
    assert made_from(kept(service, "cat.jpg"), service) == "cat.jpg"  # none kept yet
    service.keep_thumbnail("g0", "cat.jpg", 200, JPEG, "image/jpeg")
    assert kept(service, "cat.jpg") == ({"mime": "image/jpeg", "size": len(JPEG)}, JPEG)
    assert made_from(kept(service, "cat.jpg", px=100), service) == "cat.jpg"  # another size
    [made] = (tmp_path / "cache").iterdir()
    assert stat.S_IMODE(made.stat().st_mode) == 0o600


def test_a_changed_file_has_no_kept_thumbnail(service, tmp_path) -> None:
    service.keep_thumbnail("g0", "cat.jpg", 200, JPEG, "image/jpeg")
    (tmp_path / "pics" / "cat.jpg").write_bytes(b"another picture, longer")
    assert made_from(kept(service, "cat.jpg"), service) == "cat.jpg"


def test_nothing_is_kept_or_given_for_what_the_grant_does_not_reach(service, tmp_path) -> None:
    for path in ("link.jpg", "../secret.jpg", "missing.jpg"):
        with pytest.raises(OSError):
            service.keep_thumbnail("g0", path, 200, JPEG, "image/jpeg")
        assert kept(service, path) == (None, b"")
    assert not (tmp_path / "cache").exists()
    assert len(service.urls) == 0  # and no URL to make one from


def test_only_pictures_are_kept(service) -> None:
    with pytest.raises(ValueError, match="JPEG or PNG"):
        service.keep_thumbnail("g0", "cat.jpg", 200, b"<svg/>", "image/svg+xml")
    assert made_from(kept(service, "cat.jpg"), service) == "cat.jpg"


def test_a_service_without_a_cache_keeps_nothing(tmp_path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"picture")
    fs = FileService([Grant("g0", "/pics", tmp_path, False)])
    fs.keep_thumbnail("g0", "a.jpg", 200, JPEG, "image/jpeg")
    assert made_from(kept(fs, "a.jpg"), fs) == "a.jpg"
    assert sorted(os.listdir(tmp_path)) == ["a.jpg"]


def test_many_are_answered_at_once_up_to_a_size(service, tmp_path, monkeypatch) -> None:
    """A grid's screenful in one answer, in the order asked; past the answer's size the
    rest are left for the next request (the worker asks again)."""
    for n in range(5):
        (tmp_path / "pics" / f"{n}.jpg").write_bytes(b"picture %d" % n)
        if n != 2:
            service.keep_thumbnail("g0", f"{n}.jpg", 200, JPEG + bytes([n]), "image/jpeg")
    items = [{"g": "g0", "p": f"{n}.jpg", "px": 200} for n in range(5)]
    reply, data = fsapi.perform(service, "kept-thumbs", {"items": items}, b"")
    assert [f.get("size") for f in reply["ok"]["found"]] == [len(JPEG) + 1] * 2 + [None] + [
        len(JPEG) + 1] * 2
    assert data == b"".join(JPEG + bytes([n]) for n in (0, 1, 3, 4))
    monkeypatch.setattr(fsapi, "KEPT_BYTES", len(JPEG) + 1)  # the second one passes it
    reply, data = fsapi.perform(service, "kept-thumbs", {"items": items}, b"")
    assert len(reply["ok"]["found"]) == 2
    assert data == JPEG + b"\0" + JPEG + b"\1"
