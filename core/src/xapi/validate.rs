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

use super::model::XapiVersion;

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

type R = Result<(), ValidationError>;

fn err(path: &str, kind: ValidationKind, msg: impl Into<String>) -> R {
    Err(ValidationError::new(path, kind, msg))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ValidationError> {
    v.as_object()
        .ok_or_else(|| ValidationError::new(path, ValidationKind::WrongType, "must be an object"))
}

fn only_keys(m: &Map<String, Value>, path: &str, allowed: &[&str]) -> R {
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

fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str, ValidationError> {
    v.as_str()
        .ok_or_else(|| ValidationError::new(path, ValidationKind::WrongType, "must be a string"))
}

/// Validates a whole statement (as sent to `POST /statements`) for `version`.
pub fn validate_statement(v: &Value, version: XapiVersion) -> R {
    let m = object(v, "statement")?;
    only_keys(
        m,
        "",
        &[
            "id",
            "actor",
            "verb",
            "object",
            "result",
            "context",
            "timestamp",
            "stored",
            "authority",
            "version",
            "attachments",
        ],
    )?;
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

/// The parts shared by statements and sub-statements.
fn statement_body(m: &Map<String, Value>, path: &str, version: XapiVersion, sub: bool) -> R {
    let actor_v = m.get("actor").ok_or_else(|| {
        ValidationError::new(join(path, "actor"), ValidationKind::Missing, "required")
    })?;
    actor(actor_v, &join(path, "actor"))?;
    let verb_v = m.get("verb").ok_or_else(|| {
        ValidationError::new(join(path, "verb"), ValidationKind::Missing, "required")
    })?;
    let verb_id = verb(verb_v, &join(path, "verb"))?;
    let obj = m.get("object").ok_or_else(|| {
        ValidationError::new(join(path, "object"), ValidationKind::Missing, "required")
    })?;
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

fn actor(v: &Value, path: &str) -> R {
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

/// Checks each identifier present and returns how many there are.
fn ifis(m: &Map<String, Value>, path: &str) -> Result<usize, ValidationError> {
    let mut n = 0;
    if let Some(name) = m.get("name") {
        string(name, &join(path, "name"))?;
    }
    if let Some(v) = m.get("mbox") {
        n += 1;
        let s = string(v, &join(path, "mbox"))?;
        let ok = s.strip_prefix("mailto:").is_some_and(|addr| {
            let mut parts = addr.split('@');
            matches!((parts.next(), parts.next(), parts.next()),
                    (Some(l), Some(d), None) if !l.is_empty() && !d.is_empty()
                        && !addr.contains(char::is_whitespace))
        });
        if !ok {
            return Err(ValidationError::new(
                join(path, "mbox"),
                ValidationKind::NotIri,
                "must be a mailto: IRI with one address",
            ));
        }
    }
    if let Some(v) = m.get("mbox_sha1sum") {
        n += 1;
        let s = string(v, &join(path, "mbox_sha1sum"))?;
        if s.len() != 40 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ValidationError::new(
                join(path, "mbox_sha1sum"),
                ValidationKind::BadValue,
                "must be 40 hex digits",
            ));
        }
    }
    if let Some(v) = m.get("openid") {
        n += 1;
        let s = string(v, &join(path, "openid"))?;
        if !is_iri(s) {
            return Err(ValidationError::new(
                join(path, "openid"),
                ValidationKind::NotIri,
                "must be a URI",
            ));
        }
    }
    if let Some(v) = m.get("account") {
        n += 1;
        let p = join(path, "account");
        let a = object(v, &p)?;
        only_keys(a, &p, &["homePage", "name"])?;
        let home = a.get("homePage").ok_or_else(|| {
            ValidationError::new(join(&p, "homePage"), ValidationKind::Missing, "required")
        })?;
        if !is_iri(string(home, &join(&p, "homePage"))?) {
            return Err(ValidationError::new(
                join(&p, "homePage"),
                ValidationKind::NotIri,
                "must be an IRL",
            ));
        }
        let name = a.get("name").ok_or_else(|| {
            ValidationError::new(join(&p, "name"), ValidationKind::Missing, "required")
        })?;
        string(name, &join(&p, "name"))?;
    }
    Ok(n)
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
    let id = m.get("id").ok_or_else(|| {
        ValidationError::new(join(path, "id"), ValidationKind::Missing, "required")
    })?;
    let id = string(id, &join(path, "id"))?;
    if !is_iri(id) {
        return Err(ValidationError::new(
            join(path, "id"),
            ValidationKind::NotIri,
            "must be an IRI",
        ));
    }
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
            only_keys(
                m,
                path,
                &[
                    "objectType",
                    "actor",
                    "verb",
                    "object",
                    "result",
                    "context",
                    "timestamp",
                    "attachments",
                ],
            )?;
            statement_body(m, path, version, true)?;
        }
    }
    Ok(kind)
}

fn statement_ref(m: &Map<String, Value>, path: &str) -> R {
    only_keys(m, path, &["objectType", "id"])?;
    if m.get("objectType").and_then(Value::as_str) != Some("StatementRef") {
        return err(
            &join(path, "objectType"),
            ValidationKind::BadValue,
            "must be StatementRef",
        );
    }
    let id = m.get("id").ok_or_else(|| {
        ValidationError::new(join(path, "id"), ValidationKind::Missing, "required")
    })?;
    uuid_value(id, &join(path, "id"))
}

fn activity(m: &Map<String, Value>, path: &str) -> R {
    only_keys(m, path, &["objectType", "id", "definition"])?;
    let id = m.get("id").ok_or_else(|| {
        ValidationError::new(join(path, "id"), ValidationKind::Missing, "required")
    })?;
    if !is_iri(string(id, &join(path, "id"))?) {
        return err(&join(path, "id"), ValidationKind::NotIri, "must be an IRI");
    }
    if let Some(d) = m.get("definition") {
        definition(d, &join(path, "definition"))?;
    }
    Ok(())
}

const INTERACTION_TYPES: &[&str] = &[
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
];

const COMPONENT_LISTS: &[&str] = &["choices", "scale", "source", "target", "steps"];

fn definition(v: &Value, path: &str) -> R {
    let m = object(v, path)?;
    let mut keys = vec![
        "name",
        "description",
        "type",
        "moreInfo",
        "interactionType",
        "correctResponsesPattern",
        "extensions",
    ];
    keys.extend_from_slice(COMPONENT_LISTS);
    only_keys(m, path, &keys)?;
    for k in ["name", "description"] {
        if let Some(l) = m.get(k) {
            language_map(l, &join(path, k))?;
        }
    }
    for k in ["type", "moreInfo"] {
        if let Some(t) = m.get(k)
            && !is_iri(string(t, &join(path, k))?)
        {
            return err(&join(path, k), ValidationKind::NotIri, "must be an IRI");
        }
    }
    if let Some(t) = m.get("interactionType") {
        let s = string(t, &join(path, "interactionType"))?;
        if !INTERACTION_TYPES.contains(&s) {
            return err(
                &join(path, "interactionType"),
                ValidationKind::BadValue,
                format!("unknown interaction type {s:?}"),
            );
        }
    }
    if let Some(c) = m.get("correctResponsesPattern") {
        let p = join(path, "correctResponsesPattern");
        let arr = c.as_array().ok_or_else(|| {
            ValidationError::new(&p, ValidationKind::WrongType, "must be an array")
        })?;
        for (i, s) in arr.iter().enumerate() {
            string(s, &format!("{p}[{i}]"))?;
        }
    }
    for k in COMPONENT_LISTS {
        if let Some(list) = m.get(*k) {
            let p = join(path, k);
            let arr = list.as_array().ok_or_else(|| {
                ValidationError::new(&p, ValidationKind::WrongType, "must be an array")
            })?;
            let mut seen = std::collections::HashSet::new();
            for (i, c) in arr.iter().enumerate() {
                let cp = format!("{p}[{i}]");
                let cm = object(c, &cp)?;
                only_keys(cm, &cp, &["id", "description"])?;
                let id = cm.get("id").ok_or_else(|| {
                    ValidationError::new(join(&cp, "id"), ValidationKind::Missing, "required")
                })?;
                let id = string(id, &join(&cp, "id"))?;
                if !seen.insert(id) {
                    return err(
                        &join(&cp, "id"),
                        ValidationKind::BadValue,
                        "duplicate component id",
                    );
                }
                if let Some(d) = cm.get("description") {
                    language_map(d, &join(&cp, "description"))?;
                }
            }
        }
    }
    if let Some(e) = m.get("extensions") {
        extensions(e, &join(path, "extensions"))?;
    }
    Ok(())
}

fn result(v: &Value, path: &str) -> R {
    let m = object(v, path)?;
    only_keys(
        m,
        path,
        &[
            "score",
            "success",
            "completion",
            "response",
            "duration",
            "extensions",
        ],
    )?;
    if let Some(s) = m.get("score") {
        score(s, &join(path, "score"))?;
    }
    for k in ["success", "completion"] {
        if let Some(b) = m.get(k)
            && !b.is_boolean()
        {
            return err(
                &join(path, k),
                ValidationKind::WrongType,
                "must be true or false",
            );
        }
    }
    if let Some(r) = m.get("response") {
        string(r, &join(path, "response"))?;
    }
    if let Some(d) = m.get("duration") {
        let s = string(d, &join(path, "duration"))?;
        if !is_duration(s) {
            return err(
                &join(path, "duration"),
                ValidationKind::BadDuration,
                format!("{s:?} is not an ISO 8601 duration"),
            );
        }
    }
    if let Some(e) = m.get("extensions") {
        extensions(e, &join(path, "extensions"))?;
    }
    Ok(())
}

fn score(v: &Value, path: &str) -> R {
    let m = object(v, path)?;
    only_keys(m, path, &["scaled", "raw", "min", "max"])?;
    let num = |k: &str| -> Result<Option<f64>, ValidationError> {
        match m.get(k) {
            None => Ok(None),
            Some(n) => n.as_f64().map(Some).ok_or_else(|| {
                ValidationError::new(join(path, k), ValidationKind::WrongType, "must be a number")
            }),
        }
    };
    let (scaled, raw, min, max) = (num("scaled")?, num("raw")?, num("min")?, num("max")?);
    if let Some(s) = scaled
        && !(-1.0..=1.0).contains(&s)
    {
        return err(
            &join(path, "scaled"),
            ValidationKind::BadValue,
            "must be between -1 and 1",
        );
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo >= hi
    {
        return err(
            &join(path, "min"),
            ValidationKind::BadValue,
            "min must be less than max",
        );
    }
    if let Some(r) = raw
        && (min.is_some_and(|lo| r < lo) || max.is_some_and(|hi| r > hi))
    {
        return err(
            &join(path, "raw"),
            ValidationKind::BadValue,
            "raw must be between min and max",
        );
    }
    Ok(())
}

fn context(v: &Value, path: &str, version: XapiVersion, object_is_activity: bool) -> R {
    let m = object(v, path)?;
    let mut keys = vec![
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    ];
    if version == XapiVersion::V2_0_0 {
        keys.extend_from_slice(&["contextAgents", "contextGroups"]);
    }
    only_keys(m, path, &keys)?;
    if let Some(r) = m.get("registration") {
        uuid_value(r, &join(path, "registration"))?;
    }
    if let Some(i) = m.get("instructor") {
        actor(i, &join(path, "instructor"))?;
    }
    if let Some(t) = m.get("team") {
        let p = join(path, "team");
        actor(t, &p)?;
        if t.get("objectType").and_then(Value::as_str) != Some("Group") {
            return err(&p, ValidationKind::BadValue, "team must be a Group");
        }
    }
    if let Some(ca) = m.get("contextActivities") {
        let p = join(path, "contextActivities");
        let cm = object(ca, &p)?;
        only_keys(cm, &p, &["parent", "grouping", "category", "other"])?;
        for (k, val) in cm {
            let kp = join(&p, k);
            match val {
                Value::Array(arr) => {
                    for (i, a) in arr.iter().enumerate() {
                        context_activity(a, &format!("{kp}[{i}]"))?;
                    }
                }
                other => context_activity(other, &kp)?,
            }
        }
    }
    for k in ["revision", "platform"] {
        if let Some(s) = m.get(k) {
            string(s, &join(path, k))?;
            if !object_is_activity {
                return err(
                    &join(path, k),
                    ValidationKind::NotAllowedHere,
                    "only allowed when the object is an Activity",
                );
            }
        }
    }
    if let Some(l) = m.get("language")
        && !is_language_tag(string(l, &join(path, "language"))?)
    {
        return err(
            &join(path, "language"),
            ValidationKind::BadLanguageTag,
            "not an RFC 5646 tag",
        );
    }
    if let Some(s) = m.get("statement") {
        let p = join(path, "statement");
        statement_ref(object(s, &p)?, &p)?;
    }
    if let Some(e) = m.get("extensions") {
        extensions(e, &join(path, "extensions"))?;
    }
    for (k, actor_kind) in [("contextAgents", "Agent"), ("contextGroups", "Group")] {
        if let Some(list) = m.get(k) {
            let p = join(path, k);
            let arr = list.as_array().ok_or_else(|| {
                ValidationError::new(&p, ValidationKind::WrongType, "must be an array")
            })?;
            for (i, item) in arr.iter().enumerate() {
                context_actor(item, &format!("{p}[{i}]"), actor_kind)?;
            }
        }
    }
    Ok(())
}

fn context_actor(v: &Value, path: &str, kind: &str) -> R {
    let m = object(v, path)?;
    let (key, wrapper) = if kind == "Agent" {
        ("agent", "contextAgent")
    } else {
        ("group", "contextGroup")
    };
    only_keys(m, path, &["objectType", key, "relevantTypes"])?;
    match m.get("objectType").and_then(Value::as_str) {
        Some(t) if t == wrapper => {}
        _ => {
            return err(
                &join(path, "objectType"),
                ValidationKind::BadValue,
                format!("must be {wrapper}"),
            );
        }
    }
    let a = m.get(key).ok_or_else(|| {
        ValidationError::new(join(path, key), ValidationKind::Missing, "required")
    })?;
    actor(a, &join(path, key))?;
    let is_group = a.get("objectType").and_then(Value::as_str) == Some("Group");
    if is_group != (kind == "Group") {
        return err(
            &join(path, key),
            ValidationKind::BadValue,
            format!("must be a {kind}"),
        );
    }
    if let Some(rt) = m.get("relevantTypes") {
        let p = join(path, "relevantTypes");
        let arr = rt.as_array().ok_or_else(|| {
            ValidationError::new(&p, ValidationKind::WrongType, "must be an array")
        })?;
        if arr.is_empty() {
            return err(&p, ValidationKind::BadValue, "must not be empty");
        }
        for (i, t) in arr.iter().enumerate() {
            if !is_iri(string(t, &format!("{p}[{i}]"))?) {
                return err(
                    &format!("{p}[{i}]"),
                    ValidationKind::NotIri,
                    "must be an IRI",
                );
            }
        }
    }
    Ok(())
}

fn context_activity(v: &Value, path: &str) -> R {
    let m = object(v, path)?;
    if let Some(t) = m.get("objectType")
        && t != "Activity"
    {
        return err(
            &join(path, "objectType"),
            ValidationKind::BadValue,
            "must be Activity",
        );
    }
    activity(m, path)
}

fn attachments(v: &Value, path: &str) -> R {
    let arr = v
        .as_array()
        .ok_or_else(|| ValidationError::new(path, ValidationKind::WrongType, "must be an array"))?;
    for (i, a) in arr.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let m = object(a, &p)?;
        only_keys(
            m,
            &p,
            &[
                "usageType",
                "display",
                "description",
                "contentType",
                "length",
                "sha2",
                "fileUrl",
            ],
        )?;
        let req = |k: &str| {
            m.get(k).ok_or_else(|| {
                ValidationError::new(join(&p, k), ValidationKind::Missing, "required")
            })
        };
        if !is_iri(string(req("usageType")?, &join(&p, "usageType"))?) {
            return err(
                &join(&p, "usageType"),
                ValidationKind::NotIri,
                "must be an IRI",
            );
        }
        language_map(req("display")?, &join(&p, "display"))?;
        if let Some(d) = m.get("description") {
            language_map(d, &join(&p, "description"))?;
        }
        string(req("contentType")?, &join(&p, "contentType"))?;
        if !req("length")?.is_u64() {
            return err(
                &join(&p, "length"),
                ValidationKind::WrongType,
                "must be a non-negative integer",
            );
        }
        string(req("sha2")?, &join(&p, "sha2"))?;
        if let Some(u) = m.get("fileUrl")
            && !is_iri(string(u, &join(&p, "fileUrl"))?)
        {
            return err(
                &join(&p, "fileUrl"),
                ValidationKind::NotIri,
                "must be an IRL",
            );
        }
    }
    Ok(())
}

fn extensions(v: &Value, path: &str) -> R {
    let m = object(v, path)?;
    for k in m.keys() {
        if !is_iri(k) {
            return err(
                &join(path, k),
                ValidationKind::NotIri,
                "extension keys must be IRIs",
            );
        }
    }
    Ok(())
}

fn language_map(v: &Value, path: &str) -> R {
    let m = object(v, path)?;
    for (k, text) in m {
        if !is_language_tag(k) {
            return err(
                &join(path, k),
                ValidationKind::BadLanguageTag,
                "not an RFC 5646 tag",
            );
        }
        string(text, &join(path, k))?;
    }
    Ok(())
}

fn uuid_value(v: &Value, path: &str) -> R {
    let s = string(v, path)?;
    if !is_uuid(s) {
        return err(
            path,
            ValidationKind::NotUuid,
            format!("{s:?} is not a UUID"),
        );
    }
    Ok(())
}

/// True for `8-4-4-4-12` hex digits.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// True for an absolute IRI: a scheme, `:`, and no whitespace or forbidden characters.
pub fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
}

/// True for a well-formed RFC 5646 language tag (`en`, `en-US`, `zh-Hant-TW`, `tlh`, `x-…`).
pub fn is_language_tag(s: &str) -> bool {
    if s.is_empty() || s.len() > 64 {
        return false;
    }
    let parts: Vec<&str> = s.split('-').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return false;
    }
    let first = parts[0];
    if first.eq_ignore_ascii_case("x") || first.eq_ignore_ascii_case("i") {
        return parts.len() > 1;
    }
    (2..=8).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic())
}

fn timestamp(v: &Value, path: &str) -> R {
    let s = string(v, path)?;
    if !is_timestamp(s) {
        return err(
            path,
            ValidationKind::BadTimestamp,
            format!("{s:?} is not an ISO 8601 timestamp"),
        );
    }
    Ok(())
}

/// True for an ISO 8601 / RFC 3339 date-time the spec accepts (offset `-00:00` is refused).
pub fn is_timestamp(s: &str) -> bool {
    if s.ends_with("-00") || s.ends_with("-0000") || s.ends_with("-00:00") {
        return false;
    }
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return true;
    }
    // Other ISO 8601 forms: basic-format offsets (+0100), hour-only offsets (+01), or none.
    let fmts = [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
    ];
    if fmts
        .iter()
        .any(|f| chrono::DateTime::parse_from_str(s, f).is_ok())
    {
        return true;
    }
    if let Some(base) = strip_hour_offset(s)
        && fmts
            .iter()
            .any(|f| chrono::DateTime::parse_from_str(&format!("{base}00"), f).is_ok())
    {
        return true;
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .any(|f| chrono::NaiveDateTime::parse_from_str(s, f).is_ok())
}

fn strip_hour_offset(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let n = b.len();
    (n > 3 && (b[n - 3] == b'+' || b[n - 3] == b'-') && b[n - 2..].iter().all(u8::is_ascii_digit))
        .then_some(s)
}

/// True for an ISO 8601 duration (`P1DT2H3M4.5S`, `PT0S`, `P3W`).
pub fn is_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    if rest.is_empty() {
        return false;
    }
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return false;
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    fn units(part: &str, allowed: &str) -> bool {
        let mut num = String::new();
        let mut order = 0;
        let mut last_fraction = false;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                num.push(c);
                continue;
            }
            let Some(pos) = allowed.find(c) else {
                return false;
            };
            if num.is_empty() || pos < order || last_fraction {
                return false;
            }
            if num.matches(['.', ',']).count() > 1 || num.starts_with(['.', ',']) {
                return false;
            }
            last_fraction = num.contains(['.', ',']);
            order = pos + 1;
            num.clear();
        }
        num.is_empty()
    }
    if date.is_empty() && time.is_none() {
        return false;
    }
    if date.ends_with('W') && time.is_none() {
        return units(date, "W");
    }
    units(date, "YMD") && time.is_none_or(|t| units(t, "HMS"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives() {
        assert!(is_uuid("ec531277-b57b-4c15-8d91-d292c5b2b8f7"));
        assert!(!is_uuid("MA97B177-9383-4934-8543-0F91A7A02836"));
        assert!(is_iri("http://adlnet.gov/expapi/verbs/attended"));
        assert!(!is_iri("should fail"));
        assert!(
            is_language_tag("en-US") && is_language_tag("tlh") && !is_language_tag("not a tag")
        );
        assert!(is_timestamp("2013-05-18T05:32:34.804Z"));
        assert!(is_timestamp("2008-09-15T15:53:00.601+00:00"));
        assert!(!is_timestamp("2008-09-15T15:53:00.601-00:00"));
        assert!(!is_timestamp("01/011/2015"));
        assert!(is_duration("PT12.50S") && is_duration("P1Y2M3DT4H5M6S") && is_duration("P3W"));
        assert!(!is_duration("should fail") && !is_duration("P") && !is_duration("PT"));
    }
}
