//! A task's loop on one host: the items (`loop:` as written, `with_<lookup>` through its
//! lookup plugin), what `loop_control` adds to each item's variables and registered result
//! (`loop_var`, `index_var`, `ansible_loop`), the label shown, and the pause between items.

use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::modules::ModuleResult;
use crate::playbook::{LoopControl, Task};
use crate::template::Templar;
use crate::vars::Vars;

/// The loop's items, or the failed result Ansible gives (a `loop` that is not a list, an
/// undefined variable, a failing lookup): the task's error, the module never ran.
pub(crate) fn items(
    task: &Task,
    templar: &Templar,
    spec: &Json,
    vars: &Vars,
) -> Result<Vec<Json>, ModuleResult> {
    let rendered = match (task.loop_with.as_deref(), spec) {
        // Ansible drops the candidates of with_first_found that do not render.
        (Some("first_found"), Json::Array(candidates)) => Json::Array(
            candidates
                .iter()
                .filter_map(|c| templar.render_value(c, vars).ok())
                .collect(),
        ),
        // Ansible gives the template's error bare here.
        _ => templar
            .render_value(spec, vars)
            .map_err(|e| ModuleResult::task_error(e.to_string()))?,
    };
    let Some(plugin) = &task.loop_with else {
        return match rendered {
            Json::Array(items) => Ok(items),
            other => Err(ModuleResult::task_error(format!(
                "Invalid data passed to 'loop', it requires a list, got this instead: {other}. Hint: If you passed a list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query instead of lookup."
            ))),
        };
    };
    // with_first_found looks for templates next to a template task, for files otherwise.
    let subdir = if task.module.name.contains("template") {
        "templates"
    } else {
        "files"
    };
    templar
        .loop_lookup(plugin, rendered, vars, subdir)
        .map_err(|e| ModuleResult::task_error(e.to_string()))
}

/// `loop_control` decided for one host's loop.
pub(crate) struct Control<'a> {
    control: &'a LoopControl,
    extended: bool,
    pause: Option<Duration>,
}

impl<'a> Control<'a> {
    /// Reads `pause` (it may be a template) once, before the items; `extended` is the
    /// rendered `loop_control.extended`.
    pub(crate) fn new(
        control: &'a LoopControl,
        extended: bool,
        vars: &Vars,
        templar: &Templar,
    ) -> Control<'a> {
        let pause = control.pause.as_ref().and_then(|p| {
            let secs = match templar.render_value(p, vars).ok()? {
                Json::Number(n) => n.as_f64()?,
                Json::String(s) => s.trim().parse().ok()?,
                _ => return None,
            };
            (secs > 0.0).then(|| Duration::from_secs_f64(secs))
        });
        Control {
            control,
            extended,
            pause,
        }
    }

    /// Waits `pause` seconds (between items: not before the first).
    pub(crate) async fn pause(&self, index: usize) {
        if let (Some(d), true) = (self.pause, index > 0) {
            tokio::time::sleep(d).await;
        }
    }

    /// Sets the variables item `index` of `items` sees.
    pub(crate) fn enter(&self, items: &[Json], index: usize, vars: &mut Vars) {
        let c = self.control;
        vars.insert(c.loop_var.clone(), items[index].clone());
        vars.insert("ansible_loop_var".into(), c.loop_var.clone().into());
        if let Some(name) = &c.index_var {
            vars.insert(name.clone(), index.into());
            vars.insert("ansible_index_var".into(), name.clone().into());
        }
        if self.extended {
            vars.insert("ansible_loop".into(), self.ansible_loop(items, index));
        }
    }

    /// Adds to item `index`'s registered result what Ansible adds: the item under the loop
    /// variable's name, the index, `ansible_loop`, and which variables those are.
    pub(crate) fn annotate(&self, items: &[Json], index: usize, result: &mut Vars) {
        let c = self.control;
        result.insert(c.loop_var.clone(), items[index].clone());
        result.insert("ansible_loop_var".into(), c.loop_var.clone().into());
        if let Some(name) = &c.index_var {
            result.insert(name.clone(), index.into());
            result.insert("ansible_index_var".into(), name.clone().into());
        }
        if self.extended {
            result.insert("ansible_loop".into(), self.ansible_loop(items, index));
        }
    }

    /// What the output shows for the item: the rendered `label`, else the item.
    pub(crate) fn label(&self, item: &Json, vars: &Vars, templar: &Templar) -> Json {
        match &self.control.label {
            Some(label) => templar
                .render_str(label, vars)
                .unwrap_or_else(|_| Json::from(label.as_str())),
            None => item.clone(),
        }
    }

    /// The `ansible_loop` variable of item `index`.
    fn ansible_loop(&self, items: &[Json], index: usize) -> Json {
        let length = items.len();
        let mut l = json!({
            "index": index + 1,
            "index0": index,
            "revindex": length - index,
            "revindex0": length - index - 1,
            "first": index == 0,
            "last": index + 1 == length,
            "length": length,
        });
        if let Json::Object(m) = &mut l {
            if self.control.extended_allitems {
                m.insert("allitems".into(), Json::Array(items.to_vec()));
            }
            if index > 0 {
                m.insert("previtem".into(), items[index - 1].clone());
            }
            if index + 1 < length {
                m.insert("nextitem".into(), items[index + 1].clone());
            }
        }
        l
    }
}
