"""A stand-in for ClamAV's daemon on 127.0.0.1: it speaks INSTREAM and finds only the EICAR test file.

The EICAR string is put together here from parts so that no scanner flags the repository itself.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field

EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-" + "ANTIVIRUS-TEST-FILE!$H+H*").encode()


@dataclass
class FakeClamd:
    address: str = ""
    mode: str = "scan"  # scan | silent (closes without answering)
    received: list[bytes] = field(default_factory=list)
    chunks: list[int] = field(default_factory=list)


def _read_exactly(rfile, size: int) -> bytes:
    data = rfile.read(size)
    if len(data) != size:
        raise ConnectionError("short read")
    return data


def serve(state: FakeClamd):
    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            command = _read_exactly(self.rfile, len(b"zINSTREAM\0"))
            if command != b"zINSTREAM\0":
                self.wfile.write(b"UNKNOWN COMMAND\0")
                return
            parts = []
            while size := int.from_bytes(_read_exactly(self.rfile, 4), "big"):
                state.chunks.append(size)
                parts.append(_read_exactly(self.rfile, size))
            data = b"".join(parts)
            state.received.append(data)
            if state.mode == "silent":
                return
            answer = b"stream: Eicar-Signature FOUND\0" if EICAR in data else b"stream: OK\0"
            self.wfile.write(answer)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.address = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server
