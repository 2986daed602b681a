//! Warnings raised while a template renders (a lookup's `on_missing: warn`, `errors='warn'`),
//! held until the run's reporters show them: [`crate::events::Tee`] takes them before the next
//! host result or task end, as Ansible prints a lookup's warning while the task runs.

use std::sync::Mutex;

static PENDING: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Holds `msg` for the reporters.
pub fn push(msg: String) {
    PENDING.lock().unwrap_or_else(|e| e.into_inner()).push(msg);
}

/// The warnings held so far, oldest first; none are held afterwards.
pub fn take() -> Vec<String> {
    std::mem::take(&mut *PENDING.lock().unwrap_or_else(|e| e.into_inner()))
}
