//! Messages analysed per second on one core (criterion runs single-threaded), over the whole
//! labelled test split, and the one-off cost of loading the lexicons and training the models.
//! `cargo bench -p austa-nlp`; figures in docs/benchmarks.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench fails by panicking

use std::hint::black_box;

use austa_nlp::{Analyzer, dataset};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn analyze(c: &mut Criterion) {
    let analyzer = Analyzer::new().expect("lexicons load");
    let messages = dataset::test().expect("test split");
    let mut group = c.benchmark_group("nlp");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.bench_function("analyze_test_split", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(analyzer.analyze(&m.id, black_box(&m.text)));
            }
        })
    });
    let long = "to com dor de cabeca e febre ha 3 dias, tomei dipirona. ".repeat(1200);
    group.throughput(Throughput::Bytes(long.len() as u64));
    group.bench_function("analyze_64KiB", |b| {
        b.iter(|| black_box(analyzer.analyze("long", black_box(&long))))
    });
    group.finish();

    let mut load = c.benchmark_group("nlp_load");
    load.sample_size(10);
    load.bench_function("load_lexicons_and_train", |b| {
        b.iter(|| black_box(Analyzer::new().expect("load")))
    });
    load.finish();
}

criterion_group!(benches, analyze);
criterion_main!(benches);
