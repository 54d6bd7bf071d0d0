"""`rapport serve [--port 8000]`: the web UI and API on a threaded WSGI server."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Rapport (web UI, API, admin) on http://HOST:PORT."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, port, host, threads, **options):
        from waitress import serve

        from rapport.wsgi import application

        self.stdout.write(f"Rapport is serving on http://{host}:{port}/  (Ctrl-C stops it)")
        self.stdout.flush()
        serve(application, host=host, port=port, threads=threads, ident="rapport", _quiet=True)
