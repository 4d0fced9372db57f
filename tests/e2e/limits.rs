//! Limits: beyond them a call is ResourceExhausted, says which limit, and changes nothing.

use hanko_proto::v1 as pb;
use tonic::Code;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_proposals_request_size_and_request_rate_are_bounded() {
    let waiting = Rules {
        approval_above: Some(1),
        ..Rules::default()
    };
    let mut p = plan("limits", 3, 2, vec![waiting]);
    p.limits = Some(coordinator::config::limits::Limits {
        max_pending_per_account: 2,
        requests_per_second: 1,
        burst: 12,
        max_request_bytes: 2_048,
    });
    let local = start(p).await;
    let ctx = local.layout.context.clone();
    for i in 0..2 {
        local
            .propose(&ctx.customer, "1", "", &format!("limits-{i}"))
            .await
            .unwrap();
    }
    // A third unfinished proposal for the account is refused before anything is stored.
    let third = local.propose(&ctx.customer, "1", "", "limits-2").await;
    let err = third.unwrap_err().to_string();
    assert!(
        err.contains("ResourceExhausted") && err.contains("max_pending_per_account"),
        "{err}"
    );
    let mut treasury = local.treasury().await.unwrap();
    let all = treasury
        .list(pb::ListRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        all.proposals.len(),
        2,
        "the refused proposal left something behind"
    );

    // An oversized request.
    let big = treasury
        .prepare(pb::PrepareRequest {
            account: ctx.account.to_string(),
            recipient: ctx.customer.to_string(),
            amount: "1".into(),
            mosaics: vec![],
            message: "x".repeat(4_000),
            idempotency_key: "limits-big".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(big.code(), Code::ResourceExhausted, "{big:?}");
    assert!(
        big.message().contains("max_request_bytes"),
        "{}",
        big.message()
    );

    // A burst of reads from one client: beyond the budget, ResourceExhausted; later, fine.
    let mut exhausted = 0;
    for _ in 0..40 {
        match treasury.list(pb::ListRequest::default()).await {
            Ok(_) => {}
            Err(e) if e.code() == Code::ResourceExhausted => exhausted += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    println!("40 calls at once against a burst of 12 and 1/s: {exhausted} ResourceExhausted");
    assert!(exhausted >= 15, "only {exhausted} of 40 were limited");
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    treasury.list(pb::ListRequest::default()).await.unwrap();
    stop(local).await;
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One authenticated client floods the coordinator (fast calls and oversized ones) for three
/// seconds; another client's calls keep working, the flood is refused with
/// ResourceExhausted, and the coordinator's memory stays bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_client_is_refused_while_another_is_served() {
    let local = start(plan("flood", 3, 2, vec![Rules::default()])).await;
    let ctx = local.layout.context.clone();
    let p = local
        .propose(&ctx.customer, "1", "", "flood-0")
        .await
        .unwrap();
    let coordinator_pid = local
        .pids()
        .into_iter()
        .find(|(n, _)| n == "coordinator")
        .map(|(_, p)| p)
        .unwrap();
    let rss_before = rss_mib(coordinator_pid);
    let flooder = local.treasury().await.unwrap();
    let stop_at = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut floods = vec![];
    for worker in 0..16 {
        let mut client = flooder.clone();
        let account = ctx.account.to_string();
        floods.push(tokio::spawn(async move {
            let (mut calls, mut exhausted, mut other) = (0u32, 0u32, 0u32);
            while std::time::Instant::now() < stop_at {
                let result = if worker % 4 == 0 {
                    client
                        .prepare(pb::PrepareRequest {
                            account: account.clone(),
                            recipient: account.clone(),
                            amount: "1".into(),
                            mosaics: vec![],
                            message: "x".repeat(200_000),
                            idempotency_key: format!("flood-{worker}-{calls}"),
                        })
                        .await
                        .map(|_| ())
                } else {
                    client.list(pb::ListRequest::default()).await.map(|_| ())
                };
                calls += 1;
                match result {
                    Err(e) if e.code() == Code::ResourceExhausted => exhausted += 1,
                    Err(_) => other += 1,
                    Ok(()) => {}
                }
            }
            (calls, exhausted, other)
        }));
    }
    // Meanwhile an admin reads; its own budget is untouched by the flood.
    let mut admin = hanko_cli::client::ClientConfig::load(&local.layout.admin_config)
        .unwrap()
        .treasury()
        .await
        .unwrap();
    let mut latencies = vec![];
    while std::time::Instant::now() < stop_at {
        let started = std::time::Instant::now();
        admin
            .get(pb::GetRequest { id: p.id.clone() })
            .await
            .expect("the other client was refused during the flood");
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (mut calls, mut exhausted, mut other) = (0, 0, 0);
    for f in floods {
        let (c, e, o) = f.await.unwrap();
        calls += c;
        exhausted += e;
        other += o;
    }
    latencies.sort_by(f64::total_cmp);
    let p50 = latencies[latencies.len() / 2];
    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
    let rss_after = rss_mib(coordinator_pid);
    println!(
        "flood: {calls} calls in 3 s from one client, {exhausted} ResourceExhausted, {other} \
         other errors; the other client: {} calls, p50 {p50:.1} ms, p99 {p99:.1} ms; \
         coordinator memory {rss_before:.0} → {rss_after:.0} MiB",
        latencies.len()
    );
    assert!(
        exhausted as f64 >= 0.8 * calls as f64,
        "the flood was not refused"
    );
    // Oversized requests may be cut off by the transport's hard limit instead.
    assert!(other <= calls / 4 + 1, "{other} unexpected errors");
    assert!(
        rss_after < 256.0,
        "coordinator memory grew to {rss_after:.0} MiB"
    );
    assert!(p99 < 2_000.0, "the other client waited {p99:.0} ms");
    stop(local).await;
}
