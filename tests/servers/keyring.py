"""A real Secret Service (gnome-keyring) on a private D-Bus session bus.

dbus-daemon listens on a socket in the run dir; gnome-keyring-daemon runs in
the foreground, its login keyring created and unlocked with a password fed on
stdin (otherwise it would wait for a GUI prompt forever). Clients reach it
through DBUS_SESSION_BUS_ADDRESS.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .base import ServerProcess, ServerStartError, find_executable


@dataclass
class SecretService:
    bus_address: str
    home: Path
    processes: list = field(repr=False, default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {"DBUS_SESSION_BUS_ADDRESS": self.bus_address}

    def stop(self) -> None:
        for p in reversed(self.processes):
            p.stop()


def _probe(address: str) -> bool:
    import secretstorage

    old = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        conn = secretstorage.dbus_init()
        return not secretstorage.get_default_collection(conn).is_locked()
    finally:
        if old is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = old


def start_secret_service(run_dir: Path) -> SecretService:
    dbus = find_executable("dbus-daemon", ["/usr/bin/dbus-daemon"])
    gkd = find_executable("gnome-keyring-daemon", ["/usr/bin/gnome-keyring-daemon"])
    home = run_dir / "home"
    home.mkdir(parents=True, exist_ok=True)
    sock = run_dir / "bus"
    address = f"unix:path={sock}"
    conf = run_dir / "session.conf"
    # No <servicedir>: the bus must not auto-start a second, locked keyring daemon
    # (with the default config a probe would activate one that waits for a GUI prompt).
    conf.write_text(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>{address}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""")
    bus = ServerProcess("dbus", [dbus, f"--config-file={conf}", "--nofork"], run_dir)
    bus.wait_ready(lambda: sock.exists(), timeout=10)
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_RUNTIME_DIR": str(run_dir), "DBUS_SESSION_BUS_ADDRESS": address}
    keyring = ServerProcess("gnome-keyring", ["sh", "-c", f"printf %s ci-pass | exec {gkd} --foreground "
                                              f"--unlock --components=secrets"], run_dir, env=env)
    service = SecretService(address, home, [bus, keyring])
    deadline = time.monotonic() + 15
    while True:
        try:
            if _probe(address):
                return service
        except Exception as e:  # noqa: BLE001 - not up yet
            last = e
        if time.monotonic() > deadline:
            service.stop()
            raise ServerStartError(f"gnome-keyring not ready: {last!r}\n{keyring.log_tail()}")
        time.sleep(0.1)
