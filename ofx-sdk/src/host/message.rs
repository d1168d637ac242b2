//! Messages a plugin posts through the Message suite, recorded per effect so that a failing action can be
//! reported with what the plugin said, and a front end can print them as they arrive.

use std::cell::Cell;
use std::collections::VecDeque;
use std::ffi::CStr;
use std::sync::Mutex;

use crate::ofx_str;

use super::handles::lock;

/// The kind of a message (`kOfxMessageError` ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageLevel {
    Fatal,
    Error,
    Warning,
    Message,
    Log,
    Question,
}

impl MessageLevel {
    /// The level the OpenFX constant names; `None` for anything else.
    pub fn from_cstr(s: &CStr) -> Option<MessageLevel> {
        [
            (ofx_str!(kOfxMessageFatal), MessageLevel::Fatal),
            (ofx_str!(kOfxMessageError), MessageLevel::Error),
            (ofx_str!(kOfxMessageWarning), MessageLevel::Warning),
            (ofx_str!(kOfxMessageMessage), MessageLevel::Message),
            (ofx_str!(kOfxMessageLog), MessageLevel::Log),
            (ofx_str!(kOfxMessageQuestion), MessageLevel::Question),
        ]
        .into_iter()
        .find(|(c, _)| *c == s)
        .map(|(_, l)| l)
    }

    /// Lower-case name, as `ofx-host` prints it: `[error] ...`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageLevel::Fatal => "fatal",
            MessageLevel::Error => "error",
            MessageLevel::Warning => "warning",
            MessageLevel::Message => "message",
            MessageLevel::Log => "log",
            MessageLevel::Question => "question",
        }
    }
}

impl std::fmt::Display for MessageLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message from the plugin. Text that is not UTF-8 is converted lossily (it is only displayed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Message {
    pub level: MessageLevel,
    /// The plugin's message id, when it gave a non-empty one.
    pub id: Option<String>,
    pub text: String,
    /// Posted with `setPersistentMessage`.
    pub persistent: bool,
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.level, self.text)?;
        if self.persistent {
            f.write_str(" (persistent)")?;
        }
        Ok(())
    }
}

/// The newest messages are kept; a plugin that logs every row must not grow the host without bound.
const KEEP: usize = 1000;

#[derive(Default)]
struct LogInner {
    entries: VecDeque<Message>,
    /// Sequence number of `entries[0]`.
    first: u64,
    /// Sequence number of the first message `take_unread` has not returned.
    read: u64,
    persistent: Option<Message>,
}

/// The messages of one effect (descriptor or instance).
#[derive(Default)]
pub(crate) struct MessageLog {
    inner: Mutex<LogInner>,
}

impl MessageLog {
    pub(crate) fn post(&self, message: Message) {
        let mut log = lock(&self.inner);
        if message.persistent {
            log.persistent = Some(message.clone());
        }
        log.entries.push_back(message);
        if log.entries.len() > KEEP {
            log.entries.pop_front();
            log.first += 1;
        }
    }

    pub(crate) fn clear_persistent(&self) {
        lock(&self.inner).persistent = None;
    }

    pub(crate) fn persistent(&self) -> Option<Message> {
        lock(&self.inner).persistent.clone()
    }

    /// A position to collect the messages of one action from.
    pub(crate) fn mark(&self) -> u64 {
        let log = lock(&self.inner);
        log.first + log.entries.len() as u64
    }

    /// The messages posted since `mark`, plus the persistent message if it was set earlier.
    pub(crate) fn since(&self, mark: u64) -> Vec<Message> {
        let log = lock(&self.inner);
        let skip = usize::try_from(mark.saturating_sub(log.first)).unwrap_or(usize::MAX);
        let mut out: Vec<Message> = log.entries.iter().skip(skip).cloned().collect();
        if let Some(p) = &log.persistent
            && !out.contains(p)
        {
            out.push(p.clone());
        }
        out
    }

    /// Messages not returned by an earlier call.
    pub(crate) fn take_unread(&self) -> Vec<Message> {
        let mut log = lock(&self.inner);
        let skip = usize::try_from(log.read.saturating_sub(log.first)).unwrap_or(usize::MAX);
        let out: Vec<Message> = log.entries.iter().skip(skip).cloned().collect();
        log.read = log.first + log.entries.len() as u64;
        out
    }
}

thread_local! {
    /// The effect whose action this thread is running (or the effect of the render that spawned it), so
    /// a message posted with a null handle can still be attributed.
    static CURRENT_EFFECT: Cell<usize> = const { Cell::new(0) };
}

/// Sets the thread's current effect for the life of the guard.
pub(crate) struct CurrentEffect {
    previous: usize,
}

impl CurrentEffect {
    pub(crate) fn enter(effect: usize) -> CurrentEffect {
        CurrentEffect {
            previous: CURRENT_EFFECT.with(|c| c.replace(effect)),
        }
    }

    pub(crate) fn get() -> usize {
        CURRENT_EFFECT.with(Cell::get)
    }
}

impl Drop for CurrentEffect {
    fn drop(&mut self) {
        CURRENT_EFFECT.with(|c| c.set(self.previous));
    }
}

/// Messages posted with a null handle outside any action.
pub(crate) static ORPHANS: std::sync::LazyLock<MessageLog> =
    std::sync::LazyLock::new(MessageLog::default);

/// Takes the messages plugins posted with a null handle outside any action this host ran.
pub fn take_orphan_messages() -> Vec<super::Message> {
    ORPHANS.take_unread()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str, persistent: bool) -> Message {
        Message {
            level: MessageLevel::Error,
            id: None,
            text: text.into(),
            persistent,
        }
    }

    #[test]
    fn marks_collect_an_actions_messages() {
        let log = MessageLog::default();
        log.post(msg("old", false));
        let mark = log.mark();
        log.post(msg("new", false));
        assert_eq!(log.since(mark), vec![msg("new", false)]);
        assert_eq!(log.take_unread().len(), 2);
        assert!(log.take_unread().is_empty());
    }

    #[test]
    fn persistent_message_joins_later_errors() {
        let log = MessageLog::default();
        log.post(msg("model missing", true));
        let mark = log.mark();
        assert_eq!(log.since(mark), vec![msg("model missing", true)]);
        log.clear_persistent();
        assert!(log.since(mark).is_empty());
    }

    #[test]
    fn log_is_bounded() {
        let log = MessageLog::default();
        for i in 0..(KEEP + 10) {
            log.post(msg(&i.to_string(), false));
        }
        let all = log.take_unread();
        assert_eq!(all.len(), KEEP);
        assert_eq!(all[0].text, "10");
    }
}
