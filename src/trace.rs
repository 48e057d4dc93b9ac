//! Traces (`chatsim trace`): one run's engine event log, and the chats whose fate differs
//! between two configurations on the same customers.
//!
//! Nothing here holds the event log. [`EventWriter`] writes each output as the simulator
//! drains it ([`crate::sim::run_observed`]); [`diff`] keeps one compact [`Fate`] per chat
//! (the agents it went to, its wait, how it ended) — for the first configuration every chat
//! of the run, for the second only its open chats, each compared and dropped when it closes.
//! A 10 000-agent day of 1.2 M chats (`benches/scenarios/sim-10k-plain.toml`) holds about
//! 140 MB of fates (the whole process peaks at 190 MB; a plain trace of it at 46 MB).
//!
//! # Formats
//!
//! `text` is the engine-script log ([`crate::script::format_output`]), one line per output:
//! `0:04:00 CHAT_ASSIGNED c1 -> cat (reassign) -> [cat, admins]`.
//!
//! `csv` has a header and one row per output, with the columns of [`CSV_COLUMNS`]; a cell
//! that does not apply to the event is empty:
//!
//! | column | holds |
//! |---|---|
//! | `time_ms` | milliseconds since the start of the run |
//! | `time` | the same as `h:mm:ss[.mmm]`, as in the text form |
//! | `event` | `CHAT_ASSIGNED`, `CHAT_UNASSIGNED`, `CHAT_QUEUED`, `CHAT_TAKEN_OVER`, `AGENT_CHATS_REASSIGNED`, `CHAT_ASSIGNMENT_SYNC`, `CHAT_CLOSED`, `VIOLATION` |
//! | `chat` | the chat's number (`12` for `c12`) |
//! | `agent` | the assignee, the previous agent (unassigned), the admin (taken over), the agent who went offline (reassigned) or connected (sync), the agent picked (violation) |
//! | `from` | the previous agent of a takeover |
//! | `reason` | why it was assigned, unassigned or closed; the rule of a violation |
//! | `position` | the queue position of CHAT_QUEUED |
//! | `detail` | the moves of AGENT_CHATS_REASSIGNED (`c1->cat,c4->queue`) or the chats of CHAT_ASSIGNMENT_SYNC (`chats=[c1,c2] queued=[c3]`), as in the text form |
//! | `to` | the recipients, `;`-separated: agent names, `admins`, `everyone` |
//!
//! `jsonl` is one JSON object per output with the same keys (absent when they do not
//! apply), except that AGENT_CHATS_REASSIGNED has `moves` (`[{"chat": 1, "to": "cat"}]`,
//! `to` null for the queue) and CHAT_ASSIGNMENT_SYNC has `chats` and, for admins, `queued`
//! (chat numbers) instead of `detail`, and `to` is an array.

use crate::engine::{
    AgentId, ChatId, CloseReason, EngineConfig, Event, Output, Recipient, SimDuration, SimTime,
};
use crate::scenario::Scenario;
use crate::sim::{self, RunOptions};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::{self, Write};

/// How a trace is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The engine-script text form, one line per event.
    Text,
    /// A header, then one row per event ([`CSV_COLUMNS`]).
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// The CSV columns of an event trace, in order (see the module documentation).
pub const CSV_COLUMNS: [&str; 10] = [
    "time_ms", "time", "event", "chat", "agent", "from", "reason", "position", "detail", "to",
];

/// The CSV columns of a diff: the chat, then each configuration's fate (see [`write_diff`]).
pub const DIFF_CSV_COLUMNS: [&str; 7] = [
    "chat",
    "a_assignees",
    "a_wait_ms",
    "a_end",
    "b_assignees",
    "b_wait_ms",
    "b_end",
];

/// The event's name, as in the text form.
pub fn event_name(event: &Event) -> &'static str {
    match event {
        Event::ChatAssigned { .. } => "CHAT_ASSIGNED",
        Event::ChatUnassigned { .. } => "CHAT_UNASSIGNED",
        Event::ChatQueued { .. } => "CHAT_QUEUED",
        Event::ChatTakenOver { .. } => "CHAT_TAKEN_OVER",
        Event::AgentChatsReassigned { .. } => "AGENT_CHATS_REASSIGNED",
        Event::ChatAssignmentSync { .. } => "CHAT_ASSIGNMENT_SYNC",
        Event::ChatClosed { .. } => "CHAT_CLOSED",
        Event::Violation { .. } => "VIOLATION",
    }
}

/// An agent's name in `config` (`#id` if the roster lacks them).
fn name(config: &EngineConfig, agent: AgentId) -> Cow<'_, str> {
    config.agents.get(agent.index()).map_or_else(
        || Cow::Owned(format!("#{}", agent.0)),
        |a| Cow::Borrowed(a.name.as_str()),
    )
}

/// `c1,c2`, as in the text form.
fn chat_list(list: &[ChatId]) -> String {
    list.iter()
        .map(|c| format!("c{}", c.0))
        .collect::<Vec<_>>()
        .join(",")
}

/// One output as the columns of the machine formats.
#[derive(Serialize)]
struct Row<'a> {
    time_ms: u64,
    time: String,
    event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    chat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<u32>,
    /// CSV only: the compound events' tail in text form.
    #[serde(skip)]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    moves: Option<Vec<JsonMove<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chats: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queued: Option<Vec<u64>>,
    to: Vec<Cow<'a, str>>,
}

#[derive(Serialize)]
struct JsonMove<'a> {
    chat: u64,
    to: Option<Cow<'a, str>>,
}

impl<'a> Row<'a> {
    fn new(config: &'a EngineConfig, output: &Output) -> Self {
        let agent = |a: AgentId| Some(name(config, a));
        let mut row = Row {
            time_ms: output.at.as_millis(),
            time: output.at.to_string(),
            event: event_name(&output.event),
            chat: None,
            agent: None,
            from: None,
            reason: None,
            position: None,
            detail: None,
            moves: None,
            chats: None,
            queued: None,
            to: output
                .to
                .iter()
                .map(|r| match r {
                    Recipient::Agent(a) => name(config, a),
                    Recipient::AllAdmins => Cow::Borrowed("admins"),
                    Recipient::AllAgentsAndAdmins => Cow::Borrowed("everyone"),
                })
                .collect(),
        };
        match &output.event {
            Event::ChatAssigned {
                chat,
                agent: a,
                reason,
            } => {
                (row.chat, row.agent, row.reason) = (Some(chat.0), agent(*a), Some(reason.name()));
            }
            Event::ChatUnassigned {
                chat,
                agent: a,
                reason,
            } => {
                (row.chat, row.agent, row.reason) = (Some(chat.0), agent(*a), Some(reason.name()));
            }
            Event::ChatQueued { chat, position } => {
                (row.chat, row.position) = (Some(chat.0), Some(*position))
            }
            Event::ChatTakenOver { chat, from, admin } => {
                (row.chat, row.agent, row.from) = (Some(chat.0), agent(*admin), from.and_then(agent));
            }
            Event::AgentChatsReassigned { agent: a, moves } => {
                row.agent = agent(*a);
                row.detail = Some(
                    moves
                        .iter()
                        .map(|m| {
                            format!(
                                "c{}->{}",
                                m.chat.0,
                                m.to.map_or(Cow::Borrowed("queue"), |t| name(config, t))
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                );
                row.moves = Some(
                    moves
                        .iter()
                        .map(|m| JsonMove {
                            chat: m.chat.0,
                            to: m.to.map(|t| name(config, t)),
                        })
                        .collect(),
                );
            }
            Event::ChatAssignmentSync {
                agent: a,
                chats,
                queued,
            } => {
                row.agent = agent(*a);
                let mut detail = format!("chats=[{}]", chat_list(chats));
                if let Some(q) = queued {
                    detail.push_str(&format!(" queued=[{}]", chat_list(q)));
                }
                row.detail = Some(detail);
                row.chats = Some(chats.iter().map(|c| c.0).collect());
                row.queued = queued.as_ref().map(|q| q.iter().map(|c| c.0).collect());
            }
            Event::ChatClosed { chat, reason } => {
                (row.chat, row.reason) = (Some(chat.0), Some(reason.name()))
            }
            Event::Violation { rule, chat, agent: a } => {
                let rule = match rule {
                    crate::engine::ViolationRule::Ineligible => "ineligible",
                };
                (row.chat, row.agent, row.reason) = (Some(chat.0), agent(*a), Some(rule));
            }
        }
        row
    }

    fn csv_record(&self) -> [String; 10] {
        let opt = |v: &Option<Cow<'_, str>>| v.as_deref().unwrap_or("").to_owned();
        [
            self.time_ms.to_string(),
            self.time.clone(),
            self.event.to_owned(),
            self.chat.map(|c| c.to_string()).unwrap_or_default(),
            opt(&self.agent),
            opt(&self.from),
            self.reason.unwrap_or("").to_owned(),
            self.position.map(|p| p.to_string()).unwrap_or_default(),
            self.detail.clone().unwrap_or_default(),
            self.to.join(";"),
        ]
    }
}

/// A CSV writer's error as the I/O error it wraps, so a closed pipe stays recognisable.
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A record as one line of JSON (serialized apart from the writer, so write errors stay
/// plain I/O errors).
fn json_line<T: Serialize>(record: &T) -> Vec<u8> {
    // Our records are plain structs of strings and numbers: serializing them cannot fail.
    serde_json::to_vec(record).unwrap_or_default()
}

enum Sink<W: Write> {
    Text(W),
    Csv(Box<csv::Writer<W>>),
    Jsonl(W),
}

/// Writes one run's outputs as they come, in one [`Format`], naming agents from the
/// workspace; holds nothing but the writer.
pub struct EventWriter<'c, W: Write> {
    config: &'c EngineConfig,
    sink: Sink<W>,
}

impl<'c, W: Write> EventWriter<'c, W> {
    /// A writer into `out` (the CSV header is written at once).
    pub fn new(config: &'c EngineConfig, format: Format, out: W) -> io::Result<Self> {
        let sink = match format {
            Format::Text => Sink::Text(out),
            Format::Jsonl => Sink::Jsonl(out),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(CSV_COLUMNS).map_err(csv_io)?;
                Sink::Csv(Box::new(w))
            }
        };
        Ok(Self { config, sink })
    }

    /// Writes one output.
    pub fn write(&mut self, output: &Output) -> io::Result<()> {
        match &mut self.sink {
            Sink::Text(w) => writeln!(w, "{}", crate::script::format_output(self.config, output)),
            Sink::Csv(w) => w
                .write_record(Row::new(self.config, output).csv_record())
                .map_err(csv_io),
            Sink::Jsonl(w) => {
                let mut line = json_line(&Row::new(self.config, output));
                line.push(b'\n');
                w.write_all(&line)
            }
        }
    }

    /// Flushes and returns the writer.
    pub fn finish(self) -> io::Result<W> {
        match self.sink {
            Sink::Text(mut w) | Sink::Jsonl(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Sink::Csv(w) => w.into_inner().map_err(|e| e.into_error()),
        }
    }
}

/// One hand a chat passed through: an assignment, or an admin's takeover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hand {
    /// The agent (or admin).
    pub agent: AgentId,
    /// Whether they took it over (CHAT_TAKEN_OVER) rather than being assigned it.
    pub takeover: bool,
}

/// The hands a chat passed through, in order: most chats have one, kept inline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Hands {
    /// Never assigned.
    #[default]
    None,
    /// One hand.
    One(Hand),
    /// Two or more.
    Many(Box<[Hand]>),
}

impl Hands {
    /// The hands in order.
    pub fn as_slice(&self) -> &[Hand] {
        match self {
            Self::None => &[],
            Self::One(h) => std::slice::from_ref(h),
            Self::Many(list) => list,
        }
    }

    fn push(&mut self, hand: Hand) {
        *self = match std::mem::take(self) {
            Self::None => Self::One(hand),
            other => {
                let mut list = other.as_slice().to_vec();
                list.push(hand);
                Self::Many(list.into_boxed_slice())
            }
        };
    }
}

/// What happened to one chat in one run: the compact summary `--diff` compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fate {
    /// When it first needed a human: its first CHAT_QUEUED, CHAT_ASSIGNED or
    /// CHAT_TAKEN_OVER (the `needs_human_at` of the wait metrics).
    pub needs_human_at: SimTime,
    /// First assignment (or takeover) − `needs_human_at`; `None` if it never got an agent.
    pub wait: Option<SimDuration>,
    /// Everyone it was assigned to or taken over by, in order.
    pub hands: Hands,
    /// How it closed; `None` if it was still open when the run ended.
    pub end: Option<CloseReason>,
}

impl Fate {
    fn new(at: SimTime) -> Self {
        Self {
            needs_human_at: at,
            wait: None,
            hands: Hands::None,
            end: None,
        }
    }

    fn served(&mut self, at: SimTime, hand: Hand) {
        if self.wait.is_none() {
            self.wait = Some(at.saturating_since(self.needs_human_at));
        }
        self.hands.push(hand);
    }

    /// Whether the customer left the queue before being served.
    pub fn abandoned(&self) -> bool {
        self.end == Some(CloseReason::Abandoned)
    }

    /// Whether a reader would tell the two apart: another sequence of hands, another wait,
    /// or another ending (abandoned, resolved, auto-closed, still open). When it first
    /// needed a human is not compared: that is the customer's doing, not the configuration's.
    pub fn differs(&self, other: &Self) -> bool {
        self.differs_by(other, |a, b| a == b)
    }

    /// [`Fate::differs`] with agents compared by `same` (two configurations may number
    /// the same person differently, e.g. when a team grows: compare them by name).
    pub fn differs_by(&self, other: &Self, same: impl Fn(AgentId, AgentId) -> bool) -> bool {
        let (mine, theirs) = (self.hands.as_slice(), other.hands.as_slice());
        let hands_differ = mine.len() != theirs.len()
            || mine
                .iter()
                .zip(theirs)
                .any(|(a, b)| a.takeover != b.takeover || !same(a.agent, b.agent));
        hands_differ || self.wait != other.wait || self.end != other.end
    }
}

/// Follows a run's outputs and keeps the fate of each open chat.
#[derive(Debug, Default)]
pub struct FateTracker {
    open: BTreeMap<ChatId, Fate>,
}

impl FateTracker {
    /// Follows one output; returns a chat's final fate when it closes.
    pub fn observe(&mut self, output: &Output) -> Option<(ChatId, Fate)> {
        let at = output.at;
        match output.event {
            Event::ChatQueued { chat, .. } => {
                self.open.entry(chat).or_insert_with(|| Fate::new(at));
            }
            Event::ChatAssigned { chat, agent, .. } => {
                let fate = self.open.entry(chat).or_insert_with(|| Fate::new(at));
                fate.served(
                    at,
                    Hand {
                        agent,
                        takeover: false,
                    },
                );
            }
            Event::ChatTakenOver { chat, admin, .. } => {
                let fate = self.open.entry(chat).or_insert_with(|| Fate::new(at));
                fate.served(
                    at,
                    Hand {
                        agent: admin,
                        takeover: true,
                    },
                );
            }
            Event::ChatClosed { chat, reason } => {
                let mut fate = self.open.remove(&chat).unwrap_or_else(|| Fate::new(at));
                fate.end = Some(reason);
                return Some((chat, fate));
            }
            // Reassignments and rebalance moves also come as CHAT_ASSIGNED or CHAT_QUEUED.
            Event::ChatUnassigned { .. }
            | Event::AgentChatsReassigned { .. }
            | Event::ChatAssignmentSync { .. }
            | Event::Violation { .. } => {}
        }
        None
    }

    /// The chats still open, with their fates so far, by chat.
    pub fn into_open(self) -> impl Iterator<Item = (ChatId, Fate)> {
        self.open.into_iter()
    }
}

/// The chats whose fate differs between two runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Chats that needed a human in either run.
    pub chats: u64,
    /// The differing chats, by chat: the fate in the first and in the second run (`None`
    /// if the chat never needed a human in that run, e.g. with another volume).
    pub differ: Vec<(ChatId, Option<Fate>, Option<Fate>)>,
}

/// Builds a [`Diff`] from the first run's fates and the second run's, as they come.
struct Differ {
    first: BTreeMap<ChatId, Fate>,
    chats: u64,
    differ: Vec<(ChatId, Option<Fate>, Option<Fate>)>,
    /// For each agent of the second run, the same person's id in the first (by name).
    to_first: Vec<Option<AgentId>>,
}

impl Differ {
    fn second(&mut self, chat: ChatId, fate: Fate) {
        let to_first = &self.to_first;
        let same = |a: AgentId, b: AgentId| to_first.get(b.index()).copied().flatten() == Some(a);
        match self.first.remove(&chat) {
            Some(a) if !a.differs_by(&fate, same) => {}
            Some(a) => self.differ.push((chat, Some(a), Some(fate))),
            None => {
                self.chats += 1;
                self.differ.push((chat, None, Some(fate)));
            }
        }
    }

    fn finish(mut self) -> Diff {
        self.differ.extend(
            std::mem::take(&mut self.first)
                .into_iter()
                .map(|(c, a)| (c, Some(a), None)),
        );
        self.differ.sort_by_key(|(c, _, _)| *c);
        Diff {
            chats: self.chats,
            differ: self.differ,
        }
    }
}

/// Runs replication `replication` of `a` and then of `b` (the same customers: common random
/// numbers) and lists the chats whose fate differs. Holds every chat's fate of the first run
/// and the open chats of the second, never an event.
pub fn diff(a: &Scenario, b: &Scenario, replication: u64) -> Diff {
    let mut tracker = FateTracker::default();
    let mut first = BTreeMap::new();
    let Ok(_) = sim::run_observed(a, replication, RunOptions::default(), |o| {
        if let Some((chat, fate)) = tracker.observe(o) {
            first.insert(chat, fate);
        }
        Ok::<(), Infallible>(())
    });
    first.extend(tracker.into_open());
    let mut differ = Differ {
        chats: first.len() as u64,
        first,
        differ: Vec::new(),
        to_first: {
            let by_name: std::collections::HashMap<&str, AgentId> = a
                .engine
                .agents
                .iter()
                .enumerate()
                .map(|(i, x)| (x.name.as_str(), AgentId(i as u32)))
                .collect();
            b.engine
                .agents
                .iter()
                .map(|x| by_name.get(x.name.as_str()).copied())
                .collect()
        },
    };
    let mut tracker = FateTracker::default();
    let Ok(_) = sim::run_observed(b, replication, RunOptions::default(), |o| {
        if let Some((chat, fate)) = tracker.observe(o) {
            differ.second(chat, fate);
        }
        Ok::<(), Infallible>(())
    });
    for (chat, fate) in tracker.into_open() {
        differ.second(chat, fate);
    }
    differ.finish()
}

/// One configuration of a diff, for printing: its label and workspace (agent names).
#[derive(Clone, Copy, Debug)]
pub struct Side<'a> {
    /// The configuration's label.
    pub label: &'a str,
    /// Its workspace.
    pub config: &'a EngineConfig,
}

/// `12.345 s`, `3.000 s`, `0 s` (milliseconds, so decimal points align).
fn seconds(d: SimDuration) -> String {
    match d.as_millis() {
        0 => "0 s".to_owned(),
        ms => format!("{}.{:03} s", ms / 1_000, ms % 1_000),
    }
}

fn hand_names(config: &EngineConfig, fate: &Fate) -> Vec<String> {
    fate.hands
        .as_slice()
        .iter()
        .map(|h| {
            let n = name(config, h.agent);
            if h.takeover {
                format!("{n} (takeover)")
            } else {
                n.into_owned()
            }
        })
        .collect()
}

fn end_name(fate: &Fate) -> &'static str {
    fate.end.map_or("open", CloseReason::name)
}

/// The line before a diff: `12 of 840 chats differ between A "…" and B "…" (replication
/// r): 12 in assignees, 3 in wait, 1 in ending` — a chat counted once per way it differs.
pub fn diff_summary(diff: &Diff, sides: [Side<'_>; 2], replication: u64) -> String {
    let mut text = format!(
        "{} of {} chats differ between A \"{}\" and B \"{}\" (replication {replication})",
        diff.differ.len(),
        diff.chats,
        sides[0].label,
        sides[1].label
    );
    let (mut hands, mut wait, mut end, mut one_run) = (0, 0, 0, 0);
    for (_, a, b) in &diff.differ {
        match (a, b) {
            (Some(a), Some(b)) => {
                hands += u32::from(a.hands != b.hands);
                wait += u32::from(a.wait != b.wait);
                end += u32::from(a.end != b.end);
            }
            _ => one_run += 1,
        }
    }
    if !diff.differ.is_empty() {
        text.push_str(&format!(
            ": {hands} in assignees, {wait} in wait, {end} in ending"
        ));
        if one_run > 0 {
            text.push_str(&format!(", {one_run} in one run only"));
        }
    }
    text
}

/// Writes a diff in one format. Text: the [`diff_summary`] line, then (if any differ) a
/// header and one aligned line per chat, A's fate then B's: assignees in order (`→`; a
/// takeover marked), wait in seconds (`—` never assigned), ending (`resolved`, `abandoned`,
/// `auto_closed`, `open` at the end of the run). CSV ([`DIFF_CSV_COLUMNS`]) and JSON lines:
/// one record per chat, assignees `;`-separated (an array in JSON), waits in milliseconds
/// (empty or null if never assigned), a side empty (null) if the chat was not in that run;
/// their summary line is the caller's to print elsewhere.
pub fn write_diff<W: Write>(
    diff: &Diff,
    sides: [Side<'_>; 2],
    replication: u64,
    format: Format,
    out: W,
) -> io::Result<W> {
    match format {
        Format::Text => write_diff_text(diff, sides, replication, out),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(DIFF_CSV_COLUMNS).map_err(csv_io)?;
            for (chat, a, b) in &diff.differ {
                let mut record = vec![chat.0.to_string()];
                for (side, fate) in sides.iter().zip([a, b]) {
                    match fate {
                        Some(f) => record.extend([
                            hand_names(side.config, f).join(";"),
                            f.wait.map(|w| w.as_millis().to_string()).unwrap_or_default(),
                            end_name(f).to_owned(),
                        ]),
                        None => record.extend([String::new(), String::new(), String::new()]),
                    }
                }
                w.write_record(&record).map_err(csv_io)?;
            }
            w.into_inner().map_err(|e| e.into_error())
        }
        Format::Jsonl => {
            #[derive(Serialize)]
            struct JsonFate {
                assignees: Vec<String>,
                wait_ms: Option<u64>,
                end: &'static str,
            }
            #[derive(Serialize)]
            struct JsonDiff {
                chat: u64,
                a: Option<JsonFate>,
                b: Option<JsonFate>,
            }
            let mut out = out;
            for (chat, a, b) in &diff.differ {
                let fate = |side: &Side<'_>, f: &Option<Fate>| {
                    f.as_ref().map(|f| JsonFate {
                        assignees: hand_names(side.config, f),
                        wait_ms: f.wait.map(SimDuration::as_millis),
                        end: end_name(f),
                    })
                };
                let record = JsonDiff {
                    chat: chat.0,
                    a: fate(&sides[0], a),
                    b: fate(&sides[1], b),
                };
                let mut line = json_line(&record);
                line.push(b'\n');
                out.write_all(&line)?;
            }
            out.flush()?;
            Ok(out)
        }
    }
}

/// The widest the assignee columns of a text diff are padded to.
const MAX_ASSIGNEES_WIDTH: usize = 32;

fn write_diff_text<W: Write>(
    diff: &Diff,
    sides: [Side<'_>; 2],
    replication: u64,
    mut out: W,
) -> io::Result<W> {
    writeln!(out, "{}", diff_summary(diff, sides, replication))?;
    if diff.differ.is_empty() {
        out.flush()?;
        return Ok(out);
    }
    let cells = |side: &Side<'_>, fate: &Option<Fate>| -> [String; 3] {
        match fate {
            Some(f) => {
                let hands = hand_names(side.config, f);
                [
                    if hands.is_empty() {
                        "—".to_owned()
                    } else {
                        hands.join(" → ")
                    },
                    f.wait.map_or_else(|| "—".to_owned(), seconds),
                    end_name(f).to_owned(),
                ]
            }
            None => ["not in this run".to_owned(), String::new(), String::new()],
        }
    };
    let header: [String; 7] =
        ["chat", "A assignees", "wait", "end", "B assignees", "wait", "end"].map(str::to_owned);
    // Column widths need every row; the rows are the differing chats only.
    let rows: Vec<[String; 7]> = diff
        .differ
        .iter()
        .map(|(chat, a, b)| {
            let [a0, a1, a2] = cells(&sides[0], a);
            let [b0, b1, b2] = cells(&sides[1], b);
            [format!("c{}", chat.0), a0, a1, a2, b0, b1, b2]
        })
        .collect();
    let mut widths = [0; 7];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // A chat passed through many hands overflows its line rather than widening every line.
    for i in [1, 4] {
        widths[i] = widths[i].min(MAX_ASSIGNEES_WIDTH);
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            let sep = match i {
                0 => "",
                4 => "  │  ",
                _ => "  ",
            };
            line.push_str(sep);
            // Waits align right, everything else left.
            if i == 2 || i == 5 {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    out.flush()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{AssignReason, Recipients};

    fn config() -> EngineConfig {
        crate::script::parse("agent ann\nagent bob role=admin\n")
            .unwrap()
            .config
    }

    fn out(at: u64, event: Event) -> Output {
        Output {
            at: SimTime(at),
            event,
            to: Recipients::two(Recipient::Agent(AgentId(0)), Recipient::AllAdmins),
        }
    }

    #[test]
    fn the_formats_carry_the_same_event() {
        let config = config();
        let o = out(
            240_000,
            Event::ChatAssigned {
                chat: ChatId(1),
                agent: AgentId(0),
                reason: AssignReason::Reassign,
            },
        );
        let write = |format| {
            let mut w = EventWriter::new(&config, format, Vec::new()).unwrap();
            w.write(&o).unwrap();
            String::from_utf8(w.finish().unwrap()).unwrap()
        };
        assert_eq!(
            write(Format::Text),
            "0:04:00 CHAT_ASSIGNED c1 -> ann (reassign) -> [ann, admins]\n"
        );
        assert_eq!(
            write(Format::Csv),
            "time_ms,time,event,chat,agent,from,reason,position,detail,to\n\
             240000,0:04:00,CHAT_ASSIGNED,1,ann,,reassign,,,ann;admins\n"
        );
        assert_eq!(
            write(Format::Jsonl),
            "{\"time_ms\":240000,\"time\":\"0:04:00\",\"event\":\"CHAT_ASSIGNED\",\"chat\":1,\"agent\":\"ann\",\"reason\":\"reassign\",\"to\":[\"ann\",\"admins\"]}\n"
        );
    }

    #[test]
    fn a_fate_is_its_hands_wait_and_ending() {
        let mut t = FateTracker::default();
        assert!(
            t.observe(&out(
                1_000,
                Event::ChatQueued {
                    chat: ChatId(7),
                    position: 1
                }
            ))
            .is_none()
        );
        t.observe(&out(
            4_500,
            Event::ChatAssigned {
                chat: ChatId(7),
                agent: AgentId(0),
                reason: AssignReason::Drain,
            },
        ));
        t.observe(&out(
            9_000,
            Event::ChatTakenOver {
                chat: ChatId(7),
                from: Some(AgentId(0)),
                admin: AgentId(1),
            },
        ));
        let (chat, fate) = t
            .observe(&out(
                20_000,
                Event::ChatClosed {
                    chat: ChatId(7),
                    reason: CloseReason::Resolved,
                },
            ))
            .unwrap();
        assert_eq!(chat, ChatId(7));
        assert_eq!(fate.wait, Some(SimDuration(3_500)));
        assert_eq!(
            fate.hands.as_slice(),
            [
                Hand {
                    agent: AgentId(0),
                    takeover: false
                },
                Hand {
                    agent: AgentId(1),
                    takeover: true
                }
            ]
        );
        assert!(!fate.abandoned());
        assert_eq!(t.into_open().count(), 0);
        let config = config();
        let side = Side {
            label: "x",
            config: &config,
        };
        let abandoned = Fate {
            end: Some(CloseReason::Abandoned),
            ..Fate::new(SimTime(1_000))
        };
        assert!(fate.differs(&abandoned));
        let diff = Diff {
            chats: 3,
            differ: vec![(ChatId(7), Some(fate), Some(abandoned))],
        };
        let text =
            String::from_utf8(write_diff(&diff, [side, side], 0, Format::Text, Vec::new()).unwrap()).unwrap();
        assert_eq!(
            text,
            "1 of 3 chats differ between A \"x\" and B \"x\" (replication 0): 1 in assignees, 1 in wait, 1 in ending\n\
             chat  A assignees              wait  end       │  B assignees  wait  end\n\
             c7    ann → bob (takeover)  3.500 s  resolved  │  —               —  abandoned\n"
        );
    }
}
