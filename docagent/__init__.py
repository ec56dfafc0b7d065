"""docagent: the service (settings, database, REST API, agent, CLI)."""

__version__ = "0.1.0"
