from __future__ import annotations

from conveyor.cli.main import main

raise SystemExit(main())
