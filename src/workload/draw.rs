//! What a chat is born with: every random attribute, each from its own keyed stream.
//!
//! Each attribute has its own stream keyed by (seed, replication, purpose, chat id), so a
//! chat's work, patience, bot phase, menu choice, silence, replies and takeover never depend
//! on the cell, on the order chats are simulated in, or on each other's parameters:
//! switching the bot share on does not change anybody's handle time.

use crate::engine::{AgentId, ChatId, GroupId, InboxId, Role, SimTime};
use crate::scenario::{Scenario, TraceArrival};
use crate::workload::{Purpose, Rng, entity_seed, name_id, purpose_key, stream, unit};
use rand_core::SeedableRng;

/// Chats added by a volume multiplier above 1 are numbered from here, so base chat k keeps
/// id k (and its attribute streams) whatever the multiplier.
pub const EXTRA_CHAT_BASE: u64 = 1 << 40;

/// Copies of one trace row get ids `EXTRA_CHAT_BASE + row · COPY_STRIDE + j`.
pub const COPY_STRIDE: u64 = 128;

/// The attributes a chat is born with (drawn from its own streams).
#[derive(Clone, Debug, PartialEq)]
pub struct ChatDraw {
    /// Id.
    pub chat: ChatId,
    /// When the customer starts (with the bot, if there is one).
    pub at: SimTime,
    /// Inbox.
    pub inbox: InboxId,
    /// Group, if known on arrival (trace, group shares, bot hand-off).
    pub group: Option<GroupId>,
    /// Agent the chat is aimed at (trace, bot hand-off).
    pub target: Option<AgentId>,
    /// Work to resolve it (ms at concurrency 1).
    pub work_ms: u64,
    /// How long the customer waits in the queue before leaving.
    pub patience_ms: Option<u64>,
    /// The bot resolved it: it never needs an agent.
    pub bot_resolved: bool,
    /// Time in the bot before hand-off (0 without a bot).
    pub bot_phase_ms: u64,
    /// The customer's menu pick, if they pick: delay and group.
    pub menu: Option<(u64, GroupId)>,
    /// A silent abandoner leaves after this fraction of their work has passed in
    /// conversation.
    pub silent_after: Option<f64>,
    /// The agent's first reply after assignment (at concurrency 1).
    pub first_response_ms: Option<u64>,
    /// How long after the last message the agent notices a silent customer left.
    pub notice_ms: u64,
    /// An admin takes it over this long after its first assignment.
    pub takeover: Option<(u64, AgentId)>,
}

/// Draws chats for one replication of a scenario.
#[derive(Debug)]
pub struct Draws<'s> {
    scenario: &'s Scenario,
    replication: u64,
    /// Per inbox, the agents a bot may aim one of its chats at: those of role agent the
    /// inbox routes to, roster order.
    targets: Vec<Vec<AgentId>>,
    admins: Vec<AgentId>,
    /// Per purpose, the stream key hashed up to the entity: one mix per chat stream instead
    /// of four ([`crate::workload::stream_seed`]).
    keys: [u64; PURPOSES],
}

/// One more than the largest [`Purpose`] discriminant.
const PURPOSES: usize = Purpose::TraceCopies as usize + 1;

impl<'s> Draws<'s> {
    /// Draws for replication `replication` of `scenario`.
    pub fn new(scenario: &'s Scenario, replication: u64) -> Self {
        let by_role = |role: Role| {
            scenario
                .engine
                .agents
                .iter()
                .enumerate()
                .filter(|(_, a)| a.role == role)
                .map(|(i, _)| AgentId(i as u32))
                .collect()
        };
        let agents: Vec<AgentId> = by_role(Role::Agent);
        let targets = scenario
            .engine
            .inboxes
            .iter()
            .map(|inbox| match &inbox.eligible {
                crate::engine::EligibleAgents::Everyone => agents.clone(),
                crate::engine::EligibleAgents::Pinned(list) => {
                    agents.iter().copied().filter(|a| list.contains(a)).collect()
                }
            })
            .collect();
        let mut keys = [0; PURPOSES];
        for (p, key) in keys.iter_mut().enumerate() {
            *key = purpose_key(scenario.seed, replication, p as u64);
        }
        Self {
            scenario,
            replication,
            targets,
            admins: by_role(Role::Admin),
            keys,
        }
    }

    /// The replication drawn for.
    pub fn replication(&self) -> u64 {
        self.replication
    }

    fn stream(&self, purpose: Purpose, chat: ChatId) -> Rng {
        Rng::seed_from_u64(entity_seed(self.keys[purpose as usize], chat.0))
    }

    /// Chat `chat`'s attributes, arriving at `at`, from trace row `row` if it replays one.
    /// `None` when a volume multiplier below 1 thins it out.
    pub fn chat(&self, chat: ChatId, at: SimTime, row: Option<&TraceArrival>) -> Option<ChatDraw> {
        let s = self.scenario;
        let mut attr = self.stream(Purpose::ChatAttributes, chat);
        let thin = unit(&mut attr);
        if chat.0 < EXTRA_CHAT_BASE && s.volume < 1.0 && thin >= s.volume {
            return None;
        }
        let (u_inbox, u_group) = (unit(&mut attr), unit(&mut attr));
        let inbox = row
            .and_then(|r| r.inbox)
            .unwrap_or_else(|| InboxId(pick_share(&s.inbox_shares, u_inbox).unwrap_or(0) as u32));
        let mut group = match row {
            Some(r) if r.group.is_some() => r.group,
            _ => pick_share(&s.group_shares, u_group).map(|g| GroupId(g as u32)),
        };
        let mut target = row.and_then(|r| r.target);
        let work_ms = match row.and_then(|r| r.work_ms) {
            Some(w) => w,
            None => {
                let dist = group
                    .and_then(|g| s.handle_time_by_group.get(g.index()).and_then(Option::as_ref))
                    .unwrap_or(&s.handle_time);
                dist.sample_ms(&mut self.stream(Purpose::Work, chat)).max(1)
            }
        };
        let patience_ms = s
            .patience
            .as_ref()
            .map(|d| d.sample_ms(&mut self.stream(Purpose::Patience, chat)));
        let c = &s.customers;
        // A stream whose draws cannot change anything (its behaviour is off) is not even
        // seeded: every draw below is compared against a share or used only when its
        // behaviour is on, so skipping it gives exactly the same chat.
        let (mut bot_resolved, mut bot_phase_ms) = (false, 0);
        let bot_on =
            c.bot_resolved > 0.0 || c.bot_phase.is_some() || !c.bot_groups.is_empty() || c.bot_target > 0.0;
        if bot_on {
            // Bot: resolved? phase, group, target.
            let mut bot = self.stream(Purpose::Bot, chat);
            let (u_resolved, u_bot_group, u_target, u_who) =
                (unit(&mut bot), unit(&mut bot), unit(&mut bot), unit(&mut bot));
            bot_resolved = u_resolved < c.bot_resolved;
            bot_phase_ms = c.bot_phase.as_ref().map_or(0, |d| d.sample_ms(&mut bot));
            if group.is_none() {
                group = pick_share(&c.bot_groups, u_bot_group).map(|g| GroupId(g as u32));
            }
            let pool = &self.targets[inbox.index()];
            if target.is_none() && u_target < c.bot_target && !pool.is_empty() {
                target = Some(pool[(u_who * pool.len() as f64) as usize % pool.len()]);
            }
        }
        // Menu: picks? when, which group.
        let menu = c.menu_delay.as_ref().and_then(|d| {
            let mut menu = self.stream(Purpose::Menu, chat);
            let (u_pick, u_which) = (unit(&mut menu), unit(&mut menu));
            let delay = d.sample_ms(&mut menu);
            let total: f64 = c.menu_weights.iter().sum();
            let g = pick_share(
                &c.menu_weights.iter().map(|w| w / total).collect::<Vec<_>>(),
                u_which,
            )
            .unwrap_or(c.menu_weights.len().saturating_sub(1));
            (u_pick < c.menu_choice && total > 0.0).then_some((delay, GroupId(g as u32)))
        });
        let silent_after = (c.silent_abandonment > 0.0)
            .then(|| {
                let mut silent = self.stream(Purpose::Silent, chat);
                let (u_silent, u_when) = (unit(&mut silent), unit(&mut silent));
                (u_silent < c.silent_abandonment).then_some(u_when)
            })
            .flatten();
        let b = &s.behaviour;
        let (mut first_response_ms, mut notice_ms) = (None, 0);
        if b.first_response.is_some() || b.notice_delay.is_some() {
            let mut reply = self.stream(Purpose::Reply, chat);
            first_response_ms = b.first_response.as_ref().map(|d| d.sample_ms(&mut reply));
            notice_ms = b.notice_delay.as_ref().map_or(0, |d| d.sample_ms(&mut reply));
        }
        let takeover = match &b.takeover_delay {
            Some(d) if b.takeover > 0.0 && !self.admins.is_empty() => {
                let mut tk = self.stream(Purpose::Takeover, chat);
                let (u_takeover, u_admin) = (unit(&mut tk), unit(&mut tk));
                (u_takeover < b.takeover).then(|| {
                    (
                        d.sample_ms(&mut tk),
                        self.admins[(u_admin * self.admins.len() as f64) as usize % self.admins.len()],
                    )
                })
            }
            _ => None,
        };
        Some(ChatDraw {
            chat,
            at,
            inbox,
            group,
            target,
            work_ms,
            patience_ms,
            bot_resolved,
            bot_phase_ms,
            menu,
            silent_after,
            first_response_ms,
            notice_ms,
            takeover,
        })
    }

    /// The generator of an agent's claim delays (manual mode).
    pub fn claims(&self, agent: AgentId) -> Rng {
        let name = &self.scenario.engine.agents[agent.index()].name;
        stream(
            self.scenario.seed,
            self.replication,
            Purpose::Claims,
            name_id(name),
        )
    }

    /// The generator of a chat's message gaps.
    pub fn messages(&self, chat: ChatId) -> Rng {
        self.stream(Purpose::Messages, chat)
    }
}

/// Chat `chat`'s attributes in replication `replication` of `scenario`, generated (not
/// replayed) at `at`; see [`Draws::chat`].
pub fn draw_chat(scenario: &Scenario, replication: u64, chat: ChatId, at: SimTime) -> Option<ChatDraw> {
    Draws::new(scenario, replication).chat(chat, at, None)
}

/// Index of the share `u` falls in (shares in order); `None` past their sum.
pub(crate) fn pick_share(shares: &[f64], u: f64) -> Option<usize> {
    let mut acc = 0.0;
    for (i, s) in shares.iter().enumerate() {
        acc += s;
        if u < acc {
            return Some(i);
        }
    }
    None
}
