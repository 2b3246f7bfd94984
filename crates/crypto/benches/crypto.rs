//! Field encryption and decryption per value, blind indexes, and the audit MAC: the per-request
//! cryptographic cost. `cargo bench -p austa-crypto`; figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench fails by panicking

use austa_crypto::audit_chain::{CanonicalEntry, GENESIS, entry_mac};
use austa_crypto::envelope::{DataKey, Field, KeyRing};
use austa_crypto::{SecretKey, password};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use uuid::Uuid;

const FIELD: Field = Field::new("health_data", "data_encrypted");

fn ring() -> KeyRing {
    KeyRing::single(Uuid::now_v7(), DataKey::generate(1).expect("random"))
}

fn envelope(c: &mut Criterion) {
    let ring = ring();
    let row = Uuid::now_v7();
    let mut group = c.benchmark_group("field");
    for (name, size) in [
        ("cpf_11B", 11usize),
        ("health_json_256B", 256),
        ("message_2KiB", 2048),
    ] {
        let value = vec![b'x'; size];
        let sealed = ring.encrypt(FIELD, row, &value).expect("encrypt");
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("encrypt", name), &value, |b, v| {
            b.iter(|| ring.encrypt(FIELD, row, black_box(v)).expect("encrypt"))
        });
        group.bench_with_input(BenchmarkId::new("decrypt", name), &sealed, |b, s| {
            b.iter(|| ring.decrypt(FIELD, row, black_box(s)).expect("decrypt"))
        });
    }
    group.finish();
}

fn blind_index(c: &mut Criterion) {
    let ring = ring();
    c.bench_function("blind_index/cpf", |b| {
        b.iter(|| ring.blind_index("cpf", black_box(b"52998224725")).expect("index"))
    });
}

fn audit_mac(c: &mut Criterion) {
    let key = SecretKey::from_bytes([7; 32]);
    let entry = CanonicalEntry::new()
        .field("id", Uuid::now_v7().as_bytes())
        .field("action", b"READ")
        .field("entity_type", b"health_data")
        .field("details", br#"{"type":"VITAL_SIGN","via":"list"}"#);
    c.bench_function("audit/entry_mac", |b| {
        b.iter(|| entry_mac(&key, black_box(&GENESIS), black_box(&entry)))
    });
}

fn password_hash(c: &mut Criterion) {
    let mut group = c.benchmark_group("password");
    group.sample_size(10);
    let phc = password::hash("senha longa e segura").expect("hash");
    group.bench_function("argon2id_verify", |b| {
        b.iter(|| password::verify(black_box("senha longa e segura"), &phc))
    });
    group.finish();
}

criterion_group!(benches, envelope, blind_index, audit_mac, password_hash);
criterion_main!(benches);
