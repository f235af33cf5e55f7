#!/usr/bin/env python3
"""Storms on the seed lab (demo/lab.sh), with haexplain's answers held against ground truth.

  storm.py chaos [--seed N] [--steps N] [--kinds K,K] [--bin HAEXPLAIN] [--report FILE] [--lab-ready]
  storm.py plan [--seed N] [--steps N] [--kinds K,K]   (the steps chaos would take; no lab)
  storm.py bench [--bin HAEXPLAIN] [--calm N] [--split N] [--steps N] [--seed N]

chaos: a seeded random sequence of storm steps (haproxy killed and restarted, two-way and
one-way partitions by nftables dropping IP protocol 112 from the peer, heals, keepalived
stopped and started, a priority changed by editing keepalived.conf and reloading with
SIGHUP). After each step, in rounds until the truth stays put, `haexplain ip VIP --json`
for 192.168.3.200 and 192.168.3.201 from the application server and both balancers, at once.
The truth is read before and after each round: which balancer namespaces hold the VIP
(`ip -j addr`; both: conflict, none: none) and keepalived's own state and effective priority
from its JSON dump (SIGJSON, /tmp/keepalived.json in the node's mount namespace), which a
balancer's "this host" must match. A sample whose truth moved during the round, or whose
truth is in transition (a VIP held by a node keepalived does not call MASTER, a BACKUP with
no master), is counted but not judged. Exit status 1 when a judged sample disagrees.

bench: time to a verdict from the application server (advert_int 1 s): calm, a split brain
(named CONFLICT) and the median over chaos steps, with the ratio to their targets.

The lab is demo/lab.sh's, named by LAB_PREFIX/LAB_STATE; it is built and torn down here
unless --lab-ready says the caller owns it. The driver signals keepalived (the test may);
haexplain never does.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LAB_SCRIPT = os.path.join(ROOT, "demo", "lab.sh")

BALANCERS = ["lb0", "lb1"]
ASKERS = ["app", "lb0", "lb1"]
HOSTNAME = {"lb0": "prod-haproxy-000", "lb1": "prod-haproxy-001", "app": "prod-app-000"}
ADDRESS = {"lb0": "192.168.3.4", "lb1": "192.168.3.5"}
PEER = {"lb0": "lb1", "lb1": "lb0"}
VIPS = {"192.168.3.200": 200, "192.168.3.201": 201}
# Priorities as the seed configures them (keepalived.conf of each node).
SEED_PRIORITY = {("lb0", 200): 100, ("lb0", 201): 99, ("lb1", 200): 99, ("lb1", 201): 100}
# Around the seed's, so that a change (with chk_haproxy's weight -2) can flip an election,
# tie it (then the higher primary address wins) or change nothing.
PRIORITY_CHOICES = [96, 97, 98, 99, 100, 101, 102]
KEEPALIVED_STATE = {0: "INIT", 1: "BACKUP", 2: "MASTER", 3: "FAULT"}
# The seed's chk_haproxy runs every 2 s (demo/seed/*.keepalived.conf: interval 2; fall is 1 by default).
TRACK_INTERVAL = 2
SIGJSON = 36  # `keepalived --signum=JSON` on Debian's 2.2.7 (built with --enable-json)

KINDS = ["haproxy-kill", "haproxy-start", "partition-two-way", "partition-one-way", "heal",
         "keepalived-stop", "keepalived-start", "priority"]


def log(message):
    print(message, flush=True)


class Lab:
    """demo/lab.sh's seed lab under LAB_PREFIX, driven from the host through nsenter."""

    def __init__(self, prefix, state):
        self.prefix, self.state = prefix, state
        self.env = dict(os.environ, LAB_PREFIX=prefix, LAB_STATE=state)
        self.holders = {}

    def script(self, *args, check=True):
        result = subprocess.run(["bash", LAB_SCRIPT, *args], env=self.env, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"lab.sh {' '.join(args)} exited {result.returncode}: {result.stderr}{result.stdout}")
        return result

    def holder(self, node):
        # The node's namespace init: the child of the unshare lab.sh started (as lab.sh finds it).
        if node not in self.holders:
            with open(f"{self.state}/{node}/unshare.pid") as f:
                unshare = f.read().strip()
            with open(f"/proc/{unshare}/task/{unshare}/children") as f:
                self.holders[node] = f.read().split()[0]
        return self.holders[node]

    def enter(self, node, argv):
        return ["nsenter", "-t", self.holder(node), "-n", "-m", "-p", "-u", "--", *argv]

    def run(self, node, argv, check=True, timeout=60):
        result = subprocess.run(self.enter(node, argv), capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"on {node}: {' '.join(argv)} exited {result.returncode}: {result.stderr}")
        return result

    def netns(self, node):
        return f"{self.prefix}-{node}"


class Cluster:
    """What the storm has done so far: the driver's own model, used to choose the next step."""

    def __init__(self):
        self.haproxy = {n: True for n in BALANCERS}
        self.keepalived = {n: True for n in BALANCERS}
        self.deaf = set()  # balancers that drop VRRP from their peer
        self.priority = dict(SEED_PRIORITY)

    @staticmethod
    def deaf_after(step):
        return {"partition-two-way": set(BALANCERS), "partition-one-way": {step["node"]}}.get(step["kind"], set())

    def record(self, step):
        kind, node = step["kind"], step["node"]
        if kind.startswith("haproxy-"):
            self.haproxy[node] = kind == "haproxy-start"
        elif kind.startswith("keepalived-"):
            self.keepalived[node] = kind == "keepalived-start"
        elif kind in ("partition-two-way", "partition-one-way", "heal"):
            self.deaf = Cluster.deaf_after(step)
        elif kind == "priority":
            self.priority[(node, step["vrid"])] = step["priority"]

    def steps(self, kind):
        """The concrete steps of `kind` that change something now."""
        if kind == "haproxy-kill":
            return [(kind, n) for n in BALANCERS if self.haproxy[n]]
        if kind == "haproxy-start":
            return [(kind, n) for n in BALANCERS if not self.haproxy[n]]
        if kind == "partition-two-way":
            return [(kind, None)] if self.deaf != set(BALANCERS) else []
        if kind == "partition-one-way":
            return [(kind, n) for n in BALANCERS if self.deaf != {n}]
        if kind == "heal":
            return [(kind, None)] if self.deaf else []
        if kind == "keepalived-stop":
            return [(kind, n) for n in BALANCERS if self.keepalived[n]]
        if kind == "keepalived-start":
            return [(kind, n) for n in BALANCERS if not self.keepalived[n]]
        if kind == "priority":
            return [(kind, n) for n in BALANCERS if self.keepalived[n]]
        raise ValueError(kind)


class Storm:
    def __init__(self, lab, rng, binary):
        self.lab, self.rng, self.binary = lab, rng, binary
        self.cluster = Cluster()


    def choose(self, bag, kinds):
        """The next step: the first kind in a seeded shuffled bag that changes something now is
        taken out of it, so a short run meets every kind."""
        for refill in (False, True):
            if refill or not bag:
                bag[:] = list(kinds)
                self.rng.shuffle(bag)
            for kind in list(bag):
                options = self.cluster.steps(kind)
                if not options:
                    continue
                bag.remove(kind)
                kind, node = self.rng.choice(options)
                detail = {}
                if kind == "priority":
                    vrid = self.rng.choice(sorted(VIPS.values()))
                    current = self.cluster.priority[(node, vrid)]
                    detail = {"vrid": vrid, "priority": self.rng.choice([p for p in PRIORITY_CHOICES if p != current])}
                return {"kind": kind, "node": node, **detail}
        raise RuntimeError(f"no step of {kinds} changes anything")

    def apply(self, step):
        kind, node = step["kind"], step["node"]
        if kind == "haproxy-kill":
            self.lab.script("haproxy-stop", node)
        elif kind in ("haproxy-start", "keepalived-stop", "keepalived-start"):
            self.lab.script(kind, node)
        elif kind in ("partition-two-way", "partition-one-way", "heal"):
            for n in BALANCERS:
                self.set_deaf(n, n in Cluster.deaf_after(step))
        elif kind == "priority":
            self.set_priority(node, step["vrid"], step["priority"])
        self.cluster.record(step)

    def set_deaf(self, node, deaf):
        """nftables in the node's network namespace: drop IP protocol 112 from the peer (or stop)."""
        netns = self.lab.netns(node)
        subprocess.run(["ip", "netns", "exec", netns, "nft", "delete", "table", "inet", "storm"], capture_output=True)
        if deaf:
            ruleset = ("table inet storm {\n chain input {\n  type filter hook input priority 0; policy accept;\n"
                       f"  ip saddr {ADDRESS[PEER[node]]} ip protocol 112 drop\n }}\n}}\n")
            subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=ruleset, text=True, check=True,
                           capture_output=True)

    def set_priority(self, node, vrid, priority):
        """Edits the node's keepalived.conf (the file its /etc/keepalived binds) and reloads."""
        path = f"{self.lab.state}/{node}/etc-keepalived/keepalived.conf"
        with open(path) as f:
            text = f.read()
        pattern = re.compile(r"(virtual_router_id %d\s*\n\s*priority )\d+" % vrid)
        text, count = pattern.subn(lambda m: m.group(1) + str(priority), text)
        if count != 1:
            raise RuntimeError(f"{path}: no priority line after virtual_router_id {vrid}")
        with open(path, "w") as f:
            f.write(text)
        self.lab.run(node, ["sh", "-c", 'kill -HUP "$(cat /run/keepalived.pid)"'])


    def keepalived_states(self, node):
        """keepalived's own (state, effective priority) per VRID from its JSON dump; STOPPED when
        none runs; (None, None) when it runs but did not answer (starting or stopping)."""
        script = ('p=$(cat /run/keepalived.pid 2>/dev/null) && kill -0 "$p" 2>/dev/null || { echo stopped; exit 0; }; '
                  'rm -f /tmp/keepalived.json; kill -%d "$p" || exit 0; '
                  'for i in $(seq 100); do [ -s /tmp/keepalived.json ] && break; sleep 0.01; done; '
                  'sleep 0.02; cat /tmp/keepalived.json 2>/dev/null' % SIGJSON)
        out = self.lab.run(node, ["sh", "-c", script], check=False).stdout.strip()
        if out == "stopped":
            return {vrid: ("STOPPED", None) for vrid in VIPS.values()}
        states = {vrid: (None, None) for vrid in VIPS.values()}
        try:
            instances = json.loads(out)
        except ValueError:
            return states
        for instance in instances:
            data = instance.get("data", {})
            if data.get("vrid") in states:
                states[data["vrid"]] = (KEEPALIVED_STATE.get(data.get("state"), str(data.get("state"))),
                                        data.get("effective_priority"))
        return states

    def vips_held(self, node):
        out = subprocess.run(["ip", "-n", self.lab.netns(node), "-j", "addr", "show", "dev", "eth2"],
                             capture_output=True, text=True, check=True).stdout
        return {a["local"] for link in json.loads(out) for a in link.get("addr_info", [])}

    def truth(self):
        """Per VIP: the balancers holding it, and each balancer's keepalived state and effective
        priority for its VRID."""
        held = {n: self.vips_held(n) for n in BALANCERS}
        states = {n: self.keepalived_states(n) for n in BALANCERS}
        return {vip: {"holders": [n for n in BALANCERS if vip in held[n]],
                      "keepalived": {n: states[n][vrid][0] for n in BALANCERS},
                      "priority": {n: states[n][vrid][1] for n in BALANCERS}}
                for vip, vrid in VIPS.items()}


    def ask(self, asker, vip):
        argv = self.lab.enter(asker, [self.binary, "ip", vip, "--json"])
        start = time.monotonic()
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        seconds = time.monotonic() - start
        answer = {"asker": asker, "vip": vip, "status": result.returncode, "seconds": round(seconds, 3)}
        try:
            report = json.loads(result.stdout)
            first = report["answers"][0]
            verdict = first.get("verdict", {})
            answer.update(owner=verdict.get("owner"), owner_host=verdict.get("owner_host"),
                          owner_address=verdict.get("owner_address"), reason=verdict.get("reason"),
                          this_host=(first.get("this_host") or {}).get("state"),
                          this_host_priority=(first.get("this_host") or {}).get("priority"),
                          listened=report.get("listened"))
        except (ValueError, KeyError, IndexError, TypeError):
            answer.update(owner=None, error=(result.stderr or result.stdout)[-400:])
        return answer

    def round(self, askers, pool):
        before = self.truth()
        futures = [pool.submit(self.ask, asker, vip) for vip in VIPS for asker in askers]
        answers = [f.result() for f in futures]
        after = self.truth()
        return before, after, answers


def expected(truth, asker):
    """The owner the truth calls for, as (kind, node)."""
    holders = truth["holders"]
    if not holders:
        return ("none", None)
    if len(holders) > 1:
        return ("conflict", None)
    return ("local", asker) if holders[0] == asker else ("peer", holders[0])


def in_transition(truth):
    """A VIP held by a node whose keepalived is not MASTER (or the reverse), a keepalived that
    did not answer its dump, or a BACKUP with no master: the truth itself is moving."""
    for n in BALANCERS:
        state = truth["keepalived"][n]
        if state is None or state == "INIT" or (n in truth["holders"]) != (state == "MASTER"):
            return True
    # A BACKUP that hears no master becomes master when its master-down timer runs out.
    return not truth["holders"] and "BACKUP" in truth["keepalived"].values()


def priority_only(sample):
    """Whether a balancer's answer differs from keepalived's dump in its own priority alone."""
    probe = dict(sample)
    return judge(probe) == "disagree" and probe["disagreement"].startswith("this host's priority")


def judge(sample):
    """Fills sample["outcome"]: moved, transition, error, agree or disagree (with what)."""
    before, after, answer = sample["truth_before"], sample["truth_after"], sample
    if before != after:
        return "moved"
    if in_transition(before):
        return "transition"
    if answer.get("owner") is None:
        sample["disagreement"] = "no answer: " + answer.get("error", "")
        return "error"
    kind, node = expected(before, answer["asker"])
    problems = []
    if answer["owner"] != kind:
        problems.append(f"owner {answer['owner']}, truth {kind}")
    elif kind == "peer" and answer.get("owner_host") != HOSTNAME[node] and answer.get("owner_address") != ADDRESS[node]:
        problems.append(f"peer {answer.get('owner_host') or answer.get('owner_address')}, truth peer {HOSTNAME[node]}")
    if answer["asker"] in BALANCERS:
        state = before["keepalived"][answer["asker"]]
        priority = before["priority"][answer["asker"]]
        if answer.get("this_host") != state:
            problems.append(f"this host {answer.get('this_host')}, keepalived says {state}")
        elif priority is not None and answer.get("this_host_priority") != priority:
            later = (sample.get("truth_later") or {}).get("priority", {}).get(answer["asker"])
            if later is not None and later == answer.get("this_host_priority") and not problems:
                # haexplain judged the track script from /proc before keepalived ran it again:
                # keepalived's own priority follows within the script's interval.
                sample["disagreement"] = f"keepalived reached priority {later} only after the answer (its track script had not run yet)"
                return "transition"
            problems.append(f"this host's priority {answer.get('this_host_priority')}, keepalived's effective priority {priority}")
    if problems:
        sample["disagreement"] = "; ".join(problems)
        return "disagree"
    return "agree"


def truth_text(truth):
    holders = truth["holders"]
    held = "none" if not holders else ("conflict: " if len(holders) > 1 else "") + "+".join(HOSTNAME[n] for n in holders)
    states = ", ".join(f"{HOSTNAME[n][-3:]} {truth['keepalived'][n]}"
                       + (f" {truth['priority'][n]}" if truth["priority"][n] is not None else "") for n in BALANCERS)
    return f"{held} (keepalived: {states})"


def verdict_text(sample):
    owner = sample.get("owner")
    if owner in ("peer", "local"):
        owner += " " + str(sample.get("owner_host") or sample.get("owner_address"))
    this_host = f", this host {sample['this_host']}" if sample.get("this_host") else ""
    if sample.get("this_host_priority") is not None:
        this_host += f" {sample['this_host_priority']}"
    return f"{owner}{this_host}"


def step_text(step):
    text = step["kind"] + (f" {HOSTNAME[step['node']]}" if step.get("node") else "")
    if step["kind"] == "priority":
        text += f" VRID {step['vrid']} -> {step['priority']}"
    return text


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run_chaos(lab, seed, steps, kinds, binary, min_rounds=2, max_rounds=4, askers=ASKERS, echo=log, samples=None):
    """Runs the storm; every sample is appended to `samples` as it is judged (so an interrupted
    run can still be summarized) and the list is returned."""
    rng = random.Random(seed)
    storm = Storm(lab, rng, binary)
    samples, bag = ([] if samples is None else samples), []
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(askers) * len(VIPS)) as pool:
        rounds = [("calm", None, 0)]
        for index in range(steps + 1):
            if index > 0:
                step = storm.choose(bag, kinds)
                step["index"] = index
                echo(f"step {index}/{steps}: {step_text(step)}")
                storm.apply(step)
                # A random moment after the step: storms are asked about while they happen.
                time.sleep(rng.uniform(0, 2.5))
            else:
                step = {"kind": "calm", "node": None, "index": 0}
            previous = None
            for number in range(max_rounds):
                before, after, answers = storm.round(askers, pool)
                fresh = [dict(answer, step=step, round=number, seed=seed,
                              truth_before=before[answer["vip"]], truth_after=after[answer["vip"]]) for answer in answers]
                # A balancer's priority ahead of keepalived's dump may be keepalived's own track
                # script not having run yet: read keepalived again once the script's interval
                # has passed, and judge with that too.
                if any(priority_only(s) for s in fresh):
                    time.sleep(TRACK_INTERVAL + 0.5)
                    later = storm.truth()
                    for s in fresh:
                        s["truth_later"] = later[s["vip"]]
                for sample in fresh:
                    answer = sample
                    sample.pop("disagreement", None)
                    sample["outcome"] = judge(sample)
                    samples.append(sample)
                    mark = {"agree": "ok", "disagree": "DISAGREE", "error": "ERROR"}.get(sample["outcome"], sample["outcome"])
                    line = (f"round {number} {answer['vip']} from {HOSTNAME[answer['asker']]}: {verdict_text(sample)} "
                            f"in {answer['seconds']:.2f} s; truth {truth_text(before[answer['vip']])}: {mark}"
                            + (f" ({sample['disagreement']})" if sample.get("disagreement") else ""))
                    sample["line"] = f"step {index} ({step_text(step)}), {line}"
                    echo("  " + line)
                settled = before == after and before == previous
                previous = after if before == after else None
                if number + 1 >= min_rounds and settled:
                    break
    return samples


def summarize(samples, seed):
    """Prints agreement and time to a verdict by step kind and asker; returns the disagreements."""
    def table(title, key):
        log(f"\n{title}")
        log(f"  {'step kind':<18} {'asker':<17} {'judged':>6} {'agree':>6} {'%':>6} {'moved':>5} {'trans':>5} "
            f"{'p50 s':>6} {'p90 s':>6} {'max s':>6}")
        groups = {}
        for s in samples:
            groups.setdefault(key(s), []).append(s)
        for group_key in sorted(groups):
            group = groups[group_key]
            judged = [s for s in group if s["outcome"] in ("agree", "disagree", "error")]
            agree = sum(s["outcome"] == "agree" for s in judged)
            times = [s["seconds"] for s in group]
            share = f"{100 * agree / len(judged):.1f}" if judged else "-"
            log(f"  {group_key[0]:<18} {group_key[1]:<17} {len(judged):>6} {agree:>6} {share:>6} "
                f"{sum(s['outcome'] == 'moved' for s in group):>5} {sum(s['outcome'] == 'transition' for s in group):>5} "
                f"{percentile(times, 0.5):>6.2f} {percentile(times, 0.9):>6.2f} {max(times):>6.2f}")

    table("by step kind and asker", lambda s: (s["step"]["kind"], HOSTNAME[s["asker"]]))
    table("by asker", lambda s: ("all", HOSTNAME[s["asker"]]))
    table("all", lambda s: ("all", "all"))
    judged = [s for s in samples if s["outcome"] in ("agree", "disagree", "error")]
    agree = sum(s["outcome"] == "agree" for s in judged)
    wrong = [s for s in samples if s["outcome"] in ("disagree", "error")]
    log(f"\nseed {seed}: {agree}/{len(judged)} judged answers agree with the ground truth"
        + (f" ({100 * agree / len(judged):.1f}%)" if judged else "")
        + f"; {sum(s['outcome'] == 'moved' for s in samples)} not judged because the truth moved during the answer, "
          f"{sum(s['outcome'] == 'transition' for s in samples)} because keepalived was in transition")
    kinds = {}
    for s in wrong:
        # A kind of disagreement: who asked, what the truth was, what was wrong (the same
        # problem with other numbers is one kind); the steps that led there are listed.
        truth = expected(s["truth_before"], s["asker"])[0]
        kinds.setdefault((HOSTNAME[s["asker"]], truth, re.sub(r"\d+", "N", s["disagreement"])), []).append(s)
    if kinds:
        log(f"\ndisagreements by kind (seed {seed}; first reproduction of each):")
        for (asker, truth, problem), group in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
            s = group[0]
            steps = sorted({g["step"]["kind"] for g in group})
            log(f"  {len(group)} x asked from {asker}, truth {truth}: {problem} (after {', '.join(steps)})\n"
                f"      e.g. step {s['step']['index']} ({step_text(s['step'])}), round {s['round']}, {s['vip']}: "
                f"truth {truth_text(s['truth_before'])}; verdict {verdict_text(s)}; reason: {s.get('reason')}; "
                f"listened: {(s.get('listened') or {}).get('detail')}")
    return wrong


def distribution(label, times, target):
    if not times:
        log(f"{label}: no answers")
        return
    p50 = statistics.median(times)
    log(f"{label}: n {len(times)}, min {min(times):.2f} s, p10 {percentile(times, 0.1):.2f}, p50 {p50:.2f}, "
        f"p90 {percentile(times, 0.9):.2f}, max {max(times):.2f} s; target <= {target} s: "
        f"median {p50 / target:.2f}x, max {max(times) / target:.2f}x the target")


def wait_for(storm, condition, what, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition(storm.truth()):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the lab did not reach {what} within {seconds} s")


def run_bench(lab, seed, args, binary):
    """Time to a verdict from the application server: calm, split brain, chaos steps."""
    storm = Storm(lab, random.Random(seed), binary)
    vip = "192.168.3.200"
    calm = [storm.ask("app", vip) for _ in range(args.calm)]
    right = sum(a["owner"] == "peer" and a.get("owner_host") == HOSTNAME["lb0"] for a in calm)
    distribution(f"calm ({right}/{len(calm)} named prod-haproxy-000)", [a["seconds"] for a in calm], 1.5)

    for node in BALANCERS:
        storm.set_deaf(node, True)
    wait_for(storm, lambda truth: len(truth[vip]["holders"]) == 2, "a split brain on " + vip)
    split = [storm.ask("app", vip) for _ in range(args.split)]
    named = [a["seconds"] for a in split if a["owner"] == "conflict"]
    distribution(f"split brain named CONFLICT ({len(named)}/{len(split)} answers)", named, 2.5)
    if len(named) < len(split):
        distribution("split brain, every answer", [a["seconds"] for a in split], 2.5)
    for node in BALANCERS:
        storm.set_deaf(node, False)
    wait_for(storm, lambda truth: all(len(t["holders"]) == 1 for t in truth.values()), "one holder per VIP again")

    samples = run_chaos(lab, seed, args.steps, KINDS, binary, askers=["app"], echo=lambda _: None)
    stepped = [s for s in samples if s["step"]["kind"] != "calm"]
    judged = [s for s in stepped if s["outcome"] in ("agree", "disagree", "error")]
    log(f"chaos (seed {seed}, {args.steps} steps, asked from prod-app-000): "
        f"{sum(s['outcome'] == 'agree' for s in judged)}/{len(judged)} judged answers agree")
    distribution("chaos steps, every answer", [s["seconds"] for s in stepped], 1.6)
    return 0


def stop_on_signal(signum, _frame):
    # SIGTERM and SIGINT unwind like an exception, so the lab comes down and a summary is printed.
    raise SystemExit(128 + signum)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["chaos", "bench", "plan"])
    parser.add_argument("--seed", type=int)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "debug", "haexplain"))
    parser.add_argument("--report", help="write every sample as JSON here")
    parser.add_argument("--lab-ready", action="store_true", help="LAB_PREFIX/LAB_STATE name a lab the caller built and removes")
    parser.add_argument("--min-rounds", type=int, default=2)
    parser.add_argument("--max-rounds", type=int, default=4)
    parser.add_argument("--calm", type=int, default=20, help="bench: calm answers")
    parser.add_argument("--split", type=int, default=10, help="bench: answers during a split brain")
    args = parser.parse_args()
    binary = os.path.realpath(args.bin)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    kinds = [k for k in args.kinds.split(",") if k]
    for kind in kinds:
        if kind not in KINDS:
            parser.error(f"unknown step kind {kind!r}; the kinds are {', '.join(KINDS)}")

    if args.mode == "plan":
        storm, bag = Storm(None, random.Random(seed), binary), []
        for index in range(1, args.steps + 1):
            step = storm.choose(bag, kinds)
            storm.cluster.record(step)
            log(f"step {index}: {step_text(step)}")
        return 0
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    if args.lab_ready:
        lab = Lab(os.environ["LAB_PREFIX"], os.environ["LAB_STATE"])
    else:
        prefix = f"hxstorm{os.getpid()}"
        lab = Lab(prefix, f"/var/tmp/{prefix}-lab")
    log(f"storm seed {seed} ({args.mode}, {args.steps} steps, kinds {','.join(kinds)}; "
        f"repeat with CHAOS_SEED={seed} {'BENCH_VERDICT_STEPS' if args.mode == 'bench' else 'CHAOS_STEPS'}={args.steps})")
    try:
        if not args.lab_ready:
            lab.script("up")
        if args.mode == "chaos":
            samples, interrupted = [], None
            try:
                run_chaos(lab, seed, args.steps, kinds, binary, args.min_rounds, args.max_rounds, samples=samples)
            except SystemExit as stop:  # SIGINT or SIGTERM: summarize what was asked so far
                interrupted = stop
                log(f"\ninterrupted after {len(samples)} answers")
            wrong = summarize(samples, seed) if samples else []
            if args.report:
                with open(args.report, "w") as f:
                    json.dump({"seed": seed, "samples": samples}, f, indent=1)
            if wrong:
                log(f"\nFAILED: {len(wrong)} answers disagree with the ground truth; seed {seed}")
                return 1
            if interrupted:
                raise interrupted
            return 0
        return run_bench(lab, seed, args, binary)
    finally:
        if not args.lab_ready:
            lab.script("down", check=False)


if __name__ == "__main__":
    sys.exit(main())
