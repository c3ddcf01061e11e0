//! The records one answer was shown, each under a label (`R1`, `R2`, ...):
//! the model cites labels, and the checker holds every citation against
//! this list and against the text the record was shown as.

use std::collections::HashMap;
use std::sync::Mutex;

/// One record handed to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// Its label.
    pub label: String,
    /// `Type/id`.
    pub id: String,
    /// The text it was shown as (title, summary or view rows), for checking numbers.
    pub text: String,
}

/// The records an answer has been shown so far.
#[derive(Debug, Default)]
pub struct Context {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    shown: Vec<Shown>,
    by_id: HashMap<String, usize>,
}

impl Context {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding it cannot leave the list half-written.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The label of `id`, giving it the next one when it has none; `text`
    /// is added to what the record was shown as.
    pub fn show(&self, id: &str, text: &str) -> String {
        let mut inner = self.lock();
        if let Some(&i) = inner.by_id.get(id) {
            let shown = &mut inner.shown[i];
            if !shown.text.contains(text) {
                shown.text.push('\n');
                shown.text.push_str(text);
            }
            return shown.label.clone();
        }
        let label = format!("R{}", inner.shown.len() + 1);
        let i = inner.shown.len();
        inner.shown.push(Shown {
            label: label.clone(),
            id: id.to_string(),
            text: text.to_string(),
        });
        inner.by_id.insert(id.to_string(), i);
        label
    }

    /// The `Type/id` a label or an id stands for, if the answer was shown it.
    pub fn resolve(&self, label_or_id: &str) -> Option<String> {
        let inner = self.lock();
        let wanted = label_or_id.trim().trim_matches(|c| c == '[' || c == ']');
        inner
            .shown
            .iter()
            .find(|s| s.label.eq_ignore_ascii_case(wanted) || s.id == wanted)
            .map(|s| s.id.clone())
    }

    /// Everything shown, in label order.
    pub fn shown(&self) -> Vec<Shown> {
        self.lock().shown.clone()
    }

    /// Whether nothing was shown.
    pub fn is_empty(&self) -> bool {
        self.lock().shown.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_keeps_its_label_and_gathers_what_it_was_shown_as() {
        let c = Context::default();
        assert_eq!(c.show("Observation/a", "A1c: 7.2 %"), "R1");
        assert_eq!(c.show("Condition/b", "Diabetes"), "R2");
        assert_eq!(c.show("Observation/a", "[R1] ... value 7.20 %"), "R1");
        assert_eq!(c.resolve("r2").as_deref(), Some("Condition/b"));
        assert_eq!(c.resolve("Observation/a").as_deref(), Some("Observation/a"));
        assert_eq!(c.resolve("R3"), None);
        assert!(c.shown()[0].text.contains("7.20 %"));
    }
}
