# ferry's Python plugin helper: runs the filter, test and lookup plugins ferry has no native
# code for, with ansible-core's own plugin loaders (collections, meta/runtime.yml routing,
# filter_plugins/ and lookup_plugins/ directories, ansible.cfg), in one process per run.
#
# Protocol: one JSON request per line on stdin, one JSON answer per line on the stdout ferry
# gave (anything a plugin prints goes to stderr instead). A request:
#   {"op": "filter"|"test"|"lookup", "name": "ns.coll.name", "input": value, "args": [...],
#    "kwargs": {...}, "variables": {...} (lookups), "dirs": [new plugin dirs], "roots": [...]}
# An answer: {"ok": value} or {"error": {"kind": "missing"|"hard"|"soft"|"type", "message": ...}},
# with "warnings": [...] the plugin raised through Ansible's Display.
import json
import os
import sys

PROTOCOL = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
os.dup2(2, 1)
WARNINGS = []


class Failure(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


def setup(core):
    if core and core not in sys.path:
        sys.path.append(core)
    from ansible import constants
    from ansible.utils.display import Display

    display = Display()
    display.warning = lambda msg, formatted=False: WARNINGS.append(str(msg))

    def deprecated(msg, version=None, removed=False, date=None, collection_name=None, **_):
        if constants.DEPRECATION_WARNINGS and not removed:
            text = display.get_deprecation_message(
                msg, version=version, date=date, collection_name=collection_name
            )
            WARNINGS.append(text.removeprefix("[DEPRECATION WARNING]: "))

    display.deprecated = deprecated


class Plugins:
    def __init__(self, roots):
        from ansible.parsing.dataloader import DataLoader
        from ansible.plugins import loader

        loader.init_plugin_loader(list(roots))
        self.loaders = loader
        self.data = DataLoader()
        self.dirs = set()
        self.templar = None

    def add_dirs(self, dirs):
        for d in dirs:
            if d not in self.dirs:
                self.dirs.add(d)
                self.loaders.add_all_plugin_dirs(d)

    def environment(self):
        if self.templar is None:
            from ansible.template import Templar

            self.templar = Templar(loader=self.data)
        return self.templar.environment

    def function(self, kind, name):
        """The Jinja2 function of filter or test `name`, as Ansible's templar finds it."""
        import jinja2.filters
        import jinja2.tests
        from ansible.errors import AnsibleError

        plugin_loader = self.loaders.filter_loader if kind == "filter" else self.loaders.test_loader
        error = None
        try:
            plugin = plugin_loader.get(name)
        except (AnsibleError, KeyError) as e:
            plugin, error = None, e
        if plugin:
            return plugin.j2_function
        builtins = jinja2.filters.FILTERS if kind == "filter" else jinja2.tests.TESTS
        if name in builtins:
            return builtins[name]
        raise Failure("missing", 'Could not load "%s": %s' % (name, error or KeyError(name)))

    def call(self, kind, name, value, args, kwargs):
        from jinja2.utils import _PassArg

        func = self.function(kind, name)
        passed = _PassArg.from_obj(func)
        lead = []
        if passed is _PassArg.environment:
            lead = [self.environment()]
        elif passed is _PassArg.eval_context:
            from jinja2.nodes import EvalContext

            lead = [EvalContext(self.environment())]
        elif passed is _PassArg.context:
            env = self.environment()
            lead = [env.context_class(env, {}, None, {})]
        try:
            result = func(*lead, value, *args, **kwargs)
        except Failure:
            raise
        except TypeError as e:
            raise Failure("type", str(e))
        except Exception as e:
            from ansible.errors import AnsibleError

            # Ansible reports its own errors (AnsibleFilterError, ...) by their bare message.
            raise Failure("ansible" if isinstance(e, AnsibleError) else "hard", str(e))
        if kind == "test":
            return bool(result)
        return unrolled(result)

    def lookup(self, name, terms, kwargs, variables):
        from ansible.errors import AnsibleLookupError, AnsibleOptionsError, AnsibleUndefinedVariable
        from ansible.module_utils.common.collections import is_sequence
        from ansible.template import Templar
        from jinja2.exceptions import UndefinedError

        if variables.get("playbook_dir"):
            self.data.set_basedir(variables["playbook_dir"])
        templar = Templar(loader=self.data, variables=variables)
        instance = self.loaders.lookup_loader.get(name, loader=self.data, templar=templar)
        if instance is None:
            raise Failure("hard", "lookup plugin (%s) not found" % name)
        try:
            ran = instance.run(terms, variables=variables, **kwargs)
        except (AnsibleUndefinedVariable, UndefinedError, AnsibleOptionsError) as e:
            raise Failure("hard", str(e))
        except AnsibleLookupError as e:
            raise Failure("soft", str(e))
        except Exception as e:
            raise Failure(
                "soft",
                "An unhandled exception occurred while running the lookup plugin '%s'. "
                "Error was a %s, original message: %s" % (name, type(e), e),
            )
        if not is_sequence(ran):
            raise Failure(
                "hard",
                f"The lookup plugin '{name}' was expected to return a list, got '{type(ran)}' "
                f"instead. The lookup plugin '{name}' needs to be changed to return a list. ",
            )
        return list(ran)


def unrolled(value):
    """A generator or iterator made a list, as Ansible's templar unrolls a filter's result."""
    from collections.abc import Iterator

    if isinstance(value, Iterator):
        return list(value)
    return value


def plain(value):
    """A value JSON cannot write, as ferry reads it: sets and iterables as lists, bytes as
    text, anything else as its str()."""
    from collections.abc import Iterable, Mapping

    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, Iterable) and not isinstance(value, str):
        return list(value)
    try:
        return str(value)
    except Exception:
        return None


def answer(plugins, request):
    plugins.add_dirs(request.get("dirs") or [])
    op, name = request["op"], request["name"]
    if op == "lookup":
        return plugins.lookup(
            name, request.get("args") or [], request.get("kwargs") or {},
            request.get("variables") or {},
        )
    return plugins.call(op, name, request.get("input"), request.get("args") or [],
                        request.get("kwargs") or {})


def main():
    core = sys.argv[1] if len(sys.argv) > 1 else ""
    plugins, broken = None, None
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if broken:
                raise broken
            if plugins is None:
                try:
                    setup(core)
                    plugins = Plugins(request.get("roots") or [])
                except Exception as e:
                    broken = Failure("hard", "ansible-core could not be loaded: %s" % e)
                    raise broken
            reply = {"ok": answer(plugins, request)}
        except Failure as f:
            reply = {"error": {"kind": f.kind, "message": f.message}}
        except Exception as e:
            reply = {"error": {"kind": "hard", "message": "%s: %s" % (type(e).__name__, e)}}
        reply["warnings"] = WARNINGS[:]
        WARNINGS.clear()
        try:
            text = json.dumps(reply, default=plain, allow_nan=False)
        except (TypeError, ValueError) as e:
            text = json.dumps({"error": {"kind": "hard", "message": str(e)}, "warnings": []})
        PROTOCOL.write(text + "\n")
        PROTOCOL.flush()


main()
