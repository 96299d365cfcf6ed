//! Durable Objects as the framework sees them: a namespace that names objects, and a stub
//! that carries one serialised request to an object and brings its serialised reply back.
//! What the bytes mean is the application's protocol (one module per object class); the
//! transport is the host's: `stub.fetch` on Cloudflare, an in-process call in native tests.

use std::fmt;
use std::rc::Rc;

/// What kind of failure an [`ObjectCallError`] is, classified by the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectCallErrorKind {
    /// No namespace by that binding, or an id that cannot name an object.
    NotFound,
    /// The call did not complete (the object threw, the isolate went away, ...). It may or
    /// may not have been applied: callers retry with the same idempotency key.
    Transport,
}

/// A failed call to a Durable Object, see [`ObjectCallErrorKind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectCallError {
    /// Whether the object was not there or the call did not complete.
    pub kind: ObjectCallErrorKind,
    /// The host's description, for logs.
    pub message: String,
}

impl ObjectCallError {
    /// A [`ObjectCallErrorKind::NotFound`] error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            kind: ObjectCallErrorKind::NotFound,
            message: message.into(),
        }
    }

    /// A [`ObjectCallErrorKind::Transport`] error.
    pub fn transport(message: impl Into<String>) -> Self {
        Self {
            kind: ObjectCallErrorKind::Transport,
            message: message.into(),
        }
    }
}

impl fmt::Display for ObjectCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ObjectCallError {}

/// One object: send a request, get its reply.
#[async_trait::async_trait(?Send)]
pub trait ObjectStub {
    /// Sends `request` (the application's serialised protocol message) and returns the
    /// object's serialised reply. A `Transport` error may or may not have been applied.
    async fn call(&self, request: String) -> Result<String, ObjectCallError>;
}

/// A Durable Object namespace (a binding such as `ORDER`).
pub trait ObjectNamespace {
    /// The id (64 hex digits) of the object named `name`; the same name always gives the
    /// same id.
    fn id_from_name(&self, name: &str) -> Result<String, ObjectCallError>;

    /// The object with this id. An id that cannot be an object id is `NotFound`.
    fn get(&self, id: &str) -> Result<Rc<dyn ObjectStub>, ObjectCallError>;
}

/// Whether `id` has the shape of an object id (64 hex digits), checked before asking a host.
pub fn is_object_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}
