"""Alerts: JSON files in CORRPLAT_HOME/alerts, optionally posted to a webhook.

The folder is an outbox any pager can watch.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from correlation_platform.paths import subdir

log = logging.getLogger(__name__)


def write_alert(kind: str, key: str, payload: dict) -> Path:
    """Write one alert; the same (kind, key) overwrites, so re-evaluations do not duplicate.

    Parameters
    ----------
    kind : str
        Alert family (``correlation-drift``, ``run-failure``, ``pretrade_blocked``).
    key : str
        Identity within the family (an episode, a run id, a partition).
    payload : dict
        JSON-serialisable details.

    Returns
    -------
    Path
        The alert file, ``alerts/<kind>-<key>.json``.
    """
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)
    path = subdir("alerts") / f"{kind}-{safe}.json"
    body = alert_body(kind, key, payload)
    path.write_text(json.dumps(body, indent=2, default=str), encoding="utf-8")
    log.warning("ALERT %s %s: %s", kind, key, payload)
    return path


def alert_body(kind: str, key: str, payload: dict) -> dict:
    """The JSON document of one alert (file and webhook alike).

    Parameters
    ----------
    kind : str
        Alert family (``correlation-drift``, ``run-failure``, ``pretrade_blocked``).
    key : str
        Identity within the family (an episode, a run id, a partition).
    payload : dict
        JSON-serialisable details.

    Returns
    -------
    dict
        The document, with the time it was written.
    """
    return {"kind": kind, "key": key, "written_at": datetime.now(UTC).isoformat(), **payload}


@dataclass(frozen=True)
class AlertWebhook:
    """POST each alert as JSON to ``url`` (Slack-, PagerDuty- or Teams-style endpoints).

    Parameters
    ----------
    url : str
        The endpoint; an ``http`` or ``https`` URL.
    timeout : float
        Seconds before a post is abandoned (the alert file is written regardless).
    """

    url: str
    timeout: float = 5.0

    def __post_init__(self):
        """Refuse a URL that is not http(s)."""
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"webhook url must start with http:// or https://, got {self.url!r}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")

    def post(self, kind: str, key: str, payload: dict) -> str | None:
        """Send one alert; never raises.

        Parameters
        ----------
        kind, key, payload
            As in :func:`write_alert`.

        Returns
        -------
        str or None
            None on success, else the error text.
        """
        data = json.dumps(alert_body(kind, key, payload), default=str).encode()
        request = urllib.request.Request(
            self.url, data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                if response.status >= 300:
                    return f"HTTP {response.status}"
        except (urllib.error.URLError, OSError) as exc:
            log.warning("alert webhook %s failed: %s", self.url, exc)
            return f"{type(exc).__name__}: {exc}"
        return None
