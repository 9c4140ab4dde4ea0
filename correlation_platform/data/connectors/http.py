"""The one place that touches the network, with a timeout and a clear error."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

Fetch = Callable[[str, dict], bytes]


def http_fetch(url: str, params: dict, *, timeout: float = 30.0) -> bytes:
    """GET ``url`` with query ``params``; a network failure is a ConnectionError.

    The message masks parameters whose name contains ``key``.

    Parameters
    ----------
    url : str
        The endpoint.
    params : dict
        Query parameters.
    timeout : float, default 30.0
        Seconds before giving up.

    Returns
    -------
    bytes
        The response body.
    """
    full = f"{url}?{urllib.parse.urlencode(params)}" if params else url
    request = urllib.request.Request(full, headers={"User-Agent": "correlation-platform/0.1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, TimeoutError) as exc:
        safe = {k: ("***" if "key" in k else v) for k, v in params.items()}
        raise ConnectionError(f"could not fetch {url} with {safe}: {exc}") from exc
