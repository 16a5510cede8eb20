"""The `rtstt` command: the window, live and offline transcription, devices, models, doctor.

Every user-facing failure is an `RtsttError`: one line on stderr and exit code 2, never a traceback.
A file damaged part-way is one too, after everything before the damage is transcribed and written
(`AudioEndedEarly`: "ended early at 12.3 s: the file is damaged (...)"). `rtstt live` exits 1 when the
stream stopped on another error mid-way (the error is one line in the stream's output).
Heavy modules (faster-whisper, Qt) are imported inside the commands, so `rtstt --help` is instant.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from rtstt import __version__
from rtstt.cli.common import SPEAKERS_ON, check_output, settings_from
from rtstt.cli.manage import cmd_components, cmd_devices, cmd_doctor, cmd_models, cmd_sessions
from rtstt.cli.printers import JsonPrinter, TerminalPrinter
from rtstt.errors import AudioEndedEarly, RtsttError
from rtstt.vocab import COMPUTE_DEVICES, EXPORT_FORMATS, MIC_TRACK

# ---- argument parsing ------------------------------------------------------------------------


def _add_model_options(p: argparse.ArgumentParser, device_flag: bool = True) -> None:
    g = p.add_argument_group("model")
    g.add_argument("--model", help="model name (tiny.en, base, small, large-v3, ...) or a model folder")
    flags = ("--device", "--compute-device") if device_flag else ("--compute-device",)
    g.add_argument(*flags, dest="stt_device", choices=COMPUTE_DEVICES, help="inference device")
    g.add_argument("--compute-type", help="CTranslate2 compute type (auto, int8, float16, ...)")
    g.add_argument("--language", help="spoken language code, or 'auto' (multilingual models)")
    g.add_argument(
        "--vocabulary",
        metavar="WORDS|FILE",
        help='words to expect, e.g. "Siobhan, Kubernetes, Grafana" (names, products, jargon), or a text file of them',
    )
    g.add_argument(
        "--translate",
        action="store_true",
        help="write English text whatever language is spoken (multilingual models; the language is detected)",
    )
    g.add_argument("--threads", type=int, help="CPU threads for inference (0 = all cores)")
    g.add_argument("--beam-size", type=int, help="beam size (1 = greedy, fastest)")


def _add_summary_model_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--summary-model",
        metavar="NAME|FOLDER|FILE.gguf",
        help="the summary LLM (implies --summary): a .gguf file (run by llama.cpp on the CPU), a model folder, "
        "a name in the models folder or a Hugging Face id already downloaded; default: the offline SmolLM2",
    )


def _speaker_count(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of speakers, got {text!r}") from None


def _add_speakers_option(p: argparse.ArgumentParser, what: str) -> None:
    """`--speakers` alone turns speaker labels on; `--speakers N` also says how many people speak (0 = find
    out). args.speakers is None (off), SPEAKERS_ON (the flag alone) or the number."""
    p.add_argument(
        "--speakers",
        nargs="?",
        const=SPEAKERS_ON,
        type=_speaker_count,
        metavar="N",
        help=f"{what}; N: how many people speak, when known (0 = find out)",
    )


def _split_speakers_flag(argv: list[str]) -> list[str]:
    """`--speakers meeting.wav`: the flag alone before a positional argument, not a count (what
    `--speakers` followed by the file meant before it took an optional number)."""
    out = list(argv)
    for i, arg in enumerate(out[:-1]):
        if arg == "--speakers" and not out[i + 1].startswith("-"):
            try:
                int(out[i + 1])
            except ValueError:
                out[i] = f"--speakers={SPEAKERS_ON}"
    return out


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
    _add_speakers_option(p, "label who spoke (S1, S2, ...) in every format")
    p.add_argument("--summary", action="store_true", help="a summary with action items (JSON, DOCX, TXT)")
    _add_summary_model_option(p)
    _add_model_options(p)

    p = sub.add_parser("live", help="transcribe live audio and print the transcript as it grows")
    # --call takes both --device and --loopback, so which combinations are allowed is checked in main
    p.add_argument("--input", type=Path, help="an audio or video file (default: the bundled sample)")
    p.add_argument(
        "--device",
        dest="audio_device",
        help="microphone id from `rtstt devices` or 'default' (auto/cpu/cuda here pick the inference device)",
    )
    p.add_argument("--loopback", nargs="?", const="", metavar="ID", help="system audio (what you hear)")
    p.add_argument(
        "--call",
        action="store_true",
        help="a call as two tracks: you on the microphone (--device), the others on system audio (--loopback)",
    )
    p.add_argument("--realtime", action="store_true", help="replay --input at the speed of speech")
    p.add_argument("--json", action="store_true", help="one JSON object per line (partial, final, stats)")
    p.add_argument("--no-save", action="store_true", help="do not keep a session journal")
    p.add_argument("-o", "--output", type=Path, help="also export the transcript here when the stream ends")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--insights", action="store_true", help="key phrases and questions as they come up")
    _add_speakers_option(p, "label who spoke (S1, S2, ...)")
    p.add_argument("--summary", action="store_true", help="a rolling summary, and a final one with action items")
    _add_summary_model_option(p)
    _add_model_options(p, device_flag=False)

    sub.add_parser("devices", help="list microphones and system-audio (loopback) sources")

    p = sub.add_parser("models", help="list, fetch, verify or import models")
    msub = p.add_subparsers(dest="models_command")
    msub.add_parser("list", help="installed and available models (default)")
    f = msub.add_parser("fetch", help="download a Whisper, summary or speaker model (needs internet)")
    f.add_argument("name")
    v = msub.add_parser("verify", help="check a model's files")
    v.add_argument("name")
    i = msub.add_parser(
        "import", help="copy a local faster-whisper model folder, or a WeSpeaker .onnx file, into the app"
    )
    i.add_argument("folder", type=Path, help="a faster-whisper model folder, or a WeSpeaker speaker model .onnx")
    i.add_argument("name", nargs="?", default="", help="the name to use (optional for a .onnx file)")

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


def live_source_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with `rtstt live`'s choice of source, or None: one source, except that --call listens
    to a microphone and system audio together."""
    if args.input is not None:
        given = [f for f, v in (("--device", args.audio_device), ("--loopback", args.loopback)) if v is not None]
        if args.call:
            given.append("--call")
        if given:
            return f"argument --input: not allowed with {given[0]}"
    elif args.audio_device is not None and args.loopback is not None and not args.call:
        return "--device and --loopback together need --call (you on the microphone, the others on system audio)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_split_speakers_flag(sys.argv[1:] if argv is None else argv))
    if getattr(sys, "frozen", False):  # the optional stacks the user installed (see rtstt.components)
        from rtstt.components.runtime import activate

        activate()
    if getattr(args, "audio_device", None) in COMPUTE_DEVICES:
        # `live --device cuda`: the common --device option, not a microphone called "cuda".
        args.stt_device, args.audio_device = args.audio_device, None
    if args.command == "live" and (problem := live_source_problem(args)):
        parser.error(problem)
    try:
        if args.smoke_test or args.command is None:
            return _cmd_window(args)
        handler = {
            "transcribe": _cmd_transcribe,
            "live": _cmd_live,
            "devices": cmd_devices,
            "models": cmd_models,
            "sessions": cmd_sessions,
            "doctor": cmd_doctor,
            "components": cmd_components,
        }[args.command]
        return handler(args)
    except RtsttError as exc:
        print(f"rtstt: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


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
    from rtstt.runner import Runner, SourceChoice
    from rtstt.session.export import ExportOptions

    fmt = check_output(args.output, args.format)
    runner = Runner(settings_from(args), SourceChoice("file", args.file, realtime=False), save=False)
    session = runner.open_session(title=args.file.stem)
    ended = runner.run()
    damaged = runner.error if isinstance(runner.error, AudioEndedEarly) else None
    if runner.error and not damaged:
        raise runner.error
    _warn_stages(runner)
    path = session.export(args.output, fmt, ExportOptions(timestamps=not args.no_timestamps))
    if damaged:  # everything before the damage is transcribed and written; the line says where it ended
        print(f"rtstt: error: {damaged.message} (the transcript up to there is in {path})", file=sys.stderr)
        return damaged.exit_code
    print(
        f"wrote {path} ({len(session)} segments, {ended.audio_s:.1f} s of audio in {ended.wall_s:.1f} s)",
        file=sys.stderr,
    )
    return 0


def _live_choice(args: argparse.Namespace):
    from rtstt.resources import bundled_sample
    from rtstt.runner import SourceChoice

    if args.call:
        return SourceChoice("call", device=args.audio_device or "", loopback_device=args.loopback or "")
    if args.audio_device is not None:
        return SourceChoice("mic", device=args.audio_device or "default")
    if args.loopback is not None:
        return SourceChoice("loopback", loopback_device=args.loopback)
    return SourceChoice("file", args.input or bundled_sample(), realtime=args.realtime)


def _cmd_live(args: argparse.Namespace) -> int:
    from rtstt.runner import Runner, recover_interrupted

    if args.output:
        check_output(args.output, None)
    settings = settings_from(args)
    if not args.no_save:
        for info in recover_interrupted(settings):
            print(f"rtstt: recovered interrupted session {info.id} ({info.n_segments} segments)", file=sys.stderr)
    choice = _live_choice(args)
    runner = Runner(settings, choice, save=not args.no_save)
    names = {MIC_TRACK: settings.speakers.my_name}  # a call's lines say who spoke: "You" (or the name set) / "Others"
    printer = JsonPrinter(realtime=choice.realtime) if args.json else TerminalPrinter(settings.speakers.enabled, names)
    runner.subscribe(printer)
    session = runner.open_session()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda *_: runner.stop())
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    if runner.prepare() is not None and args.duration:  # --duration counts from listening, not loading
        threading.Timer(args.duration, runner.stop).start()
    runner.run()
    printer.close()
    _warn_stages(runner)
    keywords = session.insights.keywords
    if keywords and not args.json:
        print("key phrases: " + ", ".join(p for p, _ in keywords), file=sys.stderr)
    if session.saved and not args.json:
        print(f"session saved: {session.path}", file=sys.stderr)
    if args.output:
        session.export(args.output)
    if isinstance(runner.error, AudioEndedEarly):  # a file damaged part-way: its transcript is kept
        return runner.error.exit_code
    return 1 if runner.error else 0


def _warn_stages(runner) -> None:
    for name, error in runner.stage_problems():
        print(f"rtstt: warning: {name} turned off: {error}", file=sys.stderr)
