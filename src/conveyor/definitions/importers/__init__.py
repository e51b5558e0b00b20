"""Importers: definition formats other than conveyor's own, translated into the same model (``Pipeline``).

Each importer lives in its own subpackage and reuses the native loader's pieces (``yamlsrc`` for located
YAML, ``validate.check_graph`` for the graph rules), so that every format reports problems the same way
(``FILE:LINE:COL: message``) and obeys the same graph rules. Nothing is imported here: the CLI asks an
importer's cheap ``detect`` first, and pays for the importer only when a file needs it.

- ``shippable``: Shippable Assembly Lines (``shippable.yml`` and its split files).
"""

from __future__ import annotations
