"""Compatibility shim: `uvicorn --factory dialplan_compiler.server:app_from_env`
as documented before the server moved to `dialplan_compiler.menus.server`."""

from .menus.server import app_from_env  # noqa: F401
