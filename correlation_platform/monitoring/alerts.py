"""Alerts land as JSON files in CORRPLAT_HOME/alerts (an outbox any pager can watch)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from correlation_platform.paths import subdir

log = logging.getLogger(__name__)


def write_alert(kind: str, key: str, payload: dict) -> Path:
    """Write one alert; the same (kind, key) overwrites, so re-evaluations do not duplicate."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)
    path = subdir("alerts") / f"{kind}-{safe}.json"
    body = {"kind": kind, "key": key, "written_at": datetime.now(UTC).isoformat(), **payload}
    path.write_text(json.dumps(body, indent=2, default=str), encoding="utf-8")
    log.warning("ALERT %s %s: %s", kind, key, payload)
    return path
