"""Placeholder: the notes parser comes next."""
