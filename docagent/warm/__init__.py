"""The warm process: a background server that keeps Kiwi, the embedder, the database engine and
the index caches loaded, so that CLI commands answered by it skip seconds of start-up.

``common`` holds what both sides share (the key, the paths, the framing), ``server`` the
process and its operations, ``client`` what a CLI command calls. One JSON request per
connection: ``{"v", "key", "op", "args"}``, answered by ``{"ok": true, "result"}`` or
``{"ok": false, "error": {"code", "message"}}``. Another command (``ask``, with its model)
joins by adding its operation to ``server.OPS`` and calling ``client.call(settings, "ask",
args)`` before doing the work itself.
"""
