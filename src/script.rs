//! Engine scripts: a workspace and timed inputs as text in, the engine's event log as text out.
//!
//! Scripts are how the engine's behaviour is pinned in tests (one script, one expected log)
//! and how a person replays a situation by hand (`chatsim engine-script FILE`). They drive
//! the engine exactly as the simulator does: inputs in file order (times must not decrease),
//! timers fired at their own deadlines, an input at the same instant as a deadline counting
//! first. This module does no I/O; it parses text and formats outputs.
//!
//! ```text
//! # declarations (before the first timed line)
//! group sales support
//! inbox web strategy=round-robin eligible=ann,bob   # default: one inbox "main", everyone
//! agent ann groups=sales capacity=2 presence=offline auto_assign=off role=admin
//! set max_chats_per_agent=3 offline_grace=2m menu=on menu_timeout=5m
//! seed 7
//! # timed inputs: H:MM:SS[.mmm] action args
//! 0:00:00 arrive c1 inbox=web group=sales target=ann
//! 0:00:05 presence ann offline
//! 0:02:00 tick
//! ```
//! Actions: `arrive`, `menu CHAT GROUP`, `msg CHAT`, `reply CHAT AGENT`, `presence AGENT P`,
//! `auto_assign AGENT on|off`, `capacity AGENT N|unlimited|default`, `set KEY=VALUE…`,
//! `strategy INBOX S`, `assign CHAT AGENT`, `claim CHAT AGENT`, `unassign CHAT`,
//! `takeover CHAT ADMIN`, `close CHAT [resolved|abandoned|bot_resolved]`, `tick` (fire due
//! timers), and the roster changes `add_agent NAME [key=value…]`, `remove_agent AGENT`,
//! `groups AGENT g1,g2|none`, `role AGENT agent|admin`, `inbox_agents INBOX a,b|everyone`.
//! `#N` names agent id N (e.g. a target that does not exist). A refused input is logged as
//! `ERROR <message>` and the script goes on. Timers fire as in the simulator: at their own
//! deadlines, and those due at an input's instant right after the last input of that instant.
//!
//! `set` takes the keys of a scenario's `[engine]` table (docs/engine.md#configuration, from
//! [`crate::engine::settings::SETTINGS`]), unquoted, with `on`/`off` for `true`/`false`;
//! `menu=5m` is short for `menu=on menu_timeout=5m`.

use crate::engine::settings::{self, Kind, Off, SettingSpec, Switch, Value};
use crate::engine::{
    AgentConfig, AgentId, Capacity, ChatId, CloseReason, EligibleAgents, Engine, EngineConfig, Event,
    GroupId, InboxConfig, InboxId, Input, Output, Presence, Recipient, Role, Settings, SimDuration, SimTime,
    StrategyKind,
};
use std::fmt::{self, Write as _};

/// A script that cannot be run: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column of the offending token.
    pub column: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ScriptError {}

/// Parses and runs a script; returns the event log, one output (or refused input) per line.
pub fn run(text: &str) -> Result<String, ScriptError> {
    let script = parse(text)?;
    let mut engine = Engine::new(script.config.clone()).map_err(|e| ScriptError {
        line: script.config_line,
        column: 1,
        message: format!("invalid workspace: {e}"),
    })?;
    let mut log = String::new();
    let flush = |engine: &mut Engine, log: &mut String| {
        while let Some(output) = engine.poll_output() {
            let _ = writeln!(log, "{}", format_output(engine.config(), &output));
        }
    };
    for (i, step) in script.steps.iter().enumerate() {
        // Timers due before this input fire at their own deadlines.
        while let Some(deadline) = engine.next_deadline().filter(|&d| d < step.at) {
            let _ = engine.handle(deadline, Input::Timeout);
            flush(&mut engine, &mut log);
        }
        let result = engine.handle(step.at, step.input.clone());
        flush(&mut engine, &mut log);
        if let Err(e) = result {
            let _ = writeln!(log, "{} ERROR {e}", step.at);
        }
        // After the last input of an instant, the timers due at that instant fire, as in
        // the simulator (docs/engine.md#same-instant-order).
        let last_of_instant = script.steps.get(i + 1).is_none_or(|next| next.at > step.at);
        if last_of_instant && engine.next_deadline().is_some_and(|d| d <= step.at) {
            let _ = engine.handle(step.at, Input::Timeout);
            flush(&mut engine, &mut log);
        }
    }
    Ok(log)
}

/// A parsed script.
#[derive(Clone, Debug)]
pub struct Script {
    /// The workspace.
    pub config: EngineConfig,
    /// Line of the last declaration (where workspace errors are reported).
    pub config_line: usize,
    /// Timed inputs in file order.
    pub steps: Vec<Step>,
}

/// One timed input.
#[derive(Clone, Debug)]
pub struct Step {
    /// When.
    pub at: SimTime,
    /// What.
    pub input: Input,
}

/// Formats one output as a log line, with names from the workspace.
pub fn format_output(config: &EngineConfig, output: &Output) -> String {
    let agent = |a: AgentId| {
        config
            .agents
            .get(a.index())
            .map_or_else(|| format!("#{}", a.0), |c| c.name.clone())
    };
    let chats = |list: &[ChatId]| {
        list.iter()
            .map(|c| format!("c{}", c.0))
            .collect::<Vec<_>>()
            .join(",")
    };
    let body = match &output.event {
        Event::ChatAssigned {
            chat,
            agent: a,
            reason,
        } => {
            format!("CHAT_ASSIGNED c{} -> {} ({})", chat.0, agent(*a), reason.name())
        }
        Event::ChatUnassigned {
            chat,
            agent: a,
            reason,
        } => {
            format!(
                "CHAT_UNASSIGNED c{} from {} ({})",
                chat.0,
                agent(*a),
                reason.name()
            )
        }
        Event::ChatQueued { chat, position } => format!("CHAT_QUEUED c{} #{position}", chat.0),
        Event::ChatTakenOver { chat, from, admin } => match from {
            Some(f) => format!(
                "CHAT_TAKEN_OVER c{} from {} by {}",
                chat.0,
                agent(*f),
                agent(*admin)
            ),
            None => format!("CHAT_TAKEN_OVER c{} by {}", chat.0, agent(*admin)),
        },
        Event::AgentChatsReassigned { agent: a, moves } => {
            let moves: Vec<String> = moves
                .iter()
                .map(|m| {
                    format!(
                        "c{}->{}",
                        m.chat.0,
                        m.to.map_or_else(|| "queue".to_owned(), agent)
                    )
                })
                .collect();
            format!("AGENT_CHATS_REASSIGNED {} {}", agent(*a), moves.join(","))
        }
        Event::ChatAssignmentSync {
            agent: a,
            chats: list,
            queued,
        } => {
            let mut s = format!("CHAT_ASSIGNMENT_SYNC {} chats=[{}]", agent(*a), chats(list));
            if let Some(q) = queued {
                let _ = write!(s, " queued=[{}]", chats(q));
            }
            s
        }
        Event::ChatClosed { chat, reason } => format!("CHAT_CLOSED c{} ({})", chat.0, reason.name()),
        Event::Violation { rule, chat, agent: a } => {
            format!("VIOLATION {rule:?} c{} {}", chat.0, agent(*a))
        }
    };
    let to: Vec<String> = output
        .to
        .iter()
        .map(|r| match r {
            Recipient::Agent(a) => agent(a),
            Recipient::AllAdmins => "admins".to_owned(),
            Recipient::AllAgentsAndAdmins => "everyone".to_owned(),
        })
        .collect();
    format!("{} {body} -> [{}]", output.at, to.join(", "))
}

/// Parses a duration such as `90s`, `5m`, `1h30m`, `250ms` or `0`.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    if text == "0" {
        return Ok(SimDuration::ZERO);
    }
    let expected = || format!("invalid duration \"{text}\" (expected e.g. 90s, 5m, 1h30m, 250ms)");
    let mut total: u64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return Err(expected());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(expected());
        }
        let value: u64 = rest[..digits].parse().map_err(|_| expected())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let factor = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(expected()),
        };
        rest = &rest[unit_len..];
        total = value
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(expected)?;
    }
    Ok(SimDuration(total))
}

/// Parses `H:MM:SS` or `H:MM:SS.mmm`.
pub fn parse_clock(text: &str) -> Result<SimTime, String> {
    let err = || format!("invalid time \"{text}\" (expected H:MM:SS or H:MM:SS.mmm)");
    let (hms, ms) = match text.split_once('.') {
        Some((hms, ms)) if ms.len() == 3 => (hms, ms.parse::<u64>().map_err(|_| err())?),
        Some(_) => return Err(err()),
        None => (text, 0),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return Err(err());
    };
    let num = |p: &str| p.parse::<u64>().map_err(|_| err());
    let (h, m, s) = (num(h)?, num(m)?, num(s)?);
    if m >= 60 || s >= 60 {
        return Err(err());
    }
    Ok(SimTime(((h * 60 + m) * 60 + s) * 1_000 + ms))
}

/// A token and its 1-based column.
#[derive(Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    column: usize,
}

struct Parser {
    config: EngineConfig,
    inbox_names: Vec<String>,
    /// Every agent's name by id: declared ones, then those added by `add_agent`.
    agent_names: Vec<String>,
    config_line: usize,
    steps: Vec<Step>,
    last_time: SimTime,
}

/// Parses a script without running it.
pub fn parse(text: &str) -> Result<Script, ScriptError> {
    let mut p = Parser {
        config: EngineConfig {
            settings: Settings::default(),
            groups: Vec::new(),
            inboxes: Vec::new(),
            agents: Vec::new(),
            rng_seed: 0,
        },
        inbox_names: Vec::new(),
        agent_names: Vec::new(),
        config_line: 1,
        steps: Vec::new(),
        last_time: SimTime::ZERO,
    };
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let content = raw.split('#').next().unwrap_or("");
        let tokens = tokenize(content);
        let Some(first) = tokens.first() else { continue };
        let err = |t: Token<'_>, message: String| ScriptError {
            line: line_no,
            column: t.column,
            message,
        };
        if first.text.contains(':') {
            if p.config.inboxes.is_empty() {
                p.add_default_inbox();
            }
            let at = parse_clock(first.text).map_err(|m| err(*first, m))?;
            if at < p.last_time {
                return Err(err(
                    *first,
                    format!("time {at} is before the previous line's {}", p.last_time),
                ));
            }
            p.last_time = at;
            let input = p
                .timed(&tokens[1..])
                .map_err(|(t, m)| err(t.unwrap_or(*first), m))?;
            p.steps.push(Step { at, input });
        } else {
            if !p.steps.is_empty() {
                return Err(err(
                    *first,
                    "declarations must come before the first timed line".into(),
                ));
            }
            p.declaration(&tokens)
                .map_err(|(t, m)| err(t.unwrap_or(*first), m))?;
            p.config_line = line_no;
        }
    }
    if p.config.inboxes.is_empty() {
        p.add_default_inbox();
    }
    Ok(Script {
        config: p.config,
        config_line: p.config_line,
        steps: p.steps,
    })
}

fn tokenize(line: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, ch) in line.char_indices().chain(std::iter::once((line.len(), ' '))) {
        match (ch.is_whitespace(), start) {
            (true, Some(s)) => {
                tokens.push(Token {
                    text: &line[s..i],
                    column: line[..s].chars().count() + 1,
                });
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    tokens
}

type ParseResult<'a, T> = Result<T, (Option<Token<'a>>, String)>;

fn expect_n<'a>(args: &[Token<'a>], n: usize, usage: &str) -> ParseResult<'a, ()> {
    if args.len() == n {
        Ok(())
    } else {
        Err((args.get(n).copied(), format!("expected: {usage}")))
    }
}

fn on_off(t: Token<'_>) -> ParseResult<'_, bool> {
    match t.text {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        other => Err((
            Some(t),
            format!("invalid switch \"{other}\" (expected on or off)"),
        )),
    }
}

fn key_value(t: Token<'_>) -> ParseResult<'_, (&str, Token<'_>)> {
    let (key, value) = t
        .text
        .split_once('=')
        .ok_or((Some(t), format!("expected key=value, found \"{}\"", t.text)))?;
    let column = t.column + key.chars().count() + 1;
    Ok((key, Token { text: value, column }))
}

fn one_of<'a, T: Copy>(t: Token<'a>, what: &str, options: &[(&str, T)]) -> ParseResult<'a, T> {
    options
        .iter()
        .find(|(name, _)| *name == t.text)
        .map(|&(_, v)| v)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            (
                Some(t),
                format!(
                    "unknown {what} \"{}\" (expected one of: {})",
                    t.text,
                    names.join(", ")
                ),
            )
        })
}

fn duration(t: Token<'_>) -> ParseResult<'_, SimDuration> {
    parse_duration(t.text).map_err(|m| (Some(t), m))
}

fn optional_duration(t: Token<'_>) -> ParseResult<'_, Option<SimDuration>> {
    if t.text == "off" {
        Ok(None)
    } else {
        duration(t).map(Some)
    }
}

fn capacity(t: Token<'_>) -> ParseResult<'_, Capacity> {
    if t.text == "unlimited" {
        return Ok(Capacity::Unlimited);
    }
    t.text.parse().map(Capacity::Limited).map_err(|_| {
        (
            Some(t),
            format!("invalid capacity \"{}\" (expected a number or unlimited)", t.text),
        )
    })
}

fn strategy(t: Token<'_>) -> ParseResult<'_, StrategyKind> {
    let options: Vec<(&str, StrategyKind)> = StrategyKind::ALL.iter().map(|s| (s.name(), *s)).collect();
    one_of(t, "strategy", &options)
}

fn presence(t: Token<'_>) -> ParseResult<'_, Presence> {
    one_of(
        t,
        "presence",
        &[
            ("available", Presence::Available),
            ("away", Presence::Away),
            ("offline", Presence::Offline),
        ],
    )
}

impl Parser {
    fn add_default_inbox(&mut self) {
        self.inbox_names.push("main".to_owned());
        self.config.inboxes.push(InboxConfig {
            name: "main".to_owned(),
            strategy: StrategyKind::RoundRobin,
            eligible: EligibleAgents::Everyone,
        });
    }

    /// The agent a name means: the latest one added under that name; `#N` is the raw id
    /// (to aim a chat at an agent that does not exist).
    fn agent<'a>(&self, t: Token<'a>) -> ParseResult<'a, AgentId> {
        if let Some(n) = t.text.strip_prefix('#').and_then(|n| n.parse().ok()) {
            return Ok(AgentId(n));
        }
        self.agent_names
            .iter()
            .rposition(|a| a == t.text)
            .map(|i| AgentId(i as u32))
            .ok_or((Some(t), format!("unknown agent \"{}\"", t.text)))
    }

    /// `NAME [role=… groups=… capacity=… presence=… auto_assign=…]`.
    fn agent_config<'a>(&self, args: &[Token<'a>], usage: &str) -> ParseResult<'a, AgentConfig> {
        let name = args.first().ok_or((None, format!("expected: {usage}")))?;
        let mut agent = AgentConfig::new(name.text);
        for &t in &args[1..] {
            match key_value(t)? {
                ("role", v) => {
                    agent.role = one_of(v, "role", &[("agent", Role::Agent), ("admin", Role::Admin)])?
                }
                ("groups", v) => agent.groups = self.groups(v)?,
                ("capacity", v) => agent.capacity = Some(capacity(v)?),
                ("presence", v) => agent.presence = presence(v)?,
                ("auto_assign", v) => agent.auto_assign = on_off(v)?,
                (k, _) => {
                    return Err((
                        Some(t),
                        format!(
                            "unknown agent key \"{k}\" (expected role, groups, capacity, presence or auto_assign)"
                        ),
                    ));
                }
            }
        }
        Ok(agent)
    }

    /// `g1,g2` or `none`.
    fn groups<'a>(&self, v: Token<'a>) -> ParseResult<'a, Vec<GroupId>> {
        if v.text == "none" {
            return Ok(Vec::new());
        }
        v.text
            .split(',')
            .map(|g| {
                self.group(Token {
                    text: g,
                    column: v.column,
                })
            })
            .collect()
    }

    /// `a,b` or `everyone`.
    fn eligible<'a>(&self, v: Token<'a>) -> ParseResult<'a, EligibleAgents> {
        if v.text == "everyone" {
            return Ok(EligibleAgents::Everyone);
        }
        v.text
            .split(',')
            .map(|n| {
                self.agent(Token {
                    text: n,
                    column: v.column,
                })
            })
            .collect::<Result<_, _>>()
            .map(EligibleAgents::Pinned)
    }

    fn group<'a>(&self, t: Token<'a>) -> ParseResult<'a, GroupId> {
        self.config
            .groups
            .iter()
            .position(|g| g == t.text)
            .map(|i| GroupId(i as u32))
            .ok_or((Some(t), format!("unknown group \"{}\"", t.text)))
    }

    fn inbox<'a>(&self, t: Token<'a>) -> ParseResult<'a, InboxId> {
        self.inbox_names
            .iter()
            .position(|n| n == t.text)
            .map(|i| InboxId(i as u32))
            .ok_or((Some(t), format!("unknown inbox \"{}\"", t.text)))
    }

    fn declaration<'a>(&mut self, tokens: &[Token<'a>]) -> ParseResult<'a, ()> {
        let args = &tokens[1..];
        match tokens[0].text {
            "group" => self.config.groups.extend(args.iter().map(|t| t.text.to_owned())),
            "seed" => {
                expect_n(args, 1, "seed N")?;
                self.config.rng_seed = args[0]
                    .text
                    .parse()
                    .map_err(|_| (Some(args[0]), "expected a whole number".to_owned()))?;
            }
            "set" => {
                set_settings(&mut self.config.settings, args)?;
            }
            "inbox" => {
                let name = args
                    .first()
                    .ok_or((None, "expected: inbox NAME strategy=S [eligible=a,b]".to_owned()))?;
                let mut inbox = InboxConfig {
                    name: name.text.to_owned(),
                    strategy: StrategyKind::RoundRobin,
                    eligible: EligibleAgents::Everyone,
                };
                for &t in &args[1..] {
                    match key_value(t)? {
                        ("strategy", v) => inbox.strategy = strategy(v)?,
                        ("eligible", v) => inbox.eligible = self.eligible(v)?,
                        (k, _) => {
                            return Err((
                                Some(t),
                                format!("unknown inbox key \"{k}\" (expected strategy or eligible)"),
                            ));
                        }
                    }
                }
                self.inbox_names.push(inbox.name.clone());
                self.config.inboxes.push(inbox);
            }
            "agent" => {
                let agent = self.agent_config(args, "agent NAME [key=value…]")?;
                self.agent_names.push(agent.name.clone());
                self.config.agents.push(agent);
            }
            other => {
                return Err((
                    Some(tokens[0]),
                    format!("unknown declaration \"{other}\" (expected group, inbox, agent, set or seed)"),
                ));
            }
        }
        Ok(())
    }

    fn chat<'a>(t: Token<'a>) -> ParseResult<'a, ChatId> {
        t.text
            .strip_prefix('c')
            .and_then(|n| n.parse().ok())
            .map(ChatId)
            .ok_or((
                Some(t),
                format!("invalid chat \"{}\" (expected c<number>)", t.text),
            ))
    }

    fn timed<'a>(&mut self, tokens: &[Token<'a>]) -> ParseResult<'a, Input> {
        let Some(action) = tokens.first() else {
            return Err((None, "expected an action after the time".to_owned()));
        };
        let args = &tokens[1..];
        let input = match action.text {
            "arrive" => {
                let chat = Self::chat(*args.first().ok_or((
                    None,
                    "expected: arrive CHAT [inbox=…] [group=…] [target=…]".to_owned(),
                ))?)?;
                let (mut inbox, mut group, mut target) = (InboxId(0), None, None);
                for &t in &args[1..] {
                    match key_value(t)? {
                        ("inbox", v) => inbox = self.inbox(v)?,
                        ("group", v) => group = Some(self.group(v)?),
                        ("target", v) => target = Some(self.agent(v)?),
                        (k, _) => {
                            return Err((
                                Some(t),
                                format!("unknown arrive key \"{k}\" (expected inbox, group or target)"),
                            ));
                        }
                    }
                }
                Input::ChatArrived {
                    chat,
                    inbox,
                    group,
                    target,
                }
            }
            "menu" => {
                expect_n(args, 2, "menu CHAT GROUP")?;
                Input::MenuChoice {
                    chat: Self::chat(args[0])?,
                    group: self.group(args[1])?,
                }
            }
            "msg" => {
                expect_n(args, 1, "msg CHAT")?;
                Input::CustomerMessage {
                    chat: Self::chat(args[0])?,
                }
            }
            "reply" => {
                expect_n(args, 2, "reply CHAT AGENT")?;
                Input::AgentMessage {
                    chat: Self::chat(args[0])?,
                    agent: self.agent(args[1])?,
                }
            }
            "presence" => {
                expect_n(args, 2, "presence AGENT available|away|offline")?;
                Input::SetPresence {
                    agent: self.agent(args[0])?,
                    presence: presence(args[1])?,
                }
            }
            "auto_assign" => {
                expect_n(args, 2, "auto_assign AGENT on|off")?;
                Input::SetAutoAssign {
                    agent: self.agent(args[0])?,
                    auto_assign: on_off(args[1])?,
                }
            }
            "capacity" => {
                expect_n(args, 2, "capacity AGENT N|unlimited|default")?;
                let capacity = if args[1].text == "default" {
                    None
                } else {
                    Some(capacity(args[1])?)
                };
                Input::SetAgentCapacity {
                    agent: self.agent(args[0])?,
                    capacity,
                }
            }
            "set" => {
                // Settings changes apply on top of the settings declared in the header and
                // every earlier `set` line.
                let mut settings = self
                    .steps
                    .iter()
                    .rev()
                    .find_map(|s| match &s.input {
                        // A refused change is not the baseline of the next one.
                        Input::Configure(s) if s.validate().is_ok() => Some(s.clone()),
                        _ => None,
                    })
                    .unwrap_or_else(|| self.config.settings.clone());
                set_settings(&mut settings, args)?;
                Input::Configure(settings)
            }
            "strategy" => {
                expect_n(args, 2, "strategy INBOX STRATEGY")?;
                Input::SetStrategy {
                    inbox: self.inbox(args[0])?,
                    strategy: strategy(args[1])?,
                }
            }
            "assign" | "claim" | "takeover" => {
                expect_n(args, 2, &format!("{} CHAT AGENT", action.text))?;
                let (chat, agent) = (Self::chat(args[0])?, self.agent(args[1])?);
                match action.text {
                    "assign" => Input::Assign { chat, agent },
                    "claim" => Input::Claim { chat, agent },
                    _ => Input::Takeover { chat, admin: agent },
                }
            }
            "unassign" => {
                expect_n(args, 1, "unassign CHAT")?;
                Input::Unassign {
                    chat: Self::chat(args[0])?,
                }
            }
            "close" => {
                let chat = Self::chat(
                    *args
                        .first()
                        .ok_or((None, "expected: close CHAT [reason]".to_owned()))?,
                )?;
                let reason = match args.get(1) {
                    Some(&t) => one_of(
                        t,
                        "close reason",
                        &[
                            ("resolved", CloseReason::Resolved),
                            ("abandoned", CloseReason::Abandoned),
                            ("bot_resolved", CloseReason::BotResolved),
                            ("auto_closed", CloseReason::AutoClosed),
                        ],
                    )?,
                    None => CloseReason::Resolved,
                };
                Input::Close { chat, reason }
            }
            "tick" => {
                expect_n(args, 0, "tick")?;
                Input::Timeout
            }
            "add_agent" => {
                let agent = self.agent_config(args, "add_agent NAME [key=value…]")?;
                self.agent_names.push(agent.name.clone());
                Input::AddAgent(agent)
            }
            "remove_agent" => {
                expect_n(args, 1, "remove_agent AGENT")?;
                Input::RemoveAgent {
                    agent: self.agent(args[0])?,
                }
            }
            "groups" => {
                expect_n(args, 2, "groups AGENT g1,g2|none")?;
                Input::SetAgentGroups {
                    agent: self.agent(args[0])?,
                    groups: self.groups(args[1])?,
                }
            }
            "role" => {
                expect_n(args, 2, "role AGENT agent|admin")?;
                Input::SetAgentRole {
                    agent: self.agent(args[0])?,
                    role: one_of(args[1], "role", &[("agent", Role::Agent), ("admin", Role::Admin)])?,
                }
            }
            "inbox_agents" => {
                expect_n(args, 2, "inbox_agents INBOX a,b|everyone")?;
                Input::SetInboxAgents {
                    inbox: self.inbox(args[0])?,
                    eligible: self.eligible(args[1])?,
                }
            }
            other => {
                return Err((
                    Some(*action),
                    format!(
                        "unknown action \"{other}\" (expected arrive, menu, msg, reply, presence, auto_assign, capacity, set, strategy, assign, claim, unassign, takeover, close, tick, add_agent, remove_agent, groups, role or inbox_agents)"
                    ),
                ));
            }
        };
        Ok(input)
    }
}

/// Applies one `set KEY=VALUE…` line: every key and value read through the settings schema,
/// with the spellings of scenario files (`on`/`off` for `true`/`false`, values unquoted);
/// `menu=5m` is `menu=on menu_timeout=5m`. A switch and its duration combine in either
/// order. Ranges are not checked here: the engine refuses a bad configuration itself.
fn set_settings<'a>(s: &mut Settings, args: &[Token<'a>]) -> ParseResult<'a, ()> {
    // (entry, what its switch key said, what its own key said), in first-written order.
    let mut written: Vec<(&SettingSpec, Option<Switch>, Option<Value>)> = Vec::new();
    for &t in args {
        let (key, v) = key_value(t)?;
        let (spec, is_switch) = settings::lookup(key).ok_or_else(|| {
            let keys: Vec<&str> = settings::keys().collect();
            (
                Some(t),
                format!("unknown setting \"{key}\" (expected one of: {})", keys.join(", ")),
            )
        })?;
        let i = match written.iter().position(|(w, _, _)| w.key == spec.key) {
            Some(i) => i,
            None => {
                written.push((spec, None, None));
                written.len() - 1
            }
        };
        if is_switch {
            written[i].1 = Some(match v.text {
                "on" | "true" => Switch::On,
                "off" | "false" => Switch::Off,
                _ => Switch::OnWith(
                    parse_duration(v.text).map_err(|m| (Some(v), format!("{m}, or on or off")))?,
                ),
            });
        } else {
            written[i].2 = Some(setting_value(spec, v)?);
        }
    }
    for (spec, switch, value) in written {
        let combined = spec.combine((spec.get)(s), switch, value);
        (spec.set)(s, combined);
    }
    Ok(())
}

/// The value of a setting's own key, as its kind in the schema reads it.
fn setting_value<'a>(spec: &SettingSpec, v: Token<'a>) -> ParseResult<'a, Value> {
    Ok(match spec.kind {
        Kind::Bool => Value::Bool(on_off(v)?),
        Kind::Capacity => Value::Capacity(capacity(v)?),
        Kind::Duration { .. } => Value::Duration(duration(v)?),
        Kind::OptionalDuration { off, .. } => Value::OptionalDuration(if off == Off::Word {
            optional_duration(v)?
        } else {
            Some(duration(v)?)
        }),
        Kind::Choice(names) => {
            let options: Vec<(&str, usize)> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
            Value::Choice(one_of(v, spec.key, &options)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_clocks() {
        assert_eq!(parse_duration("1h30m"), Ok(SimDuration::from_mins(90)));
        assert_eq!(parse_duration("250ms"), Ok(SimDuration(250)));
        assert!(parse_duration("5 m").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
        assert_eq!(parse_clock("1:02:03.004"), Ok(SimTime(3_723_004)));
        assert!(parse_clock("0:60:00").is_err());
    }

    fn settings_after(line: &str) -> Settings {
        parse(&format!("{line}\n"))
            .unwrap_or_else(|e| panic!("{line}: {e}"))
            .config
            .settings
    }

    #[test]
    fn set_takes_every_schema_key_as_scenario_files_spell_it() {
        use crate::engine::settings::SETTINGS;
        assert_eq!(settings_after("seed 1"), Settings::default());
        for spec in SETTINGS {
            // The default as a scenario file writes it, unquoted.
            let text = spec.display(spec.default).replace('"', "");
            if text != "none" {
                let s = settings_after(&format!("set {}={text}", spec.switch_key().unwrap_or(spec.key)));
                assert_eq!((spec.get)(&s), spec.default, "{}", spec.key);
            }
            if let Kind::Choice(names) = spec.kind {
                for (i, name) in names.iter().enumerate() {
                    let s = settings_after(&format!("set {}={name}", spec.key));
                    assert_eq!((spec.get)(&s), Value::Choice(i), "{}={name}", spec.key);
                }
            }
        }
        let s = settings_after("set offline_grace=0 max_chats_per_agent=3 enabled=false");
        assert_eq!(s.offline_grace, SimDuration::ZERO);
        assert_eq!(s.max_chats_per_agent, Capacity::Limited(3));
        assert!(!s.enabled);
    }

    #[test]
    fn set_menu_combines_the_switch_and_its_timeout_in_any_order() {
        let menu = |line: &str| settings_after(line).menu_timeout;
        let mins = |m| Some(SimDuration::from_mins(m));
        assert_eq!(menu("set menu_timeout=2m menu=on"), mins(2));
        assert_eq!(menu("set menu=on menu_timeout=2m"), mins(2));
        assert_eq!(menu("set menu=on"), mins(5));
        assert_eq!(menu("set menu=7m"), mins(7));
        assert_eq!(menu("set menu_timeout=2m"), None);
        assert_eq!(menu("set menu=on\nset menu_timeout=3m"), mins(3));
        assert_eq!(menu("set menu=3m\nset menu=off"), None);
    }

    #[test]
    fn set_refuses_unknown_keys_and_spellings() {
        let err = parse("set max_chat_per_agent=3\n").unwrap_err();
        assert_eq!((err.line, err.column), (1, 5));
        assert!(
            err.message.starts_with(
                "unknown setting \"max_chat_per_agent\" (expected one of: enabled, max_chats_per_agent,"
            ),
            "{}",
            err.message
        );
        let err = parse("set rotation_order=fifo\n").unwrap_err();
        assert_eq!(
            err.message,
            "unknown rotation_order \"fifo\" (expected one of: online-since, roster)"
        );
        // Only auto_close_after and group_overflow_after are written "off".
        assert!(parse("set rebalance_idle_threshold=off\n").is_err());
        assert!(parse("set auto_close_after=off group_overflow_after=off\n").is_ok());
    }

    #[test]
    fn errors_carry_line_and_column() {
        let err = parse("agent ann\n0:00:00 arrive c1 target=bob\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 26));
        assert_eq!(err.message, "unknown agent \"bob\"");
        let err = parse("0:00:05 tick\n0:00:01 tick\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 1));
    }
}
