//! Lists and dictionaries a template makes with `{% set name = ... %}` can be changed in
//! place, as Jinja2's (Python's) can: `l.append(v)`, `l.extend(s)`, `l.insert(i, v)`,
//! `l.pop()`, `l.remove(v)`, `d.update(m)`, `d.setdefault(k, v)`, `d.pop(k)` — the idiom
//! `{% set _ = names.append(x) %}` of many roles' templates. minijinja's own values are
//! immutable, so the rewrite (`rewrite.rs`) wraps such a `set`'s value in `__mutable`, which
//! copies a list or a mapping into one of these objects; anything else passes through.

use std::sync::{Arc, Mutex, MutexGuard};

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

use super::values::err;

/// Registers `__mutable`.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("__mutable", mutable);
}

fn mutable(v: Value) -> Value {
    match v.kind() {
        ValueKind::Seq if v.downcast_object_ref::<List>().is_none() => {
            let items: Vec<Value> = v.try_iter().map(|i| i.collect()).unwrap_or_default();
            Value::from_object(List(Mutex::new(items)))
        }
        ValueKind::Map if v.downcast_object_ref::<Map>().is_none() => {
            let mut m = IndexMap::new();
            if let Ok(keys) = v.try_iter() {
                for k in keys {
                    let val = v.get_item(&k).unwrap_or_default();
                    m.insert(k, val);
                }
            }
            Value::from_object(Map(Mutex::new(m)))
        }
        _ => v,
    }
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A list a template can change.
#[derive(Debug)]
pub(crate) struct List(Mutex<Vec<Value>>);

impl Object for List {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let items = locked(&self.0);
        let i = i64::try_from(key.clone()).ok()?;
        let i = if i < 0 { items.len() as i64 + i } else { i };
        items.get(usize::try_from(i).ok()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(locked(&self.0).clone())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut items = locked(&self.0);
        let arg = |n: usize| args.get(n).cloned().unwrap_or_default();
        match method {
            "append" => items.push(arg(0)),
            "extend" => items.extend(arg(0).try_iter()?),
            "insert" => {
                let at = i64::try_from(arg(0))?;
                let len = items.len() as i64;
                let at = if at < 0 {
                    (len + at).max(0)
                } else {
                    at.min(len)
                };
                items.insert(at as usize, arg(1));
            }
            "pop" => {
                let len = items.len() as i64;
                let at = match args.first() {
                    Some(i) => i64::try_from(i.clone())?,
                    None => -1,
                };
                let at = if at < 0 { len + at } else { at };
                if at < 0 || at >= len {
                    return Err(err("pop index out of range"));
                }
                return Ok(items.remove(at as usize));
            }
            "remove" => {
                let needle = arg(0);
                let Some(at) = items.iter().position(|x| *x == needle) else {
                    return Err(err("list.remove(x): x not in list"));
                };
                items.remove(at);
            }
            "clear" => items.clear(),
            "reverse" => items.reverse(),
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        }
        Ok(Value::from(()))
    }
}

/// A mapping a template can change.
#[derive(Debug)]
pub(crate) struct Map(Mutex<IndexMap<Value, Value>>);

impl Object for Map {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        locked(&self.0).get(key).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(locked(&self.0).keys().cloned().collect())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let arg = |n: usize| args.get(n).cloned().unwrap_or_default();
        match method {
            "update" => {
                let other = arg(0);
                let mut m = locked(&self.0);
                for k in other.try_iter()? {
                    let v = other.get_item(&k)?;
                    m.insert(k, v);
                }
                Ok(Value::from(()))
            }
            "setdefault" => Ok(locked(&self.0).entry(arg(0)).or_insert(arg(1)).clone()),
            "pop" => match locked(&self.0).shift_remove(&arg(0)) {
                Some(v) => Ok(v),
                None if args.len() > 1 => Ok(arg(1)),
                None => Err(err(format!("{}", arg(0)))),
            },
            "clear" => {
                locked(&self.0).clear();
                Ok(Value::from(()))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}
