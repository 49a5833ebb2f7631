"""Governor's routing client and the `governor` command.

Imports nothing from Django (or Celery): CI jobs, CLIs and IDE plugins install
the package and use only this subpackage and `governance.engine`.
"""
