//! Validation of a statement's result, context, attachments, extensions and language maps (the
//! second half of [`super::validate`], split to keep each file short).

use serde_json::Value;

use super::{
    formats::{is_duration, is_iri, is_language_tag},
    model::XapiVersion,
    validate::{
        R, ValidationError, ValidationKind, activity, actor, array, err, formatted, iri, join,
        object, only_keys, required, statement_ref, string, uuid_value,
    },
};

pub(super) fn result(v: &Value, path: &str) -> R {
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
        let (p, kind) = (join(path, "duration"), ValidationKind::BadDuration);
        formatted(d, &p, is_duration, kind, "an ISO 8601 duration")?;
    }
    if let Some(e) = m.get("extensions") {
        extensions(e, &join(path, "extensions"))?;
    }
    Ok(())
}

pub(super) fn score(v: &Value, path: &str) -> R {
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

pub(super) fn context(v: &Value, path: &str, version: XapiVersion, object_is_activity: bool) -> R {
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
            let arr = array(list, &p)?;
            for (i, item) in arr.iter().enumerate() {
                context_actor(item, &format!("{p}[{i}]"), actor_kind)?;
            }
        }
    }
    Ok(())
}

pub(super) fn context_actor(v: &Value, path: &str, kind: &str) -> R {
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
    let a = required(m, path, key)?;
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
        let arr = array(rt, &p)?;
        if arr.is_empty() {
            return err(&p, ValidationKind::BadValue, "must not be empty");
        }
        for (i, t) in arr.iter().enumerate() {
            iri(t, &format!("{p}[{i}]"))?;
        }
    }
    Ok(())
}

pub(super) fn context_activity(v: &Value, path: &str) -> R {
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

pub(super) fn attachments(v: &Value, path: &str) -> R {
    let arr = array(v, path)?;
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
        let req = |k: &str| required(m, &p, k);
        iri(req("usageType")?, &join(&p, "usageType"))?;
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

pub(super) fn extensions(v: &Value, path: &str) -> R {
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

pub(super) fn language_map(v: &Value, path: &str) -> R {
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

pub(super) fn definition(v: &Value, path: &str) -> R {
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
        if let Some(t) = m.get(k) {
            iri(t, &join(path, k))?;
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
        let arr = array(c, &p)?;
        for (i, s) in arr.iter().enumerate() {
            string(s, &format!("{p}[{i}]"))?;
        }
    }
    for k in COMPONENT_LISTS {
        if let Some(list) = m.get(*k) {
            let p = join(path, k);
            let arr = array(list, &p)?;
            let mut seen = std::collections::HashSet::new();
            for (i, c) in arr.iter().enumerate() {
                let cp = format!("{p}[{i}]");
                let cm = object(c, &cp)?;
                only_keys(cm, &cp, &["id", "description"])?;
                let id = required(cm, &cp, "id")?;
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
