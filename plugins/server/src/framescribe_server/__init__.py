"""framescribe-server: ``framescribe serve``, the seeds' cloud APIs answered by the local chains.

Importing this package is cheap; FastAPI and uvicorn load when the server starts.
"""

NAME = "server"
