//! The open chats: an [`IdMap`] by chat id, so the several lookups each input makes cost
//! a hash probe each instead of an ordered-map walk (and no values move on insert or
//! remove).
//!
//! The table's own order means nothing, so every ordered view here sorts the ids first:
//! [`Chats::iter`] and the serialized form give the chats by id, exactly as the ordered
//! map this replaced did (docs/engine.md#snapshots).

use crate::engine::id_map::IdMap;
use crate::engine::state::{Chat, ChatId};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// Open chats by id.
#[derive(Clone, Debug, Default)]
pub(crate) struct Chats(IdMap<Chat>);

impl Chats {
    /// The chat `id`, if open.
    #[inline]
    pub(crate) fn get(&self, id: &ChatId) -> Option<&Chat> {
        self.0.get(id.0)
    }

    /// The chat `id` mutably, if open.
    #[inline]
    pub(crate) fn get_mut(&mut self, id: &ChatId) -> Option<&mut Chat> {
        self.0.get_mut(id.0)
    }

    /// Whether `id` is open.
    pub(crate) fn contains_key(&self, id: &ChatId) -> bool {
        self.0.contains(id.0)
    }

    /// Adds (or replaces) a chat.
    pub(crate) fn insert(&mut self, id: ChatId, chat: Chat) {
        self.0.insert(id.0, chat);
    }

    /// Removes a chat; returns it.
    pub(crate) fn remove(&mut self, id: &ChatId) -> Option<Chat> {
        self.0.remove(id.0)
    }

    /// Number of open chats.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Every id, ascending.
    pub(crate) fn sorted_ids(&self) -> Vec<ChatId> {
        self.0.sorted_ids().into_iter().map(ChatId).collect()
    }

    /// Every chat, by id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (ChatId, &Chat)> {
        self.sorted_ids().into_iter().map(|id| (id, &self[&id]))
    }

    /// Every chat, in an order that means nothing: only for order-independent work.
    pub(crate) fn iter_any_order(&self) -> impl Iterator<Item = (ChatId, &Chat)> {
        self.0.iter_any_order().map(|(id, c)| (ChatId(id), c))
    }
}

impl std::ops::Index<&ChatId> for Chats {
    type Output = Chat;

    #[inline]
    fn index(&self, id: &ChatId) -> &Chat {
        self.get(id).expect("an open chat")
    }
}

impl Serialize for Chats {
    /// The same map, by id, that an ordered map of the chats serializes as.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (id, chat) in self.iter() {
            map.serialize_entry(&id, chat)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Chats {
    /// Reads the map [`Chats::serialize`] writes (a repeated id keeps its last chat, as an
    /// ordered map would).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<ChatId, Chat>::deserialize(deserializer)?;
        let mut chats = Self::default();
        for (id, chat) in map {
            chats.insert(id, chat);
        }
        Ok(chats)
    }
}
