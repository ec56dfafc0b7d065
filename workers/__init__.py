"""Celery app and thin tasks that call ``indexing`` and ``vlm``."""
