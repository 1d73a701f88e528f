"""Platform adapters: each translates platform events into core calls and core results into messages."""
