//! What a task is: a family, a data source and a network, drawn from (family, seed,
//! index) alone, so task k of a corpus is the same task whatever else was generated.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::dataset::{Dataset, Table, Target};
use crate::seed::{derive, stream};
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
}

impl Family {
    /// Its name, as in task names and `--family`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tabular => "tabular",
            Self::Teacher => "teacher",
            Self::Mixed => "mixed",
        }
    }
}

/// Where a task's data come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// An embedded table.
    Table(Table),
    /// A random teacher.
    Teacher(Teacher),
}

/// The hidden layers' non-linearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// tanh(x).
    Tanh,
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
    /// Width of each hidden layer.
    pub hidden: usize,
    /// Number of hidden layers.
    pub depth: usize,
    /// Their non-linearity.
    pub activation: Activation,
    /// Minibatch size (one minibatch per step, the same for every configuration).
    pub batch: usize,
}

impl TaskSpec {
    /// Task `index` of family `family` in the corpus of `seed`.
    pub fn draw(family: Family, seed: u64, index: usize) -> Self {
        let task_seed = derive(seed, stream::TASK, &[index as u64]);
        let mut rng = StdRng::seed_from_u64(task_seed);
        let tabular = match family {
            Family::Tabular => true,
            Family::Teacher => false,
            Family::Mixed => index.is_multiple_of(2),
        };
        let source = if tabular {
            let k = if family == Family::Mixed {
                index / 2
            } else {
                index
            };
            Source::Table(Table::ALL[k % Table::ALL.len()])
        } else {
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
        };
        let hidden = [16, 32, 64][rng.random_range(0..3usize)];
        let depth = rng.random_range(1..=2);
        let activation = if rng.random::<bool>() {
            Activation::Relu
        } else {
            Activation::Tanh
        };
        let batch = [32, 64, 128][rng.random_range(0..3usize)];
        let what = match source {
            Source::Table(t) => format!("tabular_{}", t.name()),
            Source::Teacher(t) => match t.target {
                Target::Classes(k) => format!("teacher_cls{k}_d{}", t.inputs),
                Target::Regression => format!("teacher_reg_d{}", t.inputs),
            },
        };
        let act = match activation {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
        };
        Self {
            index,
            name: format!("gen_{what}_h{hidden}x{depth}_{act}_bs{batch}_s{seed}_t{index:04}"),
            source,
            data_seed: derive(seed, stream::DATA, &[index as u64]),
            seed: task_seed,
            hidden,
            depth,
            activation,
            batch,
        }
    }

    /// The task's data.
    pub fn dataset(&self) -> Dataset {
        match self.source {
            Source::Table(t) => t.dataset(self.data_seed),
            Source::Teacher(t) => t.dataset(self.data_seed),
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
}
