//! A handlers section — a play's `handlers:` or a role's `handlers/main.yml` — read into the
//! handlers it holds, in definition order: plain handlers, the handlers of `import_tasks`
//! files and blocks flattened in place (read now, as tasks are), and `include_tasks` /
//! `include_role` handlers kept as includes (read when notified, as Ansible reads them).

use std::collections::HashMap;

use crate::error::LoadErrors;
use crate::playbook::block::parse_items;
use crate::playbook::ctx::LoadCtx;
use crate::playbook::model::{Include, Item, Task};
use crate::yaml::Node;

/// Handlers, and the indexes of those that are dynamic includes.
pub(crate) type Handlers = (Vec<Task>, HashMap<usize, Include>);

/// Reads the handlers section `node`.
pub(crate) fn parse_handlers(ctx: &mut LoadCtx, node: &Node) -> Result<Handlers, LoadErrors> {
    let outer = std::mem::replace(&mut ctx.in_handlers, true);
    let items = parse_items(ctx, node, "handlers");
    ctx.in_handlers = outer;
    let mut handlers = (Vec::new(), HashMap::new());
    flatten(items?, &mut handlers);
    Ok(handlers)
}

/// The tasks of `items`, in order; an include stands as its own task.
fn flatten(items: Vec<Item>, out: &mut Handlers) {
    for item in items {
        match item {
            Item::Task(t) => out.0.push(*t),
            Item::Block(b) => {
                for section in [b.block, b.rescue, b.always] {
                    flatten(section, out);
                }
            }
            Item::Include(i) => {
                let task = i.task.clone();
                out.1.insert(out.0.len(), *i);
                out.0.push(task);
            }
        }
    }
}
