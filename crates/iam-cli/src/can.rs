//! `iamctl can`: decide whether a principal may perform an action.
//!
//! Stage: command line. Input: policy files and request flags (single query), or a case
//! file in the format of spec/case-format.md (batch, `-` = stdin). Output: the decision
//! (human text, or JSON with `--json`), or one JSON line per case; exit code 0 allow /
//! 1 deny / 2 bad input for a query, and 0 / 1 (a `--check` disagreement) / 2 (unreadable
//! case file) for a batch. Evaluation itself is the library's; this never decides.

use std::collections::BTreeMap;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use iam_policy::cases::Case;
use iam_policy::context::{Context, ContextValue};
use iam_policy::eval::Explanation;
use iam_policy::layers::ResourceKind;
use iam_policy::{CompileOptions, Decision, Layers, PolicySet, PolicyType, Request};

/// Arguments of `iamctl can`.
#[derive(Debug, Args)]
#[command(after_help = "\
Context values: `--context key=value`; repeat a key, or write `key=[a,b]`, for a \
multi-valued key (`key=[]` is present with no values). SCP/RCP levels: each `--scp` \
(or `--rcp`) is one level of the organization path, root first, account last; \
separate several policies of one level with commas: `--scp root.json --scp ou.json,extra.json \
--scp account.json`. Exit codes: 0 allow, 1 deny (implicit or explicit), 2 bad input; \
with --cases: 0, or 1 when --check finds a disagreement.")]
pub struct CanArgs {
    /// Identity-based policy file of the principal (repeatable).
    #[arg(long = "policy", value_name = "FILE")]
    policies: Vec<PathBuf>,
    /// Permissions boundary file.
    #[arg(long, value_name = "FILE")]
    boundary: Option<PathBuf>,
    /// Session policy file (repeatable); gives the principal a session layer.
    #[arg(long = "session-policy", value_name = "FILE")]
    session_policies: Vec<PathBuf>,
    /// Resource policy file of the requested resource.
    #[arg(long = "resource-policy", value_name = "FILE")]
    resource_policy: Option<PathBuf>,
    /// What the resource policy is: standard, role-trust, kms-key or explicit-trust.
    #[arg(
        long = "resource-kind",
        value_name = "KIND",
        default_value = "standard"
    )]
    resource_kind: String,
    /// One SCP level (repeatable, root first): comma-separated policy files.
    #[arg(long = "scp", value_name = "FILES")]
    scps: Vec<String>,
    /// One RCP level (repeatable, root first): comma-separated policy files.
    #[arg(long = "rcp", value_name = "FILES")]
    rcps: Vec<String>,
    /// The caller: user, role, role-session, federated-user or root ARN, a service
    /// principal, or `anonymous`.
    #[arg(long, value_name = "ARN")]
    principal: Option<String>,
    /// The action, `service:Action`.
    #[arg(long, value_name = "ACTION")]
    action: Option<String>,
    /// The resource ARN (`*` for actions without a resource type).
    #[arg(long, value_name = "ARN", default_value = "*")]
    resource: String,
    /// The account that owns the resource (needed for S3 ARNs).
    #[arg(long = "resource-account", value_name = "ID")]
    resource_account: Option<String>,
    /// For a federated user: the IAM user who called GetFederationToken.
    #[arg(long = "parent-user", value_name = "ARN")]
    parent_user: Option<String>,
    /// A context key and value, `key=value` (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// Show every statement considered and every condition evaluated.
    #[arg(long)]
    explain: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Evaluate every case of a JSONL case file (`-` = stdin), one JSON line out each.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["policies", "principal", "action"])]
    cases: Option<PathBuf>,
    /// With --cases: compare each decision with its `expect`; exit 1 on any disagreement.
    #[arg(long, requires = "cases")]
    check: bool,
}

/// Run `iamctl can`.
pub fn run(args: &CanArgs) -> ExitCode {
    match &args.cases {
        Some(path) => run_cases(path, args.check),
        None => match run_query(args) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
        },
    }
}

fn run_cases(path: &Path, check: bool) -> ExitCode {
    let mut text = String::new();
    let read = if path == Path::new("-") {
        std::io::stdin().lock().read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text))
    };
    if let Err(e) = read {
        eprintln!("error: cannot read `{}`: {e}", path.display());
        return ExitCode::from(2);
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut disagreements = 0usize;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (result, problem) = match Case::parse(line) {
            Ok(case) => {
                let problem = if check { case.disagreement() } else { None };
                (case.result(), problem.map(|p| (case.id().to_string(), p)))
            }
            Err(e) => {
                let id = e
                    .id()
                    .map_or_else(|| format!("line {}", n + 1), |v| v.to_string());
                (e.to_json(), check.then(|| (id, format!("error: {e}"))))
            }
        };
        if let Err(e) = writeln!(out, "{result}") {
            eprintln!("error: cannot write output: {e}");
            return ExitCode::from(2);
        }
        if let Some((id, p)) = problem {
            disagreements += 1;
            eprintln!("disagreement: case {id} (line {}): {p}", n + 1);
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("error: cannot write output: {e}");
        return ExitCode::from(2);
    }
    if disagreements > 0 {
        eprintln!("{disagreements} disagreement(s)");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn load(path: &Path, policy_type: PolicyType) -> Result<Arc<PolicySet>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let options = CompileOptions::default().with_label(path.display().to_string());
    PolicySet::from_json(&text, policy_type, &options)
        .map(Arc::new)
        .map_err(|e| {
            let details: Vec<String> = e
                .diagnostics()
                .iter()
                .map(|d| format!("{}: {} {}", path.display(), d.code(), d.message()))
                .collect();
            details.join("\n")
        })
}

fn level(spec: &str, policy_type: PolicyType) -> Result<Vec<Arc<PolicySet>>, String> {
    spec.split(',')
        .filter(|s| !s.is_empty())
        .map(|f| load(Path::new(f), policy_type))
        .collect()
}

/// Parse `--context` flags: repeated keys and `key=[a,b]` give multi-valued keys.
fn context(flags: &[String]) -> Result<Context, String> {
    let mut values: BTreeMap<String, (String, Vec<String>, bool)> = BTreeMap::new();
    for flag in flags {
        let (key, value) = flag
            .split_once('=')
            .ok_or_else(|| format!("context `{flag}` is not of the form `key=value`"))?;
        if key.is_empty() {
            return Err(format!("context `{flag}` has an empty key"));
        }
        let entry = values
            .entry(key.to_ascii_lowercase())
            .or_insert_with(|| (key.to_string(), Vec::new(), false));
        match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            Some(list) => {
                entry.2 = true;
                entry.1.extend(
                    list.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                );
            }
            None => entry.1.push(value.to_string()),
        }
    }
    let mut ctx = Context::new();
    for (_, (key, vals, list)) in values {
        let value = match (list, vals.as_slice()) {
            (false, [one]) => ContextValue::Single(one.clone()),
            _ => ContextValue::Multi(vals),
        };
        ctx.insert(&key, value);
    }
    Ok(ctx)
}

fn run_query(args: &CanArgs) -> Result<ExitCode, String> {
    let principal = args
        .principal
        .as_deref()
        .ok_or("`--principal` is required (or use `--cases FILE`)")?;
    let action = args
        .action
        .as_deref()
        .ok_or("`--action` is required (or use `--cases FILE`)")?;
    let kind = match args.resource_kind.as_str() {
        "standard" => ResourceKind::Standard,
        "role-trust" => ResourceKind::RoleTrust,
        "kms-key" => ResourceKind::KmsKey,
        "explicit-trust" => ResourceKind::ExplicitTrust,
        other => {
            return Err(format!(
                "unknown resource kind `{other}` (expected standard, role-trust, kms-key or explicit-trust)"
            ))
        }
    };
    let mut layers = Layers::new();
    for p in &args.policies {
        layers = layers.identity(load(p, PolicyType::Identity)?);
    }
    if let Some(b) = &args.boundary {
        layers = layers.boundary(load(b, PolicyType::Boundary)?);
    }
    for s in &args.session_policies {
        layers = layers.session(load(s, PolicyType::Session)?);
    }
    if let Some(r) = &args.resource_policy {
        let t = if kind == ResourceKind::RoleTrust {
            PolicyType::Trust
        } else {
            PolicyType::Resource
        };
        layers = layers.resource(load(r, t)?, kind);
    }
    for spec in &args.scps {
        layers = layers.scp_level(level(spec, PolicyType::Scp)?);
    }
    for spec in &args.rcps {
        layers = layers.rcp_level(level(spec, PolicyType::Rcp)?);
    }
    let perms = layers.build().map_err(|e| e.to_string())?;
    let mut builder = Request::builder()
        .principal(principal)
        .action(action)
        .resource(args.resource.as_str())
        .context(context(&args.context)?);
    if let Some(a) = &args.resource_account {
        builder = builder.resource_account(a.as_str());
    }
    if let Some(p) = &args.parent_user {
        builder = builder.parent_user(p.as_str());
    }
    let request = builder.build().map_err(|e| e.to_string())?;
    let explanation = perms.explain(&request);
    let text = if args.json {
        json(&explanation, args.explain).to_string()
    } else {
        human(&explanation, args.explain)
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "{text}").map_err(|e| format!("cannot write output: {e}"))?;
    Ok(if explanation.decision == Decision::Allow {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn where_(layer: &str, level: Option<usize>, policy: usize, label: Option<&str>) -> String {
    let level = level.map_or(String::new(), |l| format!(" level {l}"));
    match label {
        Some(l) => format!("{layer}{level} `{l}`"),
        None => format!("{layer}{level} policy {policy}"),
    }
}

fn human(ex: &Explanation, explain: bool) -> String {
    let mut lines = vec![ex.decision.as_str().to_string()];
    for d in &ex.deciding {
        let sid = d
            .sid
            .as_deref()
            .map_or(String::new(), |s| format!(" (`{s}`)"));
        lines.push(format!(
            "  decided by {} statement {}{sid}",
            where_(d.layer.as_str(), d.level, d.policy, d.label.as_deref()),
            d.statement
        ));
    }
    if let Some(m) = ex.missing {
        lines.push(format!("  {}", m.message()));
    }
    for n in &ex.notes {
        lines.push(format!("  note: {n}"));
    }
    if explain {
        lines.push("statements considered:".into());
        for c in &ex.considered {
            let sid = c
                .sid
                .as_deref()
                .map_or(String::new(), |s| format!(" `{s}`"));
            let show = |b: Option<bool>| match b {
                Some(true) => "yes",
                Some(false) => "no",
                None => "-",
            };
            let principal = c.principal.as_ref().map_or(String::new(), |p| {
                format!(
                    " principal={}",
                    if p.is_empty() {
                        "no".to_string()
                    } else {
                        p.join("+")
                    }
                )
            });
            lines.push(format!(
                "  {} statement {}{sid} {}:{principal} action={} resource={} condition={} => {}",
                where_(c.layer.as_str(), c.level, c.policy, c.label.as_deref()),
                c.statement,
                c.effect.as_str(),
                show(c.action),
                show(c.resource),
                show(c.condition),
                if c.applies {
                    "applies"
                } else {
                    "does not apply"
                }
            ));
            for t in &c.traces {
                lines.push(format!(
                    "      {} `{}` request={:?} policy={:?} => {}",
                    t.operator, t.key, t.request_values, t.policy_values, t.result
                ));
            }
        }
    }
    lines.join("\n")
}

fn json(ex: &Explanation, explain: bool) -> serde_json::Value {
    let deciding: Vec<serde_json::Value> = ex
        .deciding
        .iter()
        .map(|d| {
            serde_json::json!({
                "layer": d.layer.as_str(), "level": d.level, "policy": d.policy,
                "label": d.label, "statement": d.statement, "sid": d.sid,
            })
        })
        .collect();
    let mut out = serde_json::json!({
        "decision": ex.decision.as_str(),
        "deciding": deciding,
        "missing": ex.missing.map(|m| serde_json::json!({"layer": m.layer().as_str(), "message": m.message()})),
        "notes": ex.notes,
    });
    if explain {
        let considered: Vec<serde_json::Value> = ex
            .considered
            .iter()
            .map(|c| {
                let traces: Vec<serde_json::Value> = c
                    .traces
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "operator": t.operator.to_string(), "key": t.key.to_string(),
                            "requestValues": t.request_values, "policyValues": t.policy_values,
                            "result": t.result,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "layer": c.layer.as_str(), "level": c.level, "policy": c.policy,
                    "label": c.label, "statement": c.statement, "sid": c.sid,
                    "effect": c.effect.as_str(), "principal": c.principal,
                    "action": c.action, "resource": c.resource, "condition": c.condition,
                    "applies": c.applies, "conditions": traces,
                })
            })
            .collect();
        if let Some(obj) = out.as_object_mut() {
            obj.insert("considered".into(), serde_json::Value::Array(considered));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_and_brackets_give_multi_values() {
        let ctx = context(&[
            "aws:TagKeys=a".into(),
            "aws:tagkeys=b".into(),
            "x=[c,d]".into(),
            "e=[]".into(),
            "one=v".into(),
        ])
        .unwrap();
        assert_eq!(
            ctx.get("aws:TagKeys"),
            Some(&ContextValue::Multi(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            ctx.get("x"),
            Some(&ContextValue::Multi(vec!["c".into(), "d".into()]))
        );
        assert_eq!(ctx.get("e"), Some(&ContextValue::Multi(vec![])));
        assert_eq!(ctx.get("one"), Some(&ContextValue::Single("v".into())));
    }

    #[test]
    fn context_without_equals_is_rejected() {
        assert!(context(&["novalue".into()]).is_err());
    }
}
