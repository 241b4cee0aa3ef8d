"""A TCP proxy on loopback that makes every byte cross a WAN-like link.

Each chunk is delivered RTT/2 after it was read, in each direction, and a new connection costs
one RTT before its first byte passes (TCP's handshake); so a request/response on an open
connection costs one RTT, like a registry tens of milliseconds away. Chunks in flight are
pipelined (a timestamped queue per direction), so 64 concurrent requests still cost about one
RTT. Kernel netem is not available here; this is the stand-in.

    python -m bench.latency_proxy --upstream 127.0.0.1:5000 --rtt-ms 20 [--port 0]
prints ``listening 127.0.0.1:PORT`` and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy reader → writer, each chunk released ``delay`` seconds after it was read."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()
        with contextlib.suppress(OSError):
            writer.write_eof()

    delivery = asyncio.ensure_future(deliver())
    try:
        while True:
            chunk = await reader.read(65536)
            await queue.put((loop.time() + delay, chunk))
            if not chunk:
                break
        await delivery
    except (ConnectionError, OSError):
        delivery.cancel()
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()


async def serve(upstream: str, rtt: float, port: int) -> None:
    host, _, upstream_port = upstream.rpartition(":")

    async def handle(
        client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        await asyncio.sleep(rtt)  # the handshake's round trip
        try:
            server_reader, server_writer = await asyncio.open_connection(host, int(upstream_port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            _pump(client_reader, server_writer, rtt / 2),
            _pump(server_reader, client_writer, rtt / 2),
        )

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"listening 127.0.0.1:{bound}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--upstream", required=True, help="host:port of the registry")
    parser.add_argument("--rtt-ms", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    start = time.monotonic()
    try:
        asyncio.run(serve(args.upstream, args.rtt_ms / 1000, args.port))
    except KeyboardInterrupt:
        pass
    finally:
        sys.stderr.write(f"proxy ran {time.monotonic() - start:.1f} s\n")


if __name__ == "__main__":
    main()
