//! "Did you mean …?": the closest known word to a misspelt one.

/// The closest of `candidates` to `word` by edit distance, if close enough to suggest.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Nobody misspells a 100-character name; and the distance of a 10 MB cell would cost
    // its length times every candidate's.
    if word.len() > MAX_WORD {
        return None;
    }
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let close = candidates
        .iter()
        .filter(|c| c.len() <= MAX_WORD)
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c);
    // A word cut short ("steady" for "steady-state") is also worth suggesting.
    close.or_else(|| {
        candidates
            .into_iter()
            .find(|c| word.len() >= 4 && c.starts_with(word))
    })
}

/// Words longer than this (in bytes) get no suggestion.
const MAX_WORD: usize = 100;

/// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions ("strat" → "start") each cost 1.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}
