"""``dynaform ui``: a local web browser for the project's tables (Starlette, server-rendered
Jinja2 templates and htmx, shipped as a static file: no Node build step)."""
