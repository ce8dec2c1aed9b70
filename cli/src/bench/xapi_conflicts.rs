//! Conflict cases for the xAPI bench: every answer shape an LRS may give to a batch holding
//! already stored ids, a poison statement, an oversized body, or missing credentials, each run
//! against the real LRS (LaRS) through the fault injector playing the stricter LRS
//! ([`Strict`], a fake of the answer's *shape* only; which ids are stored is asked of LaRS).
//!
//! *Why here:* the figure `conflict_cases_delivered == conflict_cases` means every valid
//! statement of every case is on the LRS exactly once, every refused one is a dead letter with
//! the LRS's answer, and nothing else happened. A case passes only if all of that holds, checked
//! by reading back what the LRS holds for the case's registration.

use std::{collections::HashMap, net::SocketAddr, path::Path};

use microlearn_core::{
    Microlearn,
    xapi::{
        FlushOptions, FlushOutcome, LrsEndpoint, StaticCredentials,
        fault_injector::{Fault, FaultInjector, Strict, Upstream},
    },
};
use serde_json::{Value, json};

use super::xapi_lrs::{counts_for, put_one};

/// What a case does before the flush and how the proxy answers.
struct Case {
    name: &'static str,
    strict: Vec<Strict>,
    /// Faults for the first POSTs (the auth cases).
    script: Vec<Fault>,
    /// Statements already on the LRS, identical (a crash after the LRS's commit).
    pre_stored_same: usize,
    /// Statements already on the LRS under our id with other content.
    pre_stored_different: usize,
    /// Statements the stricter LRS refuses on their own.
    poison: usize,
    /// The first flush must stop for credentials, leaving everything pending.
    needs_credentials: bool,
}

/// One case's result.
pub struct CaseResult {
    /// The case.
    pub name: &'static str,
    /// Whether every check held.
    pub ok: bool,
    /// Valid statements expected on the LRS (ours plus the LRS's differing copies).
    pub expected: usize,
    /// Of those, on the LRS exactly once.
    pub once: usize,
    /// Dead letters (expected: poison + differing).
    pub dead_letters: usize,
    /// POSTs the client sent.
    pub posts: u64,
    /// What went wrong, if anything.
    pub problem: String,
}

impl CaseResult {
    /// As JSON for the bench's last line.
    pub fn json(&self) -> Value {
        json!({"case": self.name, "ok": self.ok, "expected": self.expected, "once": self.once,
               "dead_letters": self.dead_letters, "posts": self.posts, "problem": self.problem})
    }
}

const STATEMENTS: usize = 20;
const POISON_VERB: &str = "https://microlearn.example/xapi/verbs/reject-me";

fn statement(id: &str, reg: &str, i: usize, verb: &str) -> String {
    json!({
        "id": id,
        "actor": {"objectType": "Agent", "account": {"homePage": "https://microlearn.example/xapi/installs", "name": "conflicts"}},
        "verb": {"id": verb, "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": format!("https://microlearn.example/xapi/cards/card-{i}")},
        "result": {"completion": true, "duration": "PT12S"},
        "context": {"registration": reg},
        "timestamp": "2026-11-23T08:00:00.000Z"
    })
    .to_string()
}

fn base() -> Case {
    Case {
        name: "",
        strict: vec![],
        script: vec![],
        pre_stored_same: 0,
        pre_stored_different: 0,
        poison: 0,
        needs_credentials: false,
    }
}

fn cases() -> Vec<Case> {
    let dup = |status, name_ids| vec![Strict::Duplicates { status, name_ids }];
    vec![
        Case {
            name: "lars_200_drops_stored_ids",
            pre_stored_same: 5,
            ..base()
        },
        Case {
            name: "409_whole_batch",
            strict: dup(409, false),
            pre_stored_same: 5,
            ..base()
        },
        Case {
            name: "409_naming_ids",
            strict: dup(409, true),
            pre_stored_same: 5,
            ..base()
        },
        Case {
            name: "400_naming_ids",
            strict: dup(400, true),
            pre_stored_same: 5,
            ..base()
        },
        Case {
            name: "500_naming_ids",
            strict: dup(500, true),
            pre_stored_same: 5,
            ..base()
        },
        Case {
            name: "400_whole_batch_poison",
            strict: vec![Strict::Poison(POISON_VERB.into())],
            poison: 2,
            ..base()
        },
        Case {
            name: "409_poison_and_stored",
            strict: vec![
                Strict::Poison(POISON_VERB.into()),
                Strict::Duplicates {
                    status: 409,
                    name_ids: false,
                },
            ],
            pre_stored_same: 4,
            poison: 1,
            ..base()
        },
        Case {
            name: "lars_409_stored_copy_differs",
            pre_stored_different: 3,
            pre_stored_same: 2,
            ..base()
        },
        Case {
            name: "413_body_cap",
            strict: vec![Strict::MaxBody {
                bytes: 3_000,
                status: 413,
            }],
            ..base()
        },
        Case {
            name: "400_too_large",
            strict: vec![Strict::MaxBody {
                bytes: 3_000,
                status: 400,
            }],
            ..base()
        },
        Case {
            name: "auth_401",
            script: vec![Fault::Status(401, None)],
            needs_credentials: true,
            ..base()
        },
        Case {
            name: "auth_403",
            script: vec![Fault::Status(403, None)],
            needs_credentials: true,
            ..base()
        },
        Case {
            name: "auth_400_no_credentials",
            script: vec![Fault::Status(400, None)],
            needs_credentials: true,
            ..base()
        },
    ]
}

/// Runs every case against the LRS at `url` (`addr`: its socket address).
pub async fn run_all(
    client: &reqwest::Client,
    url: &str,
    addr: SocketAddr,
    root: &Path,
) -> Result<Vec<CaseResult>, Box<dyn std::error::Error>> {
    let mut out = vec![];
    for (n, case) in cases().into_iter().enumerate() {
        let dir = root.join(format!("conflict{n}"));
        std::fs::create_dir_all(&dir)?;
        out.push(run_case(client, url, addr, &dir, case).await?);
    }
    Ok(out)
}

async fn run_case(
    client: &reqwest::Client,
    url: &str,
    addr: SocketAddr,
    dir: &Path,
    case: Case,
) -> Result<CaseResult, Box<dyn std::error::Error>> {
    let core = Microlearn::open(dir)?;
    let reg = uuid::Uuid::new_v4().to_string();
    // Statement i: poison for the last `poison`, pre-stored for the first ones.
    let mut ours: Vec<(String, String)> = vec![];
    for i in 0..STATEMENTS {
        let id = uuid::Uuid::new_v4().to_string();
        let verb = if i >= STATEMENTS - case.poison {
            POISON_VERB
        } else {
            "http://adlnet.gov/expapi/verbs/completed"
        };
        let body = statement(&id, &reg, i, verb);
        core.enqueue_statement(&body)?;
        ours.push((id, body));
    }
    let mut differing = vec![];
    for (i, (id, body)) in ours.iter().enumerate() {
        if i < case.pre_stored_same {
            put_one(client, url, id, body).await?;
        } else if i < case.pre_stored_same + case.pre_stored_different {
            let theirs = statement(
                id,
                &reg,
                i + 1000,
                "http://adlnet.gov/expapi/verbs/attempted",
            );
            put_one(client, url, id, &theirs).await?;
            differing.push(id.clone());
        }
    }
    let proxy = FaultInjector::start(Upstream::Tcp(addr)).await?;
    proxy.set_strict(case.strict.clone());
    proxy.script(case.script.clone());
    let ep = LrsEndpoint::new(proxy.url());
    let creds = StaticCredentials(None);
    let opts = FlushOptions {
        max_batch_statements: 8,
        backoff_base_ms: 20,
        backoff_cap_ms: 500,
        ignore_backoff: true,
        ..Default::default()
    };
    let mut problem = String::new();
    let mut posts = 0;
    let first = core.flush_xapi(&ep, &creds, &opts).await?;
    posts += first.posts;
    if case.needs_credentials {
        let st = core.xapi_status()?;
        if first.outcome != FlushOutcome::NeedsCredentials
            || st.pending != STATEMENTS as u64
            || st.dead_letters != 0
            || st.pause_reason.as_deref() != Some("auth")
        {
            problem = format!("auth refusal: {:?}, status {st:?}", first.outcome);
        }
    }
    let mut last = first;
    for _ in 0..20 {
        if last.outcome == FlushOutcome::Drained {
            break;
        }
        last = core.flush_xapi(&ep, &creds, &opts).await?;
        posts += last.posts;
    }
    if last.outcome != FlushOutcome::Drained && problem.is_empty() {
        problem = format!("did not drain: {last:?}");
    }
    let counts: HashMap<String, u32> = counts_for(client, url, &reg).await?;
    let poison: Vec<&String> = ours
        .iter()
        .skip(STATEMENTS - case.poison)
        .map(|(id, _)| id)
        .collect();
    let expected: Vec<&String> = ours
        .iter()
        .map(|(id, _)| id)
        .filter(|id| !poison.contains(id))
        .collect();
    let once = expected
        .iter()
        .filter(|id| counts.get(id.as_str()) == Some(&1))
        .count();
    let extra = counts.keys().filter(|id| !expected.contains(id)).count();
    let dead = core.dead_letters()?;
    let dead_ok = dead.len() == poison.len() + differing.len()
        && dead.iter().all(|d| {
            (poison.contains(&&d.id) && d.status == 400)
                || (differing.contains(&d.id) && d.status == 409 && d.answer.contains("attempted"))
        });
    if problem.is_empty() && (once != expected.len() || extra != 0) {
        problem = format!(
            "{once} of {} once on the LRS, {extra} unexpected",
            expected.len()
        );
    }
    if problem.is_empty() && !dead_ok {
        problem = format!(
            "dead letters: {:?}",
            dead.iter()
                .map(|d| (d.id.clone(), d.status))
                .collect::<Vec<_>>()
        );
    }
    Ok(CaseResult {
        name: case.name,
        ok: problem.is_empty(),
        expected: expected.len(),
        once,
        dead_letters: dead.len(),
        posts,
        problem,
    })
}
