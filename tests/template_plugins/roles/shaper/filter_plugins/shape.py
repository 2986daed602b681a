# A filter of a role's own filter_plugins/ directory (tests/template_plugins.rs).


def shape(value):
    return '<%s>' % value


class FilterModule(object):
    def filters(self):
        return {'shape': shape}
