"""python-socketio (Debian python3-socketio 5.x) client for the integration tests.

Usage: /usr/bin/python3 python_client.py ORIGIN SOCKETIO_PATH MODE
MODE is "default" (polling, then upgrade) or "websocket". Connects to "/" and
"/chat" on one connection, calls with acks, waits for the "echo" event, then
disconnects. Prints one JSON object on stdout; exits 0 on success, 1 on error.
"""
import json
import sys
import threading

import socketio


def missing_modules():
    # python-engineio silently degrades without these (no polling / no
    # WebSocket), so name the Debian packages instead of failing obscurely.
    missing = []
    for module, package in (('requests', 'python3-requests'),
                            ('websocket', 'python3-websocket')):
        try:
            __import__(module)
        except ImportError:
            missing.append(package)
    return missing


def main():
    origin, path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    missing = missing_modules()
    if missing:
        print(json.dumps({'mode': mode, 'error': 'missing Debian packages: ' + ' '.join(missing)}), flush=True)
        return 1
    transports = ['websocket'] if mode == 'websocket' else None
    result = {'mode': mode}
    sio = socketio.Client(reconnection=False)
    echoes = {'/': [], '/chat': []}
    got_echo = {'/': threading.Event(), '/chat': threading.Event()}

    def on_echo(ns):
        def handler(*args):
            echoes[ns].append([a.hex() if isinstance(a, bytes) else a for a in args])
            got_echo[ns].set()
        return handler

    sio.on('echo', on_echo('/'), namespace='/')
    sio.on('echo', on_echo('/chat'), namespace='/chat')
    try:
        sio.connect(origin, socketio_path=path, transports=transports,
                    namespaces=['/', '/chat'], wait_timeout=5)
        result['transport'] = sio.transport()
        result['connection'] = sio.sid
        result['sid_root'] = sio.get_sid('/')
        result['sid_chat'] = sio.get_sid('/chat')
        result['ack_single'] = sio.call('greet', 'hello', timeout=5)
        result['ack_multi'] = list(sio.call('multi', ('a', 2, {'k': [True, None]}), timeout=5))
        result['ack_chat'] = sio.call('on-chat', {'n': 1}, namespace='/chat', timeout=5)
        binary = sio.call('bin', b'\x00\x01\xfe\xff', timeout=5)
        result['ack_binary'] = binary.hex() if isinstance(binary, bytes) else repr(binary)
        sio.emit('echo', ('ping', 7))
        result['echo_received'] = got_echo['/'].wait(5)
        result['echo_root'] = echoes['/']
        sio.emit('echo', 'on-chat', namespace='/chat')
        got_echo['/chat'].wait(5)
        result['echo_chat'] = echoes['/chat']
        sio.disconnect()
        result['connected_after_disconnect'] = sio.connected
        print(json.dumps(result), flush=True)
        return 0
    except Exception as exc:  # report any failure as JSON for the node test
        result['error'] = '%s: %s' % (type(exc).__name__, exc)
        print(json.dumps(result), flush=True)
        try:
            sio.disconnect()
        except Exception:
            pass
        return 1


if __name__ == '__main__':
    sys.exit(main())
