"""studybot's platform-independent core: content, storage, scheduling and the study rules."""
