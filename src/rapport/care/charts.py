"""Server-rendered SVG geometry for the report: SLA share met and average effort per channel."""

from __future__ import annotations

from typing import Any


def report_chart(sla: dict, effort: dict, *, width: int = 640, row: int = 28) -> dict[str, Any]:
    """Two bars per channel: share of SLA targets met (0-100%) and CES (1-7 scaled to the same width)."""
    channels = sorted(set(sla.get("channels", {})) | set(effort.get("channels", {})))
    label_w, bar_w = 110, (width - 110 - 60) / 2
    rows = []
    for i, ch in enumerate(channels):
        share = (sla["channels"].get(ch) or {}).get("share_met")
        ces = (effort["channels"].get(ch) or {}).get("ces")
        rows.append(
            {
                "y": i * row,
                "channel": ch,
                "sla_w": round(bar_w * share, 1) if share is not None else 0,
                "sla": share,
                "ces_x": label_w + bar_w + 30,
                "ces_w": round(bar_w * (ces - 1) / 6, 1) if ces else 0,
                "ces": ces,
            }
        )
    return {
        "width": width,
        "height": max(row * len(rows), row) + 24,
        "rows": rows,
        "label_w": label_w,
        "bar_w": bar_w,
        "ces_x": label_w + bar_w + 30,
    }
