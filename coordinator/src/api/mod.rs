//! The gRPC services (Treasury, CosignerLink, Admin), served over mTLS. Handlers authorize the
//! caller, check the request's shape and call one domain operation of the driver; every domain
//! error becomes a gRPC status in one place (`status`).

mod admin;
pub mod auth;
mod convert;
mod cosigner_link;
mod offers;
mod server;
mod status;
mod treasury;

pub use cosigner_link::decision_of;
pub use server::{Running, serve};
