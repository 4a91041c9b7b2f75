#!/usr/bin/env python3
"""Checks an MQTT broker with Debian's python3-paho-mqtt (1.6 API), as an independent client implementation.

usage: paho_broker_check.py HOST PORT PROTOCOL SCENARIO
  PROTOCOL: 311 or 5
  SCENARIO: qos0 qos1 qos2 wildcards retained will persistent shared
Prints one line per check ("PASS ..." / "FAIL ...: why") and exits 0 only when every check passed.
Every wait is bounded (a few seconds), loopback only.
"""
import queue
import sys
import time
import uuid

import paho.mqtt.client as mqtt

HOST, PORT, PROTO, SCENARIO = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
V5 = PROTO == "5"
PROTOCOL = mqtt.MQTTv5 if V5 else mqtt.MQTTv311
TIMEOUT = 5.0
failures = []


def check(name, ok, why=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)
    if not ok:
        failures.append(name)


def uid(prefix):
    return prefix + "-" + uuid.uuid4().hex[:8]


class Client:
    def __init__(self, client_id, clean=True, will=None):
        self.messages = queue.Queue()
        self.connected = queue.Queue()
        self.subscribed = queue.Queue()
        self.client_id = client_id
        self.clean = clean
        if V5:
            self.c = mqtt.Client(client_id=client_id, protocol=PROTOCOL)
        else:
            self.c = mqtt.Client(client_id=client_id, clean_session=clean, protocol=PROTOCOL)
        if will:
            self.c.will_set(will[0], will[1], qos=will[2], retain=will[3])
        self.c.on_message = lambda c, u, m: self.messages.put(m)
        self.c.on_connect = self._on_connect
        self.c.on_subscribe = lambda c, u, mid, granted, *rest: self.subscribed.put(granted)

    def _on_connect(self, c, u, flags, rc, *rest):
        self.connected.put((flags.get("session present", 0), rc))

    def connect(self, session_expiry=None):
        if V5:
            from paho.mqtt.properties import Properties
            from paho.mqtt.packettypes import PacketTypes
            props = None
            if session_expiry is not None:
                props = Properties(PacketTypes.CONNECT)
                props.SessionExpiryInterval = session_expiry
            self.c.connect(HOST, PORT, keepalive=30, clean_start=self.clean, properties=props)
        else:
            self.c.connect(HOST, PORT, keepalive=30)
        self.c.loop_start()
        present, rc = self.connected.get(timeout=TIMEOUT)
        return present, rc

    def subscribe(self, topic, qos):
        self.c.subscribe(topic, qos)
        return self.subscribed.get(timeout=TIMEOUT)

    def publish(self, topic, payload, qos=0, retain=False):
        info = self.c.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish()
        return info

    def receive(self, count, timeout=TIMEOUT):
        got = []
        deadline = time.time() + timeout
        while len(got) < count:
            left = deadline - time.time()
            if left <= 0:
                break
            try:
                got.append(self.messages.get(timeout=left))
            except queue.Empty:
                break
        return got

    def nothing_more(self, wait=0.5):
        try:
            m = self.messages.get(timeout=wait)
            return m
        except queue.Empty:
            return None

    def disconnect(self):
        self.c.disconnect()
        self.c.loop_stop()

    def drop(self):
        """Abrupt close: no DISCONNECT, so the broker must publish the will."""
        self.c.loop_stop()
        self.c.socket().close()


def qos_flow(qos):
    topic = uid("paho/qos%d" % qos)
    sub = Client(uid("sub"))
    sub.connect()
    granted = sub.subscribe(topic, qos)
    check("SUBACK grants QoS %d" % qos, list(granted)[0] in (qos, getattr(list(granted)[0], "value", None)) or str(list(granted)[0]) == str(qos), repr(granted))
    pub = Client(uid("pub"))
    pub.connect()
    for i in range(20):
        pub.publish(topic, "m%d" % i, qos=qos)
    got = sub.receive(20)
    payloads = [m.payload.decode() for m in got]
    check("20 QoS %d messages arrive in order" % qos, payloads == ["m%d" % i for i in range(20)], repr(payloads))
    check("delivered at QoS %d" % qos, all(m.qos == qos for m in got), repr([m.qos for m in got]))
    check("no duplicates at QoS %d" % qos, sub.nothing_more() is None)
    # delivery at the lower of publish and subscription QoS
    pub.publish(topic, "downgrade", qos=2)
    m = sub.receive(1)
    check("QoS 2 publish to a QoS %d subscription arrives at QoS %d" % (qos, qos), len(m) == 1 and m[0].qos == qos, repr([x.qos for x in m]))
    pub.disconnect()
    sub.disconnect()


def wildcards():
    base = uid("paho/wild")
    sub = Client(uid("sub"))
    sub.connect()
    sub.subscribe(base + "/+/temp", 1)
    sub.subscribe(base + "/house/#", 1)
    pub = Client(uid("pub"))
    pub.connect()
    pub.publish(base + "/kitchen/temp", "21", qos=1)
    pub.publish(base + "/kitchen/hum", "40", qos=1)
    pub.publish(base + "/house/a/b/c", "deep", qos=1)
    pub.publish(base + "/house", "parent", qos=1)
    got = sorted((m.topic, m.payload.decode()) for m in sub.receive(3))
    expected = sorted([(base + "/kitchen/temp", "21"), (base + "/house/a/b/c", "deep"), (base + "/house", "parent")])
    check("+ and # match the right topics (and # the parent level)", got == expected, repr(got))
    check("non-matching topic not delivered", sub.nothing_more() is None)
    pub.disconnect()
    sub.disconnect()


def retained():
    topic = uid("paho/retained")
    pub = Client(uid("pub"))
    pub.connect()
    pub.publish(topic, "first", qos=1, retain=True)
    pub.publish(topic, "second", qos=1, retain=True)
    sub = Client(uid("sub"))
    sub.connect()
    sub.subscribe(topic, 1)
    got = sub.receive(1)
    check("newest retained message delivered on subscribe", len(got) == 1 and got[0].payload == b"second", repr([m.payload for m in got]))
    check("retained delivery has the retain flag", len(got) == 1 and got[0].retain == 1)
    check("only one retained message per topic", sub.nothing_more() is None)
    pub.publish(topic, "live", qos=1, retain=True)
    live = sub.receive(1)
    check("live message to an existing subscriber has retain 0", len(live) == 1 and live[0].retain == 0, repr([m.retain for m in live]))
    pub.publish(topic, b"", qos=1, retain=True)  # clears
    sub.receive(1)
    sub2 = Client(uid("sub2"))
    sub2.connect()
    sub2.subscribe(topic, 1)
    check("empty retained publish clears the topic", sub2.nothing_more(1.0) is None)
    for c in (pub, sub, sub2):
        c.disconnect()


def will():
    topic = uid("paho/will")
    watcher = Client(uid("watch"))
    watcher.connect()
    watcher.subscribe(topic, 1)
    dying = Client(uid("dying"), will=(topic, "gone", 1, False))
    dying.connect()
    time.sleep(0.2)
    dying.drop()
    got = watcher.receive(1)
    check("will published after an abrupt close", len(got) == 1 and got[0].payload == b"gone", repr([m.payload for m in got]))
    polite = Client(uid("polite"), will=(topic, "should-not", 1, False))
    polite.connect()
    polite.disconnect()
    check("no will after a normal DISCONNECT", watcher.nothing_more(1.0) is None)
    watcher.disconnect()


def persistent():
    topic = uid("paho/persist")
    cid = uid("persistent")
    sub = Client(cid, clean=False)
    present, rc = sub.connect(session_expiry=300)
    check("first connect: no session present", present == 0, repr(present))
    sub.subscribe(topic, 1)
    sub.disconnect()
    pub = Client(uid("pub"))
    pub.connect()
    for i in range(5):
        pub.publish(topic, "offline-%d" % i, qos=1)
    pub.disconnect()
    again = Client(cid, clean=False)
    present, rc = again.connect(session_expiry=300)
    check("reconnect: session present", present == 1, repr(present))
    got = [m.payload.decode() for m in again.receive(5)]
    check("QoS 1 messages queued while offline are delivered after reconnect", got == ["offline-%d" % i for i in range(5)], repr(got))
    again.disconnect()
    clean = Client(cid, clean=True)
    present, rc = clean.connect()
    check("clean start discards the session", present == 0, repr(present))
    clean.disconnect()


def shared():
    topic = uid("paho/shared")
    group = "$share/g1/" + topic
    a = Client(uid("a"))
    b = Client(uid("b"))
    a.connect()
    b.connect()
    a.subscribe(group, 1)
    b.subscribe(group, 1)
    pub = Client(uid("pub"))
    pub.connect()
    for i in range(20):
        pub.publish(topic, "s%d" % i, qos=1)
    time.sleep(0.5)
    got_a = a.receive(20, timeout=1.0)
    got_b = b.receive(20, timeout=0.5)
    total = sorted(m.payload.decode() for m in got_a + got_b)
    check("every shared message delivered exactly once to the group", total == sorted("s%d" % i for i in range(20)), repr(total))
    check("load spread across the group", len(got_a) > 0 and len(got_b) > 0, "a=%d b=%d" % (len(got_a), len(got_b)))
    for c in (a, b, pub):
        c.disconnect()


scenarios = {"qos0": lambda: qos_flow(0), "qos1": lambda: qos_flow(1), "qos2": lambda: qos_flow(2),
             "wildcards": wildcards, "retained": retained, "will": will, "persistent": persistent, "shared": shared}
try:
    scenarios[SCENARIO]()
except Exception as e:  # a timeout or refusal is a failure of the broker, reported as such
    check(SCENARIO + " completed", False, "%s: %s" % (type(e).__name__, e))
sys.exit(1 if failures else 0)
