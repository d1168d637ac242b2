//! The pipeline's CLIP tokenizer, with Hugging Face's `tokenizers` crate: `tokenizer/tokenizer.json` when
//! the export has one, else built from `vocab.json` + `merges.txt` exactly as transformers converts CLIP's
//! slow tokenizer (NFC, whitespace runs to one space, lowercase; CLIP's split pattern and byte-level
//! symbols; BPE with `</w>` ending each word; start and end tokens around the text). Optimum's export
//! under transformers 4.x writes no tokenizer.json, so the second path is the common one.

use std::collections::HashMap;
use std::path::Path;

use tokenizers::models::bpe::BPE;
use tokenizers::normalizers::replace::ReplacePattern;
use tokenizers::normalizers::{Lowercase, NFC, Replace, Sequence as NormalizerSequence};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence as PreSequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::processors::roberta::RobertaProcessing;
use tokenizers::{NormalizerWrapper, PreTokenizerWrapper, SplitDelimiterBehavior, Tokenizer};

/// CLIP's word pattern (transformers' `CLIPConverter`).
const CLIP_PATTERN: &str = r"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+";
const START: &str = "<|startoftext|>";
const END: &str = "<|endoftext|>";

/// A prompt tokenizer: ids padded (with the end token, as CLIP's pad token is) or truncated to the
/// text encoder's length, start and end tokens included.
pub struct PromptTokenizer {
    tokenizer: Tokenizer,
    max_length: usize,
    pad_id: u32,
    end_id: u32,
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

impl PromptTokenizer {
    /// Loads the tokenizer of a pipeline's `tokenizer/` folder.
    pub fn load(dir: &Path) -> Result<PromptTokenizer, String> {
        let config = dir.join("tokenizer_config.json");
        let config = if config.is_file() {
            read_json(&config)?
        } else {
            serde_json::Value::Null
        };
        let max_length = config
            .get("model_max_length")
            .and_then(serde_json::Value::as_u64)
            .filter(|n| (2..=4096).contains(n))
            .map_or(77, |n| n as usize);
        let json = dir.join("tokenizer.json");
        let tokenizer = if json.is_file() {
            Tokenizer::from_file(&json).map_err(|e| format!("{}: {e}", json.display()))?
        } else {
            clip_from_vocab(dir)?
        };
        let id = |token: &str| tokenizer.token_to_id(token);
        let end_id = id(END).ok_or_else(|| format!("{}: no {END} token", dir.display()))?;
        let pad = config
            .get("pad_token")
            .and_then(|p| {
                p.as_str()
                    .or_else(|| p.get("content").and_then(|c| c.as_str()))
            })
            .unwrap_or(END);
        let pad_id = id(pad).unwrap_or(end_id);
        Ok(PromptTokenizer {
            tokenizer,
            max_length,
            pad_id,
            end_id,
        })
    }

    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// The ids the text encoder takes for `text`: exactly `max_length` of them.
    pub fn encode(&self, text: &str) -> Result<Vec<i64>, String> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| format!("tokenizing the prompt: {e}"))?;
        let mut ids: Vec<u32> = encoding.get_ids().to_vec();
        if ids.len() > self.max_length {
            // transformers truncates the text and keeps the end token last.
            ids.truncate(self.max_length);
            if let Some(last) = ids.last_mut() {
                *last = self.end_id;
            }
        }
        ids.resize(self.max_length, self.pad_id);
        Ok(ids.into_iter().map(i64::from).collect())
    }
}

/// transformers' conversion of CLIP's slow tokenizer, from `vocab.json` and `merges.txt`.
fn clip_from_vocab(dir: &Path) -> Result<Tokenizer, String> {
    let vocab_path = dir.join("vocab.json");
    let merges_path = dir.join("merges.txt");
    let vocab: HashMap<String, u32> = serde_json::from_value(read_json(&vocab_path)?)
        .map_err(|e| format!("{}: {e}", vocab_path.display()))?;
    let merges_text = std::fs::read_to_string(&merges_path)
        .map_err(|e| format!("{}: {e}", merges_path.display()))?;
    let merges: Vec<(String, String)> = merges_text
        .lines()
        .filter(|l| !l.starts_with("#version") && !l.trim().is_empty())
        .filter_map(|l| {
            let mut parts = l.split(' ');
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .collect();
    let start = *vocab
        .get(START)
        .ok_or_else(|| format!("{}: no {START}", vocab_path.display()))?;
    let end = *vocab
        .get(END)
        .ok_or_else(|| format!("{}: no {END}", vocab_path.display()))?;
    let bpe = BPE::builder()
        .vocab_and_merges(
            vocab
                .into_iter()
                .collect::<tokenizers::models::bpe::Vocab>(),
            merges,
        )
        .continuing_subword_prefix(String::new())
        .end_of_word_suffix("</w>".into())
        .unk_token(END.into())
        .fuse_unk(false)
        .build()
        .map_err(|e| format!("{}: {e}", vocab_path.display()))?;
    let whitespace =
        Replace::new(ReplacePattern::Regex(r"\s+".into()), " ").map_err(|e| e.to_string())?;
    let normalizer = NormalizerSequence::new(vec![
        NormalizerWrapper::NFC(NFC),
        NormalizerWrapper::Replace(whitespace),
        NormalizerWrapper::Lowercase(Lowercase),
    ]);
    let split = Split::new(
        SplitPattern::Regex(CLIP_PATTERN.into()),
        SplitDelimiterBehavior::Removed,
        true,
    )
    .map_err(|e| e.to_string())?;
    let pre = PreSequence::new(vec![
        PreTokenizerWrapper::Split(split),
        PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, false)),
    ]);
    let post = RobertaProcessing::new((END.into(), end), (START.into(), start))
        .trim_offsets(false)
        .add_prefix_space(false);
    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer
        .with_normalizer(Some(normalizer))
        .with_pre_tokenizer(Some(pre))
        .with_post_processor(Some(post));
    Ok(tokenizer)
}
