"""A TCP relay in front of a database server that can be cut and restored: a stand-in for the
server stopping and coming back, without stopping a server other people are using."""

from __future__ import annotations

import contextlib
import socket
import threading


def closed_port() -> int:
    """A 127.0.0.1 port with nothing listening on it: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Relay:
    """Listens on 127.0.0.1:`port` and relays every connection to `target`.

    `stop()` closes the port and drops every relayed connection, as a stopped server would;
    `start()` opens the same port again. With `silent=True` it accepts connections and never
    answers, as a server whose machine has gone quiet would.
    """

    def __init__(self, target: tuple[str, int], port: int | None = None, silent: bool = False):
        self.target = target
        self.port = port or closed_port()
        self.silent = silent
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> Relay:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if self._accepting is not None:
            # The port is only free again once the accepting thread has let go of it.
            self._accepting.join()
            self._accepting = None
        if listener is not None:
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                self._sockets.append(client)
            if self.silent:
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
