"""python -m services.common.bus SERVICE [--replay]: list (or replay) its dead letters."""
import json
import sys

from ..config import Settings
from . import connect, dead_letters, replay_dead_letters

service_name = sys.argv[1]
with connect(Settings.from_env(service_name).bus_url) as bus:
    if "--replay" in sys.argv:
        print(f"replayed {replay_dead_letters(bus, service_name)} message(s)")
    else:
        for parked in dead_letters(bus, service_name):
            print(json.dumps(parked, ensure_ascii=False))
