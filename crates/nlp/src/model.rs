//! A small multinomial logistic regression over hashed sparse features, trained at load time on
//! the labelled train split (a few thousand updates: milliseconds), with a softmax temperature
//! fitted on cross-validated predictions so that its probabilities are calibrated.
//!
//! Features are words and word pairs of the resolved text, the cue groups of `cues.tsv`, and what
//! the extractors found (a symptom, a reading, a red flag…). Cue features are what lets it
//! generalise beyond the words it was trained on.

/// Feature buckets (a power of two). A few thousand distinct features live in the train set, so
/// collisions are rare at this size.
pub const BUCKETS: usize = 1 << 15;

const EPOCHS: usize = 40;
const LEARNING_RATE: f32 = 0.1;
const L2: f32 = 3e-3;
const FOLDS: usize = 5;

/// FNV-1a, streaming, so that a feature is hashed without building its string.
#[derive(Clone, Copy)]
pub struct FeatureHash(u64);

impl FeatureHash {
    pub fn new(tag: &str) -> Self {
        FeatureHash(0xcbf2_9ce4_8422_2325).push(tag)
    }

    pub fn push(mut self, s: &str) -> Self {
        for b in s.bytes() {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        self
    }

    pub fn bucket(self) -> u32 {
        // Mix the high bits in: FNV's low bits alone are weak.
        ((self.0 ^ (self.0 >> 29)) as usize % BUCKETS) as u32
    }
}

#[derive(Debug, Clone)]
pub struct Classifier {
    classes: usize,
    weights: Vec<f32>,
    bias: Vec<f32>,
    temperature: f32,
}

impl Classifier {
    /// Trains on `(features, class)` examples, then calibrates the temperature by `FOLDS`-fold
    /// cross-validation.
    pub fn train(classes: usize, examples: &[(Vec<u32>, usize)]) -> Self {
        let mut model = Self::fit(classes, examples, |_| true);
        model.temperature = Self::calibrate(classes, examples);
        model
    }

    fn fit(classes: usize, examples: &[(Vec<u32>, usize)], include: impl Fn(usize) -> bool) -> Self {
        let mut m = Classifier {
            classes,
            weights: vec![0.0; BUCKETS * classes],
            bias: vec![0.0; classes],
            temperature: 1.0,
        };
        // AdaGrad accumulators: rare features keep a large step, frequent ones settle.
        let mut g2 = vec![1e-6f32; BUCKETS * classes];
        let mut gb = vec![1e-6f32; classes];
        let mut order: Vec<usize> = (0..examples.len()).filter(|&i| include(i)).collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut probs = vec![0.0f32; classes];
        for _ in 0..EPOCHS {
            // Deterministic shuffle (xorshift), so a model is reproducible.
            for i in (1..order.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                order.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            for &e in &order {
                let (features, class) = &examples[e];
                m.raw_probabilities(features, 1.0, &mut probs);
                for c in 0..classes {
                    let grad = probs[c] - if c == *class { 1.0 } else { 0.0 };
                    gb[c] += grad * grad;
                    m.bias[c] -= LEARNING_RATE * grad / gb[c].sqrt();
                    for &f in features {
                        let k = f as usize * classes + c;
                        let g = grad + L2 * m.weights[k];
                        g2[k] += g * g;
                        m.weights[k] -= LEARNING_RATE * g / g2[k].sqrt();
                    }
                }
            }
        }
        m
    }

    /// The temperature minimising the log-loss of out-of-fold predictions.
    fn calibrate(classes: usize, examples: &[(Vec<u32>, usize)]) -> f32 {
        let mut logits: Vec<(Vec<f32>, usize)> = Vec::with_capacity(examples.len());
        for fold in 0..FOLDS {
            let m = Self::fit(classes, examples, |i| i % FOLDS != fold);
            for (i, (features, class)) in examples.iter().enumerate() {
                if i % FOLDS == fold {
                    logits.push((m.logits(features), *class));
                }
            }
        }
        let mut best = (f32::INFINITY, 1.0);
        for step in 0..=60 {
            let t = 0.4 + step as f32 * 0.05;
            let loss: f32 = logits
                .iter()
                .map(|(l, c)| {
                    let max = l.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let sum: f32 = l.iter().map(|x| ((x - max) / t).exp()).sum();
                    -(((l[*c] - max) / t).exp() / sum).max(1e-9).ln()
                })
                .sum();
            if loss < best.0 {
                best = (loss, t);
            }
        }
        best.1
    }

    fn logits(&self, features: &[u32]) -> Vec<f32> {
        let mut out = self.bias.clone();
        for &f in features {
            let row = f as usize * self.classes;
            for (c, o) in out.iter_mut().enumerate() {
                *o += self.weights.get(row + c).copied().unwrap_or(0.0);
            }
        }
        out
    }

    fn raw_probabilities(&self, features: &[u32], temperature: f32, out: &mut [f32]) {
        out.copy_from_slice(&self.bias);
        for &f in features {
            let row = f as usize * self.classes;
            if let Some(w) = self.weights.get(row..row + self.classes) {
                for (o, w) in out.iter_mut().zip(w) {
                    *o += w;
                }
            }
        }
        let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for o in out.iter_mut() {
            *o = ((*o - max) / temperature).exp();
            sum += *o;
        }
        for o in out.iter_mut() {
            *o /= sum;
        }
    }

    /// Calibrated class probabilities.
    pub fn probabilities(&self, features: &[u32]) -> Vec<f32> {
        let mut out = vec![0.0; self.classes];
        self.raw_probabilities(features, self.temperature, &mut out);
        out
    }

    pub fn temperature(&self) -> f32 {
        self.temperature
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_problem_and_stays_calibrated() {
        let a = FeatureHash::new("w").push("pontos").bucket();
        let b = FeatureHash::new("w").push("atendente").bucket();
        let noise = FeatureHash::new("w").push("oi").bucket();
        let mut examples = Vec::new();
        for i in 0..40 {
            examples.push((if i % 3 == 0 { vec![a, noise] } else { vec![a] }, 0));
            examples.push((if i % 4 == 0 { vec![b, noise] } else { vec![b] }, 1));
        }
        let m = Classifier::train(2, &examples);
        assert!(m.probabilities(&[a])[0] > 0.9);
        assert!(m.probabilities(&[b])[1] > 0.9);
        let unsure = m.probabilities(&[noise]);
        assert!(
            unsure[0] < 0.9 && unsure[1] < 0.9,
            "a feature seen in both classes decides nothing: {unsure:?}"
        );
    }
}
