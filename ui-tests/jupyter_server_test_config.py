"""Server configuration for the integration tests (galata).

Opposite to production use: no token, no password, no XSRF check (see
``jupyterlab.galata.configure_jupyter_server``). Only for tests on this machine.
"""
import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 - `c` is the config object Jupyter passes in

# CI and the developers' machines run as root; the server refuses to start as root otherwise.
c.ServerApp.allow_root = True  # noqa: F821
# galata hard-codes 8888 without retries; use our own port so that a JupyterLab a developer
# keeps open on 8888 neither blocks the tests nor gets tested by mistake. playwright.config.js
# reads the same variable.
c.ServerApp.port = int(os.environ.get("EAGER_LAB_UI_PORT", "8765"))  # noqa: F821
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
# The same file configures the Notebook 7 server of the notebook7/ tests: expose its
# application object as galata does JupyterLab's (window.jupyterapp).
c.JupyterNotebookApp.expose_app_in_browser = True  # noqa: F821
# Warnings and errors only: the server's per-request INFO lines would bury the test report
# (Playwright prints the web server's output).
c.ServerApp.log_level = "WARN"  # noqa: F821
