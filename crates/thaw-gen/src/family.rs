//! What a task is: a family, a data source and a network, drawn from (family, seed,
//! index) alone, so task k of a corpus is the same task whatever else was generated.

use burn::tensor::{Device, Tensor};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::dataset::{Dataset, Table, Target};
use crate::error::{GenError, Result};
use crate::mlp::{self, Params};
use crate::rnn::{Cell, Readout, RnnShape};
use crate::seed::{derive, stream};
use crate::sequence::MarkovSource;
use crate::teacher::Teacher;

/// Task families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// An MLP on an embedded table (wine quality, diabetes, iris; cycled by task index),
    /// its own 60/20/20 split per task.
    Tabular,
    /// An MLP on data from a random teacher network (classification with 2–5 classes or
    /// regression; 4–16 inputs).
    Teacher,
    /// Tasks alternate: even indices tabular, odd teacher.
    Mixed,
    /// A recurrent classifier (tanh RNN, IRNN or GRU) on a procedural sequence task:
    /// which of 2–4 random Markov chains wrote a sequence of symbols.
    Sequence,
    /// Tasks cycle through tabular, teacher and sequence (index mod 3).
    All,
}

impl Family {
    /// Its name, as in task names and `--family`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tabular => "tabular",
            Self::Teacher => "teacher",
            Self::Mixed => "mixed",
            Self::Sequence => "sequence",
            Self::All => "all",
        }
    }

    /// The plain family of task `index`, and the task's index within that family's
    /// cycle of embedded tables.
    fn of_task(self, index: usize) -> (Self, usize) {
        match self {
            Self::Mixed if index.is_multiple_of(2) => (Self::Tabular, index / 2),
            Self::Mixed => (Self::Teacher, index / 2),
            Self::All => (
                [Self::Tabular, Self::Teacher, Self::Sequence][index % 3],
                index / 3,
            ),
            plain => (plain, index),
        }
    }
}

/// Where a task's data come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// An embedded table.
    Table(Table),
    /// A random teacher.
    Teacher(Teacher),
    /// Sequences from random Markov chains.
    Sequence(MarkovSource),
}

pub use crate::mlp::Activation;

/// The network of a task (its input and output sizes come from the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// A multi-layer perceptron.
    Mlp {
        /// Width of each hidden layer.
        hidden: usize,
        /// Number of hidden layers.
        depth: usize,
        /// Their non-linearity.
        activation: Activation,
    },
    /// A recurrent classifier (sequence sources only).
    Rnn {
        /// The cell.
        cell: Cell,
        /// State size.
        hidden: usize,
        /// What the output layer reads.
        readout: Readout,
    },
}

/// A task's network with its sizes: what training initialises and runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// An MLP of layer widths (inputs, hidden…, outputs).
    Mlp {
        /// Layer widths.
        widths: Vec<usize>,
        /// Hidden non-linearity.
        activation: Activation,
    },
    /// A recurrent classifier.
    Rnn(RnnShape),
}

impl Model {
    /// Initial parameters of the configurations `ids` (see [`mlp::init_layout`]).
    pub fn init(&self, seed: u64, ids: &[usize], device: &Device) -> Params {
        match self {
            Self::Mlp { widths, .. } => mlp::init(widths, seed, ids, device),
            Self::Rnn(shape) => mlp::init_layout(&shape.layout(), seed, ids, device),
        }
    }

    /// Outputs `[configs, rows, outputs]` of inputs `[1, rows, features]`.
    pub fn forward(&self, params: &Params, x: Tensor<3>) -> Tensor<3> {
        match self {
            Self::Mlp { activation, .. } => mlp::forward(params, x, *activation),
            Self::Rnn(shape) => shape.forward(params, x),
        }
    }
}

/// One task: data, network and minibatch size.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    /// Index within the corpus.
    pub index: usize,
    /// Unique name, e.g. `gen_tabular_wine_h32x2_relu_bs64_s0_t0003`.
    pub name: String,
    /// The data.
    pub source: Source,
    /// Seed of the data (split or teacher).
    pub data_seed: u64,
    /// Seed of everything else (initial weights, minibatches).
    pub seed: u64,
    /// The network trained.
    pub network: Network,
    /// Minibatch size (one minibatch per step, the same for every configuration).
    pub batch: usize,
}

impl TaskSpec {
    /// Task `index` of family `family` in the corpus of `seed`.
    pub fn draw(family: Family, seed: u64, index: usize) -> Self {
        let task_seed = derive(seed, stream::TASK, &[index as u64]);
        let mut rng = StdRng::seed_from_u64(task_seed);
        let (plain, k) = family.of_task(index);
        let source = match plain {
            Family::Tabular => Source::Table(Table::ALL[k % Table::ALL.len()]),
            Family::Sequence => Source::Sequence(MarkovSource {
                classes: rng.random_range(2..=4),
                vocab: [6, 10, 16][rng.random_range(0..3usize)],
                length: [8, 12][rng.random_range(0..2usize)],
                // In steps of 0.05, so that the name says it exactly.
                separation: rng.random_range(4..=14u32) as f64 * 0.05,
            }),
            _ => {
                let classes = rng.random_range(1..=5usize);
                Source::Teacher(Teacher {
                    inputs: rng.random_range(4..=16),
                    // 1 means regression.
                    target: if classes == 1 {
                        Target::Regression
                    } else {
                        Target::Classes(classes)
                    },
                })
            }
        };
        let network = if let Source::Sequence(_) = source {
            Network::Rnn {
                cell: [Cell::Tanh, Cell::Irnn, Cell::Gru][rng.random_range(0..3usize)],
                hidden: [8, 16][rng.random_range(0..2usize)],
                readout: if rng.random::<bool>() {
                    Readout::Last
                } else {
                    Readout::Mean
                },
            }
        } else {
            let hidden = [16, 32, 64][rng.random_range(0..3usize)];
            let depth = rng.random_range(1..=2);
            let activation = if rng.random::<bool>() {
                Activation::Relu
            } else {
                Activation::Tanh
            };
            Network::Mlp {
                hidden,
                depth,
                activation,
            }
        };
        let batch = match network {
            Network::Rnn { .. } => [32, 64][rng.random_range(0..2usize)],
            Network::Mlp { .. } => [32, 64, 128][rng.random_range(0..3usize)],
        };
        let what = match source {
            Source::Table(t) => format!("tabular_{}", t.name()),
            Source::Teacher(t) => match t.target {
                Target::Classes(k) => format!("teacher_cls{k}_d{}", t.inputs),
                Target::Regression => format!("teacher_reg_d{}", t.inputs),
            },
            Source::Sequence(m) => format!(
                "seq_markov{}_v{}_l{}_sep{:02}",
                m.classes,
                m.vocab,
                m.length,
                (m.separation * 100.0).round() as u32
            ),
        };
        let net = match network {
            Network::Mlp {
                hidden,
                depth,
                activation,
            } => {
                let act = match activation {
                    Activation::Relu => "relu",
                    Activation::Tanh => "tanh",
                };
                format!("h{hidden}x{depth}_{act}")
            }
            Network::Rnn {
                cell,
                hidden,
                readout,
            } => format!("{}{hidden}_{}", cell.name(), readout.name()),
        };
        Self {
            index,
            name: format!("gen_{what}_{net}_bs{batch}_s{seed}_t{index:04}"),
            source,
            data_seed: derive(seed, stream::DATA, &[index as u64]),
            seed: task_seed,
            network,
            batch,
        }
    }

    /// The task's network with the sizes of its data.
    pub fn model(&self, data: &Dataset) -> Result<Model> {
        let outputs = data.target.outputs();
        match (self.network, self.source) {
            (
                Network::Mlp {
                    hidden,
                    depth,
                    activation,
                },
                _,
            ) => {
                let mut widths = vec![data.features];
                widths.extend(std::iter::repeat_n(hidden, depth));
                widths.push(outputs);
                Ok(Model::Mlp { widths, activation })
            }
            (
                Network::Rnn {
                    cell,
                    hidden,
                    readout,
                },
                Source::Sequence(m),
            ) => Ok(Model::Rnn(RnnShape {
                vocab: m.vocab,
                length: m.length,
                hidden,
                outputs,
                cell,
                readout,
            })),
            (Network::Rnn { .. }, _) => Err(GenError::Invalid(format!(
                "task {}: a recurrent network needs a sequence source",
                self.name
            ))),
        }
    }

    /// The task's data.
    pub fn dataset(&self) -> Dataset {
        match self.source {
            Source::Table(t) => t.dataset(self.data_seed),
            Source::Teacher(t) => t.dataset(self.data_seed),
            Source::Sequence(m) => m.dataset(self.data_seed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_fixed_by_family_seed_and_index() {
        let a = TaskSpec::draw(Family::Mixed, 0, 3);
        assert_eq!(a, TaskSpec::draw(Family::Mixed, 0, 3));
        assert!(matches!(a.source, Source::Teacher(_)), "{}", a.name);
        assert!(matches!(
            TaskSpec::draw(Family::Mixed, 0, 2).source,
            Source::Table(_)
        ));
        let names: std::collections::BTreeSet<String> = (0..20)
            .map(|k| TaskSpec::draw(Family::Teacher, 1, k).name)
            .collect();
        assert_eq!(names.len(), 20);
    }

    #[test]
    fn all_cycles_through_the_three_families_and_sequences_get_rnns() {
        for k in 0..9 {
            let spec = TaskSpec::draw(Family::All, 0, k);
            let sequence = matches!(spec.source, Source::Sequence(_));
            assert_eq!(sequence, k % 3 == 2, "{}", spec.name);
            assert_eq!(matches!(spec.network, Network::Rnn { .. }), sequence);
            let data = spec.dataset();
            let model = spec.model(&data).unwrap();
            if let Model::Rnn(shape) = model {
                assert_eq!(shape.vocab * shape.length, data.features, "{}", spec.name);
                assert!(spec.name.starts_with("gen_seq_markov"), "{}", spec.name);
            }
        }
        // The mixed family's tasks are what they were before the sequence family.
        // (The names the README quotes from the first generated corpus.)
        assert_eq!(
            TaskSpec::draw(Family::Mixed, 0, 0).name,
            "gen_tabular_wine_h16x1_tanh_bs128_s0_t0000"
        );
        assert_eq!(
            TaskSpec::draw(Family::Mixed, 0, 1).name,
            "gen_teacher_cls2_d5_h32x2_relu_bs128_s0_t0001"
        );
    }
}
