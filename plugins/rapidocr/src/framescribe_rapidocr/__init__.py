"""framescribe backend `rapidocr`: RapidOCR for images and text in video."""
