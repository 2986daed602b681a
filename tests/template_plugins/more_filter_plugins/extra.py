# A filter of the directory ansible.cfg's filter_plugins names (tests/template_plugins.rs).


def triple(value):
    return value * 3


class FilterModule(object):
    def filters(self):
        return {'triple': triple}
