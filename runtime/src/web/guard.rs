//! The session guard in front of every console request (the rules are in the module doc of
//! `web`). A refusal says what was wrong and what to do, and reaches no handler.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, HOST, LOCATION, ORIGIN,
    REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Only this console's own assets; no inline script or style, no frames, no plugins.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// Largest form accepted.
const MAX_FORM: usize = 64 * 1024;

/// One console's session. The printed address carries a key that works once; opening it
/// gives the browser the session cookie, scoped to a random path under which every page lives
/// (`base`). A browser sends a cookie to every port of a host, so without that path another
/// user's server on another loopback port would receive it; it does not know the path.
pub struct Guard {
    /// The printed address's key, and whether it was used.
    key: Mutex<Key>,
    /// Set when the spent key came again: someone else may hold the session (a key can be
    /// read off a browser's command line); no request is answered any more.
    revoked: std::sync::atomic::AtomicBool,
    /// The cookie's value (not the key: a key seen in a history is spent).
    session: Zeroizing<String>,
    /// `/s/<random>`: every page and event stream.
    base: String,
    /// What each form sends back in its `csrf` field.
    csrf: String,
    /// `127.0.0.1:PORT` or `[::1]:PORT`: the one Host answered.
    host: String,
    port: u16,
}

struct Key {
    value: Zeroizing<String>,
    spent: bool,
}

fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buffer = Zeroizing::new(vec![0u8; bytes]);
    getrandom::fill(&mut buffer).map_err(|e| format!("random: {e}"))?;
    Ok(hex::encode(&*buffer))
}

impl Guard {
    /// A new session for a console listening on `address` (127.0.0.1 or ::1).
    pub fn new(address: SocketAddr) -> Result<Guard, String> {
        Ok(Guard {
            key: Mutex::new(Key {
                value: Zeroizing::new(random_hex(32)?),
                spent: false,
            }),
            revoked: std::sync::atomic::AtomicBool::new(false),
            session: Zeroizing::new(random_hex(32)?),
            base: format!("/s/{}", random_hex(16)?),
            csrf: random_hex(32)?,
            host: address.to_string(),
            port: address.port(),
        })
    }

    /// The address to open, once: it sets the session cookie, then shows the console.
    pub fn login_url(&self) -> String {
        let key = self.key.lock().unwrap_or_else(|p| p.into_inner());
        if key.spent {
            format!("http://{}/login (already used)", self.host)
        } else {
            format!("http://{}/login?key={}", self.host, key.value.as_str())
        }
    }

    /// `path` (absolute, as the routes are written) under this session's base.
    pub fn at(&self, path: &str) -> String {
        match path.strip_prefix('/') {
            Some("") => self.base.clone(),
            Some(rest) if rest.starts_with('?') => format!("{}{rest}", self.base),
            _ => format!("{}{path}", self.base),
        }
    }

    /// Where the routes are mounted.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The token each form sends back in its `csrf` field.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Cookies are not kept apart by port: the name is, and the path keeps them from others.
    fn cookie_name(&self) -> String {
        format!("hanko_console_{}", self.port)
    }

    fn same(&self, given: &str, ours: &str) -> bool {
        given.len() == ours.len() && bool::from(given.as_bytes().ct_eq(ours.as_bytes()))
    }

    fn has_session(&self, headers: &HeaderMap) -> bool {
        if self.revoked.load(std::sync::atomic::Ordering::SeqCst) {
            return false;
        }
        let name = self.cookie_name();
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(k, v)| k == name && self.same(v, &self.session))
    }

    /// Spends the printed key if `given` is it. The spent key coming again means two
    /// parties had it: the session is closed for both.
    fn take_key(&self, given: &str) -> Result<(), &'static str> {
        let mut key = self.key.lock().unwrap_or_else(|p| p.into_inner());
        if !self.same(given, &key.value) {
            return Err(
                "key: not this console's; open the address the console printed on its terminal",
            );
        }
        if key.spent {
            self.revoked
                .store(true, std::sync::atomic::Ordering::SeqCst);
            tracing::error!(
                "the console's address was opened a second time: someone else may have had it \
                 (a browser's command line is visible to other users); the session is closed, \
                 restart the console"
            );
            return Err(
                "this address was already used, so the session is now closed for everyone: if \
                 it was not you who opened it first, someone else had it. Restart the console \
                 for a new address.",
            );
        }
        key.spent = true;
        Ok(())
    }
}

fn refuse(status: StatusCode, why: &str) -> Response {
    tracing::warn!(status = status.as_u16(), %why, "console request refused");
    let body = maud::html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Refused: Hanko console" } link rel="stylesheet" href="/assets/console.css"; }
            body {
                header.top { span.brand { "Hanko console" } }
                main {
                    h1 { "Refused" }
                    p.refusal data-refusal { (why) }
                    p.refusal-help { "Nothing was changed. The console answers only its own pages, opened from the address it printed on its terminal." }
                }
            }
        }
    };
    (status, body).into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &axum::http::HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The `key` query parameter of `/login`.
fn login_key(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.into_owned())
}

/// Checks one request against the session; see the module doc of `web`.
pub async fn check(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let mut response = admit(&guard, request, next).await;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, CONTENT_SECURITY_POLICY, CSP);
    set(h, X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, X_FRAME_OPTIONS, "DENY");
    // Not "no-referrer": with it, a browser sends `Origin: null` on the console's own forms.
    set(h, REFERRER_POLICY, "same-origin");
    set(h, CACHE_CONTROL, "no-store");
    h.insert(
        axum::http::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        axum::http::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}

async fn admit(guard: &Guard, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = header(headers, &HOST).unwrap_or("").to_string();
    if host != guard.host {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            &format!(
                "Host '{host}' is not this console; open http://{}/ (a site that points its \
                 own name at this machine reaches nothing here)",
                guard.host
            ),
        );
    }
    let path = request.uri().path().to_string();
    if path == "/login" && request.method() == Method::GET {
        return login(guard, request.uri().query());
    }
    if path.starts_with("/assets/") && request.method() == Method::GET {
        return next.run(request).await;
    }
    let inside = path == guard.base
        || path
            .strip_prefix(guard.base.as_str())
            .is_some_and(|rest| rest.starts_with('/'));
    if !inside {
        return refuse(
            StatusCode::NOT_FOUND,
            "nothing here: open the address the console printed on its terminal",
        );
    }
    if !guard.has_session(headers) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "no session: open the address the console printed on its terminal (it works once; \
             restart the console for a new one)",
        );
    }
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    if let Err(why) = same_origin(guard, headers) {
        return refuse(StatusCode::FORBIDDEN, &why);
    }
    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, MAX_FORM).await {
        Ok(b) => b,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("form: larger than {MAX_FORM} bytes"),
            );
        }
    };
    let csrf = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !guard.same(&csrf, &guard.csrf) {
        return refuse(
            StatusCode::FORBIDDEN,
            "csrf: missing or not this session's; reload the page and submit again",
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A state change must come from this console's own pages.
fn same_origin(guard: &Guard, headers: &HeaderMap) -> Result<(), String> {
    let origin = header(headers, &ORIGIN).unwrap_or("");
    if origin != format!("http://{}", guard.host) {
        return Err(format!(
            "Origin '{origin}' is not this console (http://{}): a change must come from the \
             console's own page",
            guard.host
        ));
    }
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = site.filter(|s| *s != "same-origin") {
        return Err(format!(
            "Sec-Fetch-Site '{site}': a change must come from the console's own page"
        ));
    }
    Ok(())
}

fn login(guard: &Guard, query: Option<&str>) -> Response {
    let key = login_key(query).unwrap_or_default();
    if let Err(why) = guard.take_key(&key) {
        return refuse(StatusCode::UNAUTHORIZED, why);
    }
    let cookie = format!(
        "{}={}; Path={}; HttpOnly; SameSite=Strict",
        guard.cookie_name(),
        guard.session.as_str(),
        guard.base
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&guard.base) {
        h.insert(LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        h.insert(SET_COOKIE, v);
    }
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
