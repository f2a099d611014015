//! The checkpoint: one file, `mlp-adam.ckpt`, in `THAW_CHECKPOINT_DIR`.
//!
//! ```text
//! b"THAWMLP1" | u64 LE n | n bytes of JSON {"epoch", "params", "scores"}
//!             | u64 LE n | n bytes: the model's burn record (burnpack)
//!             | u64 LE n | n bytes: the Adam state's burn record (burnpack)
//! ```
//! It is written to a temporary name in the same directory, synced and renamed into
//! place, so a reader sees the previous checkpoint or the new one, never a torn file.
//! `scores` holds what was reported for epochs 0..=epoch, so that a checkpoint saved
//! just before thaw was killed (ahead of what thaw recorded) is reported again, not
//! trained again.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use crate::error::{Failure, Result, input};
use crate::model::Mlp;
use crate::params::Params;
use crate::scores::Scores;

/// File name of the checkpoint.
pub const FILE: &str = "mlp-adam.ckpt";
const MAGIC: &[u8; 8] = b"THAWMLP1";

/// What the checkpoint says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    /// Epochs trained.
    epoch: u64,
    /// The configuration, in [`Params`]' canonical form.
    params: String,
    /// The scores of epochs 0..=epoch.
    scores: Vec<Scores>,
}

/// A checkpoint read back.
pub struct Loaded {
    /// The model after `epoch` epochs.
    pub model: Mlp,
    /// The optimiser's state.
    pub optim: ModuleOptimizer,
    /// The scores reported for epochs 0..=epoch.
    pub scores: Vec<Scores>,
}

/// Where the checkpoint of `dir` lives.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Saves model and optimiser after `epoch` epochs, with the scores of epochs
/// 0..=epoch, atomically.
pub fn save(
    dir: &Path,
    epoch: u64,
    params: &Params,
    scores: &[Scores],
    model: &Mlp,
    optim: &ModuleOptimizer,
) -> Result<()> {
    let target = path(dir);
    let record_err = |what: &str, e: burn::store::RecordError| {
        input(format!(
            "cannot serialise the {what} for {}: {e}",
            target.display()
        ))
    };
    let header = serde_json::to_vec(&Header {
        epoch,
        params: params.to_string(),
        scores: scores.to_vec(),
    })
    .expect("header serialises");
    let model_bytes = model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| record_err("model", e))?;
    let optim_bytes = optim
        .into_bytes()
        .map_err(|e| record_err("optimiser state", e))?;

    let tmp = dir.join(format!(".{FILE}.tmp-{}", std::process::id()));
    let io = |e: std::io::Error| input(format!("cannot write {}: {e}", tmp.display()));
    {
        let mut f = File::create(&tmp).map_err(io)?;
        f.write_all(MAGIC).map_err(io)?;
        for part in [&header[..], &model_bytes[..], &optim_bytes[..]] {
            f.write_all(&(part.len() as u64).to_le_bytes())
                .map_err(io)?;
            f.write_all(part).map_err(io)?;
        }
        f.sync_all().map_err(io)?;
    }
    fs::rename(&tmp, &target).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        input(format!("cannot rename {} into place: {e}", tmp.display()))
    })?;
    // Make the rename itself durable (best effort: not every platform opens directories).
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Loads the checkpoint of `dir` into `model` and `optim` (fresh ones of the same
/// configuration) to continue after epoch `epoch`. The checkpoint may be ahead of
/// `epoch` (saved, then thaw was killed before it recorded the report). Exit 2 if it is
/// missing or unreadable, exit 3 if it holds fewer epochs than `epoch` or was written
/// for other parameters.
pub fn load(
    dir: &Path,
    epoch: u64,
    params: &Params,
    model: Mlp,
    optim: ModuleOptimizer,
) -> Result<Loaded> {
    let file = path(dir);
    let bad = |why: String| input(format!("checkpoint {}: {why}", file.display()));
    let bytes = match fs::read(&file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(input(format!(
                "no checkpoint {} to resume epoch {epoch} from (THAW_FROM_EPOCH > 0 needs the \
                 checkpoint of the previous segment)",
                file.display()
            )));
        }
        Err(e) => return Err(bad(format!("cannot read: {e}"))),
    };
    let parts =
        split(&bytes).ok_or_else(|| bad("truncated or not an mlp-adam checkpoint".into()))?;
    let header: Header =
        serde_json::from_slice(parts[0]).map_err(|e| bad(format!("unreadable header: {e}")))?;
    if header.epoch < epoch || header.scores.len() as u64 != header.epoch + 1 {
        return Err(Failure::Mismatch(format!(
            "checkpoint {} holds epoch {} (scores of {} epochs), but THAW_FROM_EPOCH is {epoch}",
            file.display(),
            header.epoch,
            header.scores.len()
        )));
    }
    // The optimiser's hyperparameters may change on resume (PBT's explore step); the
    // network and the seed may not.
    let (was, now) = (fixed_part(&header.params), fixed_part(&params.to_string()));
    if was != now {
        return Err(Failure::Mismatch(format!(
            "checkpoint {} holds another network ({was}), not {now}; only lr, beta1, beta2, \
             eps, weight_decay and batch may change on resume",
            file.display(),
        )));
    }
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(parts[1].to_vec()))
        .map_err(|e| bad(format!("unreadable model record: {e}")))?;
    let model = model
        .try_load_record(record)
        .map_err(|e| bad(format!("model record does not fit: {e}")))?;
    let optim = optim
        .from_bytes(Bytes::from_bytes_vec(parts[2].to_vec()))
        .map_err(|e| bad(format!("unreadable optimiser record: {e}")))?;
    Ok(Loaded {
        model,
        optim,
        scores: header.scores,
    })
}

/// The parameters of a canonical [`Params`] line that fix the network and its data
/// order (hidden, layers, activation, seed): those a resumed run cannot change.
fn fixed_part(canonical: &str) -> String {
    canonical
        .split(' ')
        .filter(|kv| {
            crate::params::FIXED
                .iter()
                .any(|k| kv.split('=').next() == Some(*k))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The three length-prefixed parts after the magic, or `None` if the layout is wrong.
fn split(bytes: &[u8]) -> Option<[&[u8]; 3]> {
    let mut rest = bytes.strip_prefix(MAGIC)?;
    let mut parts = [&[][..]; 3];
    for part in &mut parts {
        let (len, tail) = rest.split_first_chunk::<8>()?;
        let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
        if tail.len() < len {
            return None;
        }
        (*part, rest) = tail.split_at(len);
    }
    rest.is_empty().then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_rejects_bad_layouts() {
        let mut good = MAGIC.to_vec();
        for part in [&b"{}"[..], b"abc", b""] {
            good.extend((part.len() as u64).to_le_bytes());
            good.extend(part);
        }
        assert_eq!(split(&good).unwrap(), [&b"{}"[..], b"abc", b""]);
        assert!(split(&good[..good.len() - 1]).is_none());
        assert!(split(&good[1..]).is_none());
        let mut longer = good.clone();
        longer.push(0);
        assert!(split(&longer).is_none());
    }

    #[test]
    fn fixed_part_keeps_the_network() {
        let p = Params::default();
        assert_eq!(
            fixed_part(&p.to_string()),
            "hidden=64 layers=2 activation=relu seed=0"
        );
        let q = Params {
            lr: 0.1,
            beta2: 0.99,
            batch: 8,
            ..Params::default()
        };
        assert_eq!(fixed_part(&p.to_string()), fixed_part(&q.to_string()));
    }
}
