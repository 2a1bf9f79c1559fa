"""The review page: a small Flask app over a `doctables.Client` (jobs, uploads, job views, exports)."""

from doctables.local.ui.server import UiServer, create_app, safe_upload_name, start_ui

__all__ = ["UiServer", "create_app", "safe_upload_name", "start_ui"]
