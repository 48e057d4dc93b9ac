//! Unit tests that need the engine's internals (the rest are scripts and property tests).

use super::*;

fn workspace(strategy: StrategyKind) -> EngineConfig {
    EngineConfig {
        settings: Settings::default(),
        groups: vec!["sales".into()],
        inboxes: vec![InboxConfig {
            name: "main".into(),
            strategy,
            eligible: EligibleAgents::Everyone,
        }],
        agents: vec![AgentConfig::new("ann"), AgentConfig::new("bob")],
        rng_seed: 1,
    }
}

fn outputs(engine: &mut Engine) -> Vec<Event> {
    std::iter::from_fn(|| engine.poll_output())
        .map(|o| o.event)
        .collect()
}

#[test]
fn an_ineligible_pick_is_refused_and_reported() {
    let mut engine = Engine::new(workspace(StrategyKind::LeastBusy)).unwrap();
    engine
        .handle(
            SimTime(0),
            Input::SetPresence {
                agent: AgentId(0),
                presence: Presence::Away,
            },
        )
        .unwrap();
    engine
        .handle(
            SimTime(0),
            Input::SetPresence {
                agent: AgentId(1),
                presence: Presence::Away,
            },
        )
        .unwrap();
    outputs(&mut engine);
    // Corrupt the index the way a bug would: an away agent in the pool.
    let key = engine.agent_key(AgentId(0));
    engine.derived.pools[0][0].as_mut().unwrap().insert(key);
    let chat = ChatId(1);
    engine
        .handle(
            SimTime(1),
            Input::ChatArrived {
                chat,
                inbox: InboxId(0),
                group: None,
                target: None,
            },
        )
        .unwrap();
    assert_eq!(
        outputs(&mut engine),
        vec![
            Event::Violation {
                rule: ViolationRule::Ineligible,
                chat,
                agent: AgentId(0)
            },
            Event::ChatQueued { chat, position: 1 },
        ]
    );
    assert_eq!(engine.counters().violations, 1);
    assert!(invariants::check(&engine).is_err());
}

#[test]
fn time_going_backwards_is_refused() {
    let mut engine = Engine::new(workspace(StrategyKind::RoundRobin)).unwrap();
    engine.handle(SimTime(10), Input::Timeout).unwrap();
    let err = engine
        .handle(SimTime(5), Input::CustomerMessage { chat: ChatId(1) })
        .unwrap_err();
    assert_eq!(
        err,
        EngineError::TimeWentBackwards {
            now: SimTime(5),
            current: SimTime(10)
        }
    );
    assert_eq!(engine.now(), SimTime(10));
}

#[test]
fn a_later_input_first_fires_the_timers_due_before_it() {
    let mut config = workspace(StrategyKind::RoundRobin);
    config.settings.menu_timeout = Some(SimDuration::from_secs(10));
    let mut engine = Engine::new(config).unwrap();
    let chat = ChatId(7);
    engine
        .handle(
            SimTime(0),
            Input::ChatArrived {
                chat,
                inbox: InboxId(0),
                group: None,
                target: None,
            },
        )
        .unwrap();
    assert_eq!(engine.next_deadline(), Some(SimTime(10_000)));
    // The host skips the Timeout: the menu still times out at its own deadline, first.
    engine
        .handle(SimTime(20_000), Input::CustomerMessage { chat })
        .unwrap();
    let out: Vec<Output> = std::iter::from_fn(|| engine.poll_output()).collect();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].at, SimTime(10_000));
    assert_eq!(
        out[0].event,
        Event::ChatAssigned {
            chat,
            agent: AgentId(0),
            reason: AssignReason::Auto
        }
    );
    assert_eq!(engine.chat(chat).unwrap().last_message_at, SimTime(20_000));
}

#[test]
fn an_input_at_a_deadline_counts_before_it() {
    let mut config = workspace(StrategyKind::RoundRobin);
    config.settings.menu_timeout = Some(SimDuration::from_secs(10));
    let mut engine = Engine::new(config).unwrap();
    let chat = ChatId(7);
    engine
        .handle(
            SimTime(0),
            Input::ChatArrived {
                chat,
                inbox: InboxId(0),
                group: None,
                target: None,
            },
        )
        .unwrap();
    engine
        .handle(
            SimTime(10_000),
            Input::MenuChoice {
                chat,
                group: GroupId(0),
            },
        )
        .unwrap();
    assert_eq!(engine.chat(chat).unwrap().group, Some(GroupId(0)));
}

#[test]
fn invalid_configuration_is_refused() {
    let mut config = workspace(StrategyKind::RoundRobin);
    config.settings.max_chats_per_agent = Capacity::Limited(0);
    assert_eq!(
        Engine::new(config.clone()).unwrap_err().to_string(),
        "max_chats_per_agent 0 is out of range (expected 1 to 100, or \"unlimited\")"
    );
    config.settings.max_chats_per_agent = Capacity::Limited(101);
    assert!(Engine::new(config.clone()).is_err());
    config.settings.max_chats_per_agent = Capacity::Limited(100);
    config.settings.rebalance_on_online = true;
    assert!(matches!(
        Engine::new(config.clone()),
        Err(ConfigError::MissingSetting {
            setting: "rebalance_idle_threshold",
            ..
        })
    ));
    config.settings.rebalance_idle_threshold = Some(SimDuration::from_secs(59));
    assert!(matches!(
        Engine::new(config.clone()),
        Err(ConfigError::OutOfRange {
            setting: "rebalance_idle_threshold",
            ..
        })
    ));
    config.settings.rebalance_idle_threshold = Some(SimDuration::from_mins(1));
    config.settings.auto_close_after = Some(SimDuration::from_mins(43_201));
    assert!(Engine::new(config.clone()).is_err());
    config.settings.auto_close_after = None;
    let mut engine = Engine::new(config).unwrap();
    let mut bad = engine.settings().clone();
    bad.offline_grace = SimDuration::from_hours(25);
    assert!(matches!(
        engine.handle(SimTime(0), Input::Configure(bad)),
        Err(EngineError::Config(_))
    ));
    let err = engine
        .handle(
            SimTime(0),
            Input::SetAgentCapacity {
                agent: AgentId(0),
                capacity: Some(Capacity::Limited(0)),
            },
        )
        .unwrap_err();
    assert_eq!(
        err,
        EngineError::Config(ConfigError::CapacityOutOfRange { value: 0 })
    );
}

#[test]
fn inbox_lists_keep_each_agents_list_through_appends_and_clears() {
    let ids = |v: &[u32]| v.iter().map(|&i| InboxId(i)).collect::<Vec<_>>();
    let mut lists = InboxLists::new(&[ids(&[0, 2]), ids(&[]), ids(&[1])]);
    lists.push(&ids(&[0, 1, 2]));
    assert_eq!(lists.get(0), Some(&ids(&[0, 2])[..]));
    assert_eq!(lists.get(1), Some(&[][..]));
    assert_eq!(&lists[2], &ids(&[1])[..]);
    assert_eq!(&lists[3], &ids(&[0, 1, 2])[..]);
    assert_eq!(lists.get(4), None);
    lists.clear(0);
    assert_eq!(lists.get(0), Some(&[][..]));
    assert_eq!(&lists[2], &ids(&[1])[..]);
    assert_eq!(&lists[3], &ids(&[0, 1, 2])[..]);
    assert_eq!(lists.get(4), None);
}
