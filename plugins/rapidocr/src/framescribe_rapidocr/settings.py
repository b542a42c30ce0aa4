"""Settings of the ``rapidocr`` backend (``[backends.rapidocr]`` in the config file)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from framescribe import BackendSettings


class RapidOcrSettings(BackendSettings):
    min_confidence: float = Field(0.5, ge=0, le=1, description="drop text lines the recogniser scores below this")
    use_angle_cls: bool = Field(True, description="detect and turn upside-down text lines before reading them")
    threads: int = Field(0, ge=0, le=64, description="ONNX Runtime threads per model; 0 lets ONNX Runtime decide")
    max_side: int = Field(960, ge=64, le=4096,
                          description="the text detector sees images scaled down to at most this many pixels on the longer "
                          "side; larger finds smaller text, more slowly")
    sample_rate: float = Field(4.0, ge=0.05, le=60, description="video: frames sampled per second")
    detector: Literal["stable", "full_frame"] = Field(
        "stable",
        description="video: 'stable' reads the overlay text the pipeline finds (fast); "
        "'full_frame' lets RapidOCR find text in whole frames, scene text included (slow)",
    )
    persistent_text: Literal["keep", "drop"] = Field(
        "keep", description="video: texts on screen for most of the video (logos, watermarks) are kept and marked "
        "`persistent`; 'drop' leaves them out")
