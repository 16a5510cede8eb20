"""Optional components: locking, finding wheels on a real (local) package index, installing them into the
user's folder, and every way that can go wrong leaving the previous state whole."""

from __future__ import annotations

import shutil
import sys
import threading
from collections import namedtuple
from pathlib import Path

import pytest
from packaging.tags import Tag

from rtstt import cli
from rtstt.components.index import SimpleIndex, WheelFolder, WheelRef, best_wheel
from rtstt.components.lock import Lock, build_lock, closure, load_lock
from rtstt.components.store import Cancelled, ComponentStore
from rtstt.errors import ComponentError
from tests.package_index import PackageIndex, make_wheel


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    make_wheel(folder, "rtstt-probe", "1.0", {"rtstt_probe/__init__.py": "VERSION = '1.0'\n"})
    make_wheel(folder, "rtstt-probe", "2.0", {"rtstt_probe/__init__.py": "VERSION = '2.0'\n"})
    make_wheel(folder, "probe-extra", "0.3", {"probe_extra.py": "X = 1\n" + "# padding\n" * 5000})
    return folder


def probe_lock(index_url: str, probe: str = "1.0") -> Lock:
    return Lock(
        app_version="9.9",
        python="3.11",
        platform="test",
        variant="cpu",
        indexes=(index_url,),
        features={"speakers": (f"rtstt-probe=={probe}",), "insights": (f"rtstt-probe=={probe}", "probe-extra==0.3")},
    )


def test_lock_pins_the_build_environment_and_leaves_the_bundle_out():
    lock, problems = build_lock({"numpy", "packaging"}, "cpu", "0.1.0")
    assert not problems  # ./run.sh installs every optional stack
    speakers = dict(p.split("==") for p in lock.features["speakers"])
    assert speakers["torch"] == "2.9.1" and "resemblyzer" in speakers and "scipy" in speakers
    assert "numpy" not in speakers  # bundled: the frozen copy is used
    assert "bitsandbytes" not in dict(p.split("==") for p in lock.features["summary"])  # only the CUDA build's
    assert "bitsandbytes" in dict(p.split("==") for p in build_lock((), "cuda", "0.1.0")[0].features["summary"])
    assert Lock.from_json(lock.to_json()) == lock


def test_closure_follows_requirements_and_markers():
    found = closure(["keybert"])
    assert {"keybert", "sentence-transformers", "torch", "scikit-learn", "numpy"} <= set(found)
    assert "pytest" not in found  # only through extras nobody asked for


def test_a_damaged_lock_says_so(tmp_path: Path):
    bad = tmp_path / "components.lock.json"
    bad.write_text("{not json")
    with pytest.raises(ComponentError, match="cannot be read"):
        load_lock(bad)


def test_best_wheel_follows_the_interpreter_tags():
    refs = [
        WheelRef("x", "1", "x-1-py3-none-any.whl", "u1", None, None),
        WheelRef("x", "1", "x-1-cp311-cp311-win_amd64.whl", "u2", None, None),
        WheelRef("x", "1", "x-1-cp311-cp311-manylinux_2_17_x86_64.whl", "u3", None, None),
    ]
    tags = [Tag("cp311", "cp311", "manylinux_2_17_x86_64"), Tag("py3", "none", "any")]
    assert best_wheel(refs, tags).url == "u3"
    assert best_wheel(refs, [Tag("py3", "none", "any")]).url == "u1"
    assert best_wheel(refs[1:2], tags) is None  # a Windows wheel is never picked on Linux


@pytest.mark.parametrize("html", [False, True])
def test_the_index_finds_the_exact_version_with_its_hash(wheels: Path, html: bool):
    with PackageIndex(wheels, html=html) as index:
        ref = SimpleIndex(index.url).find("rtstt_probe", "2.0")
        assert ref is not None and ref.filename == "rtstt_probe-2.0-py3-none-any.whl"
        assert ref.sha256 and len(ref.sha256) == 64
        assert SimpleIndex(index.url).find("rtstt-probe", "3.0") is None
        assert SimpleIndex(index.url).find("not-there", "1.0") is None


def test_install_activate_and_remove(wheels: Path, tmp_path: Path):
    with PackageIndex(wheels) as index:
        store = ComponentStore(tmp_path / "components", probe_lock(index.url))
        assert store.status() == {"speakers": "not installed", "insights": "not installed"}
        seen: list[str] = []
        plan = store.plan(add=["speakers"], sources=[SimpleIndex(index.url)])
        site = store.apply(plan, progress=lambda done, total, what: seen.append(what))
    assert store.status() == {"speakers": "installed", "insights": "not installed"}
    assert (site / "rtstt_probe" / "__init__.py").exists()
    assert any(w.startswith("downloading") for w in seen) and seen[-1] == "installed"
    assert not list((store.root / "downloads").iterdir())  # wheels are not kept twice
    try:
        assert store.activate() == site
        import rtstt_probe

        assert rtstt_probe.VERSION == "1.0"
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("rtstt_probe", None)
    store.apply(store.plan(drop=["speakers"]))
    assert store.site_dir() is None and not site.exists()
    assert store.status()["speakers"] == "not installed"


def test_adding_a_feature_keeps_the_installed_ones(wheels: Path, tmp_path: Path):
    store = ComponentStore(tmp_path / "components", probe_lock("unused"))
    source = [WheelFolder(wheels)]  # a folder of wheels: no network at all
    first = store.apply(store.plan(add=["speakers"], sources=source))
    second = store.apply(store.plan(add=["insights"], sources=source))
    assert store.status() == {"speakers": "installed", "insights": "installed"}
    assert not first.exists() and (second / "probe_extra.py").exists()


def test_removing_one_feature_keeps_the_other_without_downloading(wheels: Path, tmp_path: Path):
    store = ComponentStore(tmp_path / "components", probe_lock("unused"))
    site = store.apply(store.plan(add=["speakers", "insights"], sources=[WheelFolder(wheels)]))
    assert store.apply(store.plan(drop=["insights"])) == site  # no sources: nothing is fetched
    assert store.status() == {"speakers": "installed", "insights": "not installed"}
    assert (site / "rtstt_probe" / "__init__.py").exists()
    assert not (site / "probe_extra.py").exists() and not list(site.glob("probe_extra-*.dist-info"))
    with pytest.raises(ComponentError, match="no package source"):
        store.apply(store.plan(add=["insights"]))


def test_an_app_update_marks_changed_components_outdated(wheels: Path, tmp_path: Path):
    root = tmp_path / "components"
    ComponentStore(root, probe_lock("unused")).apply(
        ComponentStore(root, probe_lock("unused")).plan(add=["speakers"], sources=[WheelFolder(wheels)])
    )
    newer = ComponentStore(root, probe_lock("unused", probe="2.0"))
    assert newer.status() == {"speakers": "outdated", "insights": "not installed"}
    site = newer.apply(newer.plan(sources=[WheelFolder(wheels)]))  # renews what the user had
    assert newer.status()["speakers"] == "installed"
    assert "2.0" in (site / "rtstt_probe" / "__init__.py").read_text()


def test_a_cut_download_resumes_where_it_stopped(wheels: Path, tmp_path: Path):
    with PackageIndex(wheels) as index:
        store = ComponentStore(tmp_path / "components", probe_lock(index.url))
        plan = store.plan(add=["insights"], sources=[SimpleIndex(index.url)])
        index.cut_after["probe_extra-0.3-py3-none-any.whl"] = 1000
        with pytest.raises(ComponentError, match="cut off") as err:
            store.apply(plan)
        assert "continues where it stopped" in err.value.hint
        assert store.status()["insights"] == "not installed" and store.site_dir() is None
        store.apply(plan)
        ranges = [r for path, r in index.requests if path.endswith("probe_extra-0.3-py3-none-any.whl")]
    assert ranges == ["", "bytes=1000-"]
    assert store.status()["insights"] == "installed"


def test_a_damaged_download_is_refused(wheels: Path, tmp_path: Path):
    with PackageIndex(wheels) as index:
        store = ComponentStore(tmp_path / "components", probe_lock(index.url))
        plan = store.plan(add=["speakers"], sources=[SimpleIndex(index.url)])
        index.corrupt.add("rtstt_probe-1.0-py3-none-any.whl")
        with pytest.raises(ComponentError, match="damaged"):
            store.apply(plan)
    assert store.site_dir() is None and not list((store.root / "downloads").iterdir())


def test_not_enough_disk_space_is_said_before_downloading(wheels: Path, tmp_path: Path, monkeypatch):
    store = ComponentStore(tmp_path / "components", probe_lock("unused"))
    with PackageIndex(wheels) as index:
        plan = store.plan(add=["speakers"], sources=[SimpleIndex(index.url)])
        usage = namedtuple("usage", "total used free")
        monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9, 100))
        with pytest.raises(ComponentError, match="not enough disk space"):
            store.apply(plan)
        assert not [p for p, _ in index.requests if p.startswith("/files/")]


def test_cancel_changes_nothing(wheels: Path, tmp_path: Path):
    store = ComponentStore(tmp_path / "components", probe_lock("unused"))
    store.apply(store.plan(add=["speakers"], sources=[WheelFolder(wheels)]))
    before = store.site_dir()
    cancel = threading.Event()

    def progress(done: int, total: int, what: str) -> None:
        if what.startswith("installing"):
            cancel.set()

    with pytest.raises(Cancelled):
        store.apply(store.plan(add=["insights"], sources=[WheelFolder(wheels)]), progress=progress, cancel=cancel)
    assert store.site_dir() == before and store.status()["insights"] == "not installed"
    assert [p.name for p in store.root.iterdir() if p.is_dir() and p.name != "downloads"] == [before.name]


def test_an_unreachable_index_is_a_clear_message():
    with pytest.raises(ComponentError, match="cannot reach the package index") as err:
        SimpleIndex("http://127.0.0.1:9/simple").find("torch", "2.9.1")
    assert "--from" in err.value.hint


def test_leftovers_of_a_crash_are_swept(wheels: Path, tmp_path: Path):
    store = ComponentStore(tmp_path / "components", probe_lock("unused"))
    live = store.apply(store.plan(add=["speakers"], sources=[WheelFolder(wheels)]))
    (store.root / ".site-dead.partial").mkdir()
    (store.root / "site-old").mkdir()
    store.sweep()
    assert sorted(p.name for p in store.root.iterdir() if p.is_dir()) == ["downloads", live.name]


def test_cli_installs_lists_and_removes(wheels: Path, tmp_path: Path, capsys):
    lock_file = tmp_path / "components.lock.json"
    with PackageIndex(wheels) as index:
        lock_file.write_text(probe_lock(index.url).to_json())
        assert cli.main(["components", "--lock", str(lock_file), "install", "speakers"]) == 0
    assert cli.main(["components", "--lock", str(lock_file), "list"]) == 0
    out = capsys.readouterr().out
    assert "installed speakers" in out and "speakers   installed" in out and "insights   not installed" in out
    assert cli.main(["components", "--lock", str(lock_file), "install", "nonsense"]) == 2
    assert "no component 'nonsense'" in capsys.readouterr().err
    assert cli.main(["components", "--lock", str(lock_file), "remove", "speakers"]) == 0
