"""The PostgreSQL backend, for deployments past one process: several bot processes share one server."""
