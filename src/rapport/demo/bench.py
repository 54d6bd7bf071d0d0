"""The whole product under load on loopback: webhooks, agents' live inboxes and replies, marketers on the API."""

from __future__ import annotations

NAME = "load"  # `rapport bench load`


def add_arguments(parser) -> None:
    parser.add_argument("--minutes", type=float, default=5.0, help="how long the traffic runs")
    parser.add_argument("--agents", type=int, default=200, help="agents with the live inbox open")
    parser.add_argument("--marketers", type=int, default=20, help="marketers querying mentions and contacts")
    parser.add_argument("--posts-per-s", type=int, default=1000, help="posts a second through the signed webhook")
    parser.add_argument("--threads", type=int, default=8, help="threads of the `rapport serve` under test")
    parser.add_argument(
        "--faults",
        action="store_true",
        help="SIGKILL a worker (or, without a queue, the server), then restart Redis and PostgreSQL during the "
        "traffic (private servers the run starts and removes)",
    )
    parser.add_argument("--answer-share", type=float, default=0.03, help="share of polls after which an agent answers")


def run(options: dict, write) -> None:
    from rapport.demo.load.orchestrate import load_run

    load_run(options, write)
