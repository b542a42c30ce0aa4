"""framescribe.images (format sniffing before upload) and layout_from_text (layout for text-only services)."""

from __future__ import annotations

from pathlib import Path

import pytest

from framescribe import BadInput, layout_from_text
from framescribe.images import image_format, sniff


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "tiff"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "webp"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00", "avif"),
        (b"%PDF-1.7\n", None),
        (b"", None),
    ],
)
def test_sniff(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected


def test_a_text_file_is_bad_input_naming_the_backend(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("not an image at all")
    with pytest.raises(BadInput) as err:
        image_format(path, "someapi")
    assert "notes.png" in str(err.value) and "someapi" in str(err.value)


def test_layout_from_text_splits_paragraphs_lines_and_words() -> None:
    blocks = layout_from_text("Total due\n12.50 EUR\n\n\nThank you")
    assert [[[w.text for w in line.words] for line in block.lines] for block in blocks] == [
        [["Total", "due"], ["12.50", "EUR"]],
        [["Thank", "you"]],
    ]
    assert layout_from_text("  \n") == []
