//! The baselines incidentd is measured against (docs/BENCHMARKS.md). Built and run only by
//! `scripts/bench`.
//!
//! - `POST /write/:name`: the bare write. The Durable Object `name` inserts one SQLite row and
//!   sets an alarm, then answers. Nothing else: no auth, no JSON, no outbox.
//! - `POST /pipeline/:name`: the bare pipeline floor (`pipeline.rs`): commit an outbox row, arm
//!   the alarm, answer; the alarm forwards the row to a minimal Workflow that runs one step per
//!   event, a D1 upsert. `GET /drained` reads what those steps wrote.

#[cfg(target_arch = "wasm32")]
mod pipeline;

#[cfg(target_arch = "wasm32")]
mod bare {
    use worker::*;

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
        let path = req.path();
        if path == "/healthz" {
            return Response::ok("ok");
        }
        if path == "/drained" {
            return crate::pipeline::drained(&env).await;
        }
        if let Some(name) = path.strip_prefix("/pipeline/") {
            let stub = env
                .durable_object("PIPELINE")?
                .id_from_name(name)?
                .get_stub()?;
            return stub.fetch_with_str(&format!("https://bare{path}")).await;
        }
        let Some(name) = path.strip_prefix("/write/") else {
            return Response::error("not found", 404);
        };
        let stub = env.durable_object("BARE")?.id_from_name(name)?.get_stub()?;
        stub.fetch_with_str("https://bare/write").await
    }

    #[durable_object]
    pub struct BareObject {
        state: State,
    }

    impl DurableObject for BareObject {
        fn new(state: State, _env: Env) -> Self {
            state
                .storage()
                .sql()
                .exec(
                    "CREATE TABLE IF NOT EXISTS row (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)",
                    None,
                )
                .ok();
            Self { state }
        }

        async fn fetch(&self, _req: Request) -> Result<Response> {
            let now = Date::now().as_millis() as i64;
            self.state
                .storage()
                .sql()
                .exec("INSERT INTO row (at) VALUES (?)", vec![now.into()])?;
            self.state.storage().set_alarm(1_000i64).await?;
            Response::ok("ok")
        }

        async fn alarm(&self) -> Result<Response> {
            Response::ok("ok")
        }
    }
}
