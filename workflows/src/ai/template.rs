//! Prompt templates are files (`workflows/prompts/*.md`), compiled in, with `{{name}}` holes
//! filled from the incident. A hole without a value, or a value without a hole, is an error:
//! a typo in a template must fail its snapshot test, not reach the model.

use super::guidance::{self, ServiceGuide};
use incidentd_core::model::{IncidentState, Service};
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

/// The holes every incident prompt fills the same way: the incident's title, status, severity,
/// assignee, public incident (`affection`), the tenant's services and their guidance.
pub fn incident_values(
    incident: &IncidentState,
    guides: &[ServiceGuide],
) -> BTreeMap<&'static str, String> {
    let affection = incident.affection.as_ref().map_or_else(
        || "none".to_owned(),
        |a| format!("\"{}\" ({})", a.title, a.status.as_str()),
    );
    BTreeMap::from([
        ("title", incident.title.clone()),
        ("status", incident.status.as_str().to_owned()),
        ("severity", incident.severity.as_str().to_owned()),
        (
            "assignee",
            incident.assignee.clone().unwrap_or_else(|| "nobody".into()),
        ),
        ("affection", affection),
        ("services", service_list(&incident.services)),
        ("guidance", guidance::render(guides)),
    ])
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
