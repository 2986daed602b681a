"""The oracle of the templating parity test: renders each case with ansible-core's own Templar.

Reads a JSON file {"vars": {...}, "cases": [{"expr": ..., "vars": {...}}]} and prints one JSON
list: for each case {"value": ...} or {"error": "..."}. Values are made JSON as Ansible's
callbacks would show them (tuples and sets as lists, other objects as their text).
"""
import json
import math
import sys

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar


def plain(v):
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return sorted((plain(x) for x in v), key=repr)
    if isinstance(v, bool) or v is None or isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return {"__float__": repr(v)}
        return v
    if isinstance(v, str):
        return str(v)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return {"__object__": type(v).__name__, "text": str(v)}


def main():
    spec = json.load(open(sys.argv[1]))
    loader = DataLoader()
    loader.set_basedir(spec["basedir"])
    out = []
    for case in spec["cases"]:
        variables = dict(spec["vars"])
        variables.update(case.get("vars") or {})
        templar = Templar(loader=loader, variables=variables)
        try:
            out.append({"value": plain(templar.template(case["expr"]))})
        except Exception as e:  # any failure: both must fail
            out.append({"error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")})
    json.dump(out, sys.stdout)


main()
