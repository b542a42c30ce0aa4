"""framescribe backend plugin."""
