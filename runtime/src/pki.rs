//! A small certificate authority for Hanko's mTLS: one CA per installation, a server
//! certificate for the coordinator, client certificates for proposers, cosigners, auditors and
//! admins. A certificate names its holder (CN); the coordinator's configuration maps names to
//! roles, and a cosigner's name to its NEM public key.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, date_time_ymd,
};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PkiError {
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error(
        "'{0}' is not a valid certificate name: use letters, digits, '.', '-' and '_' (at most 64)"
    )]
    BadName(String),
}

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Issued { cert_pem, key_pem: <redacted> }")
    }
}

#[derive(Debug, Clone)]
pub enum Usage {
    /// A server: DNS names and IP addresses it answers on.
    Server {
        names: Vec<String>,
    },
    Client,
}

/// How long a certificate is valid, from the start of last year.
#[derive(Debug, Clone, Copy)]
pub enum Validity {
    Years(i32),
    /// Expired since 2020: for negative tests only.
    Expired,
}

fn check_name(name: &str) -> Result<(), PkiError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(PkiError::BadName(name.to_string()))
    }
}

fn validity(params: &mut CertificateParams, validity: Validity, this_year: i32) {
    match validity {
        Validity::Years(years) => {
            params.not_before = date_time_ymd(this_year - 1, 1, 1);
            params.not_after = date_time_ymd(this_year + years, 12, 31);
        }
        Validity::Expired => {
            params.not_before = date_time_ymd(2019, 1, 1);
            params.not_after = date_time_ymd(2020, 1, 1);
        }
    }
}

/// A new key pair and certificate parameters naming its holder (CN) in organisation Hanko.
fn fresh(name: &str) -> Result<(KeyPair, CertificateParams), PkiError> {
    check_name(name)?;
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Hanko");
    Ok((key, params))
}

/// A new certificate authority.
pub fn new_ca(name: &str, years: i32, this_year: i32) -> Result<Issued, PkiError> {
    let (key, mut params) = fresh(name)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut params, Validity::Years(years), this_year);
    let cert = params.self_signed(&key)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Issues a server or client certificate signed by the CA.
pub fn issue(
    ca: &Issued,
    name: &str,
    usage: Usage,
    valid: Validity,
    this_year: i32,
) -> Result<Issued, PkiError> {
    let ca_key = KeyPair::from_pem(&ca.key_pem)?;
    let issuer = Issuer::from_ca_cert_pem(&ca.cert_pem, ca_key)?;
    let (key, mut params) = fresh(name)?;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    match usage {
        Usage::Server { names } => {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            for n in names {
                let san = match n.parse::<std::net::IpAddr>() {
                    Ok(ip) => SanType::IpAddress(ip),
                    Err(_) => SanType::DnsName(n.try_into()?),
                };
                params.subject_alt_names.push(san);
            }
        }
        Usage::Client => params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth],
    }
    validity(&mut params, valid, this_year);
    let cert = params.signed_by(&key, &issuer)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}
