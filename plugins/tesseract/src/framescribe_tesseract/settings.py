"""Settings of the `tesseract` backend (``[backends.tesseract]`` in the config)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from framescribe.settings import BackendSettings


class TesseractSettings(BackendSettings):
    engine: Literal["auto", "tesserocr", "pytesseract"] = Field(
        "auto", description="auto prefers in-process tesserocr, then the tesseract binary via pytesseract")
    languages: str = Field("eng", description="Tesseract languages joined by '+', e.g. 'eng+deu'")
    psm: int = Field(3, ge=0, le=13, description="page segmentation mode for images (3 = automatic)")
    oem: int = Field(1, ge=0, le=3, description="OCR engine mode (1 = LSTM)")
    dpi: int = Field(300, ge=50, le=2400, description="resolution Tesseract assumes when the image does not say")
    detect_orientation: bool = Field(True, description="when a page reads poorly, find its rotation (OSD) and read it "
                                     "turned upright if that reads better; false skips the check")
    preprocess: bool = Field(True, description="greyscale and enlarge small images before OCR")
    min_confidence: float = Field(0.0, ge=0, le=1, description="image OCR: words below this confidence are dropped")
    max_pixels: int = Field(60_000_000, ge=1, description="images with more pixels are refused (decompression bombs)")
    tessdata_dir: Path | None = Field(None, description="folder with *.traineddata; default: the tessdata.* packages")
    tesseract_cmd: str | None = Field(None, description="tesseract binary for the pytesseract engine")
    workers: int = Field(0, ge=0, le=64, description="threads for one image (its pages, or the parts of one page with "
                         "much text); 0 = one per core, splitting a page only when a core is idle")
    # text in video
    sample_rate: float = Field(4.0, ge=0.05, le=60, description="video: frames sampled per second")
    video_min_confidence: float = Field(0.5, ge=0, le=1, description="video: readings below this are dropped")
    min_text_height: int = Field(10, ge=1, description="video: text lines shorter than this (pixels) are ignored")
    regions: list[tuple[float, float, float, float]] = Field(
        default_factory=list, description="video: areas (x, y, w, h) to read; fractions if <= 1, else pixels")
    every_frame: bool = Field(False, description="video: decode every frame for frame-exact boundaries; by default "
                              "frames no other frame refers to are skipped (40 % less decoding, boundaries within 1-2 frames)")
    persistent_text: Literal["keep", "drop"] = Field(
        "keep", description="video: texts on screen for most of the video (logos, watermarks) are kept and marked "
        "`persistent`; 'drop' leaves them out")

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: str) -> str:
        parts = [p.strip() for p in v.split("+")]
        if not all(p and p.replace("_", "").isalnum() for p in parts):
            raise ValueError(f"languages must be Tesseract codes joined by '+', like 'eng+deu', not {v!r}")
        return "+".join(parts)
