"""Start the moto server on 127.0.0.1 at a free port, print {"port": N}, and
stop when stdin closes (the parent exited) or on SIGTERM."""
import json
import signal
import sys

from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(json.dumps({"port": server._server.server_port}), flush=True)


def stop(*_):
    server.stop()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
sys.stdin.read()
stop()
