"""`rapport serve [--port 8000] [--no-jobs]`: the web UI and API on a threaded WSGI server, and the job runner in a
thread beside it (the embedded default: SLA ticks and polling need no second process)."""

from django.conf import settings
from django.core.management.base import BaseCommand

CONNECTION_LIMIT = 2000


class Command(BaseCommand):
    help = "Serve Rapport (web UI, API, admin) on http://HOST:PORT, running background jobs in a thread."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--no-jobs", action="store_true", help="run no background jobs here (a `rapport worker` runs them)"
        )

    def handle(self, *args, port, host, threads, no_jobs, **options):
        from waitress import serve

        from rapport.core.runner import start_embedded
        from rapport.wsgi import application

        # Links sent to customers follow the port really served unless RAPPORT_PUBLIC_URL says otherwise.
        shown = "127.0.0.1" if host in ("", "::") or host.startswith("0.") else host
        settings.RAPPORT_SERVED_URL = f"http://{shown}:{port}"
        embedded = None if no_jobs else start_embedded()
        jobs = "background jobs run here" if embedded else "background jobs are left to `rapport worker`"
        self.stdout.write(f"Rapport is serving on http://{host}:{port}/  ({jobs}; Ctrl-C stops it)")
        self.stdout.flush()
        try:
            # A chunked body without Content-Length is capped by the server itself (the middleware caps the rest).
            cap = max(settings.RAPPORT_MAX_BODY_BYTES, settings.RAPPORT_MAX_UPLOAD_BYTES)
            serve(
                application,
                host=host,
                port=port,
                threads=threads,
                ident="rapport",
                _quiet=True,
                max_request_body_size=cap,
                # Every open inbox keeps a keep-alive connection while it polls: waitress's default of 100
                # connections would leave the 101st browser (or a load balancer's health check) waiting for one
                # to close. Idle connections cost a socket, not a thread; poll() has no select()'s 1024-fd limit.
                connection_limit=CONNECTION_LIMIT,
                asyncore_use_poll=True,
            )
        finally:
            if embedded:
                thread, stop = embedded
                stop.set()  # the current job finishes; one cut short is run again after its lease
                thread.join(timeout=10)
