"""Documents -> pages -> crops -> text -> vectors -> FAISS, and hybrid search over them.

Usable as a plain library: nothing here imports ``docagent`` or ``workers``.
"""
