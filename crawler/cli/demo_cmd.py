"""`nianbao demo-site`: serve the bundled demo portal locally until Ctrl-C."""

from __future__ import annotations

import threading

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

    try:
        server = serve(host=host, port=port)
    except OSError as exc:
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {exc}", param_hint="--port") from None
    typer.echo(f"demo site serving at {server.base_url}/ (Ctrl-C to stop)", err=False)
    typer.echo(
        f"{len(truth().reports)} annual reports; crawl it with: nianbao crawl {server.base_url}/", err=True
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        typer.echo("stopping", err=True)
    finally:
        server.stop()
