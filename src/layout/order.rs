//! Backlog.md's ordering of cards within a column (its `reorder.ts`): a card moved between two
//! neighbours takes the ordinal half-way between theirs; when there is no room left (equal
//! ordinals) the column is renumbered in steps of 1000. tack does the same so that both tools
//! agree on the order after either one reorders.

/// The step between ordinals, and where a column starts.
pub const STEP: f64 = 1000.0;
/// Gaps this small count as no room (Backlog.md's epsilon).
const EPSILON: f64 = 1e-6;

/// The ordinal for a card placed between `prev` and `next` (their ordinals; `None` when there
/// is no neighbour there or it has none), and whether the column must be renumbered because
/// there is no room.
pub fn between(prev: Option<f64>, next: Option<f64>) -> (f64, bool) {
    match (prev, next) {
        (None, None) => (STEP, false),
        (None, Some(n)) => {
            let o = n / 2.0;
            (o, o <= 0.0 || o >= n - EPSILON)
        }
        (Some(p), None) => {
            let o = p + STEP;
            (o, !o.is_finite())
        }
        (Some(p), Some(n)) if n - p <= EPSILON => (p + STEP, true),
        (Some(p), Some(n)) => {
            let o = p + (n - p) / 2.0;
            (o, o - p <= EPSILON || n - o <= EPSILON)
        }
    }
}

/// The ordinals of a column in its new order, as Backlog.md's `resolveOrdinalConflicts` gives
/// them: with `renumber`, 1000, 2000, 3000…; otherwise each card keeps its ordinal unless it
/// has none or it is not above the previous card's, and then gets the previous one + 1000.
pub fn resolve_conflicts(ordinals: &[Option<f64>], renumber: bool) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::with_capacity(ordinals.len());
    for (i, ordinal) in ordinals.iter().enumerate() {
        let prev = out.last().copied();
        let new = match (renumber, *ordinal, prev) {
            (true, _, _) => STEP * (i + 1) as f64,
            (false, Some(o), Some(p)) if o <= p => p + STEP,
            (false, Some(o), _) => o,
            (false, None, Some(p)) => p + STEP,
            (false, None, None) => STEP,
        };
        out.push(new);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_goes_half_way_between_its_neighbours() {
        assert_eq!(between(Some(1000.0), Some(2000.0)), (1500.0, false));
        assert_eq!(between(None, Some(1000.0)), (500.0, false));
        assert_eq!(between(Some(3000.0), None), (4000.0, false));
        assert_eq!(between(None, None), (1000.0, false));
    }

    #[test]
    fn equal_neighbours_ask_for_a_renumbering() {
        assert!(between(Some(1000.0), Some(1000.0)).1);
        assert!(between(None, Some(0.0)).1);
        let ordinals = [Some(1000.0), Some(2000.0), Some(1000.0)];
        assert_eq!(
            resolve_conflicts(&ordinals, true),
            vec![1000.0, 2000.0, 3000.0]
        );
    }

    #[test]
    fn cards_without_ordinals_or_out_of_order_are_numbered_after_the_previous_one() {
        let ordinals = [None, Some(1000.0), None, Some(500.0), Some(9000.0)];
        assert_eq!(
            resolve_conflicts(&ordinals, false),
            vec![1000.0, 2000.0, 3000.0, 4000.0, 9000.0]
        );
    }
}
