"""The `rtstt` command: the window, live and offline transcription, devices, models, doctor.

Every user-facing failure is an `RtsttError`: one line on stderr and exit code 2, never a traceback.
Heavy modules (faster-whisper, Qt) are imported inside the commands, so `rtstt --help` is instant.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from rtstt import __version__
from rtstt.errors import OutputError, RtsttError

EXPORT_FORMATS = ("srt", "vtt", "txt", "json", "docx")


def bundled_sample() -> Path:
    """The sample that `./run.sh` transcribes: resources/samples next to the package (source or frozen)."""
    here = Path(__file__).resolve()
    for root in (here.parents[2], Path(getattr(sys, "_MEIPASS", here.parents[2]))):
        samples = root / "resources" / "samples"
        if samples.is_dir():
            audio = sorted(p for p in samples.iterdir() if p.suffix.lower() in (".flac", ".wav", ".ogg", ".mp3"))
            if audio:
                return audio[0]
    raise RtsttError("the bundled sample is missing", "pass a file with --input")


# ---- argument parsing ------------------------------------------------------------------------
COMPUTE_DEVICES = ("auto", "cpu", "cuda")


def _add_model_options(p: argparse.ArgumentParser, device_flag: bool = True) -> None:
    g = p.add_argument_group("model")
    g.add_argument("--model", help="model name (tiny.en, base, small, large-v3, ...) or a model folder")
    flags = ("--device", "--compute-device") if device_flag else ("--compute-device",)
    g.add_argument(*flags, dest="stt_device", choices=COMPUTE_DEVICES, help="inference device")
    g.add_argument("--compute-type", help="CTranslate2 compute type (auto, int8, float16, ...)")
    g.add_argument("--language", help="spoken language code, or 'auto' (multilingual models)")
    g.add_argument("--threads", type=int, help="CPU threads for inference (0 = all cores)")
    g.add_argument("--beam-size", type=int, help="beam size (1 = greedy, fastest)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtstt", description="Real-time speech-to-text. With no command, opens the window."
    )
    parser.add_argument("--version", action="version", version=f"rtstt {__version__}")
    parser.add_argument("--smoke-test", action="store_true", help="open the window, transcribe a sample, exit")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("transcribe", help="transcribe a file and write SRT/VTT/TXT/JSON/DOCX")
    p.add_argument("file", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="output file; format from its extension")
    p.add_argument("--format", choices=EXPORT_FORMATS, help="output format (overrides the extension)")
    p.add_argument("--no-timestamps", action="store_true", help="TXT/DOCX without timestamps")
    p.add_argument("--insights", action="store_true", help="key phrases and questions (JSON, DOCX)")
    p.add_argument("--speakers", action="store_true", help="label who spoke (S1, S2, ...) in every format")
    p.add_argument("--summary", action="store_true", help="a summary with action items (JSON, DOCX, TXT)")
    _add_model_options(p)

    p = sub.add_parser("live", help="transcribe live audio and print the transcript as it grows")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--input", type=Path, help="an audio or video file (default: the bundled sample)")
    src.add_argument(
        "--device",
        dest="audio_device",
        help="microphone id from `rtstt devices` or 'default' (auto/cpu/cuda here pick the inference device)",
    )
    src.add_argument("--loopback", nargs="?", const="", metavar="ID", help="system audio (what you hear)")
    p.add_argument("--realtime", action="store_true", help="replay --input at the speed of speech")
    p.add_argument("--json", action="store_true", help="one JSON object per line (partial, final, stats)")
    p.add_argument("--no-save", action="store_true", help="do not keep a session journal")
    p.add_argument("-o", "--output", type=Path, help="also export the transcript here when the stream ends")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--insights", action="store_true", help="key phrases and questions as they come up")
    p.add_argument("--speakers", action="store_true", help="label who spoke (S1, S2, ...)")
    p.add_argument("--summary", action="store_true", help="a rolling summary, and a final one with action items")
    _add_model_options(p, device_flag=False)

    sub.add_parser("devices", help="list microphones and system-audio (loopback) sources")

    p = sub.add_parser("models", help="list, fetch, verify or import models")
    msub = p.add_subparsers(dest="models_command")
    msub.add_parser("list", help="installed and available models (default)")
    f = msub.add_parser("fetch", help="download a model (needs internet)")
    f.add_argument("name")
    v = msub.add_parser("verify", help="check a model's files")
    v.add_argument("name")
    i = msub.add_parser("import", help="copy a local faster-whisper model folder into the app")
    i.add_argument("folder", type=Path)
    i.add_argument("name")

    p = sub.add_parser("sessions", help="list saved sessions, recover interrupted ones, export one")
    ssub = p.add_subparsers(dest="sessions_command")
    ssub.add_parser("list")
    ssub.add_parser("recover", help="recover sessions interrupted by a crash")
    e = ssub.add_parser("export")
    e.add_argument("session_id")
    e.add_argument("-o", "--output", type=Path, required=True)
    e.add_argument("--format", choices=EXPORT_FORMATS)

    p = sub.add_parser("components", help="optional speakers/insights/summary stacks of the installed app")
    csub = p.add_subparsers(dest="components_command")
    csub.add_parser("list", help="what is installed (default)")
    for verb, what in (("install", "download and install"), ("remove", "uninstall")):
        c = csub.add_parser(verb, help=f"{what} components")
        c.add_argument("names", nargs="+", metavar="NAME", help="speakers, pyannote, insights, summary")
        if verb == "install":
            where = c.add_mutually_exclusive_group()
            where.add_argument("--index", help="a PEP 691 package index (default: the build's, i.e. PyPI)")
            where.add_argument("--from", dest="wheels", type=Path, help="a folder of .whl files (no network)")
    p.add_argument("--lock", type=Path, help="a components.lock.json other than the one the build carries")

    sub.add_parser("doctor", help="check Python, packages, GPU, audio devices and models")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(sys, "frozen", False):  # the optional stacks the user installed (see rtstt.components)
        from rtstt.components.runtime import activate

        activate()
    if getattr(args, "audio_device", None) in COMPUTE_DEVICES:
        # `live --device cuda`: the common --device option, not a microphone called "cuda".
        args.stt_device, args.audio_device = args.audio_device, None
    try:
        if args.smoke_test or args.command is None:
            return _cmd_window(args)
        handler = {
            "transcribe": _cmd_transcribe,
            "live": _cmd_live,
            "devices": _cmd_devices,
            "models": _cmd_models,
            "sessions": _cmd_sessions,
            "doctor": _cmd_doctor,
            "components": _cmd_components,
        }[args.command]
        return handler(args)
    except RtsttError as exc:
        print(f"rtstt: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


# ---- settings --------------------------------------------------------------------------------
def _settings(args: argparse.Namespace):
    from rtstt import config

    settings = config.load()
    return settings.with_overrides(
        stt__model=getattr(args, "model", None),
        stt__device=getattr(args, "stt_device", None),
        stt__compute_type=getattr(args, "compute_type", None),
        stt__language=getattr(args, "language", None),
        stt__threads=getattr(args, "threads", None),
        stt__beam_size=getattr(args, "beam_size", None),
        insights__enabled=True if getattr(args, "insights", False) else None,
        speakers__enabled=True if getattr(args, "speakers", False) else None,
        summary__enabled=True if getattr(args, "summary", False) else None,
    )


def _check_output(path: Path, fmt: str | None) -> str:
    """Fail before any model loads when the output cannot be written."""
    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise OutputError(
            f"cannot tell the output format of {path}", f"use one of .{', .'.join(EXPORT_FORMATS)} or --format"
        )
    parent = path.expanduser().resolve().parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {parent} does not exist", "create it or choose another")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"cannot write {path}: folder {parent} is not writable", "choose another folder")
    return fmt


# ---- commands --------------------------------------------------------------------------------
def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _cmd_window(args: argparse.Namespace) -> int:
    if args.smoke_test and not _has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # the smoke test needs no screen
    reason = "" if _has_display() else "there is no display"
    if not reason:
        try:
            from rtstt.gui.app import run_window
        except ImportError as exc:
            reason = f"the window cannot load ({exc})"
    if reason:
        if args.smoke_test:
            raise RtsttError(f"cannot open the window: {reason}", "use `rtstt live` or `rtstt transcribe`")
        print(f"rtstt: {reason}; transcribing the bundled sample live in the terminal.")
        print("       (see `rtstt --help` for transcribe, live, devices, models and doctor)\n")
        return main(["live", "--realtime"])
    return run_window(smoke_test=args.smoke_test)


def _cmd_transcribe(args: argparse.Namespace) -> int:
    from rtstt.audio.sources import FileSource
    from rtstt.events import Final, SpeakerLabels
    from rtstt.pipeline import Engine, load_backend
    from rtstt.session.export import ExportOptions, export
    from rtstt.session.transcript import Transcript

    fmt = _check_output(args.output, args.format)
    settings = _settings(args)
    source = FileSource(args.file, realtime=False)
    backend = load_backend(settings)
    engine = Engine(settings, source, backend)
    transcript = Transcript()
    transcript.title = args.file.stem
    lock = threading.Lock()  # finals come from the engine thread, speaker labels from their stage's

    def collect(event: Any) -> None:
        with lock:
            if isinstance(event, Final):
                transcript.add(event.segment)
            elif isinstance(event, SpeakerLabels):
                transcript.apply_labels(event.labels)

    engine.subscribe(collect)
    ended = engine.run()
    if engine.error:
        raise engine.error
    for stage in engine.stages:
        if stage.error is not None:
            print(f"rtstt: warning: {stage.name} turned off: {stage.error}", file=sys.stderr)
        else:
            transcript.insights.update(stage.latest)
    path = export(transcript, args.output, fmt, ExportOptions(timestamps=not args.no_timestamps))
    print(
        f"wrote {path} ({len(transcript.segments)} segments, {ended.audio_s:.1f} s of audio in {ended.wall_s:.1f} s)",
        file=sys.stderr,
    )
    return 0


def _open_live_source(args: argparse.Namespace):
    from rtstt.audio.sources import FileSource, open_source

    if args.audio_device is not None:
        spec = "mic" if args.audio_device in ("", "default") else f"mic:{args.audio_device}"
        return open_source(spec)
    if args.loopback is not None:
        return open_source(f"loopback:{args.loopback}" if args.loopback else "loopback")
    path = args.input or bundled_sample()
    return FileSource(path, realtime=args.realtime)


def _cmd_live(args: argparse.Namespace) -> int:
    from rtstt.pipeline import Engine, load_backend
    from rtstt.session.store import SessionStore

    if args.output:
        _check_output(args.output, None)
    settings = _settings(args)
    source = _open_live_source(args)
    store = None
    if not args.no_save:
        root = settings.sessions_path()
        for info in SessionStore.find_unfinished(root):
            SessionStore.recover(root, info.id)
            print(f"rtstt: recovered interrupted session {info.id} ({info.n_segments} segments)", file=sys.stderr)
        store = SessionStore.create(root, title=source.name, meta={"source": source.name})
    backend = load_backend(settings)
    backend.warm_up()
    engine = Engine(settings, source, backend, store=store)
    engine.warm_up_stages()
    printer = JsonPrinter(realtime=source.realtime) if args.json else TerminalPrinter(settings.speakers.enabled)
    engine.subscribe(printer)
    if args.duration:
        threading.Timer(args.duration, engine.stop).start()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda *_: engine.stop())
        signal.signal(signal.SIGTERM, lambda *_: engine.stop())
    ended = engine.run()
    printer.close()
    for stage in engine.stages:
        if stage.error is not None:
            print(f"rtstt: warning: {stage.name} turned off: {stage.error}", file=sys.stderr)
        elif not args.json and stage.latest.get("keywords"):
            print("key phrases: " + ", ".join(str(p[0]) for p in stage.latest["keywords"]), file=sys.stderr)
    if store is not None and not args.json:
        print(f"session saved: {store.path}", file=sys.stderr)
    if args.output and store is not None:
        from rtstt.session.export import export

        export(store.transcript, args.output)
    _ = ended
    return 1 if engine.error else 0


class JsonPrinter:
    """The machine contract of `rtstt live --json`: one object per line, flushed immediately."""

    def __init__(self, realtime: bool) -> None:
        self.realtime = realtime

    def __call__(self, event: Any) -> None:
        from rtstt.events import (
            EngineError,
            Final,
            Keywords,
            Partial,
            Questions,
            SpeakerLabels,
            StreamEnded,
            Summary,
        )

        obj: dict[str, Any] | None = None
        if isinstance(event, Partial):
            obj = {"type": "partial", "text": event.text, "emitted_at": round(event.emitted_at, 3)}
        elif isinstance(event, Final):
            seg = event.segment
            obj = {
                "type": "final",
                "id": seg.id,
                "start": seg.start,
                "end": seg.end,
                "text": seg.text,
                "words": [
                    {"start": w.start, "end": w.end, "word": w.text, "probability": w.probability} for w in seg.words
                ],
                "emitted_at": round(event.emitted_at, 3),
                "latency_s": round(event.latency_s, 3) if self.realtime else None,
            }
        elif isinstance(event, Keywords):
            obj = {"type": "keywords", "scope": event.scope, "phrases": [list(p) for p in event.phrases]}
        elif isinstance(event, SpeakerLabels):
            obj = {"type": "speakers", "labels": {str(k): v for k, v in event.labels.items()}}
        elif isinstance(event, Questions):
            obj = {
                "type": "questions",
                "items": [{"id": i, "start": st, "speaker": sp, "text": t} for i, st, sp, t in event.items],
            }
        elif isinstance(event, Summary):
            obj = {
                "type": "summary",
                "text": event.text,
                "final": event.final,
                "action_items": list(event.action_items),
            }
        elif isinstance(event, EngineError):
            obj = {"type": "error", "message": event.message, "hint": event.hint, "fatal": event.fatal}
        elif isinstance(event, StreamEnded):
            obj = {"type": "stats", **event.stats}
        if obj is not None:
            sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
            sys.stdout.flush()

    def close(self) -> None:
        pass


class TerminalPrinter:
    """Human view: final lines with timestamps; the tentative partial redrawn in place (dim) on a TTY."""

    def __init__(self, show_ids: bool = False) -> None:
        self.tty = sys.stdout.isatty()
        self.show_ids = show_ids
        self._partial_len = 0
        self._labelled: dict[int, str | None] = {}

    def _dim(self, text: str) -> str:
        return f"\033[2m{text}\033[0m" if self.tty else text

    def __call__(self, event: Any) -> None:
        from rtstt.events import EngineError, Final, Partial, SpeakerLabels, StreamEnded, Summary

        if isinstance(event, SpeakerLabels):
            new = {k: v for k, v in event.labels.items() if k not in self._labelled and v}
            self._labelled.update(event.labels)
            if new:
                self._clear()
                who = ", ".join(f"#{k} {v}" for k, v in sorted(new.items()))
                sys.stdout.write(f"{self._dim('   ↳ ' + who)}\n")
                sys.stdout.flush()
        elif isinstance(event, Summary):
            self._clear()
            title = "summary" if event.final else "summary so far"
            lines = [f"== {title}: {event.text}"] + [f"   - {item}" for item in event.action_items]
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
        elif isinstance(event, Partial) and self.tty:
            text = event.text[-(_columns() - 12) :] if event.text else ""
            sys.stdout.write("\r\033[2K" + (f"\033[2m  … {text}\033[0m" if text else ""))
            sys.stdout.flush()
            self._partial_len = len(text)
        elif isinstance(event, Final):
            seg = event.segment
            self._clear()
            ref = f"#{seg.id} " if self.show_ids else ""  # speaker labels arrive later and name lines by id
            sys.stdout.write(f"[{_clock(seg.start)} → {_clock(seg.end)}] {ref}{seg.text}\n")
            sys.stdout.flush()
        elif isinstance(event, EngineError):
            self._clear()
            print(
                f"rtstt: {'error' if event.fatal else 'warning'}: {event.message}"
                + (f" ({event.hint})" if event.hint else ""),
                file=sys.stderr,
            )
        elif isinstance(event, StreamEnded):
            self._clear()
            s = event.stats
            p50 = s.get("latency_p50_s")
            lat = f", final-text latency p50 {p50:.2f} s" if p50 is not None else ""
            print(
                f"-- {s.get('finals', 0)} segments, {event.audio_s:.1f} s of audio, RTF {s.get('rtf', 0):.2f}"
                f"{lat} ({s.get('model')} on {s.get('device')})",
                file=sys.stderr,
            )

    def _clear(self) -> None:
        if self.tty and self._partial_len:
            sys.stdout.write("\r\033[2K")
            self._partial_len = 0

    def close(self) -> None:
        self._clear()


def _columns() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    h, m = divmod(int(m), 60)
    return f"{h:d}:{m:02d}:{s:04.1f}" if h else f"{m:02d}:{s:04.1f}"


def _cmd_devices(args: argparse.Namespace) -> int:
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


def _cmd_models(args: argparse.Namespace) -> int:
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
        path = manager.import_folder(args.folder, args.name)
        print(f"imported {args.name} into {path}")
        return 0
    return 2


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


def _cmd_sessions(args: argparse.Namespace) -> int:
    from rtstt.session.store import SessionStore

    settings = _settings(args)
    root = settings.sessions_path()
    cmd = args.sessions_command or "list"
    if cmd == "list":
        for info in SessionStore.list_sessions(root):
            state = "" if info.closed else "  (interrupted: run `rtstt sessions recover`)"
            print(f"{info.id}  {info.n_segments:4d} segments  {info.duration_s:7.1f} s  {info.title}{state}")
        return 0
    if cmd == "recover":
        found = SessionStore.find_unfinished(root)
        for info in found:
            store = SessionStore.recover(root, info.id)
            print(f"recovered {info.id}: {len(store.transcript.segments)} segments")
        if not found:
            print("nothing to recover")
        return 0
    if cmd == "export":
        from rtstt.session.export import export

        fmt = _check_output(args.output, args.format)
        store = SessionStore.open(root, args.session_id)
        print(f"wrote {export(store.transcript, args.output, fmt)}")
        return 0
    return 2


def _cmd_components(args: argparse.Namespace) -> int:
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


def _cmd_doctor(args: argparse.Namespace) -> int:
    from rtstt.doctor import run_doctor

    return run_doctor()
