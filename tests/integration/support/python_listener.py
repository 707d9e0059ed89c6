"""python-socketio (Debian python3-socketio 5.x) client that listens.

Usage: /usr/bin/python3 python_listener.py ORIGIN SOCKETIO_PATH COUNT
Connects (polling, then upgrade), prints "ready <connection id>" once
connected, then waits (at most 10 s) for COUNT "news" events (answering each
one's ack, if asked, with "python" and its count), prints them as one JSON
line and disconnects. Exits 0 when all came, 1 otherwise.
"""
import json
import sys
import threading
import time

import socketio


def main():
    origin, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sio = socketio.Client(reconnection=False)
    got = []
    done = threading.Event()

    def on_news(*args):
        got.append(list(args))
        if len(got) >= count:
            done.set()
        # The ack of an acked send (ignored for a plain one).
        return 'python', len(got)

    sio.on('news', on_news)
    try:
        sio.connect(origin, socketio_path=path, wait_timeout=5)
        print('ready %s' % sio.sid, flush=True)
        complete = done.wait(10)
        # The last handler's ack leaves once it has returned: give it time.
        time.sleep(0.3)
        print(json.dumps({'news': got, 'complete': complete}), flush=True)
        sio.disconnect()
        return 0 if complete else 1
    except Exception as exc:
        print(json.dumps({'error': '%s: %s' % (type(exc).__name__, exc)}), flush=True)
        return 1


if __name__ == '__main__':
    sys.exit(main())
