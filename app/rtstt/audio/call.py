"""A call as two tracks: the microphone (the user) and the system audio (the others), kept apart.

The "mix" source sums both into one stream and so throws away who said what. A `CallSource` only holds
the two sources: the engine reads each as its own track (its own VAD and commit policy, one shared Whisper
model) and tags every line with the track it was heard on. It is not an `AudioSource` itself: nothing reads
it as one stream.
"""

from __future__ import annotations

from rtstt.audio.base import AudioSource
from rtstt.errors import RtsttError
from rtstt.vocab import MIC_TRACK as MIC
from rtstt.vocab import SYSTEM_TRACK as SYSTEM

TRACK_NAMES = {MIC: "microphone", SYSTEM: "system audio"}
"""How the user hears of a track in messages ("microphone disconnected: ...")."""


class CallSource:
    """The two sources of a call. `tracks()` lists the system audio first: in a file replay its blocks are
    read before the microphone's of the same time, so the echo suppressor's reference is never late."""

    def __init__(self, mic: AudioSource, system: AudioSource) -> None:
        self.mic = mic
        self.system = system
        self.name = f"{mic.name} + {system.name}"
        self.realtime = bool(mic.realtime and system.realtime)
        self.error: RtsttError | None = None  # the engine reports each track's own error

    def tracks(self) -> dict[str, AudioSource]:
        return {SYSTEM: self.system, MIC: self.mic}

    def start(self) -> None:
        for source in self.tracks().values():
            source.start()

    def stop(self) -> None:
        for source in self.tracks().values():
            source.stop()
