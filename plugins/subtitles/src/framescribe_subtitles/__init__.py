"""framescribe-subtitles: transcripts from subtitle files and embedded subtitle streams."""
