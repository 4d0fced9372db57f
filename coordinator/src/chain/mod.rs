//! Reading the chain: `follow` finds our own proposals' confirmations block by block; `watch`
//! looks at every watched account for outflows Hanko never approved and freezes on one.

pub(crate) mod follow;
pub mod watch;
