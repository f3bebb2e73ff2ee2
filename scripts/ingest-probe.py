#!/usr/bin/env python3
"""What one platform client sees of ingest while something else runs (the bench scripts' probe).

  ingest-probe.py post PORT KEY OUT --seconds N
  ingest-probe.py post PORT KEY OUT --until-in-log FILE TEXT   (at most 300 s)
      posts an ordinary item every 20 ms to POST /v1/items and writes, per request, the time it
      was sent, its latency in seconds and 1 (answered) or 0 (failed) to OUT
  ingest-probe.py summary OUT [--label TEXT] [--sent TIME]
      prints the count, the failures and the p50, p99 and max latency; with --sent, each request
      over 100 ms and when it was sent, in seconds after TIME
"""
import argparse, json, time, urllib.request


def post(port, key, out, seconds, log):
    rows, n = [], 0
    end = time.time() + (seconds if seconds is not None else 300)
    while time.time() < end and not (log and log[1] in open(log[0]).read()):
        n += 1
        body = json.dumps({"id": f"probe-{n}", "text": "an ordinary post about the weather and the match tonight"}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/items", data=body,
            headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        t0 = time.time()
        try:
            urllib.request.urlopen(request, timeout=60).read()
            ok = 1
        except Exception:
            ok = 0
        rows.append((t0, time.time() - t0, ok))
        time.sleep(0.02)
    with open(out, "w") as f:
        for r in rows:
            f.write("%.3f %.4f %d\n" % r)


def summary(out, label, sent):
    rows = [tuple(float(x) for x in line.split()) for line in open(out)]
    latency = sorted(r[1] for r in rows) or [0]
    at = lambda q: latency[min(len(latency) - 1, int(len(latency) * q))] * 1000
    print(f"{label}: {len(rows)}, failed {sum(1 for r in rows if not r[2])}; "
          f"p50 {at(0.5):.1f} ms, p99 {at(0.99):.1f} ms, max {latency[-1] * 1000:.0f} ms")
    if sent is not None:
        for t, l, _ in rows:
            if l > 0.1:
                print(f"  over 100 ms: {l * 1000:.0f} ms, sent {t - sent:+.2f} s after the import")


parser = argparse.ArgumentParser()
commands = parser.add_subparsers(dest="command", required=True)
p = commands.add_parser("post")
p.add_argument("port"), p.add_argument("key"), p.add_argument("out")
until = p.add_mutually_exclusive_group(required=True)
until.add_argument("--seconds", type=float)
until.add_argument("--until-in-log", nargs=2, metavar=("FILE", "TEXT"))
s = commands.add_parser("summary")
s.add_argument("out")
s.add_argument("--label", default="ingest requests")
s.add_argument("--sent", type=float)
args = parser.parse_args()
if args.command == "post":
    post(args.port, args.key, args.out, args.seconds, args.until_in_log)
else:
    summary(args.out, args.label, args.sent)
