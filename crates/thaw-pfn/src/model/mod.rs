//! The PFN as burn modules: embedding, encoder layers with the PFN attention pattern,
//! decoder to bar-distribution logits.

pub mod attention;
pub mod embedding;
pub mod history;
pub mod input;
pub mod layer;
pub mod pfn;

pub use attention::KeyValues;
pub use input::{PfnInput, TokenTensors, batch_history};
pub use pfn::{ContextCache, Pfn};
