#!/usr/bin/env python3
"""Load generator and analysis for the end-to-end replies benchmark.

load: posts signed Meta `messages` webhooks to a running Liora over keep-alive HTTP/1.1
connections (asyncio, stdlib only). Each webhook carries --per-webhook messages from distinct
users (Meta batches messages that arrive together), user n % --users sending message n; texts
cycle through phrases the demo bot answers. Message ids are unique per run
(`wamid.RB<run>-<n>`). For every accepted message it writes `<wamid>\t<unix ns when the 200
arrived>` to --accepted, and at the end one line

    LOAD_RESULT webhooks=N messages=N non200=N errors=N duration_s=S webhooks_per_s=R messages_per_s=R
                accept_p50_ms=X accept_p99_ms=X

    load.py load --url http://127.0.0.1:8080 --secret S --duration 15 --accepted acc.tsv

analyze: joins the accepted file with the fake Graph API's arrivals (`GET /arrivals`: inbound
wamid, unix ns of its first answer) and prints

    LATENCY_RESULT matched=N unanswered=N p50_ms=X p90_ms=X p99_ms=X max_ms=X

    load.py analyze --accepted acc.tsv --arrivals arr.tsv [--since-ns T0 --until-ns T1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import sys
import time

PHONE_NUMBER_ID = "100000000000001"
DISPLAY_PHONE_NUMBER = "15550001111"
WABA_ID = "200000000000001"

# Phrases from Tests/conversations/ that the demo bot answers (no hand-off, no catalog search).
TEXTS = [
    "hola",
    "muchas gracias",
    "no puedo dormir bien por las noches",
    "how much water should I drink a day?",
    "quiero reciclar",
    "how do I recycle glass bottles?",
]


def webhook(run: str, first: int, count: int, users: int, pnid: str, ts: int) -> tuple[bytes, list[str]]:
    contacts, messages, ids = [], [], []
    for n in range(first, first + count):
        wa_id = "49152%08d" % (n % users)
        msg_id = "wamid.RB%s-%d" % (run, n)
        ids.append(msg_id)
        contacts.append({"profile": {"name": "Bench User %d" % (n % users)}, "wa_id": wa_id})
        messages.append({"from": wa_id, "id": msg_id, "timestamp": str(ts), "type": "text",
                         "text": {"body": TEXTS[(n // users) % len(TEXTS)]}})
    doc = {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{"value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": pnid},
        "contacts": contacts, "messages": messages}, "field": "messages"}]}]}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode(), ids


class Shared:
    def __init__(self) -> None:
        self.next_n = 0
        self.webhooks = 0
        self.messages = 0
        self.non200 = 0
        self.errors = 0
        self.latencies: list[float] = []
        self.accepted: list[str] = []


async def connection(args, shared: Shared, host: str, port: int, deadline: float, start: float) -> None:
    key = args.secret.encode()
    reader, writer = await asyncio.open_connection(host, port)
    head = ("POST /webhook/meta HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
            "User-Agent: facebookexternalua\r\n" % (host, port))
    per_second = args.rate / args.per_webhook if args.rate > 0 else 0
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            first = shared.next_n
            shared.next_n += args.per_webhook
            if per_second > 0:
                due = start + (first // args.per_webhook) / per_second
                if due > now:
                    await asyncio.sleep(due - now)
                    if time.monotonic() >= deadline:
                        break
            body, ids = webhook(args.run, first, args.per_webhook, args.users, args.phone_number_id, int(time.time()))
            sig = hmac.new(key, body, hashlib.sha256).hexdigest()
            sent = time.monotonic()
            writer.write((head + "X-Hub-Signature-256: sha256=%s\r\nContent-Length: %d\r\n\r\n" % (sig, len(body))).encode() + body)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            if not status_line:
                raise ConnectionError("connection closed")
            done_ns = time.time_ns()
            shared.latencies.append(time.monotonic() - sent)
            if status_line.split(b" ", 2)[1] == b"200":
                shared.webhooks += 1
                shared.messages += len(ids)
                stamp = "\t%d\n" % done_ns
                shared.accepted.extend(i + stamp for i in ids)
            else:
                shared.non200 += 1
    except (ConnectionError, OSError, asyncio.IncompleteReadError):
        shared.errors += 1
    finally:
        writer.close()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def load(args) -> int:
    url = args.url.removeprefix("http://")
    host, _, port = url.partition(":")
    shared = Shared()
    start = time.monotonic()
    deadline = start + args.duration
    await asyncio.gather(*(connection(args, shared, host, int(port.rstrip("/") or 80), deadline, start)
                           for _ in range(args.connections)))
    elapsed = time.monotonic() - start
    with open(args.accepted, "w") as f:
        f.writelines(shared.accepted)
    lat_ms = [x * 1000 for x in shared.latencies]
    print("LOAD_RESULT webhooks=%d messages=%d non200=%d errors=%d duration_s=%.3f webhooks_per_s=%.1f "
          "messages_per_s=%.1f accept_p50_ms=%.2f accept_p99_ms=%.2f" % (
              shared.webhooks, shared.messages, shared.non200, shared.errors, elapsed, shared.webhooks / elapsed,
              shared.messages / elapsed, percentile(lat_ms, 50), percentile(lat_ms, 99)))
    return 0


def analyze(args) -> int:
    accepted: dict[str, int] = {}
    with open(args.accepted) as f:
        for line in f:
            wamid, _, ns = line.rstrip("\n").partition("\t")
            accepted[wamid] = int(ns)
    arrivals: dict[str, int] = {}
    with open(args.arrivals) as f:
        for line in f:
            wamid, _, ns = line.rstrip("\n").partition("\t")
            if wamid:
                arrivals[wamid] = int(ns)
    lat, unanswered = [], 0
    for wamid, t in accepted.items():
        if args.since_ns and t < args.since_ns or args.until_ns and t > args.until_ns:
            continue
        got = arrivals.get(wamid)
        if got is None:
            unanswered += 1
        else:
            lat.append((got - t) / 1e6)
    print("LATENCY_RESULT matched=%d unanswered=%d p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f" % (
        len(lat), unanswered, percentile(lat, 50), percentile(lat, 90), percentile(lat, 99), max(lat) if lat else float("nan")))
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    l = sub.add_parser("load")
    l.add_argument("--url", required=True)
    l.add_argument("--secret", required=True)
    l.add_argument("--duration", type=float, default=15)
    l.add_argument("--connections", type=int, default=8)
    l.add_argument("--per-webhook", type=int, default=5, help="messages per webhook (distinct users)")
    l.add_argument("--users", type=int, default=20000, help="distinct senders")
    l.add_argument("--rate", type=float, default=0, help="messages per second to offer (0: as fast as accepted)")
    l.add_argument("--run", default="%x" % int(time.time() * 1000))
    l.add_argument("--phone-number-id", default=PHONE_NUMBER_ID)
    l.add_argument("--accepted", required=True, help="output: wamid<TAB>unix ns accepted")
    a = sub.add_parser("analyze")
    a.add_argument("--accepted", required=True)
    a.add_argument("--arrivals", required=True)
    a.add_argument("--since-ns", type=int, default=0)
    a.add_argument("--until-ns", type=int, default=0)
    args = p.parse_args()
    if args.cmd == "load":
        return asyncio.run(load(args))
    return analyze(args)


if __name__ == "__main__":
    sys.exit(main())
