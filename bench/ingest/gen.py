#!/usr/bin/env python3
"""Generate pre-signed Meta WhatsApp Cloud API webhook requests for the ingest benchmark.

Each request is one realistic `messages` webhook with a unique message id
(`wamid.BENCH<run>-<n>`), a text body padded so the whole JSON is --size bytes,
and the `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, raw body)>`
value the server checks.

Output: --shards files named <out>.<k> (k = 0 .. shards-1), request n going to
shard n % shards, one request per line:

    sha256=<64 lowercase hex>\t<compact JSON body>\n

Bodies never contain a tab or a newline, so wrk's Lua reads a shard with io.lines
and splits each line at the first tab. One shard per wrk thread: no two threads
ever send the same message id.

    gen.py --count 450000 --secret S --run 1a2b --out /tmp/x/req --shards 2
    gen.py --verify /tmp/x/req.0 --secret S     # re-check every signature and id
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import time

PHONE_NUMBER_ID = "100000000000001"
DISPLAY_PHONE_NUMBER = "15550001111"
WABA_ID = "200000000000001"

# Printable ASCII words without quotes, backslashes, tabs or newlines: no JSON escaping needed.
WORDS = (
    "hello hi there can you tell me when my order ships please thanks i would like to "
    "book a table for two tomorrow evening at eight is the shop open on sunday what "
    "are your prices for delivery to berlin my tracking number does not work could "
    "someone call me back about the invoice from last week"
).split()

# Everything but the id, the sender and the text body is fixed; %-formatting is the fastest
# way to build ~half a million bodies in CPython.
TEMPLATE = (
    '{"object":"whatsapp_business_account","entry":[{"id":"' + WABA_ID + '","changes":[{"value":'
    '{"messaging_product":"whatsapp","metadata":{"display_phone_number":"' + DISPLAY_PHONE_NUMBER + '",'
    '"phone_number_id":"%s"},"contacts":[{"profile":{"name":"%s"},"wa_id":"%s"}],'
    '"messages":[{"from":"%s","id":"%s","timestamp":"%d","type":"text","text":{"body":"%s"}}]},'
    '"field":"messages"}]}]}'
)


_TEXT = " ".join(WORDS * 40)  # ~9 KB of words to slice message texts from


def filler(n: int, length: int) -> str:
    """Deterministic message text exactly `length` characters long that varies with n."""
    off = (n * 37) % (len(_TEXT) - length - 1)
    return _TEXT[off:off + length].strip().ljust(length, ".")


def build_body(run: str, n: int, users: int, size: int, ts: int, pnid: str = PHONE_NUMBER_ID) -> bytes:
    user = n % users
    wa_id = "49151%08d" % user
    name = "Bench User %04d" % user
    msg_id = "wamid.BENCH%s-%d" % (run, n)
    head = TEMPLATE % (pnid, name, wa_id, wa_id, msg_id, ts, "")
    text_len = size - len(head)
    if text_len < 1:
        raise SystemExit("gen.py: --size %d is smaller than the %d-byte webhook skeleton" % (size, len(head) + 1))
    return (TEMPLATE % (pnid, name, wa_id, wa_id, msg_id, ts, filler(n, text_len))).encode("ascii")


def generate(args: argparse.Namespace) -> int:
    key = args.secret.encode()
    ts = int(time.time())
    files = [open("%s.%d" % (args.out, k), "wb", buffering=1 << 20) for k in range(args.shards)]
    digest = hmac.digest
    try:
        for n in range(args.start, args.start + args.count):
            body = build_body(args.run, n, args.users, args.size, ts + n // 20000, args.phone_number_id)
            sig = digest(key, body, "sha256").hex()
            files[n % args.shards].write(b"sha256=" + sig.encode() + b"\t" + body + b"\n")
    finally:
        for f in files:
            f.close()
    return 0


def verify(args: argparse.Namespace) -> int:
    """Re-check a shard: every signature verifies, every body parses, ids are unique."""
    key = args.secret.encode()
    seen: set[str] = set()
    sizes: list[int] = []
    count = 0
    for path in args.verify:
        with open(path, "rb") as f:
            for lineno, line in enumerate(f, 1):
                sig, _, body = line.rstrip(b"\n").partition(b"\t")
                want = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(sig.decode(), want):
                    print("%s:%d: bad signature" % (path, lineno), file=sys.stderr)
                    return 1
                doc = json.loads(body)
                change = doc["entry"][0]["changes"][0]
                value = change["value"]
                assert doc["object"] == "whatsapp_business_account"
                assert doc["entry"][0]["id"] == WABA_ID and change["field"] == "messages"
                assert value["messaging_product"] == "whatsapp"
                assert value["metadata"]["phone_number_id"] == args.phone_number_id
                msg = value["messages"][0]
                assert msg["from"] == value["contacts"][0]["wa_id"] and msg["type"] == "text"
                if msg["id"] in seen:
                    print("%s:%d: duplicate id %s" % (path, lineno, msg["id"]), file=sys.stderr)
                    return 1
                seen.add(msg["id"])
                sizes.append(len(body))
                count += 1
    print("ok: %d requests, body bytes min %d max %d" % (count, min(sizes), max(sizes)))
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=1000, help="number of requests")
    p.add_argument("--start", type=int, default=0, help="first sequence number n")
    p.add_argument("--secret", required=True, help="Meta app secret (HMAC key)")
    p.add_argument("--run", default="", help="run tag in message ids (default: a timestamp)")
    p.add_argument("--users", type=int, default=1000, help="distinct senders (wa_id)")
    p.add_argument("--size", type=int, default=1024, help="target body size in bytes")
    p.add_argument("--phone-number-id", default=PHONE_NUMBER_ID,
                   help="metadata.phone_number_id: the tenant's number (default: the demo tenant's)")
    p.add_argument("--shards", type=int, default=1, help="output files, one per wrk thread")
    p.add_argument("--out", help="output prefix; writes <out>.0 .. <out>.<shards-1>")
    p.add_argument("--verify", nargs="+", metavar="FILE", help="check files instead of generating")
    args = p.parse_args()
    if args.verify:
        return verify(args)
    if not args.out:
        p.error("--out is required when generating")
    if not args.run:
        args.run = "%x" % int(time.time() * 1000)
    return generate(args)


if __name__ == "__main__":
    sys.exit(main())
