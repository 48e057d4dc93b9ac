//! Data-driven engine tests: each `tests/engine/NAME.script` holds a workspace, timed inputs
//! and, after a `==== expect` line, the exact event log the engine must produce.
//!
//! The expected log *is* the specification: it is derived by hand from the rule the script
//! pins (docs/engine.md#how-the-engine-is-tested), never copied from the engine's output,
//! so there is deliberately no switch that rewrites it. A mismatch prints both logs.

use std::path::PathBuf;

const MARKER: &str = "==== expect\n";

fn check(name: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/engine")
        .join(format!("{name}.script"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (script, expected) = text.split_once(MARKER).unwrap_or((&text, ""));
    let actual = chatsim::script::run(script).unwrap_or_else(|e| panic!("{}:{e}", path.display()));
    if actual == expected {
        return;
    }
    panic!(
        "{}: event log differs\n--- expected\n{expected}--- actual\n{actual}",
        path.display()
    );
}

macro_rules! scripts {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            check(stringify!($name));
        }
    )*};
}

scripts!(
    api_misuse_errors,
    assign_move_drains,
    auto_assign_toggle,
    auto_close_after_menu_timeout,
    auto_close_before_grace_same_instant,
    auto_close_boundary,
    auto_close_queued_assigned,
    away_skipped_manual_assign,
    capacity_counts_auto,
    capacity_limits,
    config_enabled_toggle,
    config_out_of_range_errors,
    fifo_same_instant_by_id,
    fifo_two_groups_no_hol_blocking,
    group_offline_member_never_picked,
    group_overflow,
    group_overflow_input_at_deadline,
    group_overflow_requeue_at_deadline,
    group_overflow_switched_off,
    group_routing_toggle_drains,
    inboxes_shared_load,
    least_busy_capacity_counts_auto,
    least_busy_drain_tie,
    least_busy_min_load,
    least_busy_tie_any_reason,
    menu_choice_at_deadline,
    menu_choice_timeout_late,
    menu_switched_off_releases_waiting,
    menu_target_without_group,
    menu_timeout_change_keeps_deadlines,
    notify_assignee_only,
    offline_enabled_off_queues,
    offline_grace0_drop_together,
    offline_grace_boundary,
    offline_grace_change_keeps_pending,
    offline_manual_grace,
    offline_manual_strategy_queues,
    offline_output_order_grace,
    offline_output_order_grace0,
    offline_reassign_assignment_order_vs_fifo,
    offline_reassign_off_orphans,
    offline_reassign_switched_off_cancels,
    offline_reassign_switched_on_later,
    offline_reconnect_away_cancels_grace,
    queue_order_received_not_routable,
    random_only_eligible,
    rebalance_after_grace0_same_instant,
    rebalance_available_donors_only,
    rebalance_connect_together,
    rebalance_donor_auto_assign_off,
    rebalance_from_away,
    rebalance_gap_below_two,
    rebalance_group_and_capacity,
    rebalance_group_overflow_never_queued,
    rebalance_needs_available_at_timer,
    rebalance_never_moves_manual,
    rebalance_no_chat_moves_twice,
    rebalance_per_inbox,
    rebalance_recent_never_moved,
    rebalance_then_drain,
    refused_input_fires_due_timers,
    requeue_offline_keeps_place,
    requeue_unassign_keeps_place,
    roster_add_agent,
    roster_add_agent_rebalance,
    roster_groups_change,
    roster_inbox_agents_change,
    roster_remove_admin_taken_over,
    roster_remove_agent,
    roster_role_change,
    rr_cursor_per_group,
    rr_cursor_reasons,
    rr_online_since_reconnect,
    rr_reconnect_no_second_turn,
    rr_reconnect_cursor_stays,
    auto_close_agent_reply_counts,
    target_wait_one_slot_two_chats,
    unassign_exclusion_ends_at_next_assignment,
    rr_roster_order,
    rr_rotation_abc,
    rr_rotation_order_change_clears_cursor,
    self_claim_reply,
    sync_on_connect,
    takeover_queued_and_assigned,
    target_admin_routed_at_once,
    target_auto_assign_off,
    target_away_routed_at_once,
    target_chat_routing,
    target_fallback_boundary,
    target_fallback_zero,
    target_leaves_during_wait,
    target_manual_informational,
    target_not_admitted_routed_at_once,
    target_offline_then_connects,
    target_removed_routed_at_once,
    timers_menu_before_fallback_same_instant,
    unassign_exclusion_manual_assign,
    unassign_exclusion_then_arrival,
    unassign_exclusion_until_next_assignment,
    unassign_manual_stays_queued,
    unassign_reroute,
    unassign_targeted_chat,
);

#[test]
fn every_script_file_has_a_test() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/engine");
    let source = include_str!("engine_scripts.rs");
    let list_start = source.find("\nscripts!(").expect("the scripts! list") + 10;
    let list_end = list_start
        + source[list_start..]
            .find(");")
            .expect("the end of the scripts! list");
    let listed: Vec<&str> = source[list_start..list_end]
        .split(|c: char| c == ',' || c.is_whitespace())
        .collect();
    for entry in std::fs::read_dir(&dir).expect("tests/engine exists") {
        let path = entry.expect("readable directory").path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        assert!(
            listed.contains(&stem.as_str()),
            "{} has no entry in the scripts! list of tests/it/engine_scripts.rs",
            path.display()
        );
    }
}
