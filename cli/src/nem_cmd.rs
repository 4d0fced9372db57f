//! `hanko nem …`: NIS1 tools. JSON on stdout; one error line on stderr.

use std::io::{Read, Write};

use clap::{Args, Subcommand};
use nem::json::{TxJson, from_json, to_json};
use nem::rules::{self, CheckError, Context};
use nem::{
    Address, Hash256, KeyPair, NemTimestamp, Network, PrivateKey, PublicKey, Signature,
    SignedTransaction, Transaction, fees, keys,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use zeroize::Zeroizing;

use crate::error::CliError;
use crate::io::{print_json, read_input};

#[derive(Subcommand, Debug)]
pub enum NemCommand {
    /// Private key hex (NIS1 form) on stdin → its public key.
    Pubkey,
    /// A public key → its address on a network.
    Address {
        #[arg(long)]
        network: Network,
        public_key: String,
    },
    /// `{"private_key": hex, "data": hex}` on stdin → the NIS1 signature of data.
    Sign,
    /// Verifies a NIS1 signature as NIS does → `{"valid": true|false}`.
    Verify {
        #[arg(long)]
        public_key: String,
        #[arg(long)]
        data: String,
        #[arg(long)]
        signature: String,
    },
    /// Transaction hex (non-verifiable form; `-` reads stdin) → every field as JSON.
    Decode { hex: String },
    /// The JSON that `decode` prints, on stdin → the transaction's hex.
    Encode {
        /// Print only the hex, not a JSON object.
        #[arg(long)]
        raw: bool,
    },
    /// One `{"data","signature"}` or an array on stdin → every NIS rule that needs no node state.
    CheckAnnounce(CheckArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The node's network; transactions for another network are refused.
    #[arg(long)]
    network: Option<Network>,
    /// Check deadlines and timestamps against this time (RFC 3339, NEM seconds, or `now`).
    #[arg(long, default_value = "now", conflicts_with = "no_clock")]
    at: String,
    /// Skip the clock checks (deadline passed, timestamp ahead of network time).
    #[arg(long)]
    no_clock: bool,
}

pub fn run(cmd: NemCommand, input: &mut dyn Read, out: &mut dyn Write) -> Result<(), CliError> {
    match cmd {
        NemCommand::Pubkey => {
            let text = read_input(input)?;
            let key =
                PrivateKey::from_nis_hex(&text).map_err(|e| CliError::input("private key", e))?;
            print_json(
                out,
                &json!({ "public_key": KeyPair::from_private_key(&key).public_key() }),
            )
        }
        NemCommand::Address {
            network,
            public_key,
        } => {
            let key = parse_public_key(&public_key)?;
            let address = Address::from_public_key(&key, network);
            print_json(
                out,
                &json!({ "address": address, "pretty": address.pretty(), "network": network, "public_key": key }),
            )
        }
        NemCommand::Sign => sign(input, out),
        NemCommand::Verify {
            public_key,
            data,
            signature,
        } => {
            let key = parse_public_key(&public_key)?;
            let data = nem::decode_hex(data.trim()).map_err(|e| CliError::input("--data", e))?;
            let signature: Signature = signature
                .parse()
                .map_err(|e| CliError::input("--signature", e))?;
            match keys::verify(&key, &data, &signature) {
                Ok(()) => print_json(out, &json!({ "valid": true })),
                Err(reason) => print_json(
                    out,
                    &json!({ "valid": false, "reason": reason.to_string() }),
                ),
            }
        }
        NemCommand::Decode { hex } => {
            let text = if hex == "-" {
                read_input(input)?.trim().to_string()
            } else {
                hex
            };
            let tx = decode_transaction("transaction", &text)?;
            print_json(
                out,
                &to_json(&tx).map_err(|e| CliError::input("transaction", e))?,
            )
        }
        NemCommand::Encode { raw } => {
            let text = read_input(input)?;
            let j: TxJson =
                serde_json::from_str(&text).map_err(|e| CliError::input("stdin JSON", e))?;
            let tx = from_json(&j).map_err(|e| CliError::input("transaction", e))?;
            let data = tx
                .to_bytes()
                .map_err(|e| CliError::input("transaction", e))?;
            if raw {
                writeln!(out, "{}", hex::encode(&data)).map_err(|e| CliError::Io(e.to_string()))
            } else {
                let inner_hash = tx
                    .inner_hash()
                    .map_err(|e| CliError::input("transaction", e))?;
                print_json(
                    out,
                    &json!({ "data": hex::encode(&data), "hash": Hash256::of(&data), "inner_hash": inner_hash }),
                )
            }
        }
        NemCommand::CheckAnnounce(args) => check_announce(args, input, out),
    }
}

fn parse_public_key(text: &str) -> Result<PublicKey, CliError> {
    text.parse().map_err(|e| CliError::input("public key", e))
}

fn decode_transaction(field: &str, text: &str) -> Result<Transaction, CliError> {
    let bytes = nem::decode_hex(text.trim()).map_err(|e| CliError::input(field, e))?;
    Transaction::from_bytes(&bytes).map_err(|e| CliError::input(field, e))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest {
    private_key: Zeroizing<String>,
    data: String,
}

fn sign(input: &mut dyn Read, out: &mut dyn Write) -> Result<(), CliError> {
    let text = read_input(input)?;
    // serde_json's message can quote input values; report only the kind and position so that
    // no key material reaches the terminal or a log.
    let request: SignRequest = serde_json::from_str(&text).map_err(|e| {
        CliError::input(
            "stdin",
            format!(
                "expected {{\"private_key\": hex, \"data\": hex}} ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ),
        )
    })?;
    let key = PrivateKey::from_nis_hex(&request.private_key)
        .map_err(|e| CliError::input("private_key", e))?;
    let data = nem::decode_hex(request.data.trim()).map_err(|e| CliError::input("data", e))?;
    let pair = KeyPair::from_private_key(&key);
    print_json(
        out,
        &json!({ "signature": pair.sign(&data), "public_key": pair.public_key() }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnounceRequest {
    data: String,
    signature: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(AnnounceRequest),
    Many(Vec<AnnounceRequest>),
}

#[derive(Serialize)]
struct CheckResult {
    index: usize,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nis_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<Hash256>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inner_hash: Option<Hash256>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction: Option<TxJson>,
}

fn parse_time(text: &str) -> Result<NemTimestamp, CliError> {
    let text = text.trim();
    let out_of_range = || {
        CliError::input(
            "--at",
            format!("'{text}' is before the NEM epoch (2015-03-29T00:06:25Z)"),
        )
    };
    if text == "now" {
        return NemTimestamp::now().ok_or_else(out_of_range);
    }
    if let Ok(seconds) = text.parse::<u32>() {
        return Ok(NemTimestamp(seconds));
    }
    let t: jiff::Timestamp = text.parse().map_err(|e| {
        CliError::input(
            "--at",
            format!("'{text}' is not RFC 3339 (2026-01-31T09:00:00Z), NEM seconds or 'now': {e}"),
        )
    })?;
    NemTimestamp::from_timestamp(t).ok_or_else(out_of_range)
}

fn check_announce(
    args: CheckArgs,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let text = read_input(input)?;
    let requests = match serde_json::from_str::<OneOrMany>(&text) {
        Ok(OneOrMany::One(r)) => vec![r],
        Ok(OneOrMany::Many(list)) => list,
        Err(_) => {
            return Err(CliError::input(
                "stdin",
                "expected {\"data\": hex, \"signature\": hex} or an array of them",
            ));
        }
    };
    let now = if args.no_clock {
        None
    } else {
        Some(parse_time(&args.at)?)
    };
    let ctx = Context {
        network: args.network,
        now,
        mosaics: &fees::XemOnly,
    };
    let mut results = Vec::with_capacity(requests.len());
    let mut first_bad: Option<String> = None;
    for (index, request) in requests.iter().enumerate() {
        let result = check_one(index, request, &ctx);
        if let (None, Some(error)) = (&first_bad, &result.error) {
            first_bad = Some(format!("item {index}: {error}"));
        }
        results.push(result);
    }
    print_json(out, &results)?;
    match first_bad {
        Some(reason) => Err(CliError::Refused(reason)),
        None => Ok(()),
    }
}

fn check_one(index: usize, request: &AnnounceRequest, ctx: &Context<'_>) -> CheckResult {
    let mut result = CheckResult {
        index,
        ok: false,
        error: None,
        nis_code: None,
        hash: None,
        inner_hash: None,
        notes: vec![],
        transaction: None,
    };
    let data = match nem::decode_hex(request.data.trim()) {
        Ok(d) => d,
        Err(e) => {
            result.error = Some(format!("data: {e}"));
            return result;
        }
    };
    let signature = match request.signature.parse::<Signature>() {
        Ok(s) => s,
        Err(e) => {
            result.error = Some(e.to_string());
            return result;
        }
    };
    let signed = SignedTransaction { data, signature };
    result.hash = Some(signed.hash());
    match rules::check_signed(&signed, ctx) {
        Ok((tx, notes)) => {
            result.ok = true;
            result.notes = notes;
            result.inner_hash = tx.inner_hash().ok().flatten();
            result.transaction = to_json(&tx).ok();
        }
        Err(CheckError::Malformed(e)) => result.error = Some(format!("malformed: {e}")),
        Err(CheckError::Rule(v)) => {
            result.nis_code = Some(v.result.code());
            result.error = Some(v.to_string());
        }
    }
    result
}
