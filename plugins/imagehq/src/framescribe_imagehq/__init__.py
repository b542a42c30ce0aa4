"""framescribe backend ``imagehq``: image OCR through the asynchronous ImageHQ OCR API.

``POST /v1/ocr`` answers ``202 Accepted`` with a job; the job is polled until it
succeeds, fails or expires, and its outputs are fetched before they expire.
"""
