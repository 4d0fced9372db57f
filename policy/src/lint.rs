//! `lint`: parse, find unknown fields against the JSON Schema, compile; report every problem
//! at once with line:column, sorted by position.

use std::ops::Range;

use serde_json::Value;
use sha2::{Digest, Sha256};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::compile::compile;
use crate::model::Policy;
use crate::problem::{Path, Problem, Seg};
use crate::raw::RawPolicy;

/// The JSON Schema of the policy format (for editors; also the source of truth for known keys).
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(RawPolicy)).unwrap_or(Value::Null)
}

/// SHA-256 of the file's bytes, hex: the policy's version hash.
pub fn version_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A policy that linted clean, with the raw form (for its test cases) kept alongside.
#[derive(Debug, Clone)]
pub struct Linted {
    pub policy: Policy,
    pub raw: RawPolicy,
}

/// Parses `text` as `T`, reporting every field the schema of `T` does not know, and any
/// syntax or type error, with line:column. Serde does not refuse unknown fields itself: this
/// walk finds all of them at once.
pub fn parse_checked<T: serde::de::DeserializeOwned + schemars::JsonSchema>(
    text: &str,
) -> (Option<T>, Vec<Problem>, Option<Spanned<DeValue<'_>>>) {
    let lines = LineIndex::new(text);
    let tree = match DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = e.span().map_or((0, 0), |s| lines.position(s.start));
            let problem = Problem {
                path: Path::root(),
                rule: None,
                message: e.message().to_string(),
                line,
                column,
            };
            return (None, vec![problem], None);
        }
    };
    let root = Spanned::new(tree.span(), DeValue::Table(tree.get_ref().clone()));
    let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null);
    let mut problems = Vec::new();
    unknown_fields(
        &root,
        &schema,
        &schema,
        &Path::root(),
        &lines,
        &mut problems,
    );
    let parsed = match toml::from_str::<T>(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let (line, column) = e.span().map_or((0, 0), |s| lines.position(s.start));
            problems.push(Problem {
                path: Path::root(),
                rule: None,
                message: e.message().trim().to_string(),
                line,
                column,
            });
            None
        }
    };
    (parsed, problems, Some(root))
}

pub fn lint(text: &str) -> Result<Linted, Vec<Problem>> {
    let lines = LineIndex::new(text);
    let (raw, mut problems, root) = parse_checked::<RawPolicy>(text);
    let Some(root) = root else {
        return Err(problems);
    };
    let compiled = raw
        .as_ref()
        .map(|raw| compile(raw, &version_hash(text.as_bytes())));
    if let Some(Err(found)) = &compiled {
        for mut p in found.clone() {
            let span = locate(&root, &p.path);
            (p.line, p.column) = lines.position(span.start);
            problems.push(p);
        }
    }
    match (raw, compiled) {
        (Some(raw), Some(Ok(policy))) if problems.is_empty() => Ok(Linted { policy, raw }),
        _ => {
            problems.sort_by_key(|p| (p.line, p.column));
            Err(problems)
        }
    }
}

/// Follows `$ref` and picks the non-null branch of `anyOf` (how schemars writes `Option<T>`).
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    if let Some(name) = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        && let Some(def) = root.get("$defs").and_then(|d| d.get(name))
    {
        return resolve(def, root);
    }
    if let Some(branches) = schema.get("anyOf").and_then(Value::as_array)
        && let Some(b) = branches
            .iter()
            .find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
    {
        return resolve(b, root);
    }
    schema
}

fn unknown_fields(
    value: &Spanned<DeValue<'_>>,
    schema: &Value,
    root: &Value,
    path: &Path,
    lines: &LineIndex,
    problems: &mut Vec<Problem>,
) {
    let schema = resolve(schema, root);
    match value.get_ref() {
        DeValue::Table(table) => {
            let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            let rule = table
                .iter()
                .find(|(k, _)| k.get_ref() == "name")
                .and_then(|(_, v)| match v.get_ref() {
                    DeValue::String(s) => Some(s.to_string()),
                    _ => None,
                });
            for (key, item) in table.iter() {
                let name = key.get_ref().as_ref();
                match properties.get(name) {
                    Some(sub) => unknown_fields(item, sub, root, &path.key(name), lines, problems),
                    None => {
                        let (line, column) = lines.position(key.span().start);
                        let mut known: Vec<&str> = properties.keys().map(String::as_str).collect();
                        known.sort_unstable();
                        problems.push(Problem {
                            path: path.key(name),
                            rule: rule.clone(),
                            message: format!(
                                "unknown field '{name}'; expected one of: {}",
                                known.join(", ")
                            ),
                            line,
                            column,
                        });
                    }
                }
            }
        }
        DeValue::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    unknown_fields(item, item_schema, root, &path.index(i), lines, problems);
                }
            }
        }
        _ => {}
    }
}

/// The span of the value at `path`, or of the nearest enclosing value that exists.
fn locate(root: &Spanned<DeValue<'_>>, path: &Path) -> Range<usize> {
    let mut current = root;
    for seg in &path.0 {
        let next = match (seg, current.get_ref()) {
            (Seg::Key(k), DeValue::Table(t)) => {
                t.iter().find(|(key, _)| key.get_ref() == k).map(|(_, v)| v)
            }
            (Seg::Index(i), DeValue::Array(a)) => a.get(*i),
            _ => None,
        };
        match next {
            Some(v) => current = v,
            None => break,
        }
    }
    current.span()
}

struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and column of a byte offset.
    fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        (line, offset - self.starts[line - 1] + 1)
    }
}
