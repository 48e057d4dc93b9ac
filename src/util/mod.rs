//! Self-contained helpers shared by several modules (no chatsim types).

pub mod special;
pub mod suggest;
pub mod text;
