"""A small client of the NCI GDC search API (``files``, ``cases``, ``status``; open-access data only, no token).

Requests are ``GET <api>/<endpoint>?filters=<JSON>&fields=a,b&format=json&size=N&from=K&sort=<field>:asc``; a
response is ``{"data": {"hits": [...], "pagination": {"total": T, "from": K, "count": n, ...}}, "warnings": {}}``.
Pages are requested until ``total`` hits arrived (the sort keeps the order stable between pages). A transient
failure (connection, timeout, HTTP 5xx, 429) is retried with backoff; an API error (HTTP 4xx, with the API's own
``message``) or a response that is not the documented shape raises :class:`CohortError` in one line.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.errors import CohortError

__all__ = ["GdcClient", "GdcQuery", "gdc_filter"]

_USER_AGENT = "stamp-bench-fetch-cohort/1"
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def gdc_filter(fields: Mapping[str, str | Sequence[str]]) -> dict[str, Any]:
    """Return an ``and`` of ``in`` filters, one per field (a single value or a list), in the GDC filter language."""
    content = []
    for field, value in fields.items():
        values = [value] if isinstance(value, str) else list(value)
        content.append({"op": "in", "content": {"field": field, "value": values}})
    return {"op": "and", "content": content}


@dataclass(frozen=True)
class GdcQuery:
    """One search: endpoint, filters, fields and the sort that keeps paging stable; recorded as provenance."""

    endpoint: str
    filters: dict[str, Any]
    fields: tuple[str, ...]
    sort: str

    def as_provenance(self, api: str, total: int, when: str) -> dict[str, Any]:
        """Return the query as a label table records it (address, filters, fields, hits, date)."""
        return {
            "url": f"{api.rstrip('/')}/{self.endpoint}",
            "filters": self.filters,
            "fields": list(self.fields),
            "sort": self.sort,
            "total": total,
            "date": when,
        }


class GdcClient:
    """Paged GDC searches over plain HTTP (``urllib``), retried, with one-line errors."""

    def __init__(
        self, api: str, *, page_size: int = 500, retries: int = 3, backoff_s: float = 1.0, timeout_s: float = 60.0
    ) -> None:
        self.api = api.rstrip("/")
        self.page_size = page_size
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s

    def page_url(self, query: GdcQuery, offset: int) -> str:
        """Return the address of one page of a query (deterministic: tests replay responses keyed by it)."""
        params = {
            "filters": json.dumps(query.filters, sort_keys=True, separators=(",", ":")),
            "fields": ",".join(query.fields),
            "format": "json",
            "size": str(self.page_size),
            "from": str(offset),
            "sort": query.sort,
        }
        return f"{self.api}/{query.endpoint}?{urllib.parse.urlencode(params)}"

    def data_url(self, file_id: str) -> str:
        """Download address of an open-access file."""
        return f"{self.api}/data/{file_id}"

    def _get_json(self, url: str) -> dict[str, Any]:
        attempt = 0
        while True:
            attempt += 1
            request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, "Accept": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    body = response.read()
                break
            except urllib.error.HTTPError as err:
                detail = _api_message(err.read() if err.fp is not None else b"") or str(err.reason)
                err.close()
                if err.code not in _RETRY_STATUS or attempt > self.retries:
                    msg = f"the GDC API answered HTTP {err.code} ({detail}) to {url.split('?')[0]}; check the cohort "
                    msg += "definition's projects and filters" if err.code < 500 else "try again later"
                    raise CohortError(msg) from err
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as err:
                if attempt > self.retries:
                    msg = f"cannot reach the GDC API at {self.api} ({getattr(err, 'reason', err)}); check the network"
                    raise CohortError(msg) from err
            time.sleep(self.backoff_s * 2 ** (attempt - 1))
        try:
            doc = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            msg = f"the GDC API sent something that is not JSON from {url.split('?')[0]}; try again later"
            raise CohortError(msg) from exc
        if not isinstance(doc, dict):
            msg = f"the GDC API sent an unexpected JSON document from {url.split('?')[0]}"
            raise CohortError(msg)
        return doc

    def search(
        self, query: GdcQuery, *, on_page: Callable[[int, int], None] | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """All hits of a query, page by page; ``on_page(received, total)`` after each page. Returns (hits, total)."""
        hits: list[dict[str, Any]] = []
        total = None
        while total is None or len(hits) < total:
            url = self.page_url(query, len(hits))
            data = self._get_json(url).get("data")
            page = data.get("hits") if isinstance(data, dict) else None
            pagination = data.get("pagination") if isinstance(data, dict) else None
            if not isinstance(page, list) or not isinstance(pagination, dict) or "total" not in pagination:
                msg = f"the GDC API response from {url.split('?')[0]} has no data.hits / data.pagination.total"
                raise CohortError(msg)
            total = int(pagination["total"])
            if not page and len(hits) < total:
                msg = f"the GDC API stopped after {len(hits)} of {total} hits of {query.endpoint}; try again later"
                raise CohortError(msg)
            hits.extend(page)
            if on_page is not None:
                on_page(len(hits), total)
        return hits, total

    def status(self) -> dict[str, Any]:
        """Return the API's ``status`` document (holds the data release); empty when the API does not answer it."""
        try:
            return self._get_json(f"{self.api}/status")
        except CohortError:
            return {}


def _api_message(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return body.decode("utf-8", "replace").strip()[:200]
    return str(doc.get("message", "")) if isinstance(doc, dict) else ""
