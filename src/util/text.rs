//! Text for messages: values quoted back to the user are cut to a readable length.

use std::borrow::Cow;

/// How many characters of a value a message quotes.
pub const QUOTED: usize = 80;

/// `text` cut to [`QUOTED`] characters, with "…" when anything was cut, so that one huge
/// cell or value is not echoed whole to the terminal.
pub fn clip(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(QUOTED) {
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(clip("web"), "web");
        let long = "é".repeat(QUOTED + 5);
        let cut = clip(&long);
        assert_eq!(cut.chars().count(), QUOTED + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(clip(&"a".repeat(QUOTED)), "a".repeat(QUOTED));
    }
}
