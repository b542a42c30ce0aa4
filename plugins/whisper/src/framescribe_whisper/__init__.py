"""framescribe-whisper: offline speech recognition with faster-whisper."""
