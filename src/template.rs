//! STUB until the template branch lands.
use crate::vars::Vars;
use serde_json::Value;
pub const OMIT: &str = "__omit_place_holder__ferry";
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(String);
pub struct Templar {
    env: minijinja::Environment<'static>,
}
impl Default for Templar {
    fn default() -> Self {
        Self::new()
    }
}
impl Templar {
    pub fn new() -> Templar {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        Templar { env }
    }
    pub fn render_str(&self, t: &str, vars: &Vars) -> Result<Value, TemplateError> {
        if !t.contains("{{") && !t.contains("{%") {
            return Ok(Value::String(t.into()));
        }
        let s = self
            .env
            .render_str(t, minijinja::Value::from(minijinja::value::Serde(vars)))
            .map_err(|e| TemplateError(e.to_string()))?;
        Ok(Value::String(s))
    }
    pub fn render_value(&self, v: &Value, vars: &Vars) -> Result<Value, TemplateError> {
        Ok(match v {
            Value::String(s) => self.render_str(s, vars)?,
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|x| self.render_value(x, vars))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| Ok((k.clone(), self.render_value(x, vars)?)))
                    .collect::<Result<_, TemplateError>>()?,
            ),
            o => o.clone(),
        })
    }
    pub fn eval_condition(&self, expr: &str, vars: &Vars) -> Result<bool, TemplateError> {
        let e = self
            .env
            .compile_expression(expr)
            .map_err(|e| TemplateError(e.to_string()))?;
        Ok(
            e.eval(minijinja::Value::from(minijinja::value::Serde(vars)))
                .map_err(|e| TemplateError(e.to_string()))?
                .is_true(),
        )
    }
    pub fn render_text(&self, t: &str, vars: &Vars) -> Result<String, TemplateError> {
        self.env
            .render_str(t, minijinja::Value::from(minijinja::value::Serde(vars)))
            .map_err(|e| TemplateError(e.to_string()))
    }
    pub fn check_syntax(&self, _t: &str) -> Result<(), TemplateError> {
        Ok(())
    }
    pub fn check_condition_syntax(&self, _t: &str) -> Result<(), TemplateError> {
        Ok(())
    }
}
