//! Prompt templates are files (`workflows/prompts/*.md`), compiled in, with `{{name}}` holes
//! filled from the incident. A hole without a value, or a value without a hole, is an error:
//! a typo in a template must fail its snapshot test, not reach the model.

use incidentd_core::model::Service;
use std::collections::BTreeMap;

pub fn render(template: &str, values: &BTreeMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    let mut used = Vec::new();
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| "an unclosed `{{` in a prompt template".to_owned())?;
        let name = after[..close].trim();
        let value = values
            .get(name)
            .ok_or_else(|| format!("the prompt template names `{name}`, which has no value"))?;
        out.push_str(value);
        used.push(name);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    if let Some(unused) = values.keys().find(|k| !used.contains(k)) {
        return Err(format!("the prompt template has no `{{{{{unused}}}}}`"));
    }
    Ok(out)
}

/// The tenant's services as prompts show them: `id (name)`, comma-separated; `none`.
pub fn service_list(services: &[Service]) -> String {
    if services.is_empty() {
        return "none".into();
    }
    services
        .iter()
        .map(|s| format!("{} ({})", s.id, s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_holes_and_refuses_mismatches() {
        let values = BTreeMap::from([("title", "DB down".to_owned())]);
        assert_eq!(
            render("Incident: {{title}}.", &values).unwrap(),
            "Incident: DB down."
        );
        assert!(render("{{titel}}", &values)
            .unwrap_err()
            .contains("`titel`"));
        assert!(render("no holes", &values)
            .unwrap_err()
            .contains("{{title}}"));
        assert!(render("{{title", &values).is_err());
    }
}
