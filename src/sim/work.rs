//! Work in progress under concurrency slowdown (docs/workload.md#handle-time).
//!
//! An agent holding k chats works each at rate 1/s(k), s(k) = 1 + α(k − 1): all of them
//! progress alike, so one *work clock* per agent — work done per chat since it started,
//! ∫ dt / s(k(t)) — tells how far every chat is. A chat attached at clock reading C with
//! remaining work R is done when the clock reads C + R; the agent's chats wait in an ordered
//! set by that reading and only the first has an `End` event. When k changes, the clock is
//! brought up to now at the old rate and the first chat's end is recomputed at the new one:
//! O(log k) per change, however many chats the agent holds, and no stale events pile up.
//!
//! The agent's first reply works the same way: its delay is work on the same clock (slowed
//! by s(k), re-timed when k changes), and the reply and the end of every chat wait in one
//! ordered set.
//!
//! Without slowdown (the plain path) each chat's end is simply scheduled when it is
//! attached, `remaining` ms later (its first reply the reply delay later); `RunOptions::always_reschedule` runs the work clock
//! instead, and with α = 0 both give identical results (all clock arithmetic is on whole
//! milliseconds, exact in `f64`).

use super::{Class, Ev, Sim, Stage};
use crate::engine::{AgentId, ChatId, SimDuration, SimTime};
use std::collections::BTreeSet;

/// An agent's work clock and the chats waiting on it.
#[derive(Debug, Default)]
pub(super) struct AgentWork {
    /// Work done per chat (ms at concurrency 1) since the agent started, as of `at`.
    clock: f64,
    at: SimTime,
    /// What is due, by the clock reading (as `f64` bits: non-negative, so ordered) at
    /// which it is done: a chat's end or its first reply.
    finishing: BTreeSet<(u64, ChatId, Due)>,
    /// What has its event scheduled.
    scheduled: Option<(ChatId, Due)>,
}

/// What comes due on an agent's work clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Due {
    /// The agent's first reply.
    Reply,
    /// The end of the chat's work.
    End,
}

impl Sim<'_> {
    /// Concurrency slowdown of `agent` now: s(k) = 1 + α(k − 1).
    pub(super) fn factor(&self, agent: AgentId) -> f64 {
        let k = self.agents[agent.index()].holding.len().max(1);
        1.0 + self.scenario.behaviour.slowdown * (k - 1) as f64
    }

    /// Brings `agent`'s work clock up to `now` at the current rate.
    fn advance_clock(&mut self, agent: AgentId, now: SimTime) {
        let f = self.factor(agent);
        let w = &mut self.agents[agent.index()].work;
        w.clock += now.saturating_since(w.at).as_millis() as f64 / f;
        w.at = now;
    }

    /// Schedules the event of what comes due first on `agent`'s clock at the current rate,
    /// cancelling the previous one if something else now comes first.
    fn schedule_next_end(&mut self, agent: AgentId) {
        let f = self.factor(agent);
        let w = &mut self.agents[agent.index()].work;
        let first = w.finishing.first().copied();
        if let Some((previous, due)) = w.scheduled
            && first.map(|(_, c, d)| (c, d)) != Some((previous, due))
        {
            w.scheduled = None;
            if let Some(c) = self.chats.get_mut(previous.0) {
                match due {
                    Due::End => {
                        c.version += 1;
                        c.end_at = None;
                    }
                    Due::Reply => {
                        c.reply_version += 1;
                        c.reply_at = None;
                    }
                }
            }
        }
        let Some((bits, chat, due)) = first else {
            return;
        };
        w.scheduled = Some((chat, due));
        let left = (f64::from_bits(bits) - w.clock).max(0.0);
        let at = w.at + SimDuration((left * f).ceil() as u64);
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        match due {
            Due::End if c.end_at != Some(at) => {
                c.version += 1;
                c.end_at = Some(at);
                let version = c.version;
                self.queue
                    .push(at, Class::Close, chat.0, Ev::End { chat, version });
            }
            Due::Reply if c.reply_at != Some(at) => {
                c.reply_version += 1;
                c.reply_at = Some(at);
                let version = c.reply_version;
                self.queue
                    .push(at, Class::Message, chat.0, Ev::FirstReply { chat, version });
            }
            _ => {}
        }
    }

    /// `agent` starts holding `chat`; its work resumes where it stopped.
    pub(super) fn start_work(&mut self, chat: ChatId, agent: AgentId, at: SimTime) {
        if self.general_work {
            self.advance_clock(agent, at);
        }
        self.agents[agent.index()].holding.push(chat);
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        if self.general_work {
            let w = &mut self.agents[agent.index()].work;
            if !c.responded
                && let Some(d) = c.draw.first_response_ms
            {
                // The reply delay starts over with each new agent.
                let target = w.clock + d as f64;
                w.finishing.insert((target.to_bits(), chat, Due::Reply));
                c.reply_target = Some(target);
            }
            if c.stage != Stage::Left {
                let target = w.clock + c.remaining;
                w.finishing.insert((target.to_bits(), chat, Due::End));
                c.target = Some(target);
            }
            // (A silent customer's chat needs nothing more but counts in k.)
        } else if c.stage != Stage::Left {
            c.since = at;
            c.version += 1;
            let end = at + SimDuration(c.remaining.ceil() as u64);
            c.end_at = Some(end);
            let version = c.version;
            self.queue
                .push(end, Class::Close, chat.0, Ev::End { chat, version });
        }
        if self.general_work {
            self.schedule_next_end(agent);
        }
    }

    /// `agent` stops holding `chat`; the work it got is kept in `remaining`.
    pub(super) fn stop_work(&mut self, chat: ChatId, agent: AgentId, at: SimTime) {
        if self.general_work {
            self.advance_clock(agent, at);
        }
        let holding = &mut self.agents[agent.index()].holding;
        if let Some(i) = holding.iter().position(|c| *c == chat) {
            holding.remove(i);
        }
        self.finish_work(chat, agent, at, false);
    }

    /// A silent customer left: `chat` stays with `agent` (and in their count) but needs no
    /// more work.
    pub(super) fn stop_needing_work(&mut self, chat: ChatId, agent: AgentId, at: SimTime) {
        if self.general_work {
            self.advance_clock(agent, at);
        }
        self.finish_work(chat, agent, at, true);
    }

    /// The first reply in `chat` was sent: it leaves `agent`'s clock.
    pub(super) fn reply_sent(&mut self, chat: ChatId, agent: AgentId, at: SimTime) {
        if !self.general_work {
            return;
        }
        self.advance_clock(agent, at);
        let w = &mut self.agents[agent.index()].work;
        if let Some(c) = self.chats.get_mut(chat.0)
            && let Some(target) = c.reply_target.take()
        {
            w.finishing.remove(&(target.to_bits(), chat, Due::Reply));
            c.reply_at = None;
        }
        if w.scheduled == Some((chat, Due::Reply)) {
            w.scheduled = None;
        }
        self.schedule_next_end(agent);
    }

    /// Takes `chat`'s end (and, unless `end_only`, its reply) off `agent`'s clock (already
    /// brought up to `at`).
    fn finish_work(&mut self, chat: ChatId, agent: AgentId, at: SimTime, end_only: bool) {
        let Some(c) = self.chats.get_mut(chat.0) else {
            return;
        };
        c.version += 1;
        c.end_at = None;
        if self.general_work {
            let w = &mut self.agents[agent.index()].work;
            if let Some(target) = c.target.take() {
                w.finishing.remove(&(target.to_bits(), chat, Due::End));
                c.remaining = (target - w.clock).max(0.0);
            }
            if w.scheduled == Some((chat, Due::End)) {
                w.scheduled = None;
            }
            if !end_only {
                if let Some(target) = c.reply_target.take() {
                    w.finishing.remove(&(target.to_bits(), chat, Due::Reply));
                    c.reply_at = None;
                }
                if w.scheduled == Some((chat, Due::Reply)) {
                    w.scheduled = None;
                }
            }
            self.schedule_next_end(agent);
        } else if c.stage != Stage::Left {
            let worked = at.saturating_since(c.since).as_millis() as f64;
            c.remaining = (c.remaining - worked).max(0.0);
        }
    }
}
