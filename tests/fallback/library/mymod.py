#!/usr/bin/python
# A module written for tests/fallback.rs: AnsibleModule, check mode, a no_log argument.
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            secret=dict(type='str', no_log=True),
        ),
        supports_check_mode=True,
    )
    name = module.params['name']
    if name == 'fail':
        module.fail_json(msg='asked to fail', name=name)
    module.warn('a warning from %s' % name)
    module.exit_json(
        changed=not module.check_mode,
        msg='hello %s' % name,
        secret_length=len(module.params['secret'] or ''),
        check=module.check_mode,
        ansible_facts=dict(mymod_seen=name),
    )


if __name__ == '__main__':
    main()
