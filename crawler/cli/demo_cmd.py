"""`nianbao demo-site`: serve the bundled demo portal locally until Ctrl-C (SIGINT) or SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from crawler.cli.app import app


@app.command("demo-site")
def demo_site_cmd(
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (keep it local)."),
) -> None:
    """Serve the bundled demo 政务公开 portal (five seed reports, HTML/GBK/PDF/SiteServer pages)."""
    from demo_site import truth
    from demo_site.server import serve

    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()  # only a flag: the main loop below stops the server, whatever it was doing

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        reports = len(truth().reports)
        try:
            server = serve(host=host, port=port)
        except OSError as exc:
            raise typer.BadParameter(f"cannot listen on {host}:{port}: {exc}", param_hint="--port") from None
        try:
            typer.echo(f"demo site serving at {server.base_url}/ (Ctrl-C to stop)")
            typer.echo(f"{reports} annual reports; crawl it with: nianbao crawl {server.base_url}/ "
                       "-s NIANBAO_ALLOW_PRIVATE=127.0.0.0/8", err=True)
            while not stop.wait(0.5):
                pass
            typer.echo("stopping", err=True)
        finally:
            server.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
