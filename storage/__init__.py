"""Persistence: SQLAlchemy models, the content-addressed raw store, exports."""
