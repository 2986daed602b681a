# Tests of the playbook's own test_plugins/ directory (tests/template_plugins.rs).


def even(value):
    return value % 2 == 0


def longer_than(value, size):
    return len(value) > size


class TestModule(object):
    def tests(self):
        return {'even': even, 'longer_than': longer_than}
