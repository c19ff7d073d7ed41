//! Entry points for the fuzz targets in `fuzz/fuzz_targets/`.
//!
//! Stage: test support. Input: arbitrary bytes. Output: nothing; each function only has
//! to return without panicking. Never used by the engine itself.

use crate::compile::{CompileOptions, PolicySet};
use crate::context::{Context, ContextValue};
use crate::eval::Request;
use crate::layers::{Layers, ResourceKind};
use crate::parse::PolicyType;

/// Split `data` at the first NUL byte into a policy text and a request description
/// (`principal\naction\nresource\nkey=value...`), compile the policy as an identity,
/// resource and SCP policy, and evaluate and explain the request against each.
///
/// ```
/// iam_policy::fuzzing::evaluate(b"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}\0arn:aws:iam::111122223333:user/a\ns3:GetObject\n*");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn evaluate(data: &[u8]) {
    let mut parts = data.splitn(2, |b| *b == 0);
    let policy = String::from_utf8_lossy(parts.next().unwrap_or(&[]));
    let request = String::from_utf8_lossy(parts.next().unwrap_or(&[]));
    let mut lines = request.lines();
    let principal = lines.next().unwrap_or("*");
    let action = lines.next().unwrap_or("s3:GetObject");
    let resource = lines.next().unwrap_or("*");
    let mut context = Context::new();
    for line in lines {
        if let Some((k, v)) = line.split_once('=') {
            context.insert(k, ContextValue::Single(v.to_string()));
        }
    }
    let Ok(req) = Request::builder()
        .principal(principal)
        .action(action)
        .resource(resource)
        .context(context)
        .build()
    else {
        return;
    };
    let options = CompileOptions::default();
    let mut layers = Vec::new();
    if let Ok(set) = PolicySet::from_json(&policy, PolicyType::Identity, &options) {
        layers.push(Layers::new().identity(set));
    }
    if let Ok(set) = PolicySet::from_json(&policy, PolicyType::Resource, &options) {
        layers.push(Layers::new().resource(set, ResourceKind::Standard));
    }
    if let Ok(set) = PolicySet::from_json(&policy, PolicyType::Scp, &options) {
        layers.push(Layers::new().scp_level(vec![std::sync::Arc::new(set)]));
    }
    for l in layers {
        if let Ok(perms) = l.build() {
            let decision = perms.evaluate(&req).decision();
            // explain mode must agree with evaluate on every input
            if perms.explain(&req).decision != decision {
                std::process::abort();
            }
        }
    }
}
