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
    p.limits = Some(coordinator::limits::Limits {
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
