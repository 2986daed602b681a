# Filters of the playbook's own filter_plugins/ directory (tests/template_plugins.rs).
from ansible.errors import AnsibleFilterError


def double(value, times=2):
    return value * times


def boom(value):
    raise AnsibleFilterError('boom: %s' % value)


def evens(values):
    return (v for v in values if v % 2 == 0)


def pairs(mapping):
    return sorted(mapping.items())


def describe(value):
    return {'type': type(value).__name__, 'none': value is None}


class FilterModule(object):
    def filters(self):
        return {
            'double': double,
            'boom': boom,
            'evens': evens,
            'pairs': pairs,
            'describe': describe,
        }
