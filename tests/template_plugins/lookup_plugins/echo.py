# A lookup of the playbook's own lookup_plugins/ directory (tests/template_plugins.rs): gives
# back its terms, its keyword options and the variable they name; fails when asked to.
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if kwargs.get('fail'):
            raise AnsibleLookupError('echo was asked to fail')
        found = []
        for term in terms:
            found.append({'term': term, 'var': variables.get(term), 'options': kwargs})
        return found
