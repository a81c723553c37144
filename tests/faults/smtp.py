"""A tiny SMTP server for the fault tests: one that accepts and records, or one that hangs.

Speaks just enough SMTP for Django's smtp backend (greeting, EHLO/HELO, MAIL, RCPT, DATA,
RSET, NOOP, QUIT), on 127.0.0.1 and a free port, in daemon threads. Every socket has a timeout
and `stop()` closes them all, so a test can never wait on it for ever.
"""

import contextlib
import email
import email.policy
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage

ACCEPT = "accept"
# Accepts the TCP connection and never says a word: a mail server that is hung.
HANG = "hang"

SOCKET_TIMEOUT = 10


@dataclass
class ReceivedMessage:
    mail_from: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self):
        return self.message.get_body(preferencelist=("plain",)).get_content()


class SMTPResponder:
    """Use as a context manager; `mode` may change while it runs (it applies to new
    connections). `messages` are the messages accepted; `connections` counts every
    connection, answered or not."""

    def __init__(self, mode=ACCEPT):
        self.mode = mode
        self.messages = []
        self.connections = 0
        # When set to an Event, a session waits for it after it has taken a message's data and
        # before it says so: a slow server, or one whose client dies before the reply.
        self.hold_data = None
        self.data_received = threading.Event()
        self.connected = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets = []
        self._threads = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        self._spawn(self._accept_connections)

    def stop(self):
        self._stopping.set()
        if self.hold_data is not None:
            self.hold_data.set()
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_connections(self):
        while not self._stopping.is_set():
            try:
                sock, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed by stop()
            sock.settimeout(SOCKET_TIMEOUT)
            with self._lock:
                self._sockets.append(sock)
                self.connections += 1
            self.connected.set()
            if self.mode == HANG:
                continue  # held open, never answered, closed by stop()
            self._spawn(self._session, sock)

    def _session(self, sock):
        try:
            with sock, sock.makefile("rb") as lines:
                self._converse(sock, lines)
        except OSError:
            pass  # the client went away, timed out, or stop() closed the socket

    def _converse(self, sock, lines):
        sock.sendall(b"220 localhost fault-test SMTP\r\n")
        mail_from, recipients = "", []
        while not self._stopping.is_set():
            line = lines.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                sock.sendall(b"250 localhost\r\n")
            elif verb == b"MAIL":
                mail_from, recipients = address(line), []
                sock.sendall(b"250 OK\r\n")
            elif verb == b"RCPT":
                recipients.append(address(line))
                sock.sendall(b"250 OK\r\n")
            elif verb == b"DATA":
                sock.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                message = email.message_from_bytes(read_data(lines), policy=email.policy.default)
                # The server has the message now, and a real one would deliver it even if the
                # client went away before the reply.
                with self._lock:
                    self.messages.append(ReceivedMessage(mail_from, recipients, message))
                self.data_received.set()
                if self.hold_data is not None:
                    self.hold_data.wait(timeout=SOCKET_TIMEOUT)
                if self._stopping.is_set():
                    return
                sock.sendall(b"250 OK queued\r\n")
            elif verb in (b"RSET", b"NOOP"):
                sock.sendall(b"250 OK\r\n")
            elif verb == b"QUIT":
                sock.sendall(b"221 Bye\r\n")
                return
            else:
                sock.sendall(b"502 Command not implemented\r\n")


def address(line):
    """The address of a MAIL FROM:<…> or RCPT TO:<…> line."""
    text = line.decode("ascii", "replace")
    return text[text.find("<") + 1 : text.find(">")]


def read_data(lines):
    """The message after DATA, up to the lone dot, with dot-stuffing undone."""
    data = []
    while True:
        line = lines.readline()
        if not line or line == b".\r\n":
            return b"".join(data)
        data.append(line[1:] if line.startswith(b"..") else line)


def closed_port():
    """A port on 127.0.0.1 with nothing listening: connections to it are refused."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]
