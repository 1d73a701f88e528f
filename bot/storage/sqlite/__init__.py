"""The SQLite backend: the embedded default, one file and one writer thread with group commit."""
