//! `thaw dashboard`: a live page of the studies of a store, served on localhost.
//!
//! A small blocking HTTP server (tiny_http) answers the page (HTML, JS and CSS embedded
//! in the binary: no network, no third-party script) and two JSON endpoints. Every
//! request opens the store read-only anew, so the page follows a study that a tuner is
//! writing; the page polls every 2 s.

use std::io::Write;

use anyhow::Context;
use clap::Parser;
use serde_json::{Value, json};
use thaw_data::ranking::{ranks, spearman};
use thaw_study::record::{self, Record};
use thaw_study::{Domain, State, Storage};

const INDEX_HTML: &str = include_str!("../dashboard/index.html");
const APP_JS: &str = include_str!("../dashboard/app.js");
const STYLE_CSS: &str = include_str!("../dashboard/style.css");

/// `thaw dashboard`'s arguments (its help text is on `Command::Dashboard` in lib.rs).
#[derive(Debug, Parser)]
#[command(
    name = "dashboard",
    after_help = "Examples:\n  # in one terminal: tune; in another: watch it\n  thaw tune space.toml --budget 200\n  thaw dashboard\n  # then open http://127.0.0.1:8080 (or ?study=NAME for one study)\n  thaw dashboard --storage sqlite:runs/studies.db --port 9000\n  # any free port (printed on start); --host 0.0.0.0 shows it to your network\n  thaw dashboard --storage postgres://thaw@db.example/thaw --port 0"
)]
pub struct DashboardArgs {
    /// Where studies live: sqlite:PATH or postgres://USER@HOST/DB.
    #[arg(long, default_value = "sqlite:thaw.db")]
    storage: String,
    /// Port to listen on (0: any free port, printed on start).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on (127.0.0.1: this machine only).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
}

/// Runs `thaw dashboard` until the process is stopped.
pub fn run(a: DashboardArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let storage = Storage::parse(&a.storage)
        .with_context(|| format!("--storage {}: not a study store", a.storage))?;
    let label = storage.label();
    // A store that is not there or not readable is an error now, not on every request
    // (its errors name it).
    {
        let mut conn = storage.connect_read_only()?;
        record::study_names(&mut conn, &storage)?;
    }
    let server = tiny_http::Server::http((a.host.as_str(), a.port)).map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on {}:{}: {e} (is another program using the port? choose another \
             with --port, or --port 0 for any free one)",
            a.host,
            a.port
        )
    })?;
    let port = server
        .server_addr()
        .to_ip()
        .map_or(a.port, |addr| addr.port());
    let shown_host = if a.host.contains(':') {
        format!("[{}]", a.host)
    } else {
        a.host.clone()
    };
    writeln!(
        out,
        "dashboard of {label} at http://{shown_host}:{port} (Ctrl-C stops it)"
    )?;
    out.flush()?;
    for request in server.incoming_requests() {
        let url = request.url().to_string();
        let reply = if *request.method() == tiny_http::Method::Get
            || *request.method() == tiny_http::Method::Head
        {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| route(&storage, &url)))
                .unwrap_or_else(|_| Reply::error(500, "internal error"))
        } else {
            Reply::error(405, "only GET is served")
        };
        // A client that went away is not the server's problem.
        let _ = request.respond(reply.into_response());
    }
    Ok(())
}

/// One answer: status, content type and body.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Reply {
    fn ok(content_type: &'static str, body: &str) -> Self {
        Self {
            status: 200,
            content_type,
            body: body.to_string(),
        }
    }

    fn json(status: u16, v: &Value) -> Self {
        Self {
            status,
            content_type: "application/json; charset=utf-8",
            body: v.to_string(),
        }
    }

    fn error(status: u16, message: &str) -> Self {
        Self::json(status, &json!({ "error": message }))
    }

    fn into_response(self) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
        let mut r = tiny_http::Response::from_string(self.body).with_status_code(self.status);
        for (k, v) in [
            ("Content-Type", self.content_type),
            ("Cache-Control", "no-store"),
        ] {
            if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                r.add_header(h);
            }
        }
        r
    }
}

/// The answer to `GET url`.
fn route(storage: &Storage, url: &str) -> Reply {
    let path = url.split(['?', '#']).next().unwrap_or("");
    match path {
        "/" | "/index.html" => Reply::ok("text/html; charset=utf-8", INDEX_HTML),
        "/app.js" => Reply::ok("text/javascript; charset=utf-8", APP_JS),
        "/style.css" => Reply::ok("text/css; charset=utf-8", STYLE_CSS),
        "/api/studies" => match studies_json(storage) {
            Ok(v) => Reply::json(200, &v),
            Err(e) => Reply::error(500, &crate::error_chain(&e)),
        },
        _ => match path.strip_prefix("/api/study/").map(percent_decode) {
            Some(Some(name)) if !name.is_empty() => match study_json(storage, &name) {
                Ok(Some(v)) => Reply::json(200, &v),
                Ok(None) => Reply::error(404, &format!("no study `{name}`")),
                Err(e) => Reply::error(500, &crate::error_chain(&e)),
            },
            Some(_) => Reply::error(404, "bad study name"),
            None => Reply::error(404, &format!("not found: {path}")),
        },
    }
}

/// `%XX`-decoded text (`+` stays `+`); None when it is not UTF-8 or an escape is bad.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A finite number as JSON, else null.
fn num(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

fn counts_json(rec: &Record) -> Value {
    let counts = rec.counts();
    let map: serde_json::Map<String, Value> = State::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                json!(counts.get(s).copied().unwrap_or(0)),
            )
        })
        .collect();
    Value::Object(map)
}

fn best_json(rec: &Record) -> Value {
    match rec.incumbent() {
        Some((trial, epoch, value)) => json!({ "value": value, "trial": trial, "epoch": epoch }),
        None => Value::Null,
    }
}

/// What both endpoints say of a study: name, method, metric and direction, budget and
/// epochs spent or in flight, trials per state, the best value.
fn summary_json(rec: &Record) -> Value {
    let s = &rec.settings;
    json!({
        "name": rec.name,
        "method": s.method.name(),
        "metric": s.metric,
        "direction": s.direction,
        "budget": s.budget,
        "spent": rec.spent(),
        "in_flight": rec.in_flight(),
        "max_epochs": s.max_epochs,
        "counts": counts_json(rec),
        "best": best_json(rec),
    })
}

/// `/api/studies`: one object per study of the store.
fn studies_json(storage: &Storage) -> anyhow::Result<Value> {
    let mut conn = storage.connect_read_only()?;
    let names = record::study_names(&mut conn, storage)?;
    let mut list = Vec::new();
    for name in names {
        let rec = record::load(&mut conn, storage, &name)?;
        let mut study = summary_json(&rec);
        study["trials"] = rec
            .trials
            .iter()
            .filter(|t| t.state != State::Candidate)
            .count()
            .into();
        list.push(study);
    }
    Ok(json!({ "storage": storage.label(), "studies": list }))
}

/// `/api/study/NAME`: the whole study for the page; None when there is no such study.
fn study_json(storage: &Storage, name: &str) -> anyhow::Result<Option<Value>> {
    let mut conn = storage.connect_read_only()?;
    if !record::study_names(&mut conn, storage)?
        .iter()
        .any(|n| n == name)
    {
        return Ok(None);
    }
    let rec = record::load(&mut conn, storage, name)?;
    let s = &rec.settings;
    // y as the optimiser sees it; a store whose values cannot be normalised (a
    // minimised metric with a non-positive median initial value) shows raw values only.
    let scale = rec.scale(rec.epochs.iter()).ok();
    let mut trials = Vec::new();
    for t in rec.trials.iter().filter(|t| t.state != State::Candidate) {
        let values = rec.curve(t.number);
        let y: Vec<Value> = values
            .iter()
            .map(|v| match &scale {
                Some(sc) => num(f64::from(sc.y(*v))),
                None => Value::Null,
            })
            .collect();
        let best = rec.best_value(&values);
        trials.push(json!({
            "number": t.number,
            "state": t.state.as_str(),
            "epochs": t.epochs,
            "origin": t.origin,
            "best": best.map_or(Value::Null, num),
            "params": Value::Object(t.params.clone()),
            "encoded": t.encoded,
            "values": values.iter().map(|v| v.map_or(Value::Null, num)).collect::<Vec<_>>(),
            "y": y,
            "reason": t.reason,
        }));
    }
    let trace = thaw_study::trace::incumbent_trace(&rec);
    let incumbent: Vec<Value> = trace
        .iter()
        .map(|p| {
            json!({
                "epochs": p.epochs,
                "seconds": num(p.seconds),
                "best": p.best.map_or(Value::Null, num),
            })
        })
        .collect();
    let params: Vec<Value> = s
        .space
        .params
        .iter()
        .map(|p| json!({ "name": p.name, "domain": serde_json::to_value(&p.domain).unwrap_or(Value::Null) }))
        .collect();
    let mut study = summary_json(&rec);
    let extra = json!({
        "storage": storage.label(),
        "created_at": rec.created_at,
        "params": params,
        "trials": trials,
        "incumbent": incumbent,
        "importance": importance(&rec),
        "importance_method": IMPORTANCE_METHOD,
    });
    if let (Some(obj), Value::Object(more)) = (study.as_object_mut(), extra) {
        obj.extend(more);
    }
    Ok(Some(study))
}

/// How [`importance`] measures, as the page says it.
const IMPORTANCE_METHOD: &str = "numeric parameters: |Spearman rank correlation| between the \
    parameter and the trial's best value; categorical parameters: the correlation ratio η \
    of the best values' ranks across the choices. Both lie in [0, 1]; trials without a \
    finite value are left out. A marginal, one-parameter measure: it misses interactions.";

/// Correlation ratio η of `values` grouped by `groups`; None when `values` is constant
/// or every value is in one group.
fn correlation_ratio(groups: &[String], values: &[f64]) -> Option<f64> {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let total: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    if !(total > 0.0) {
        return None;
    }
    let mut by: std::collections::BTreeMap<&str, (f64, f64)> = Default::default();
    for (g, v) in groups.iter().zip(values) {
        let e = by.entry(g.as_str()).or_insert((0.0, 0.0));
        e.0 += v;
        e.1 += 1.0;
    }
    if by.len() < 2 {
        return None;
    }
    let between: f64 = by
        .values()
        .map(|(sum, k)| k * (sum / k - mean).powi(2))
        .sum();
    Some((between / total).sqrt())
}

/// Each parameter's importance ([`IMPORTANCE_METHOD`]): `{name, importance, n}`,
/// importance null when fewer than 3 trials have a value or a side is constant.
fn importance(rec: &Record) -> Vec<Value> {
    let s = &rec.settings;
    let scored: Vec<(&thaw_study::record::TrialRow, f64)> = rec
        .trials
        .iter()
        .filter(|t| t.state != State::Candidate)
        .filter_map(|t| rec.best_value(&rec.curve(t.number)).map(|b| (t, b)))
        .collect();
    let bests: Vec<f64> = scored.iter().map(|(_, b)| *b).collect();
    let best_ranks = ranks(&bests);
    s.space
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let value = if scored.len() < 3 {
                None
            } else if let Domain::Categorical { .. } = p.domain {
                let groups: Vec<String> = scored
                    .iter()
                    .map(|(t, _)| t.params.get(&p.name).map_or(String::new(), Value::to_string))
                    .collect();
                correlation_ratio(&groups, &best_ranks)
            } else {
                let x: Vec<f64> = scored
                    .iter()
                    .map(|(t, _)| t.encoded.get(i).copied().map_or(0.0, f64::from))
                    .collect();
                spearman(&x, &bests).map(f64::abs)
            };
            json!({
                "name": p.name,
                "kind": if matches!(p.domain, Domain::Categorical { .. }) { "categorical" } else { "numeric" },
                "importance": value.map_or(Value::Null, num),
                "n": scored.len(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_share_ties_and_spearman_sees_monotone_maps() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
        let x = [0.1, 0.5, 0.2, 0.9];
        let y: Vec<f64> = x.iter().map(|v: &f64| -(v.exp())).collect();
        let rho = spearman(&x, &y).unwrap();
        assert!((rho + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 1.0], &[1.0, 2.0]), None);
    }

    #[test]
    fn correlation_ratio_is_one_for_separated_groups() {
        let g: Vec<String> = ["a", "a", "b", "b"].iter().map(|s| s.to_string()).collect();
        let eta = correlation_ratio(&g, &[1.0, 1.0, 5.0, 5.0]).unwrap();
        assert!((eta - 1.0).abs() < 1e-12);
        let eta0 = correlation_ratio(&g, &[1.0, 5.0, 1.0, 5.0]).unwrap();
        assert!(eta0.abs() < 1e-12);
        let one = vec!["a".to_string(); 3];
        assert_eq!(correlation_ratio(&one, &[1.0, 2.0, 3.0]), None);
    }

    #[test]
    fn paths_decode_and_unknown_ones_are_404() {
        assert_eq!(percent_decode("a%20b%C3%A9").as_deref(), Some("a bé"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        let storage = Storage::parse("sqlite:/nonexistent/thaw-dashboard-test.db").unwrap();
        assert_eq!(route(&storage, "/nope").status, 404);
        assert_eq!(route(&storage, "/api/study/").status, 404);
        assert_eq!(route(&storage, "/api/study/%ff").status, 404);
        assert_eq!(route(&storage, "/?study=x").status, 200);
        assert!(!INDEX_HTML.contains("https://") && !APP_JS.contains("https://"));
        assert!(!STYLE_CSS.contains("http://") && !APP_JS.contains("http://"));
    }
}
