//! `incidentctl analysis`: the measures, the review and its action items, as text.

use incidentd_wire::analysis::{ActionItem, IncidentMetrics, Postmortem};
use serde::Deserialize;

/// `GET …/analysis`.
#[derive(Clone, Debug, Deserialize)]
pub struct Analysis {
    pub metrics: IncidentMetrics,
    pub postmortem: Option<Postmortem>,
    pub note: Option<String>,
    pub model: Option<String>,
    #[serde(default)]
    pub action_items: Vec<ActionItem>,
}

fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "never".to_owned(),
        Some(ms) => {
            let s = ms.max(0) / 1_000;
            format!("{}h{:02}m{:02}s", s / 3_600, s / 60 % 60, s % 60)
        }
    }
}

pub fn render_analysis(analysis: &Analysis) -> String {
    let m = &analysis.metrics;
    let mut out = format!(
        "first human response  {}\nmitigated             {}\nresolved              {}\nstatus changes        {}\nmessages              {}\n",
        duration(m.time_to_first_human_response_ms),
        duration(m.time_to_mitigate_ms),
        duration(m.time_to_resolve_ms),
        m.status_changes,
        m.messages
    );
    match &analysis.postmortem {
        Some(p) => {
            out.push_str(&format!(
                "\nsummary     {}\nroot cause  {}\nimpact      {}\n",
                p.summary, p.root_cause, p.impact
            ));
            if let Some(model) = &analysis.model {
                out.push_str(&format!("(review by {model})\n"));
            }
        }
        None => out.push_str(&format!(
            "\nno review: {}\n",
            analysis.note.as_deref().unwrap_or("none")
        )),
    }
    for item in &analysis.action_items {
        match &item.owner {
            Some(owner) => out.push_str(&format!("action: {} ({owner})\n", item.title)),
            None => out.push_str(&format!("action: {}\n", item.title)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_measures_review_and_actions_or_why_there_is_no_review() {
        let reply = serde_json::json!({
            "incident_id": "i", "created_at": 1,
            "metrics": { "time_to_first_human_response_ms": 125_000, "time_to_mitigate_ms": null,
                         "time_to_resolve_ms": 3_600_000, "status_changes": 1, "messages": 2 },
            "postmortem": { "summary": "s", "timeline": [], "root_cause": "r", "impact": "i",
                            "action_items": [{ "title": "add a canary", "owner": null }] },
            "note": null, "model": "m",
            "action_items": [{ "title": "add a canary", "owner": null }, { "title": "alert", "owner": "bob" }]
        });
        let text = render_analysis(&serde_json::from_value(reply).unwrap());
        assert!(text.contains("first human response  0h02m05s"), "{text}");
        assert!(text.contains("mitigated             never"), "{text}");
        assert!(text.contains("root cause  r"), "{text}");
        assert!(text.contains("action: alert (bob)"), "{text}");
        let measured = serde_json::json!({
            "metrics": { "time_to_first_human_response_ms": null, "time_to_mitigate_ms": null,
                         "time_to_resolve_ms": 1_000, "status_changes": 1, "messages": 0 },
            "postmortem": null, "note": "no language model is configured: measures only", "model": null,
            "action_items": []
        });
        let text = render_analysis(&serde_json::from_value(measured).unwrap());
        assert!(
            text.contains("no review: no language model is configured"),
            "{text}"
        );
    }
}
