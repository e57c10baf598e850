"""`ndg serve`: one page that runs a graph's plan in the browser, recompiled whenever the file is saved.

The server holds the current plan (the last one that compiled) and the current diagnostics (the
last compile's mistakes, as the CLI prints them, or none). It serves only the page, its bundled
assets, that plan and an event stream (server-sent events) that tells the page when either
changes. Requests whose Host or Origin is not this server's own are refused, so that a web page
elsewhere cannot drive a local compiler through DNS rebinding.
"""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from aiohttp import web

from ndg.errors import UserError

ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Build:
    """What the last compile gave: a plan file's bytes (None until one compiles) and the
    diagnostics of the last attempt (empty when it compiled)."""

    version: int
    plan: bytes | None
    diagnostics: str


def compile_plan(source: Path) -> bytes:
    from ndg.compiler.driver import compile_text, read_source
    from ndg.runtime.plan import encode_plan

    compiled = compile_text(read_source(source), str(source))
    return encode_plan(compiled.plan, compiled.module.wasm)


def _asset(name: str) -> bytes:
    return resources.files("ndg").joinpath("web_assets", name).read_bytes()


class Session:
    """The graph file, its latest build, and the pages listening for changes."""

    def __init__(self, source: Path):
        self.source = source
        self.build = Build(0, None, "")
        self.listeners: set[asyncio.Queue] = set()

    async def recompile(self) -> Build:
        """Compile in a worker thread; publish the result on the event loop, which owns the queues."""
        plan: bytes | None
        try:
            plan, diagnostics = await asyncio.to_thread(compile_plan, self.source), ""
        except UserError as error:
            plan, diagnostics = self.build.plan, error.render()
        self.build = Build(self.build.version + 1, plan, diagnostics)
        for queue in self.listeners:
            queue.put_nowait(self.build)
        return self.build


def allowed_hosts(host: str, port: int) -> set[str]:
    names = set(LOCAL_NAMES) | {f"[{host}]" if ":" in host else host}
    return {f"{name}:{port}" for name in names}


def _event(build: Build) -> bytes:
    data = json.dumps({"version": build.version, "hasPlan": build.plan is not None, "diagnostics": build.diagnostics})
    return f"event: build\ndata: {data}\n\n".encode()


def make_app(session: Session, host: str, port: int) -> web.Application:
    """The application for a server listening on `host`:`port`."""
    hosts = allowed_hosts(host, port)

    @web.middleware
    async def same_origin_only(request: web.Request, handler):
        origin = request.headers.get("Origin")
        if request.headers.get("Host") not in hosts or (origin is not None and origin.removeprefix("http://") not in hosts):
            return web.Response(status=403, text="ndg serve answers only its own pages (Host or Origin is foreign)\n")
        response = await handler(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def page(request: web.Request):
        return web.Response(body=_asset("index.html"), content_type="text/html")

    async def asset(request: web.Request):
        name = request.match_info["name"]
        if name not in ASSETS:
            raise web.HTTPNotFound()
        return web.Response(body=_asset(name), content_type=ASSETS[name])

    async def plan(request: web.Request):
        build = session.build
        if build.plan is None:
            raise web.HTTPNotFound(text="the graph has not compiled yet\n")
        name = session.source.with_suffix(".ndp").name
        return web.Response(body=build.plan, content_type="application/octet-stream",
                            headers={"X-Ndg-Version": str(build.version),
                                     "Content-Disposition": f'inline; filename="{name}"'})

    async def events(request: web.Request):
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        queue: asyncio.Queue = asyncio.Queue()
        session.listeners.add(queue)
        try:
            build = session.build
            while True:
                await response.write(_event(build))
                build = await queue.get()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            session.listeners.discard(queue)
        return response

    app = web.Application(middlewares=[same_origin_only])
    app.router.add_get("/", page)
    app.router.add_get("/assets/{name}", asset)
    app.router.add_get("/plan.ndp", plan)
    app.router.add_get("/events", events)
    return app


async def watch(session: Session):
    """Recompile whenever the graph file changes (editors that save by renaming included)."""
    from watchfiles import awatch

    target = session.source.resolve()
    async for changes in awatch(target.parent, debounce=50, step=20):
        if any(Path(path).resolve() == target for _, path in changes):
            await session.recompile()


async def serve(source: Path, host: str, port: int, announce) -> None:
    """Compile, listen, then watch the file until cancelled; `announce(url)` once listening."""
    session = Session(source)
    await session.recompile()
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        listening.bind((host, port))
    except OSError as error:
        listening.close()
        raise UserError(f"cannot listen on {host}:{port}: {error.strerror}",
                        "give another port with --port (0 picks a free one)") from None
    bound = listening.getsockname()[1]
    runner = web.AppRunner(make_app(session, host, bound), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    await web.SockSite(runner, listening).start()
    url_host = f"[{host}]" if ":" in host else host
    announce(f"http://{url_host}:{bound}/", session.build)
    try:
        await watch(session)
    finally:
        await runner.cleanup()
