"""Start the real window on a real X screen (Xvfb when there is no display), transcribe the bundled
sample live for a while, and save a screenshot of the screen: `docs/screenshot.png`.

    python tests/screenshot.py [--out docs/screenshot.png] [--seconds 14] [--theme light|dark] [--extras]

`--extras` also saves, next to `--out`: `<name>-first-run.png` (the fresh window before Start) and
`<name>-captions.png` (View › Captions open over the window, with tentative words in grey when possible).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def start_xvfb(size: str = "1280x800x24") -> subprocess.Popen[bytes]:
    if shutil.which("Xvfb") is None:
        sys.exit("Xvfb is missing: apt-get install xvfb libxcb-icccm4 libxcb-keysyms1")
    for n in range(90, 110):
        if not Path(f"/tmp/.X11-unix/X{n}").exists():
            proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", size, "-nolisten", "tcp"])
            os.environ["DISPLAY"] = f":{n}"
            deadline = time.monotonic() + 10
            while not Path(f"/tmp/.X11-unix/X{n}").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            return proc
    sys.exit("no free X display number")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--seconds", type=float, default=50.0)
    parser.add_argument("--audio", type=Path, default=REPO / "tests" / "fixtures" / "conversation.flac")
    parser.add_argument("--theme", default="light", choices=("light", "dark", "system"))
    parser.add_argument("--extras", action="store_true", help="also the first-run and the caption window")
    args = parser.parse_args()
    xvfb = start_xvfb() if not os.environ.get("DISPLAY") else None
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ.setdefault("RTSTT_HOME", tempfile.mkdtemp(prefix="rtstt-shot-"))
    try:
        from PySide6.QtCore import QTimer
        from PySide6.QtGui import QGuiApplication

        from rtstt import config
        from rtstt.gui.app import make_app
        from rtstt.gui.main_window import MainWindow
        from rtstt.resources import bundled_sample

        app = make_app()
        settings = config.Settings().with_overrides(
            appearance__theme=args.theme,
            stt__threads=2,
            audio__source="file",
            insights__enabled=True,
            insights__interval_s=2.0,
            speakers__enabled=True,
            summary__enabled=True,
        )
        window = MainWindow(settings)
        window.setGeometry(0, 0, 1280, 800)
        window.show()
        window.file_path = args.audio if args.audio.exists() else bundled_sample()
        window.choose_file = lambda: None
        window.source_combo.setItemText(window.source_combo.findData("file"), f"File: {window.file_path.name}")
        window.source_combo.setCurrentIndex(window.source_combo.findData("file"))

        def save(path: Path) -> None:
            shot = QGuiApplication.primaryScreen().grabWindow(0)  # the X screen itself, not a widget render
            path.parent.mkdir(parents=True, exist_ok=True)
            shot.save(str(path))
            print(f"saved {path} ({shot.width()}x{shot.height()})")

        def extra(kind: str) -> Path:
            return args.out.with_name(f"{args.out.stem}-{kind}{args.out.suffix}")

        def finish() -> None:
            window.sessionFinished.connect(lambda _e: app.quit())
            window.stop()

        def shoot() -> None:
            save(args.out)
            if not args.extras:
                finish()
                return
            window.captions_action.trigger()  # View › Captions, along the bottom of the screen
            deadline = time.monotonic() + 8

            def shoot_captions() -> None:  # best with tentative (grey) words on show
                if not window.captions.tentative_words() and time.monotonic() < deadline:
                    QTimer.singleShot(50, shoot_captions)
                    return
                save(extra("captions"))
                finish()

            QTimer.singleShot(1500, shoot_captions)

        window._ask_speaker_name = lambda current: {"S1": "Alex", "S2": "Sam"}.get(current)  # named by the user
        end_ms = int(args.seconds * 1000)

        def wait_for_listening() -> None:  # once the models are loaded (the clock runs), time the shot
            if window.status_bar.started_at is None:
                QTimer.singleShot(200, wait_for_listening)
                return
            QTimer.singleShot(end_ms - 15000, lambda: [window.controller.rename_speaker(s) for s in ("S1", "S2")])
            QTimer.singleShot(end_ms - 30000, window.controller.summarize_now)
            QTimer.singleShot(end_ms, shoot)

        def first_run() -> None:  # the fresh window, before Start
            save(extra("first-run"))
            window.start()
            wait_for_listening()

        if args.extras:
            QTimer.singleShot(1500, first_run)
        else:
            window.start()
            wait_for_listening()
        app.exec()
        return 0
    finally:
        if xvfb is not None:
            xvfb.terminate()


if __name__ == "__main__":
    sys.exit(main())
