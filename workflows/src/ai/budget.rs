//! The per-tenant daily token budget, and the one way an AI step reaches a model:
//!
//! ```ignore
//! let model = match budget::tenant_model(ctx.services.as_ref(), &tenant_id).await? {
//!     Ok(model) => model,                  // metered: implements `LanguageModel`
//!     Err(off) => return Ok(degrade(off)), // no model, budget 0, or today's budget spent
//! };
//! let answer = model.complete(&request).await?;
//! ```
//!
//! `AI_DAILY_TOKEN_BUDGET` caps the tokens each tenant's calls may use per UTC day (default
//! [`DEFAULT_DAILY_TOKENS`], `0` turns AI off). Usage lives in D1 (`ai_usage`): every call
//! first checks the tenant's usage today against the budget, then adds the `total_tokens` its
//! answer reports. The check and the addition are not one transaction, so concurrent calls
//! can overshoot by what they use between them: the budget bounds spending, it is not a
//! billing meter. A call that fails before an answer (timeout, HTTP error, malformed reply)
//! reports no usage and adds nothing.

use incidentd_adapters::calendar::{date_of_days, MS_PER_DAY};
use incidentd_adapters::dashboard::INDEX_DATABASE;
use incidentd_llm::openai::OpenAiCompatible;
use incidentd_llm::{ChatRequest, ChatResponse, LanguageModel, LlmError};
use serde::{Deserialize, Serialize};
use sluice::sql::{Database, SqlError};
use sluice::workflow::Services;
use sluice::{Duration, EffectError};
use std::fmt;
use std::rc::Rc;

/// The Worker var: tokens per tenant per UTC day; `0` turns every AI feature off.
pub const BUDGET_VAR: &str = "AI_DAILY_TOKEN_BUDGET";
/// Without the var: room for a few hundred triages, prompts and reviews a day.
pub const DEFAULT_DAILY_TOKENS: u64 = 200_000;

/// Why an AI feature runs without a model, in words fit for the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unavailable {
    /// No `LLM_API_KEY`.
    NoModel,
    /// `AI_DAILY_TOKEN_BUDGET=0`.
    Disabled,
    /// Today's usage reached the budget.
    Spent { used: u64, budget: u64 },
    /// `AI_DAILY_TOKEN_BUDGET` is not a whole number: AI stays off rather than spend unbounded.
    BadBudget(String),
    /// An `LLM_*` setting is unusable (the message names it): AI stays off.
    BadModelSetting(String),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::NoModel => f.write_str("no language model is configured"),
            Unavailable::Disabled => {
                write!(f, "AI is turned off for this incidentd ({BUDGET_VAR}=0)")
            }
            Unavailable::Spent { used, budget } => write!(
                f,
                "the tenant's daily AI token budget is spent ({used} of {budget} tokens used today, UTC)"
            ),
            Unavailable::BadBudget(value) => write!(
                f,
                "{BUDGET_VAR} is not a whole number of tokens ({value:?}), so AI is off"
            ),
            Unavailable::BadModelSetting(problem) => {
                write!(f, "the language model is misconfigured ({problem}), so AI is off")
            }
        }
    }
}

/// The budget the Worker's vars set.
pub fn daily_budget(services: &dyn Services) -> Result<u64, Unavailable> {
    match services.var(BUDGET_VAR) {
        None => Ok(DEFAULT_DAILY_TOKENS),
        Some(text) => match text.trim().parse::<u64>() {
            Ok(0) => Err(Unavailable::Disabled),
            Ok(budget) => Ok(budget),
            Err(_) => Err(Unavailable::BadBudget(text)),
        },
    }
}

/// The UTC day of `ms` as `YYYY-MM-DD`, the key of a day's usage.
pub fn utc_day(ms: i64) -> String {
    let (year, month, day) = date_of_days(ms.div_euclid(MS_PER_DAY));
    format!("{year:04}-{month:02}-{day:02}")
}

/// A tenant's usage ledger in D1.
#[derive(Clone)]
pub struct Ledger {
    db: Rc<dyn Database>,
    tenant: String,
}

impl Ledger {
    pub fn new(db: Rc<dyn Database>, tenant: &str) -> Self {
        Self {
            db,
            tenant: tenant.to_owned(),
        }
    }

    /// Tokens used on `day`.
    pub async fn used(&self, day: &str) -> Result<u64, SqlError> {
        let rows = self
            .db
            .query(
                "SELECT tokens FROM ai_usage WHERE tenant_id = ? AND day = ?",
                vec![self.tenant.as_str().into(), day.into()],
            )
            .await?;
        Ok(rows
            .first()
            .and_then(|row| row.get("tokens"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0))
    }

    /// Adds `tokens` to `day` (one statement: concurrent additions do not lose each other).
    pub async fn add(&self, day: &str, tokens: u64) -> Result<(), SqlError> {
        self.db
            .execute(
                "INSERT INTO ai_usage (tenant_id, day, tokens) VALUES (?, ?, ?) \
                 ON CONFLICT (tenant_id, day) DO UPDATE SET tokens = ai_usage.tokens + excluded.tokens",
                vec![
                    self.tenant.as_str().into(),
                    day.into(),
                    (tokens.min(i64::MAX as u64) as i64).into(),
                ],
            )
            .await
    }
}

/// The configured model, metered against one tenant's daily budget.
pub struct MeteredModel {
    model: OpenAiCompatible,
    ledger: Ledger,
    budget: u64,
}

impl MeteredModel {
    /// Caps each call's timeout (a feature with a tighter bound than `LLM_TIMEOUT_SECONDS`).
    pub fn with_timeout_at_most(mut self, cap: Duration) -> Self {
        self.model = self.model.with_timeout_at_most(cap);
        self
    }

    /// Today's usage, or why no call may be made now.
    async fn room(&self) -> Result<(), LlmError> {
        let day = utc_day(sluice::clock::now_ms());
        let used = self
            .ledger
            .used(&day)
            .await
            .map_err(|e| LlmError::retryable(format!("token budget: {e}"), None))?;
        if used >= self.budget {
            return Err(LlmError::invalid(
                Unavailable::Spent {
                    used,
                    budget: self.budget,
                }
                .to_string(),
            ));
        }
        Ok(())
    }
}

/// Each call checks the budget first (so a loop of calls stops once it is spent) and adds the
/// tokens its answer reports after.
#[async_trait::async_trait(?Send)]
impl LanguageModel for MeteredModel {
    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.room().await?;
        let answer = self.model.complete(request).await?;
        let day = utc_day(sluice::clock::now_ms());
        // The answer is paid for: failing the step here would only buy a second one.
        if let Err(e) = self.ledger.add(&day, answer.usage.total_tokens).await {
            sluice::log::error(&format!(
                "token budget: usage of tenant {} not recorded: {e}",
                self.ledger.tenant
            ));
        }
        Ok(answer)
    }
}

/// The one call every AI step makes: the model for `tenant`, metered by its daily budget, or
/// why there is none now (no model, AI off, budget spent). A D1 failure is a retryable step
/// error.
pub async fn tenant_model(
    services: &dyn Services,
    tenant: &str,
) -> Result<Result<MeteredModel, Unavailable>, EffectError> {
    let model = match OpenAiCompatible::from_services(services) {
        None => return Ok(Err(Unavailable::NoModel)),
        Some(Err(bad)) => return Ok(Err(Unavailable::BadModelSetting(bad.to_string()))),
        Some(Ok(model)) => model,
    };
    let budget = match daily_budget(services) {
        Ok(budget) => budget,
        Err(off) => return Ok(Err(off)),
    };
    let db = services
        .database(INDEX_DATABASE)
        .map_err(|e| EffectError::retryable(e.message))?;
    let ledger = Ledger::new(db, tenant);
    let used = ledger
        .used(&utc_day(sluice::clock::now_ms()))
        .await
        .map_err(|e| EffectError::retryable(format!("token budget: {e}")))?;
    if used >= budget {
        return Ok(Err(Unavailable::Spent { used, budget }));
    }
    Ok(Ok(MeteredModel {
        model,
        ledger,
        budget,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_calendar_days() {
        assert_eq!(utc_day(0), "1970-01-01");
        assert_eq!(utc_day(MS_PER_DAY - 1), "1970-01-01");
        assert_eq!(utc_day(1_709_251_199_999), "2024-02-29");
        assert_eq!(utc_day(1_709_251_200_000), "2024-03-01");
    }

    #[test]
    fn the_ledger_adds_up_per_tenant_and_day() {
        let db = Rc::new(sluice::native::SqliteDatabase::in_memory());
        for (name, sql) in incidentd_adapters::migrations::ALL {
            db.apply(sql).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let acme = Ledger::new(db.clone(), "acme");
        let other = Ledger::new(db, "other");
        pollster::block_on(async {
            acme.add("2024-03-01", 120).await.unwrap();
            acme.add("2024-03-01", 80).await.unwrap();
            acme.add("2024-03-02", 5).await.unwrap();
            other.add("2024-03-01", 7).await.unwrap();
            assert_eq!(acme.used("2024-03-01").await.unwrap(), 200);
            assert_eq!(acme.used("2024-03-02").await.unwrap(), 5);
            assert_eq!(acme.used("2024-03-03").await.unwrap(), 0);
            assert_eq!(other.used("2024-03-01").await.unwrap(), 7);
        });
    }
}
