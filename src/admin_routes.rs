//! The operator's admin API (`/admin/*`, docs/admin.md): bearer-token authentication, then
//! validation and statements from `incidentd_adapters::admin`; each write runs as one D1
//! batch, so a request writes everything or nothing. Replies never carry a secret, except the
//! rotate reply's new one.

use crate::http;
use incidentd_adapters::admin::requests::{self as admin_requests, parse, Validate};
use incidentd_adapters::admin::secrets;
use incidentd_adapters::admin::store::{self, Statement};
use incidentd_adapters::dashboard::receiver::requests::MAX_BODY_BYTES;
use incidentd_adapters::dashboard::INDEX_DATABASE;
use incidentd_adapters::http::operator::{verify_operator, ADMIN_TOKEN_SECRET};
use incidentd_adapters::http::routes::{self, Params};
use incidentd_adapters::http::ApiError;
use incidentd_wire::admin::{
    AddOverride, CreateTenant, PutEntryPoint, PutRotation, PutService, PutStatusPage, RotateSecret,
};
use serde_json::json;
use sluice::cloudflare::CfServices;
use sluice::sql::{Database, SqlValue};
use sluice::workflow::Services;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::{Date, Env, Request, Response};

type Handled = Result<Response, ApiError>;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e.to_string())
}

/// One of the operator's routes (the route table resolved it); the token is checked first.
pub async fn route(
    req: &mut Request,
    env: &Env,
    route: routes::Admin,
    params: &Params<'_>,
) -> Handled {
    let token = env.secret(ADMIN_TOKEN_SECRET).map(|s| s.to_string()).ok();
    let authorization = req.headers().get("authorization").map_err(internal)?;
    verify_operator(authorization.as_deref(), token.as_deref())?;
    let body = req.bytes().await.map_err(internal)?;
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "PAYLOAD_TOO_LARGE",
            format!("body exceeds {MAX_BODY_BYTES} bytes"),
        ));
    }
    let admin = Admin {
        env,
        db: CfServices::new(env.clone().into())
            .database(INDEX_DATABASE)
            .map_err(|e| internal(e.message))?,
        body,
    };
    let t = params.get("tenant");
    match route {
        routes::Admin::CreateTenant => admin.create_tenant().await,
        routes::Admin::ShowTenant => admin.show_tenant(t).await,
        routes::Admin::RotateSecret => admin.rotate_secret(t).await,
        routes::Admin::PutStatusPage => admin.put_status_page(t).await,
        routes::Admin::PutService => admin.put_service(t, params.get("service")).await,
        routes::Admin::DeleteService => admin.delete_service(t, params.get("service")).await,
        routes::Admin::PutRotation => admin.put_rotation(t, params.get("rotation")).await,
        routes::Admin::AddOverride => admin.add_override(t, params.get("rotation")).await,
        routes::Admin::PutEntryPoint => admin.put_entry_point(t, params.get("entry_point")).await,
        routes::Admin::DeleteEntryPoint => {
            admin.delete_entry_point(t, params.get("entry_point")).await
        }
    }
}

struct Admin<'a> {
    env: &'a Env,
    db: Rc<dyn Database>,
    body: Vec<u8>,
}

fn now_ms() -> i64 {
    Date::now().as_millis() as i64
}

fn param(value: &SqlValue) -> JsValue {
    match value {
        SqlValue::Null => JsValue::NULL,
        SqlValue::Integer(i) => JsValue::from_f64(*i as f64),
        SqlValue::Real(r) => JsValue::from_f64(*r),
        SqlValue::Text(t) => JsValue::from_str(t),
    }
}

impl Admin<'_> {
    /// Runs `statements` as one D1 batch: one transaction.
    async fn write(&self, statements: Vec<Statement>) -> Result<(), ApiError> {
        let d1 = self.env.d1(INDEX_DATABASE).map_err(internal)?;
        let prepared = statements
            .iter()
            .map(|s| {
                let params: Vec<JsValue> = s.params.iter().map(param).collect();
                d1.prepare(s.sql).bind(&params)
            })
            .collect::<worker::Result<Vec<_>>>()
            .map_err(internal)?;
        d1.batch(prepared)
            .await
            .map_err(|e| internal(format!("admin write: {e}")))?;
        Ok(())
    }

    /// Validates the tenant path segment and requires the tenant to exist.
    async fn tenant(&self, tenant: &str) -> Result<(), ApiError> {
        admin_requests::check_id("tenant", tenant)?;
        Ok(store::require_tenant(self.db.as_ref(), tenant).await?)
    }

    async fn create_tenant(&self) -> Handled {
        let (id, name) = parse::<CreateTenant>(&self.body)?.validate()?;
        if store::tenant_exists(self.db.as_ref(), &id).await? {
            return Err(ApiError::new(
                409,
                "TENANT_EXISTS",
                format!("tenant {id:?} exists"),
            ));
        }
        self.write(vec![store::create_tenant(&id, &name, now_ms())])
            .await?;
        http::json(201, &json!({ "tenant": { "id": id, "name": name } })).map_err(internal)
    }

    async fn show_tenant(&self, tenant: &str) -> Handled {
        admin_requests::check_id("tenant", tenant)?;
        let now = chrono::DateTime::from_timestamp_millis(now_ms()).unwrap_or_default();
        match store::summary(self.db.as_ref(), tenant, now).await? {
            Some(summary) => http::json(200, &json!({ "tenant": summary })).map_err(internal),
            None => Err(ApiError::new(
                404,
                "NOT_FOUND",
                format!("no tenant {tenant:?}"),
            )),
        }
    }

    async fn rotate_secret(&self, tenant: &str) -> Handled {
        let grace = parse::<RotateSecret>(&self.body)?.validate()?;
        self.tenant(tenant).await?;
        let secret = secrets::generate()?;
        let now_secs = now_ms() / 1_000;
        self.write(vec![secrets::rotate(
            tenant,
            &secret,
            now_secs,
            i64::from(grace),
        )])
        .await?;
        http::json(
            200,
            &json!({ "signing_secret": secret, "previous_valid_until": now_secs + i64::from(grace) }),
        )
        .map_err(internal)
    }

    async fn put_status_page(&self, tenant: &str) -> Handled {
        let (slug, title) = parse::<PutStatusPage>(&self.body)?.validate()?;
        self.tenant(tenant).await?;
        if store::slug_owner(self.db.as_ref(), &slug)
            .await?
            .is_some_and(|owner| owner != tenant)
        {
            return Err(ApiError::new(
                409,
                "SLUG_TAKEN",
                format!("slug: {slug:?} belongs to another tenant"),
            ));
        }
        self.write(vec![store::put_status_page(tenant, &slug, &title)])
            .await?;
        http::json(
            200,
            &json!({ "status_page": { "slug": slug, "title": title } }),
        )
        .map_err(internal)
    }

    async fn put_service(&self, tenant: &str, id: &str) -> Handled {
        let request = parse::<PutService>(&self.body)?;
        let valid = request.validate()?;
        admin_requests::check_id("service_id", id)?;
        self.tenant(tenant).await?;
        self.write(vec![store::put_service(tenant, id, &valid, request.public)])
            .await?;
        let service = json!({ "id": id, "name": valid.name, "description": valid.description,
                              "prompt": valid.prompt, "public": request.public });
        http::json(200, &json!({ "service": service })).map_err(internal)
    }

    async fn delete_service(&self, tenant: &str, id: &str) -> Handled {
        self.tenant(tenant).await?;
        if !store::service_exists(self.db.as_ref(), tenant, id).await? {
            return Err(ApiError::new(
                404,
                "NOT_FOUND",
                format!("no service {id:?}"),
            ));
        }
        self.write(vec![store::delete_service(tenant, id)]).await?;
        http::json(200, &json!({ "deleted": id })).map_err(internal)
    }

    async fn put_rotation(&self, tenant: &str, id: &str) -> Handled {
        let rotation = parse::<PutRotation>(&self.body)?.validate()?;
        admin_requests::check_id("rotation_id", id)?;
        self.tenant(tenant).await?;
        self.write(vec![store::put_rotation(tenant, id, &rotation)])
            .await?;
        http::json(200, &json!({ "rotation": { "id": id } })).map_err(internal)
    }

    async fn add_override(&self, tenant: &str, rotation: &str) -> Handled {
        let o = parse::<AddOverride>(&self.body)?.validate()?;
        self.tenant(tenant).await?;
        if !store::rotation_exists(self.db.as_ref(), tenant, rotation).await? {
            return Err(ApiError::new(
                404,
                "NOT_FOUND",
                format!("no rotation {rotation:?}"),
            ));
        }
        self.write(vec![store::add_override(tenant, rotation, &o, now_ms())])
            .await?;
        let reply = json!({ "override": { "user": o.user, "from": o.from.to_rfc3339(), "to": o.to.to_rfc3339() } });
        http::json(201, &reply).map_err(internal)
    }

    async fn put_entry_point(&self, tenant: &str, id: &str) -> Handled {
        let request = parse::<PutEntryPoint>(&self.body)?;
        let (target, prompt) = request.validate()?;
        admin_requests::check_id("entry_point_id", id)?;
        self.tenant(tenant).await?;
        if let admin_requests::Target::Rotation(r) = &target {
            if !store::rotation_exists(self.db.as_ref(), tenant, r).await? {
                return Err(admin_requests::invalid(
                    "rotation_id",
                    format!("no rotation {r:?} for this tenant"),
                ));
            }
        }
        let batch = store::put_entry_point(
            self.db.as_ref(),
            tenant,
            id,
            &target,
            &prompt,
            request.fallback,
        )
        .await?;
        self.write(batch).await?;
        http::json(
            200,
            &json!({ "entry_point": { "id": id, "fallback": request.fallback } }),
        )
        .map_err(internal)
    }

    async fn delete_entry_point(&self, tenant: &str, id: &str) -> Handled {
        self.tenant(tenant).await?;
        let statement = store::delete_entry_point(self.db.as_ref(), tenant, id).await?;
        self.write(vec![statement]).await?;
        http::json(200, &json!({ "deleted": id })).map_err(internal)
    }
}
