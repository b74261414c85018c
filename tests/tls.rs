//! TLS on the gRPC port with a certificate the test makes (rcgen): TLS clients that trust it
//! are served, plaintext clients are not; with a client CA, only clients with a certificate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::CheckRequest;
use phonecheck::pb::phone_check_client::PhoneCheckClient;
use phonecheck::serving::config::TlsFiles;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

use common::{start_server, test_config};

fn request() -> CheckRequest {
    CheckRequest {
        mobiles: vec!["13111111111".to_owned()],
        ..Default::default()
    }
}

/// True when a connection fails, at the handshake or at its first call.
async fn refused(connected: Result<Channel, tonic::transport::Error>) -> bool {
    match connected {
        Err(_) => true,
        Ok(channel) => PhoneCheckClient::new(channel)
            .check(request())
            .await
            .is_err(),
    }
}

#[tokio::test]
async fn tls_clients_are_served_and_mutual_tls_wants_a_client_certificate() {
    let sim = common::simulator(SimulatorConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let server = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let client = rcgen::generate_simple_self_signed(vec!["crm-backend".to_owned()]).unwrap();
    let write = |name: &str, pem: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path
    };
    let cert = write("server.pem", server.cert.pem());
    let key = write("server.key", server.signing_key.serialize_pem());
    let client_ca = write("client-ca.pem", client.cert.pem());
    let trust = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(server.cert.pem()))
        .domain_name("localhost");

    // TLS.
    let mut config = test_config(sim.url());
    config.tls = Some(TlsFiles {
        cert: cert.clone(),
        key: key.clone(),
        client_ca: None,
    });
    let (addr, _stop) = start_server(config).await;
    let channel = Channel::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(trust.clone())
        .unwrap()
        .connect()
        .await
        .expect("a TLS connection");
    let answer = PhoneCheckClient::new(channel)
        .check(request())
        .await
        .expect("served");
    assert_eq!(answer.get_ref().results[0].area, "山西-临汾");
    let plaintext = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await;
    assert!(
        refused(plaintext).await,
        "plaintext is not served on a TLS port"
    );

    // Mutual TLS.
    let mut config = test_config(sim.url());
    config.tls = Some(TlsFiles {
        cert,
        key,
        client_ca: Some(client_ca),
    });
    let (addr, _stop_mtls) = start_server(config).await;
    // Without a client certificate: refused at the handshake or at the first call.
    let without = Channel::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(trust.clone())
        .unwrap()
        .connect()
        .await;
    assert!(
        refused(without).await,
        "mutual TLS wants a client certificate"
    );
    let with_identity = trust.identity(Identity::from_pem(
        client.cert.pem(),
        client.signing_key.serialize_pem(),
    ));
    let channel = Channel::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(with_identity)
        .unwrap()
        .connect()
        .await
        .expect("a client certificate the CA signed");
    PhoneCheckClient::new(channel)
        .check(request())
        .await
        .expect("served with mTLS");
}
