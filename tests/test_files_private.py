"""`batch.files`: private files are never opened through a symlink, with or without
`O_NOFOLLOW`, and identities see through every spelling of one file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from batch.files import private
from batch.files.identity import identity_of
from batch.files.private import SymlinkRefusedError, open_private, write_private
from tests.file_helpers import needs_symlinks


@pytest.fixture(params=["with-nofollow", "without-nofollow"])
def nofollow(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test as on POSIX, and as on a platform without `O_NOFOLLOW` (Windows)."""
    if request.param == "without-nofollow":
        monkeypatch.setattr(private, "_NOFOLLOW", 0)
    return str(request.param)


@needs_symlinks
@pytest.mark.parametrize("append", [True, False])
@pytest.mark.parametrize("dangling", [True, False])
def test_a_symlink_is_refused_and_its_target_untouched(
    tmp_path: Path, nofollow: str, append: bool, dangling: bool
) -> None:
    """A symlink at the name is refused; its target is neither written nor created."""
    target = tmp_path / "target.txt"
    if not dangling:
        target.write_text("keep me")
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(SymlinkRefusedError):
        open_private(tmp_path / "link", append=append)
    assert target.exists() is not dangling
    if not dangling:
        assert target.read_text() == "keep me"


@needs_symlinks
def test_write_private_refuses_a_symlink_and_keeps_it(tmp_path: Path) -> None:
    """An output that is a symlink is refused: the link and its target stay, no temp is left."""
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    (tmp_path / "out.txt").symlink_to(target)
    with pytest.raises(SymlinkRefusedError):
        write_private(tmp_path / "out.txt", "report")
    assert target.read_text() == "keep me"
    assert (tmp_path / "out.txt").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "out.txt"]


@needs_symlinks
def test_identities_see_through_spellings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """./x, sub/../x, a symlink, a hard link and a dangling link's target name one file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "x").write_text("x")
    os.link("x", "hard")
    Path("soft").symlink_to("x")
    Path("dangling").symlink_to("new")
    same = {identity_of(Path(name)) for name in ("x", "./x", "sub/../x", "hard", "soft")}
    assert len(same) == 1
    assert identity_of(Path("dangling")) == identity_of(Path("sub/../new"))
    assert identity_of(Path("new")) != identity_of(Path("x"))
    assert identity_of(Path("missing-dir/y")) is None
