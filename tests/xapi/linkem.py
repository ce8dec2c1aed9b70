#!/usr/bin/env python3
"""A mobile link between two TUN devices: one-way delay, jitter and random packet loss.

Why this exists: the kernels this project's CI runs on may be built without `sch_netem`
(CONFIG_NET_SCH_NETEM is not set on the VM where the xAPI link figures were measured), so
`tc qdisc ... netem delay 25ms 5ms loss 1%` is refused with "Specified qdisc kind is unknown".
This is the closest real thing: both ends are the kernel's own TCP/IP stacks in two network
namespaces, and this process is the wire between them. Every IP packet crossing it is held for
`delay ± jitter` (uniform) and dropped with probability `loss`, in each direction, so TCP sees
real round trips, real retransmissions and real slow start, exactly as over netem. Differences
from netem, on purpose: packets are never reordered (each direction is FIFO, a jittered packet
waits for the one before it), and the delay is applied in user space (timer resolution well
under a millisecond; measured RTTs are printed by the bench).

Usage (root): linkem.py --dev-a A --dev-b B --delay-ms 25 --jitter-ms 5 --loss-pct 1
  --seed 1 --ready FILE --stats FILE
Creates both TUN devices (they vanish when this process exits), touches FILE when they exist,
then forwards until SIGTERM/SIGINT, writing packet counts to --stats on exit. The caller moves
one device into the LRS's namespace and gives both addresses (tests/xapi/mobile-link.sh).
"""

import argparse
import collections
import fcntl
import json
import os
import random
import select
import signal
import struct
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
MAX_PACKET = 65536


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dev-a", required=True)
    p.add_argument("--dev-b", required=True)
    p.add_argument("--delay-ms", type=float, required=True, help="one-way delay")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="uniform, +/-")
    p.add_argument("--loss-pct", type=float, default=0.0, help="per packet, each direction")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--ready", required=True)
    p.add_argument("--stats", required=True)
    a = p.parse_args()

    rng = random.Random(a.seed)
    fds = [open_tun(a.dev_a), open_tun(a.dev_b)]
    # queues[i]: packets read from fds[i], to be written to fds[1 - i] at their due time.
    queues = [collections.deque(), collections.deque()]
    last_due = [0.0, 0.0]
    stats = {"a_to_b": [0, 0], "b_to_a": [0, 0]}  # [forwarded, dropped]
    names = ["a_to_b", "b_to_a"]
    running = [True]

    def stop(_sig, _frame):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(a.ready, "w") as f:
        f.write(str(os.getpid()))

    delay = a.delay_ms / 1000.0
    jitter = a.jitter_ms / 1000.0
    loss = a.loss_pct / 100.0
    while running[0]:
        now = time.monotonic()
        due = [q[0][0] for q in queues if q]
        timeout = max(0.0, min(due) - now) if due else 0.5
        try:
            readable, _, _ = select.select(fds, [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for i, fd in enumerate(fds):
            if fd not in readable:
                continue
            while True:
                try:
                    pkt = os.read(fd, MAX_PACKET)
                except BlockingIOError:
                    break
                if not pkt:
                    break
                if loss > 0 and rng.random() < loss:
                    stats[names[i]][1] += 1
                    continue
                t = now + delay + (rng.uniform(-jitter, jitter) if jitter > 0 else 0.0)
                t = max(t, last_due[i])
                last_due[i] = t
                queues[i].append((t, pkt))
        now = time.monotonic()
        for i, q in enumerate(queues):
            while q and q[0][0] <= now:
                _, pkt = q.popleft()
                try:
                    os.write(fds[1 - i], pkt)
                    stats[names[i]][0] += 1
                except OSError:
                    stats[names[i]][1] += 1
    with open(a.stats, "w") as f:
        json.dump({k: {"forwarded": v[0], "dropped": v[1]} for k, v in stats.items()}, f)


if __name__ == "__main__":
    main()
