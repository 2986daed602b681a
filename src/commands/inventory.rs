//! `ferry inventory`: prints what the inventory sources give, in ansible-inventory's shapes,
//! without running anything.

use std::io::Write;

use crate::cli::InventoryArgs;
use crate::commands::options::load_inventory;
use crate::error::Error;
use crate::inventory::Inventory;

/// `--list`, `--graph [GROUP] [--vars]` or `--host NAME`.
pub fn inventory(args: &InventoryArgs) -> Result<i32, Error> {
    crate::commands::vault::unlock(&args.vault)?;
    let inv = load_inventory(&args.inventory, args.playbook_dir.as_deref())?;
    let text = if let Some(host) = &args.host {
        let vars = inv
            .host_json(host)
            .ok_or_else(|| Error::Options(format!("the inventory has no host named '{host}'")))?;
        Inventory::to_text(&vars)
    } else if args.graph {
        let group = args.group.as_deref().unwrap_or("all");
        inv.graph(group, args.vars)
            .ok_or_else(|| Error::Options(format!("the inventory has no group named '{group}'")))?
            .trim_end()
            .to_string()
    } else {
        Inventory::to_text(&inv.list_json())
    };
    // Vaulted values are not shown (ansible-inventory shows their ciphertext).
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", crate::vault::mask::text(&text));
    Ok(0)
}
