//! Idempotency-key templates: `"{order_id}:{event_id}:mail"`. Placeholders name fields of
//! the handler's event (checked by the compiler, with the error on the literal) or the
//! built-ins `{stream_id}`, `{event_id}` and `{instance_id}`; `{{` and `}}` are literal braces.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::LitStr;

pub enum Part {
    Text(String),
    Field(String),
}

pub struct Template {
    pub literal: LitStr,
    pub parts: Vec<Part>,
}

impl Template {
    pub fn parse(literal: &LitStr) -> syn::Result<Template> {
        let text = literal.value();
        let error = |message: String| syn::Error::new(literal.span(), message);
        let mut parts = Vec::new();
        let mut text_part = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text_part.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text_part.push('}');
                }
                '}' => {
                    return Err(error(format!(
                    "unmatched `}}` in idempotency key {text:?}; write `}}}}` for a literal brace"
                )))
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => {
                                return Err(error(format!(
                                    "unclosed `{{` in idempotency key {text:?}"
                                )))
                            }
                        }
                    }
                    let valid = name
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !valid {
                        return Err(error(format!(
                            "`{{{name}}}` in idempotency key {text:?} is not a field name"
                        )));
                    }
                    if !text_part.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text_part)));
                    }
                    parts.push(Part::Field(name));
                }
                c => text_part.push(c),
            }
        }
        if !text_part.is_empty() {
            parts.push(Part::Text(text_part));
        }
        if !parts.iter().any(|p| matches!(p, Part::Field(_))) {
            return Err(error(format!(
                "idempotency key {text:?} has no placeholder, so every delivery would share it; use e.g. \"{{event_id}}\""
            )));
        }
        Ok(Template {
            literal: literal.clone(),
            parts,
        })
    }

    /// An expression building the key. `event` is the typed event, `call` the delivery;
    /// field accesses carry the literal's span so a missing field is reported on it.
    pub fn build(&self, event: &TokenStream, call: &TokenStream) -> TokenStream {
        let span = self.literal.span();
        let pushes = self.parts.iter().map(|part| match part {
            Part::Text(t) => quote! { key.push_str(#t); },
            Part::Field(name) if name == "instance_id" => quote! { key.push_str(&#call.instance_id); },
            Part::Field(name) if name == "stream_id" => quote! { key.push_str(&#call.stream_id); },
            Part::Field(name) if name == "event_id" => quote! { key.push_str(&#call.event_id.to_string()); },
            Part::Field(name) => {
                let field = format_ident!("{}", name, span = span);
                quote::quote_spanned! {span=> key.push_str(&::std::string::ToString::to_string(&(#event).#field)); }
            }
        });
        quote! {{
            let mut key = ::std::string::String::new();
            #(#pushes)*
            key
        }}
    }

    /// The template as written, for the manifest.
    pub fn text(&self) -> String {
        self.literal.value()
    }
}

impl Template {
    /// A default key: `{placeholder}`s, then fixed text (taken verbatim, braces and all).
    pub fn builtin(placeholders: &[&str], suffix: &str, span: Span) -> Template {
        let mut parts = Vec::new();
        let mut text = String::new();
        for (i, name) in placeholders.iter().enumerate() {
            if i > 0 {
                parts.push(Part::Text(":".into()));
                text.push(':');
            }
            parts.push(Part::Field((*name).into()));
            text.push_str(&format!("{{{name}}}"));
        }
        parts.push(Part::Text(format!(":{suffix}")));
        text.push_str(&format!(":{suffix}"));
        Template {
            literal: LitStr::new(&text, span),
            parts,
        }
    }

    pub fn uses(&self, field: &str) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Field(f) if f == field))
    }
}
