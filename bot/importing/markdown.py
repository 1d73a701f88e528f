"""Placeholder: the markdown parser comes next."""
