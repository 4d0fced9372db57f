//! Daemons killed with SIGKILL mid-flight and started again on the same data: the proposal
//! completes, with exactly one payment.

use crate::common::*;

fn a_allows_b_waits() -> Vec<Rules> {
    let waiting = Rules {
        approval_above: Some(1),
        ..Rules::default()
    };
    vec![Rules::default(), waiting.clone(), waiting]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_killed_mid_flight_resumes_and_pays_once() {
    let mut local = start(plan("coord-restart", 3, 2, a_allows_b_waits())).await;
    let ctx = local.layout.context.clone();
    let before = local.balance(&ctx.customer).await.unwrap();
    let p = local
        .propose(&ctx.customer, "321", "", "coord-restart-1")
        .await
        .unwrap();
    let (a, b) = (
        local.layout.cosigners[0].public_key,
        local.layout.cosigners[1].public_key,
    );
    let p = local
        .wait_for(
            &p.id,
            STEP,
            |_| {},
            |p| signed_by(p, &a) && needs_approval(p, &b),
        )
        .await
        .unwrap();
    local.kill_coordinator();
    tokio::task::block_in_place(|| local.restart_coordinator()).unwrap();
    // Everything the coordinator acknowledged is still there.
    let mut treasury = local.treasury().await.unwrap();
    let stored = treasury
        .get(hanko_proto::v1::GetRequest { id: p.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.inner_hash, p.inner_hash);
    assert!(
        signed_by(&stored, &a),
        "A's signature was lost in the crash"
    );
    approve(&local, 1, &p).await;
    let done = until_terminal(&local, &p.id).await;
    assert_eq!(state(&done), "confirmed", "{}", done.reason);
    assert_eq!(
        local.balance(&ctx.customer).await.unwrap() - before,
        321 * XEM
    );
    sdk_check(&local, 1);
    stop(local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cosigner_killed_mid_flight_keeps_its_pending_approval() {
    let mut local = start(plan("cosigner-restart", 3, 2, a_allows_b_waits())).await;
    let ctx = local.layout.context.clone();
    let before = local.balance(&ctx.customer).await.unwrap();
    let p = local
        .propose(&ctx.customer, "123", "", "cosigner-restart-1")
        .await
        .unwrap();
    let b = local.layout.cosigners[1].public_key;
    let p = local
        .wait_for(&p.id, STEP, |_| {}, |p| needs_approval(p, &b))
        .await
        .unwrap();
    local.kill_cosigner(1);
    tokio::task::block_in_place(|| local.restart_cosigner(1)).unwrap();
    let pending = local
        .operator(1, cosigner::operator::Request::Pending)
        .await
        .unwrap();
    assert!(
        pending.to_string().contains(&p.id),
        "the restarted cosigner lost its pending approval: {pending}"
    );
    approve(&local, 1, &p).await;
    let done = until_terminal(&local, &p.id).await;
    assert_eq!(state(&done), "confirmed", "{}", done.reason);
    assert_eq!(
        local.balance(&ctx.customer).await.unwrap() - before,
        123 * XEM
    );
    sdk_check(&local, 1);
    stop(local).await;
}
