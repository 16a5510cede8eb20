"""The housekeeping commands: devices, models, sessions, components and doctor."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from rtstt.cli.common import check_output, settings_from
from rtstt.errors import RtsttError


def cmd_devices(args: argparse.Namespace) -> int:
    from rtstt.audio.devices import list_devices

    problems: list[RtsttError] = []
    devices = list_devices(problems)
    for problem in problems:
        print(f"note: {problem}", file=sys.stderr)
    if not devices:
        print("no audio devices found (see `rtstt doctor`)")
        return 1
    for d in devices:
        star = "*" if d.is_default else " "
        print(f"{star} {d.kind:8s} {d.id:40s} {d.name}  [{d.host_api}, {d.channels} ch, {d.default_rate} Hz]")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from rtstt.models.manager import ModelManager

    manager = ModelManager()
    cmd = args.models_command or "list"
    if cmd == "list":
        installed = manager.installed()
        names = {m.name for m in installed}
        print("installed:")
        for m in installed:
            print(f"  {m.name:18s} {m.size_mb:7.0f} MB  {m.source:8s} {m.path}")
        print("available to fetch (needs internet):")
        for spec in manager.available():
            if spec.name not in names:
                print(f"  {spec.name:18s} {spec.size_mb:7d} MB  {spec.repo_id}")
        _list_summary_models(manager)
        _list_speaker_models(manager)
        return 0
    if cmd == "fetch":
        return _fetch_with_progress(manager, args.name)
    if cmd == "verify":
        problems = manager.verify(args.name)
        for p in problems:
            print(f"  problem: {p}")
        print("ok" if not problems else f"{len(problems)} problem(s)")
        return 0 if not problems else 1
    if cmd == "import":
        name = args.name or ""
        if args.folder.suffix.lower() == ".onnx" and not args.folder.is_dir():  # a WeSpeaker voice print model
            path = manager.import_speaker(args.folder, name)
            print(f"imported speaker model {path.parent.name} into {path}")
            return 0
        if not name:
            raise RtsttError("give the imported model a name", "rtstt models import FOLDER NAME, e.g. small-de")
        path = manager.import_folder(args.folder, name)
        print(f"imported {name} into {path}")
        return 0
    return 2


def _list_summary_models(manager: Any) -> None:
    """The summary models (GGUF, llama.cpp): installed ones, then those `rtstt models fetch` can download."""
    from rtstt.models.registry import RECOMMENDED_SUMMARY

    installed = manager.installed_summary()
    names = {m.name for m in installed}
    print("summary models installed:")
    for m in installed:
        note = "offline fallback" if m.source == "package" else m.source
        print(f"  {m.name:22s} {m.size_mb:7.0f} MB  {note:16s} {m.path}")
    print("summary models to fetch (needs internet; `rtstt models fetch NAME`, then --summary-model NAME):")
    for spec in manager.available_summary():
        if spec.name not in names:
            star = "  (recommended)" if spec.name == RECOMMENDED_SUMMARY else ""
            print(f"  {spec.name:22s} {spec.size_mb:7d} MB  {spec.licence:28s} {spec.repo_id}{star}")


def _list_speaker_models(manager: Any) -> None:
    """The speaker (voice print) models: installed ones, then those `rtstt models fetch` can download."""
    installed = manager.installed_speaker()
    names = {m.name for m in installed}
    print("speaker models installed (used for speaker labels; GE2E is the offline fallback):")
    for m in installed:
        print(f"  {m.name:22s} {m.size_mb:7.0f} MB  {m.source:16s} {m.path}")
    print("speaker models to fetch (needs internet; `rtstt models fetch NAME`, or import a .onnx file):")
    for spec in manager.available_speaker():
        if spec.name not in names:
            print(f"  {spec.name:22s} {spec.size_mb:7d} MB  {spec.licence:28s} {spec.repo_id}")


def _fetch_with_progress(manager: Any, name: str) -> int:
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        pct = 100.0 * done / total if total else 0.0
        sys.stderr.write(f"\rdownloading {name}: {done / 1e6:7.1f} / {total / 1e6:7.1f} MB ({pct:5.1f}%)")
        sys.stderr.flush()

    try:
        path = manager.fetch(name, progress=progress, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise
    sys.stderr.write("\n")
    print(f"{name} ready in {path}")
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    from rtstt.session.store import SessionStore

    settings = settings_from(args)
    root = settings.sessions_path()
    cmd = args.sessions_command or "list"
    if cmd == "list":
        for info in SessionStore.list_sessions(root):
            state = "" if info.closed else "  (interrupted: run `rtstt sessions recover`)"
            print(f"{info.id}  {info.n_segments:4d} segments  {info.duration_s:7.1f} s  {info.title}{state}")
        return 0
    if cmd == "recover":
        found = SessionStore.recover_unfinished(root)
        for info in found:
            print(f"recovered {info.id}: {info.n_segments} segments")
        if not found:
            print("nothing to recover")
        return 0
    if cmd == "export":
        from rtstt.session.live import LiveSession

        fmt = check_output(args.output, args.format)
        print(f"wrote {LiveSession.open(root, args.session_id).export(args.output, fmt)}")
        return 0
    return 2


def cmd_components(args: argparse.Namespace) -> int:
    from rtstt.components.lock import load_lock
    from rtstt.components.runtime import app_store, restart_needed, sources
    from rtstt.components.store import Cancelled

    store = app_store(load_lock(args.lock) if args.lock else None)
    if store is None:
        print("running from source: the optional stacks come with pip, e.g. pip install 'rtstt[speakers]'")
        print("(`rtstt doctor` shows which are there)")
        return 0
    cmd = args.components_command or "list"
    if cmd == "list":
        from rtstt.components.catalog import FEATURES

        status = store.status()
        for name, state in status.items():
            title = FEATURES[name].title if name in FEATURES else name
            print(f"  {name:10s} {state:14s} {title} ({len(store.lock.features[name])} packages)")
        if not status:
            print("this build has no optional components")
        where = store.site_dir()
        print(f"installed in {where}" if where else f"none installed (they go to {store.root})")
        return 0
    cancel = threading.Event()
    if cmd == "remove":
        store.apply(store.plan(drop=args.names))
        print(f"removed {', '.join(args.names)}")
        return 0
    plan = store.plan(add=args.names, sources=sources(store.lock, args.index, args.wheels))
    print(f"installing {', '.join(plan.features)}: {len(plan.wheels)} packages, {plan.download_bytes / 1e6:.0f} MB")

    def progress(done: int, total: int, what: str) -> None:
        if what.startswith("downloading"):
            pct = 100.0 * done / total if total else 0.0
            sys.stderr.write(f"\r{done / 1e6:8.1f} / {total / 1e6:.1f} MB ({pct:5.1f}%) {what[12:60]:48s}")
        else:
            sys.stderr.write(f"\r{what[:80]:80s}")
        sys.stderr.flush()

    try:
        folder = store.apply(plan, progress=progress, cancel=cancel)
    except (KeyboardInterrupt, Cancelled):
        cancel.set()
        sys.stderr.write("\ncancelled: nothing changed; finished downloads are kept for the next try\n")
        return 130
    sys.stderr.write("\n")
    print(f"installed {', '.join(plan.features)} in {folder}")
    if restart_needed():
        print("restart RTSTT to use them")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from rtstt.doctor import run_doctor

    return run_doctor()
