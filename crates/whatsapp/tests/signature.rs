//! Meta's signature vectors (`tests/fixtures/signatures.json`, copied from the shared fixtures): every
//! wire body verifies with its header, the pretty-printed copy of the same notification does not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use austa_whatsapp::signature::{SignatureError, sign, verify};
use proptest::prelude::*;
use serde_json::Value;

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn every_vector_verifies_over_the_raw_bytes() {
    let doc: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("signatures.json")).unwrap()).unwrap();
    let secret = doc["app_secret"].as_str().unwrap().as_bytes();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 20);
    for v in vectors {
        let body = std::fs::read(fixtures().join(v["file"].as_str().unwrap())).unwrap();
        assert_eq!(
            body.len() as u64,
            v["content_length"].as_u64().unwrap(),
            "{}",
            v["file"]
        );
        let header = v["x_hub_signature_256"].as_str().unwrap();
        verify(secret, &body, Some(header)).unwrap_or_else(|e| panic!("{}: {e}", v["file"]));
        assert_eq!(sign(secret, &body), header);
        // Re-serializing breaks it: that is why the raw bytes are kept.
        let reserialized = serde_json::to_vec(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
        if reserialized != body {
            assert_eq!(
                verify(secret, &reserialized, Some(header)),
                Err(SignatureError::Mismatch)
            );
        }
    }
    let negative = &doc["negative_example"];
    let pretty = std::fs::read(fixtures().join(negative["file"].as_str().unwrap())).unwrap();
    let wire = &vectors.iter().find(|v| v["file"] == "wire/text.json").unwrap()["x_hub_signature_256"];
    assert_eq!(
        verify(secret, &pretty, wire.as_str()),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        sign(secret, &pretty),
        negative["hmac_of_this_file"].as_str().unwrap()
    );
}

#[test]
fn missing_malformed_and_wrong_secrets_fail() {
    let body = b"{}";
    let good = sign(b"segredo", body);
    assert_eq!(verify(b"segredo", body, None), Err(SignatureError::Missing));
    assert_eq!(
        verify(b"segredo", body, Some("sha1=abc")),
        Err(SignatureError::Malformed)
    );
    assert_eq!(
        verify(b"segredo", body, Some("sha256=zz")),
        Err(SignatureError::Malformed)
    );
    assert_eq!(verify(b"outro", body, Some(&good)), Err(SignatureError::Mismatch));
    assert_eq!(
        verify(
            b"segredo",
            body,
            Some(&good.to_uppercase().replace("SHA256", "sha256"))
        ),
        Ok(())
    );
}

proptest! {
    #[test]
    fn arbitrary_headers_and_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512), header in ".{0,80}") {
        let _ = verify(b"segredo", &body, Some(&header));
        prop_assert!(verify(b"segredo", &body, Some(&sign(b"segredo", &body))).is_ok());
    }
}
