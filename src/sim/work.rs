//! Work in progress under concurrency slowdown (PRODUCT.md §4 "Handle time").
//!
//! An agent holding k chats works each at rate 1/s(k), s(k) = 1 + α(k − 1): all of them
//! progress alike, so one *work clock* per agent — work done per chat since it started,
//! ∫ dt / s(k(t)) — tells how far every chat is. A chat attached at clock reading C with
//! remaining work R is done when the clock reads C + R; the agent's chats wait in an ordered
//! set by that reading and only the first has an `End` event. When k changes, the clock is
//! brought up to now at the old rate and the first chat's end is recomputed at the new one:
//! O(log k) per change, however many chats the agent holds, and no stale events pile up.
//!
//! Without slowdown (the plain path) each chat's end is simply scheduled when it is
//! attached, `remaining` ms later; `RunOptions::always_reschedule` runs the work clock
//! instead, and with α = 0 both give identical results (all clock arithmetic is on whole
//! milliseconds, exact in `f64`).

use super::{Class, Ev, Sim};
use crate::engine::{AgentId, ChatId, SimDuration, SimTime};
use std::collections::BTreeSet;

/// An agent's work clock and the chats waiting on it.
#[derive(Debug, Default)]
pub(super) struct AgentWork {
    /// Work done per chat (ms at concurrency 1) since the agent started, as of `at`.
    clock: f64,
    at: SimTime,
    /// Chats needing work, by the clock reading (as `f64` bits: non-negative, so ordered)
    /// at which each is done.
    finishing: BTreeSet<(u64, ChatId)>,
    /// The chat whose `End` event is scheduled.
    scheduled: Option<ChatId>,
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

    /// Schedules the end of `agent`'s first-finishing chat at the current rate, cancelling
    /// the previous one if another chat now finishes first.
    fn schedule_next_end(&mut self, agent: AgentId) {
        let f = self.factor(agent);
        let w = &mut self.agents[agent.index()].work;
        let first = w.finishing.first().copied();
        if let Some(previous) = w.scheduled
            && first.map(|(_, c)| c) != Some(previous)
        {
            w.scheduled = None;
            if let Some(c) = self.chats.get_mut(&previous) {
                c.version += 1;
                c.end_at = None;
            }
        }
        let Some((bits, chat)) = first else {
            return;
        };
        w.scheduled = Some(chat);
        let left = (f64::from_bits(bits) - w.clock).max(0.0);
        let end = w.at + SimDuration((left * f).ceil() as u64);
        if let Some(c) = self.chats.get_mut(&chat)
            && c.end_at != Some(end)
        {
            c.version += 1;
            c.end_at = Some(end);
            let version = c.version;
            self.queue
                .push(end, Class::Close, chat.0, Ev::End { chat, version });
        }
    }

    /// `agent` starts holding `chat`; its work resumes where it stopped.
    pub(super) fn start_work(&mut self, chat: ChatId, agent: AgentId, at: SimTime) {
        if self.general_work {
            self.advance_clock(agent, at);
        }
        self.agents[agent.index()].holding.push(chat);
        let Some(c) = self.chats.get_mut(&chat) else {
            return;
        };
        if c.left {
            // Nothing left to do but notice; the chat still counts in k.
        } else if self.general_work {
            let w = &mut self.agents[agent.index()].work;
            let target = w.clock + c.remaining;
            w.finishing.insert((target.to_bits(), chat));
            c.target = Some(target);
        } else {
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
        self.finish_work(chat, agent, at);
    }

    /// A silent customer left: `chat` stays with `agent` (and in their count) but needs no
    /// more work.
    pub(super) fn stop_needing_work(&mut self, chat: ChatId, agent: AgentId, at: SimTime) {
        if self.general_work {
            self.advance_clock(agent, at);
        }
        self.finish_work(chat, agent, at);
    }

    /// Takes `chat` off `agent`'s work (clock already brought up to `at`).
    fn finish_work(&mut self, chat: ChatId, agent: AgentId, at: SimTime) {
        let Some(c) = self.chats.get_mut(&chat) else {
            return;
        };
        c.version += 1;
        c.end_at = None;
        if self.general_work {
            let w = &mut self.agents[agent.index()].work;
            if let Some(target) = c.target.take() {
                w.finishing.remove(&(target.to_bits(), chat));
                c.remaining = (target - w.clock).max(0.0);
            }
            if w.scheduled == Some(chat) {
                w.scheduled = None;
            }
            self.schedule_next_end(agent);
        } else if !c.left {
            let worked = at.saturating_since(c.since).as_millis() as f64;
            c.remaining = (c.remaining - worked).max(0.0);
        }
    }
}
