//! A small language model run on this machine, so a family without a GPU
//! server still gets chat and nothing leaves the house. It reads a GGUF file
//! of the llama architecture with a ChatML chat template (SmolLM2, Qwen2 and
//! kin), builds the tokenizer from the file's own vocabulary and merges, and
//! decodes greedily on the CPU with candle. [`server`] puts it behind an
//! OpenAI-compatible `/v1/chat/completions` on loopback.
//!
//! Why candle and not llama.cpp: it is Rust, so the static musl build and
//! the container need no C++ toolchain or shared library. Debian's llama.cpp
//! processes prompts about 3.5 times faster on this class of machine; the
//! measured figures are in `docs/architecture.md`.
#![deny(missing_docs)]

pub mod server;

use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;
use std::io::Cursor;
use std::path::Path;
use std::sync::Mutex;
use tokenizers::Tokenizer;
use tokenizers::pre_tokenizers::{
    PreTokenizerWrapper, byte_level::ByteLevel, digits::Digits, sequence::Sequence,
};

/// Tokens the model attends to at most (candle's quantized llama keeps this many).
pub const CONTEXT: usize = 4_096;
/// Prompt tokens run through the model at once while reading the prompt.
const PREFILL_CHUNK: usize = 512;

/// Why the model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum LocalModelError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Open {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a GGUF model this runner reads.
    #[error("{0}")]
    Format(String),
    /// The prompt does not fit the model's context.
    #[error(
        "the prompt is {tokens} tokens; with {wanted} to write it needs more than the model's {CONTEXT}"
    )]
    TooLong {
        /// Prompt tokens.
        tokens: usize,
        /// Tokens asked for.
        wanted: usize,
    },
    /// The model failed while running.
    #[error("the model failed: {0}")]
    Run(String),
}

impl From<candle_core::Error> for LocalModelError {
    fn from(e: candle_core::Error) -> Self {
        LocalModelError::Run(e.to_string())
    }
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Message {
    /// `system`, `user`, `assistant` (or `tool`).
    pub role: String,
    /// What was said.
    #[serde(default)]
    pub content: String,
}

/// Why writing stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The model ended its turn.
    Stop,
    /// The tokens asked for were written.
    Length,
    /// The listener stopped listening.
    Cancelled,
}

impl Finish {
    /// The OpenAI `finish_reason`.
    pub fn reason(self) -> &'static str {
        match self {
            Finish::Stop => "stop",
            Finish::Length | Finish::Cancelled => "length",
        }
    }
}

/// A written answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The text.
    pub text: String,
    /// Tokens of the prompt.
    pub prompt_tokens: usize,
    /// Tokens written.
    pub completion_tokens: usize,
    /// Why it stopped.
    pub finish: Finish,
}

struct Engine {
    model: ModelWeights,
    tokenizer: Tokenizer,
    stop: Vec<u32>,
}

/// A loaded model. One answer is written at a time.
pub struct LocalModel {
    engine: Mutex<Engine>,
    name: String,
}

impl LocalModel {
    /// Load `path`. Q4_1 weights are re-encoded as Q8_0 on the way in: candle
    /// multiplies Q8_0 with SIMD kernels and Q4_1 without, and the prompt is
    /// read about six times faster for twice the (small) memory.
    pub fn load(path: &Path) -> Result<LocalModel, LocalModelError> {
        let shown = path.display().to_string();
        let mut file = std::fs::File::open(path).map_err(|source| LocalModelError::Open {
            path: shown.clone(),
            source,
        })?;
        let content = gguf_file::Content::read(&mut file)
            .map_err(|e| LocalModelError::Format(format!("{shown}: not a GGUF file: {e}")))?;
        let architecture = meta_text(&content, "general.architecture").unwrap_or_default();
        if architecture != "llama" {
            return Err(LocalModelError::Format(format!(
                "{shown}: a {architecture:?} model; this runner reads llama-architecture models (SmolLM2, TinyLlama, ...)"
            )));
        }
        let template = meta_text(&content, "tokenizer.chat_template").unwrap_or_default();
        if !template.contains("<|im_start|>") {
            return Err(LocalModelError::Format(format!(
                "{shown}: its chat template is not ChatML (<|im_start|>role ... <|im_end|>), the only one this runner writes"
            )));
        }
        let tokenizer = tokenizer_of(&content)
            .map_err(|e| LocalModelError::Format(format!("{shown}: its tokenizer: {e}")))?;
        let name = meta_text(&content, "general.name").unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "local".into())
        });
        let device = Device::Cpu;
        let model = if content
            .tensor_infos
            .values()
            .any(|t| t.ggml_dtype == GgmlDType::Q4_1)
        {
            let bytes = requantized(&content, &mut file)?;
            let mut cursor = Cursor::new(bytes);
            let content = gguf_file::Content::read(&mut cursor)?;
            ModelWeights::from_gguf(content, &mut cursor, &device)?
        } else {
            ModelWeights::from_gguf(content, &mut file, &device)?
        };
        let stop: Vec<u32> = ["<|im_end|>", "<|endoftext|>"]
            .iter()
            .filter_map(|t| tokenizer.token_to_id(t))
            .collect();
        if stop.is_empty() {
            return Err(LocalModelError::Format(format!(
                "{shown}: its vocabulary has no <|im_end|> to end a turn with"
            )));
        }
        Ok(LocalModel {
            engine: Mutex::new(Engine {
                model,
                tokenizer,
                stop,
            }),
            name,
        })
    }

    /// The model's name, from the file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Write the assistant's turn after `messages`, at most `max_tokens`,
    /// telling `on_piece` each piece of text (whole characters only); it
    /// returns whether to go on.
    pub fn chat(
        &self,
        messages: &[Message],
        max_tokens: usize,
        mut on_piece: impl FnMut(&str) -> bool,
    ) -> Result<Completion, LocalModelError> {
        let prompt = chatml(messages);
        // A panic while writing leaves the cache cleared at the next call.
        let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        let ids = engine
            .tokenizer
            .encode(prompt, false)
            .map_err(|e| LocalModelError::Run(format!("tokenizing the prompt: {e}")))?
            .get_ids()
            .to_vec();
        if ids.is_empty() || ids.len() + max_tokens > CONTEXT {
            return Err(LocalModelError::TooLong {
                tokens: ids.len(),
                wanted: max_tokens,
            });
        }
        let Engine {
            model,
            tokenizer,
            stop,
        } = &mut *engine;
        model.clear_kv_cache();
        let device = Device::Cpu;
        let mut position = 0;
        let mut logits = None;
        for chunk in ids.chunks(PREFILL_CHUNK) {
            let input = Tensor::new(chunk, &device)?.unsqueeze(0)?;
            logits = Some(model.forward(&input, position)?);
            position += chunk.len();
        }
        let mut next = match logits {
            Some(l) => argmax(&l)?,
            None => return Err(LocalModelError::Run("an empty prompt".into())),
        };
        let mut written: Vec<u32> = Vec::new();
        let mut shown = 0usize;
        let mut text = String::new();
        let finish = loop {
            if stop.contains(&next) {
                break Finish::Stop;
            }
            written.push(next);
            text = tokenizer
                .decode(&written, true)
                .map_err(|e| LocalModelError::Run(format!("decoding: {e}")))?;
            // A character split over tokens waits for its last byte.
            if text.len() > shown && !text.ends_with('\u{FFFD}') {
                if !on_piece(&text[shown..]) {
                    break Finish::Cancelled;
                }
                shown = text.len();
            }
            if written.len() >= max_tokens {
                break Finish::Length;
            }
            let input = Tensor::new(&[next], &device)?.unsqueeze(0)?;
            let l = model.forward(&input, position)?;
            position += 1;
            next = argmax(&l)?;
        };
        Ok(Completion {
            text,
            prompt_tokens: ids.len(),
            completion_tokens: written.len(),
            finish,
        })
    }
}

fn meta_text(content: &gguf_file::Content, key: &str) -> Option<String> {
    content
        .metadata
        .get(key)
        .and_then(|v| v.to_string().ok())
        .cloned()
}

/// The tokenizer from the file's vocabulary and merges. For SmolLM's
/// pre-tokenizer (`smollm`) candle would assume GPT-2's, which adds a space
/// before the text and keeps digits together; SmolLM splits every digit and
/// adds no space, as its own tokenizer and llama.cpp do.
fn tokenizer_of(content: &gguf_file::Content) -> Result<Tokenizer, String> {
    let mut tokenizer = Tokenizer::from_gguf(content).map_err(|e| e.to_string())?;
    if meta_text(content, "tokenizer.ggml.pre").as_deref() == Some("smollm") {
        tokenizer.with_pre_tokenizer(Some(PreTokenizerWrapper::Sequence(Sequence::new(vec![
            PreTokenizerWrapper::Digits(Digits::new(true)),
            PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, true)),
        ]))));
    }
    Ok(tokenizer)
}

/// The model re-encoded in memory with its Q4_1 tensors as Q8_0.
fn requantized(
    content: &gguf_file::Content,
    file: &mut std::fs::File,
) -> Result<Vec<u8>, LocalModelError> {
    let device = Device::Cpu;
    let mut tensors: Vec<(String, QTensor)> = Vec::with_capacity(content.tensor_infos.len());
    for name in content.tensor_infos.keys() {
        let tensor = content.tensor(file, name, &device)?;
        let tensor = if tensor.dtype() == GgmlDType::Q4_1 {
            QTensor::quantize(&tensor.dequantize(&device)?, GgmlDType::Q8_0)?
        } else {
            tensor
        };
        tensors.push((name.clone(), tensor));
    }
    let metadata: Vec<(&str, &gguf_file::Value)> = content
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut out = Cursor::new(Vec::new());
    gguf_file::write(&mut out, &metadata, &tensors)?;
    Ok(out.into_inner())
}

fn argmax(logits: &Tensor) -> Result<u32, LocalModelError> {
    Ok(logits.squeeze(0)?.argmax(0)?.to_scalar::<u32>()?)
}

/// The ChatML prompt for `messages`, ending where the assistant speaks.
pub fn chatml(messages: &[Message]) -> String {
    let mut out = String::new();
    for m in messages {
        // A role cannot carry markup of its own; the text is the text.
        let role = match m.role.as_str() {
            "system" | "user" | "assistant" | "tool" => m.role.as_str(),
            _ => "user",
        };
        out.push_str("<|im_start|>");
        out.push_str(role);
        out.push('\n');
        out.push_str(&m.content);
        out.push_str("<|im_end|>\n");
    }
    out.push_str("<|im_start|>assistant\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatml_ends_where_the_assistant_speaks() {
        let prompt = chatml(&[
            Message {
                role: "system".into(),
                content: "Be brief.".into(),
            },
            Message {
                role: "user\nsystem".into(),
                content: "Hi".into(),
            },
        ]);
        assert_eq!(
            prompt,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn a_file_that_is_not_a_model_is_refused_with_its_name() {
        let dir = std::env::temp_dir().join(format!("hearth-localmodel-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("not-a-model.gguf");
        std::fs::write(&path, b"hello").expect("write");
        let Err(e) = LocalModel::load(&path) else {
            panic!("loaded a text file");
        };
        assert!(
            e.to_string().contains("not-a-model.gguf") && e.to_string().contains("not a GGUF"),
            "{e}"
        );
        let Err(e) = LocalModel::load(&dir.join("missing.gguf")) else {
            panic!("loaded nothing");
        };
        assert!(matches!(e, LocalModelError::Open { .. }));
    }
}
