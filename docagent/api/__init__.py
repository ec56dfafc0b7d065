"""The REST service (FastAPI): ``create_app`` builds it; routes live in ``routers/``."""
