//! `hanko certs` as a real process: a CA, a server and a client certificate that verify with
//! Hanko's own TLS configuration; keys private; nothing overwritten.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::process::Command;

fn hanko(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hanko"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn init_issue_and_use() {
    let dir = std::env::temp_dir().join(format!("hanko-certs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    assert!(hanko(&["certs", "init", "--dir", d]).status.success());
    assert!(
        hanko(&[
            "certs",
            "issue",
            "--dir",
            d,
            "--name",
            "coordinator",
            "--kind",
            "server",
            "--host",
            "127.0.0.1",
            "--host",
            "localhost"
        ])
        .status
        .success()
    );
    assert!(
        hanko(&[
            "certs",
            "issue",
            "--dir",
            d,
            "--name",
            "cosigner-a",
            "--kind",
            "client"
        ])
        .status
        .success()
    );

    let again = hanko(&["certs", "init", "--dir", d]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("refusing to overwrite"));
    let no_host = hanko(&[
        "certs", "issue", "--dir", d, "--name", "srv2", "--kind", "server",
    ]);
    assert!(String::from_utf8_lossy(&no_host.stderr).contains("--host"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["ca.key", "coordinator.key", "cosigner-a.key"] {
            let mode = std::fs::metadata(dir.join(key))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600, "{key}");
        }
    }
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    hanko_proto::tls::server_config(
        &read("ca.pem"),
        &read("coordinator.pem"),
        &read("coordinator.key"),
    )
    .unwrap();
    hanko_proto::tls::client_config(
        &read("ca.pem"),
        &read("cosigner-a.pem"),
        &read("cosigner-a.key"),
    )
    .unwrap();
    let cert = &hanko_proto::tls::certs(&read("cosigner-a.pem"), "c").unwrap()[0];
    assert_eq!(hanko_proto::tls::peer_name(cert).unwrap(), "cosigner-a");
    std::fs::remove_dir_all(dir).unwrap();
}
