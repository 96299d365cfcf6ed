//! The baseline incidentd's latency budget is measured against (docs/BENCHMARKS.md): `POST
//! /write/:name` reaches the Durable Object `name`, which inserts one SQLite row and sets an
//! alarm, then answers. Nothing else: no auth, no JSON, no outbox. Built and run only by
//! `scripts/bench`.

#[cfg(target_arch = "wasm32")]
mod bare {
    use worker::*;

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
        let path = req.path();
        if path == "/healthz" {
            return Response::ok("ok");
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
