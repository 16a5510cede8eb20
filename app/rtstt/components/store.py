"""Installed components in the user data folder: download, verify, install, activate, remove.

Layout under `<data>/components/`:
    active.json        which site folder is live and which pins it holds (replaced atomically)
    site-<id>/         a complete, self-contained set of installed distributions (a --target folder)
    downloads/         wheels being fetched (.part files resume after a cut connection or a crash)
Every change builds a new site folder beside the live one and switches `active.json` only when the new
folder is complete, so an interrupted install (a cancel, a full disk, a crash) leaves the old state whole.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import shutil
import sys
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from rtstt.atomic import write_text_atomic
from rtstt.checksum import sha256_file
from rtstt.components import live
from rtstt.components.index import ProgressFn, WheelRef, WheelSource, find_wheel, stream
from rtstt.components.lock import Lock, pin_name, pin_version
from rtstt.errors import ComponentError, OutputError

log = logging.getLogger(__name__)

# Installed size / wheel size (measured on this build's pins: torch 2.0, scipy 3.4, scikit-learn 5.9,
# transformers ~9 but only 14 MB): torch dominates every component, so 2.6 leaves a margin.
UNPACK_FACTOR = 2.6


class Cancelled(ComponentError):
    def __init__(self) -> None:
        super().__init__("component install cancelled", "nothing was changed; downloaded parts are kept")


@dataclass(frozen=True, slots=True)
class Plan:
    features: tuple[str, ...]  # what the new site folder will serve
    wheels: tuple[WheelRef, ...]

    @property
    def download_bytes(self) -> int:
        return sum(w.size or 0 for w in self.wheels)


class ComponentStore:
    def __init__(self, root: Path, lock: Lock) -> None:
        self.root = Path(root)
        self.lock = lock

    # -- state -----------------------------------------------------------------------------------
    def _active(self) -> dict:
        return live.read_state(self.root)

    def site_dir(self) -> Path | None:
        return live.live_site(self.root)

    def installed_pins(self) -> set[str]:
        return set(self._active().get("pins", ()))

    def status(self) -> dict[str, str]:
        """Per locked feature: "installed", "outdated" (an app update changed its pins) or "not installed"."""
        state = self._active()
        pins, wanted = set(state.get("pins", ())), set(state.get("features", ()))
        out = {}
        for name, needed in self.lock.features.items():
            if set(needed) <= pins:
                out[name] = "installed"
            elif name in wanted:
                out[name] = "outdated"
            else:
                out[name] = "not installed"
        return out

    def installed_features(self) -> list[str]:
        return [name for name, state in self.status().items() if state == "installed"]

    # -- planning --------------------------------------------------------------------------------
    def plan(self, add: Iterable[str] = (), drop: Iterable[str] = (), sources: list[WheelSource] = ()) -> Plan:
        """What a change would install: the features kept (outdated ones are renewed) plus `add`, less `drop`."""
        add, drop = list(add), set(drop)
        for name in add:
            if name not in self.lock.features:
                known = ", ".join(self.lock.features) or "none"
                raise ComponentError(f"this build has no component {name!r}", f"components it knows: {known}")
        keep = [n for n, s in self.status().items() if s != "not installed" and n not in drop]
        features = tuple(dict.fromkeys([*keep, *add]))
        pins = self.lock.pins(features)
        if not sources or set(pins) <= self.installed_pins():  # a removal needs no index
            return Plan(features, ())
        wheels = tuple(find_wheel(list(sources), pin_name(p), pin_version(p)) for p in pins)
        return Plan(features, wheels)

    # -- changing --------------------------------------------------------------------------------
    def apply(
        self,
        plan: Plan,
        progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
    ) -> Path | None:
        """Download, verify and install `plan` into a new site folder, then make it the live one."""
        progress = progress or (lambda done, total, what: None)
        if not plan.features:
            self._switch(None, (), ())
            return None
        pins = self.lock.pins(plan.features)
        if set(pins) <= self.installed_pins():  # only removing: nothing to fetch
            return self._shrink(plan.features, pins)
        if not plan.wheels:
            raise ComponentError("this change needs downloads, but no package source was given", "name an index")
        self.root.mkdir(parents=True, exist_ok=True)
        self._check_space(plan)
        files = self._download(plan, progress, cancel)
        new = self.root / f"site-{uuid.uuid4().hex[:8]}"
        staging = self.root / f".{new.name}.partial"
        try:
            total = len(files)
            for i, (ref, path) in enumerate(files):
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                progress(i, total, f"installing {ref.name} {ref.version}")
                _install_wheel(path, staging)
            staging.rename(new)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._switch(new.name, plan.features, self.lock.pins(plan.features))
        for _ref, path in files:
            path.unlink(missing_ok=True)
        progress(total, total, "installed")
        return new

    def _shrink(self, features: tuple[str, ...], pins: list[str]) -> Path:
        """Remove the distributions no kept feature needs, in place: the live state is switched first, so an
        interruption leaves only unused files (and Windows may keep a loaded DLL until the next start)."""
        from importlib import metadata

        site_dir = self.site_dir()
        assert site_dir is not None
        keep = {pin_name(p) for p in pins}
        self._switch(site_dir.name, features, pins)
        for dist in metadata.distributions(path=[str(site_dir)]):
            if canonicalize_name(dist.metadata["Name"]) in keep:
                continue
            folders = set()
            for file in dist.files or ():
                path = Path(dist.locate_file(file))
                folders.add(path.parent)
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    log.info("could not delete %s now (in use)", path)
            for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
                while folder != site_dir and folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
                    folder = folder.parent
        return site_dir

    def _check_space(self, plan: Plan) -> None:
        need = int(plan.download_bytes * (1 + UNPACK_FACTOR))
        free = shutil.disk_usage(self.root).free
        if need > free:
            raise ComponentError(
                f"not enough disk space for the components: {need / 1e9:.1f} GB needed, {free / 1e9:.1f} GB free"
                f" in {self.root}",
                "free some space and try again",
            )

    def _download(
        self, plan: Plan, progress: ProgressFn, cancel: threading.Event | None
    ) -> list[tuple[WheelRef, Path]]:
        folder = self.root / "downloads"
        folder.mkdir(parents=True, exist_ok=True)
        total = plan.download_bytes
        done = 0
        out = []
        for ref in plan.wheels:
            final = folder / ref.filename
            if not (final.exists() and _verified(final, ref)):
                done = self._fetch(ref, final, done, total, progress, cancel)
            else:
                done += final.stat().st_size
            progress(done, total, f"downloaded {ref.filename}")
            out.append((ref, final))
        return out

    def _fetch(
        self,
        ref: WheelRef,
        final: Path,
        done: int,
        total: int,
        progress: ProgressFn,
        cancel: threading.Event | None,
    ) -> int:
        part = final.with_name(final.name + ".part")
        have = part.stat().st_size if part.exists() else 0
        start, chunks = stream(ref, have, cancel)
        done += start
        try:
            out = open(part, "ab" if start else "wb")  # noqa: SIM115 (closed below; errors told apart)
        except OSError as exc:
            raise OutputError(f"cannot save {ref.filename}: {exc.strerror or exc}", "check the folder") from exc
        with out:
            while True:
                try:
                    chunk = next(chunks, b"")
                except (OSError, http.client.HTTPException) as exc:  # the connection, not the disk
                    raise ComponentError(
                        f"the download of {ref.filename} was cut off ({exc or type(exc).__name__})",
                        "try again: it continues where it stopped",
                    ) from exc
                if not chunk:
                    break
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise OutputError(
                        f"cannot save {ref.filename}: {exc.strerror or exc}", "free some disk space and try again"
                    ) from exc
                done += len(chunk)
                progress(done, total, f"downloading {ref.filename}")
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            out.flush()
            os.fsync(out.fileno())
        if ref.size is not None and part.stat().st_size < ref.size:
            raise ComponentError(
                f"the download of {ref.filename} was cut off ({part.stat().st_size} of {ref.size} bytes)",
                "try again: it continues where it stopped",
            )
        if not _verified(part, ref):
            part.unlink(missing_ok=True)
            raise ComponentError(
                f"{ref.filename} arrived damaged (its checksum does not match the index)",
                "try again; if it keeps failing, the index or a proxy is serving a bad file",
            )
        part.replace(final)
        return done

    def _switch(self, site_name: str | None, features: Iterable[str], pins: Iterable[str]) -> None:
        old = self.site_dir()
        if site_name is None:
            (self.root / live.ACTIVE).unlink(missing_ok=True)
        else:
            state = {"site": site_name, "features": list(features), "pins": list(pins)}
            write_text_atomic(self.root / live.ACTIVE, json.dumps(state, indent=1))
        if old is not None and old.name != site_name:
            # Windows keeps loaded DLLs locked: what cannot go now is swept at the next start (sweep()).
            shutil.rmtree(old, ignore_errors=True)

    def sweep(self) -> None:
        live.sweep(self.root)

    def activate(self) -> Path | None:
        return live.activate(self.root)


def _install_wheel(path: Path, target: Path) -> None:
    from installer import install
    from installer.destinations import SchemeDictionaryDestination
    from installer.sources import WheelFile

    scheme = {
        "purelib": str(target),
        "platlib": str(target),
        "headers": str(target / "include"),
        "scripts": str(target / "bin"),  # entry-point scripts are written but never used
        "data": str(target / "data"),
    }
    destination = SchemeDictionaryDestination(scheme, interpreter=sys.executable, script_kind="posix")
    try:
        with WheelFile.open(path) as source:
            source.validate_record()
            install(source, destination, additional_metadata={"INSTALLER": b"rtstt\n"})
    except OSError as exc:
        raise OutputError(
            f"cannot install {path.name}: {exc.strerror or exc}", "check free disk space and try again"
        ) from exc
    except Exception as exc:  # a damaged or unsupported wheel
        raise ComponentError(f"{path.name} cannot be installed: {exc}", "delete it and try again") from exc


def _verified(path: Path, ref: WheelRef) -> bool:
    if ref.sha256 is None:  # a folder source: the wheel's own RECORD is checked when installing
        return ref.size is None or path.stat().st_size == ref.size
    return sha256_file(path) == ref.sha256
