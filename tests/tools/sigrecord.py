#!/usr/bin/env python3
"""sigrecord.py LOG: a command for `cainit run` tests. Appends the name of
every signal it receives to LOG (one per line), writes its pid to LOG.ready
once its handlers are in place, and exits 0 after SIGTERM."""
import os
import signal
import sys

log = sys.argv[1]
NAMES = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"]


def record(sig, frame):
    with open(log, "a") as f:
        f.write(signal.Signals(sig).name + "\n")
    if sig == signal.SIGTERM:
        sys.exit(0)


for name in NAMES:
    signal.signal(getattr(signal, name), record)
with open(log + ".ready", "w") as f:
    f.write(str(os.getpid()))
while True:
    signal.pause()
