//! Validation of statements against the xAPI spec's MUST rules, at enqueue.
//!
//! *Why on the device:* an LRS answers 400 to the whole batch for one bad statement, and by then
//! the learner's session is long gone. Checking every MUST rule when the statement is recorded
//! turns a lost statement into an immediate, typed error for the developer. The rules follow the
//! spec (Data sections 2.2–2.5 of 1.0.3 / IEEE 9274.1.1) and agree with every statement case of
//! the ADL LRS conformance suite (see `core/tests/xapi_conformance.rs`).
//!
//! The validator works on JSON values, not on typed structs, because what matters is exactly the
//! JSON the LRS will see (unknown properties, wrong types, `null`s, duplicated identifiers).

use serde::Serialize;
use serde_json::{Map, Value};

use super::{
    formats::{is_iri, is_timestamp, is_uuid},
    model::XapiVersion,
    validate_parts::{attachments, context, definition, language_map, result},
};

/// What rule a statement breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ValidationKind {
    /// A required property is missing.
    Missing,
    /// A property the spec does not define at this place.
    UnknownProperty,
    /// A property has the wrong JSON type.
    WrongType,
    /// Not an absolute IRI / IRL.
    NotIri,
    /// Not a UUID.
    NotUuid,
    /// Not an ISO 8601 timestamp the spec accepts.
    BadTimestamp,
    /// Not an ISO 8601 duration.
    BadDuration,
    /// Not an RFC 5646 language tag.
    BadLanguageTag,
    /// An agent or group has zero or several inverse functional identifiers.
    Identifier,
    /// A value outside what the spec allows (score range, objectType, version …).
    BadValue,
    /// Properties that cannot appear together (e.g. `revision` with a non-Activity object).
    NotAllowedHere,
    /// Another statement with the same id is already queued.
    Conflict,
}

/// A statement broke a MUST rule: where, which rule and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{path}: {message} ({kind:?})")]
pub struct ValidationError {
    /// JSON path of the offending property (`context.instructor.mbox`).
    pub path: String,
    /// The rule broken.
    pub kind: ValidationKind,
    /// Human explanation.
    pub message: String,
}

impl ValidationError {
    /// A validation error at `path`.
    pub fn new(path: impl Into<String>, kind: ValidationKind, message: impl Into<String>) -> Self {
        ValidationError {
            path: path.into(),
            kind,
            message: message.into(),
        }
    }
}

pub(super) type R = Result<(), ValidationError>;

pub(super) fn err(path: &str, kind: ValidationKind, msg: impl Into<String>) -> R {
    Err(ValidationError::new(path, kind, msg))
}

pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

pub(super) fn object<'a>(
    v: &'a Value,
    path: &str,
) -> Result<&'a Map<String, Value>, ValidationError> {
    v.as_object()
        .ok_or_else(|| ValidationError::new(path, ValidationKind::WrongType, "must be an object"))
}

pub(super) fn only_keys(m: &Map<String, Value>, path: &str, allowed: &[&str]) -> R {
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            return err(
                &join(path, k),
                ValidationKind::UnknownProperty,
                "not allowed here",
            );
        }
    }
    Ok(())
}

pub(super) fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str, ValidationError> {
    v.as_str()
        .ok_or_else(|| ValidationError::new(path, ValidationKind::WrongType, "must be a string"))
}

/// An array (`WrongType` otherwise).
pub(super) fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, ValidationError> {
    v.as_array()
        .ok_or_else(|| ValidationError::new(path, ValidationKind::WrongType, "must be an array"))
}

/// A string in the format `ok` accepts; otherwise `kind`, saying the value is not `what`.
pub(super) fn formatted(
    v: &Value,
    path: &str,
    ok: fn(&str) -> bool,
    kind: ValidationKind,
    what: &str,
) -> R {
    let s = string(v, path)?;
    if !ok(s) {
        return err(path, kind, format!("{s:?} is not {what}"));
    }
    Ok(())
}

/// The member `key` of `m`, or `Missing` at `path.key`.
pub(super) fn required<'a>(
    m: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<&'a Value, ValidationError> {
    m.get(key)
        .ok_or_else(|| ValidationError::new(join(path, key), ValidationKind::Missing, "required"))
}

/// A string that must be an IRI (`NotIri` otherwise).
pub(super) fn iri<'a>(v: &'a Value, path: &str) -> Result<&'a str, ValidationError> {
    let s = string(v, path)?;
    if !is_iri(s) {
        return Err(ValidationError::new(
            path,
            ValidationKind::NotIri,
            "must be an IRI",
        ));
    }
    Ok(s)
}

/// Validates a whole statement (as sent to `POST /statements`) for `version`.
pub fn validate_statement(v: &Value, version: XapiVersion) -> R {
    let m = object(v, "statement")?;
    let allowed = [
        BODY_KEYS.as_slice(),
        &["id", "stored", "authority", "version"],
    ]
    .concat();
    only_keys(m, "", &allowed)?;
    if let Some(id) = m.get("id") {
        uuid_value(id, "id")?;
    }
    statement_body(m, "", version, false)?;
    if let Some(s) = m.get("stored") {
        timestamp(s, "stored")?;
    }
    if let Some(a) = m.get("authority") {
        authority(a, "authority")?;
    }
    if let Some(ver) = m.get("version") {
        let s = string(ver, "version")?;
        let ok = match version {
            XapiVersion::V2_0_0 => version_ok(s, &["1.0", "2.0"]),
            XapiVersion::V1_0_3 => version_ok(s, &["1.0"]),
        };
        if !ok {
            return err(
                "version",
                ValidationKind::BadValue,
                format!("unsupported version {s:?}"),
            );
        }
    }
    Ok(())
}

fn version_ok(s: &str, majors: &[&str]) -> bool {
    majors.iter().any(|m| {
        s == *m
            || s.strip_prefix(m)
                .and_then(|r| r.strip_prefix('.'))
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The keys [`statement_body`] checks, allowed in statements and sub-statements alike.
const BODY_KEYS: [&str; 7] = [
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "attachments",
];

/// The parts shared by statements and sub-statements.
fn statement_body(m: &Map<String, Value>, path: &str, version: XapiVersion, sub: bool) -> R {
    let actor_v = required(m, path, "actor")?;
    actor(actor_v, &join(path, "actor"))?;
    let verb_v = required(m, path, "verb")?;
    let verb_id = verb(verb_v, &join(path, "verb"))?;
    let obj = required(m, path, "object")?;
    let kind = statement_object(obj, &join(path, "object"), version, sub)?;
    if verb_id == super::builders::verbs::VOIDED && kind != "StatementRef" {
        return err(
            &join(path, "object"),
            ValidationKind::BadValue,
            "a voiding statement's object must be a StatementRef",
        );
    }
    if let Some(r) = m.get("result") {
        result(r, &join(path, "result"))?;
    }
    if let Some(c) = m.get("context") {
        context(c, &join(path, "context"), version, kind == "Activity")?;
    }
    if let Some(t) = m.get("timestamp") {
        timestamp(t, &join(path, "timestamp"))?;
    }
    if let Some(a) = m.get("attachments") {
        attachments(a, &join(path, "attachments"))?;
    }
    Ok(())
}

/// Validates an Agent or Group at `path`.
pub fn validate_actor_value(v: &Value, path: &str) -> R {
    actor(v, path)
}

pub(super) fn actor(v: &Value, path: &str) -> R {
    let m = object(v, path)?;
    let kind = match m.get("objectType") {
        None => "Agent",
        Some(t) => string(t, &join(path, "objectType"))?,
    };
    match kind {
        "Agent" => agent(m, path),
        "Group" => group(m, path),
        other => err(
            &join(path, "objectType"),
            ValidationKind::BadValue,
            format!("{other:?} is not Agent or Group"),
        ),
    }
}

const AGENT_KEYS: &[&str] = &[
    "objectType",
    "name",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];

fn agent(m: &Map<String, Value>, path: &str) -> R {
    only_keys(m, path, AGENT_KEYS)?;
    if let Some(t) = m.get("objectType")
        && t != "Agent"
    {
        return err(
            &join(path, "objectType"),
            ValidationKind::BadValue,
            "must be Agent",
        );
    }
    let n = ifis(m, path)?;
    if n != 1 {
        return err(
            path,
            ValidationKind::Identifier,
            format!(
                "an agent needs exactly one identifier (mbox, mbox_sha1sum, openid, account), has {n}"
            ),
        );
    }
    Ok(())
}

fn group(m: &Map<String, Value>, path: &str) -> R {
    let mut keys = AGENT_KEYS.to_vec();
    keys.push("member");
    only_keys(m, path, &keys)?;
    let n = ifis(m, path)?;
    if n > 1 {
        return err(
            path,
            ValidationKind::Identifier,
            "a group has at most one identifier",
        );
    }
    match m.get("member") {
        Some(Value::Array(members)) => {
            for (i, mem) in members.iter().enumerate() {
                let p = format!("{path}.member[{i}]");
                let mm = object(mem, &p)?;
                if let Some(t) = mm.get("objectType")
                    && t != "Agent"
                {
                    return err(&p, ValidationKind::BadValue, "group members must be Agents");
                }
                agent(mm, &p)?;
            }
            if n == 0 && members.is_empty() {
                return err(
                    &join(path, "member"),
                    ValidationKind::Missing,
                    "an anonymous group must list its members",
                );
            }
        }
        Some(_) => {
            return err(
                &join(path, "member"),
                ValidationKind::WrongType,
                "must be an array",
            );
        }
        None if n == 0 => {
            return err(
                &join(path, "member"),
                ValidationKind::Missing,
                "an anonymous group must list its members",
            );
        }
        None => {}
    }
    if let Some(name) = m.get("name") {
        string(name, &join(path, "name"))?;
    }
    Ok(())
}

/// The string identifiers: key, check, and why a value fails it.
type IfiCheck = (&'static str, fn(&str) -> bool, ValidationKind, &'static str);
const STRING_IFIS: [IfiCheck; 3] = [
    (
        "mbox",
        is_mailto,
        ValidationKind::NotIri,
        "must be a mailto: IRI with one address",
    ),
    (
        "mbox_sha1sum",
        is_sha1_hex,
        ValidationKind::BadValue,
        "must be 40 hex digits",
    ),
    ("openid", is_iri, ValidationKind::NotIri, "must be a URI"),
];

/// Checks each identifier present and returns how many there are.
fn ifis(m: &Map<String, Value>, path: &str) -> Result<usize, ValidationError> {
    if let Some(name) = m.get("name") {
        string(name, &join(path, "name"))?;
    }
    let mut n = 0;
    for (key, ok, kind, msg) in STRING_IFIS {
        if let Some(v) = m.get(key) {
            n += 1;
            let p = join(path, key);
            if !ok(string(v, &p)?) {
                return Err(ValidationError::new(p, kind, msg));
            }
        }
    }
    if let Some(v) = m.get("account") {
        n += 1;
        account(v, &join(path, "account"))?;
    }
    Ok(n)
}

/// `mailto:` and exactly one address without white space.
fn is_mailto(s: &str) -> bool {
    s.strip_prefix("mailto:").is_some_and(|addr| {
        let mut parts = addr.split('@');
        matches!((parts.next(), parts.next(), parts.next()),
            (Some(l), Some(d), None) if !l.is_empty() && !d.is_empty()
                && !addr.contains(char::is_whitespace))
    })
}

/// 40 hex digits.
fn is_sha1_hex(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An `account` identifier: `homePage` (an IRL) and `name`.
fn account(v: &Value, p: &str) -> R {
    let a = object(v, p)?;
    only_keys(a, p, &["homePage", "name"])?;
    let home = required(a, p, "homePage")?;
    if !is_iri(string(home, &join(p, "homePage"))?) {
        return err(
            &join(p, "homePage"),
            ValidationKind::NotIri,
            "must be an IRL",
        );
    }
    string(required(a, p, "name")?, &join(p, "name"))?;
    Ok(())
}

fn authority(v: &Value, path: &str) -> R {
    actor(v, path)?;
    // An OAuth authority is an anonymous group of exactly two agents (application and user).
    if let Some(m) = v.as_object()
        && m.get("objectType").and_then(Value::as_str) == Some("Group")
    {
        if ifis(m, path)? > 0 {
            return err(
                path,
                ValidationKind::Identifier,
                "a group authority is anonymous",
            );
        }
        let members = m
            .get("member")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if members != 2 {
            return err(
                path,
                ValidationKind::BadValue,
                "a group authority has exactly two members",
            );
        }
    }
    Ok(())
}

fn verb<'a>(v: &'a Value, path: &str) -> Result<&'a str, ValidationError> {
    let m = object(v, path)?;
    only_keys(m, path, &["id", "display"])?;
    let id = iri(required(m, path, "id")?, &join(path, "id"))?;
    if let Some(d) = m.get("display") {
        language_map(d, &join(path, "display"))?;
    }
    Ok(id)
}

/// Validates the object; returns its objectType.
fn statement_object(
    v: &Value,
    path: &str,
    version: XapiVersion,
    sub: bool,
) -> Result<&'static str, ValidationError> {
    let m = object(v, path)?;
    let kind = match m.get("objectType") {
        None => "Activity",
        Some(t) => match string(t, &join(path, "objectType"))? {
            "Activity" => "Activity",
            "Agent" => "Agent",
            "Group" => "Group",
            "StatementRef" => "StatementRef",
            "SubStatement" => "SubStatement",
            other => {
                return Err(ValidationError::new(
                    join(path, "objectType"),
                    ValidationKind::BadValue,
                    format!("{other:?} is not a statement object type"),
                ));
            }
        },
    };
    match kind {
        "Activity" => activity(m, path)?,
        "Agent" | "Group" => actor(v, path)?,
        "StatementRef" => statement_ref(m, path)?,
        _ => {
            if sub {
                return Err(ValidationError::new(
                    path,
                    ValidationKind::NotAllowedHere,
                    "a sub-statement cannot contain a sub-statement",
                ));
            }
            only_keys(m, path, &[BODY_KEYS.as_slice(), &["objectType"]].concat())?;
            statement_body(m, path, version, true)?;
        }
    }
    Ok(kind)
}

pub(super) fn statement_ref(m: &Map<String, Value>, path: &str) -> R {
    only_keys(m, path, &["objectType", "id"])?;
    if m.get("objectType").and_then(Value::as_str) != Some("StatementRef") {
        return err(
            &join(path, "objectType"),
            ValidationKind::BadValue,
            "must be StatementRef",
        );
    }
    let id = required(m, path, "id")?;
    uuid_value(id, &join(path, "id"))
}

pub(super) fn activity(m: &Map<String, Value>, path: &str) -> R {
    only_keys(m, path, &["objectType", "id", "definition"])?;
    iri(required(m, path, "id")?, &join(path, "id"))?;
    if let Some(d) = m.get("definition") {
        definition(d, &join(path, "definition"))?;
    }
    Ok(())
}

pub(super) fn uuid_value(v: &Value, path: &str) -> R {
    formatted(v, path, is_uuid, ValidationKind::NotUuid, "a UUID")
}

fn timestamp(v: &Value, path: &str) -> R {
    formatted(
        v,
        path,
        is_timestamp,
        ValidationKind::BadTimestamp,
        "an ISO 8601 timestamp",
    )
}
