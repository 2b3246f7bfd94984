//! The pure rules of gamification: default points per difficulty, levels from a threshold table,
//! daily and weekly streaks with freezes in the patient's own calendar, and the prerequisite graph
//! of missions (a DAG; a cycle is named). No I/O, no clock: dates are given.

use std::collections::{BTreeMap, BTreeSet};

use crate::enums::Difficulty;

/// The points a mission of this difficulty gives unless its definition says otherwise.
pub fn default_points(d: Difficulty) -> i64 {
    match d {
        Difficulty::Easy => 10,
        Difficulty::Medium => 25,
        Difficulty::Hard => 50,
        Difficulty::Expert => 100,
    }
}

/// Experience needed for each level, from level 1 (always 0): strictly increasing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levels(Vec<i64>);

impl Levels {
    /// The default curve: level 2 at 100 XP, each next level 1.5 times further than the last
    /// (100, 250, 475, 812, …), 30 levels.
    pub fn geometric() -> Self {
        let mut thresholds = vec![0i64];
        let mut step = 100.0f64;
        for _ in 1..30 {
            let last = *thresholds.last().unwrap_or(&0);
            thresholds.push(last + step.round() as i64);
            step *= 1.5;
        }
        Levels(thresholds)
    }

    /// An organization's own table: starts at 0, strictly increasing, at most 100 levels.
    pub fn custom(thresholds: Vec<i64>) -> Result<Self, String> {
        if thresholds.first() != Some(&0) {
            return Err("the first level starts at 0 experience points".into());
        }
        if thresholds.len() > 100 {
            return Err("at most 100 levels".into());
        }
        if thresholds.windows(2).any(|w| w[1] <= w[0]) {
            return Err("thresholds must increase strictly".into());
        }
        Ok(Levels(thresholds))
    }

    /// The level reached with `experience` points (1-based).
    pub fn level_for(&self, experience: i64) -> i64 {
        self.0.iter().take_while(|&&t| t <= experience).count().max(1) as i64
    }

    pub fn thresholds(&self) -> &[i64] {
        &self.0
    }
}

/// A streak's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Streak {
    pub current: i64,
    pub longest: i64,
    /// The last period (a day number, or a week number) with activity.
    pub last_period: Option<i64>,
    pub freezes_available: i64,
}

/// What an activity did to a streak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreakChange {
    pub streak: Streak,
    /// Freezes used to bridge missed periods (the patient is told).
    pub freezes_used: i64,
    /// The streak was broken and starts again at 1.
    pub reset: bool,
}

/// Records activity in `period` (consecutive integers: days since an epoch in the patient's time
/// zone, or ISO weeks). A gap is bridged by freezes when there are enough; otherwise the streak
/// starts again. Activity twice in a period counts once; a period before the last changes nothing.
pub fn record_activity(s: Streak, period: i64) -> StreakChange {
    let unchanged = StreakChange {
        streak: s,
        freezes_used: 0,
        reset: false,
    };
    let Some(last) = s.last_period else {
        let current = 1;
        return StreakChange {
            streak: Streak {
                current,
                longest: s.longest.max(current),
                last_period: Some(period),
                ..s
            },
            freezes_used: 0,
            reset: false,
        };
    };
    if period <= last {
        return unchanged;
    }
    let missed = period - last - 1;
    let (current, freezes_used, reset) = if missed == 0 {
        (s.current + 1, 0, false)
    } else if missed <= s.freezes_available {
        (s.current + 1, missed, false)
    } else {
        (1, 0, true)
    };
    StreakChange {
        streak: Streak {
            current,
            longest: s.longest.max(current),
            last_period: Some(period),
            freezes_available: s.freezes_available - freezes_used,
        },
        freezes_used,
        reset,
    }
}

/// Days since 1970-01-01 of a local date: the daily period.
pub fn day_number(date: time::Date) -> i64 {
    i64::from(date.to_julian_day()) - 2_440_588
}

/// Weeks (Monday-based) since 1970: the weekly period.
pub fn week_number(date: time::Date) -> i64 {
    // 1970-01-01 was a Thursday: Monday 1969-12-29 starts week 0.
    (day_number(date) + 3).div_euclid(7)
}

/// The first cycle in a prerequisite graph (mission → the missions it needs), as the path that
/// closes it (`[a, b, c, a]`), or `None` for a DAG.
pub fn find_cycle<K: Ord + Clone>(graph: &BTreeMap<K, Vec<K>>) -> Option<Vec<K>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<K: Ord + Clone>(
        node: &K,
        graph: &BTreeMap<K, Vec<K>>,
        marks: &mut BTreeMap<K, Mark>,
        path: &mut Vec<K>,
    ) -> Option<Vec<K>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => {
                let start = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.clone());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.clone(), Mark::Visiting);
        path.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    let nodes: BTreeSet<&K> = graph.keys().collect();
    for node in nodes {
        let mut path = Vec::new();
        if let Some(cycle) = visit(node, graph, &mut marks, &mut path) {
            return Some(cycle);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn default_curve_and_custom_tables() {
        let l = Levels::geometric();
        assert_eq!(&l.thresholds()[..5], &[0, 100, 250, 475, 813]);
        assert_eq!(
            (
                l.level_for(0),
                l.level_for(99),
                l.level_for(100),
                l.level_for(300)
            ),
            (1, 1, 2, 3)
        );
        assert!(Levels::custom(vec![0, 50, 50]).is_err());
        assert!(Levels::custom(vec![10, 50]).is_err());
        assert_eq!(Levels::custom(vec![0, 10, 30]).unwrap().level_for(1000), 3);
    }

    #[test]
    fn streaks_count_days_and_freezes_bridge_gaps() {
        let s = Streak {
            freezes_available: 1,
            ..Streak::default()
        };
        let a = record_activity(s, 100);
        assert_eq!((a.streak.current, a.reset), (1, false));
        let b = record_activity(a.streak, 101);
        assert_eq!(b.streak.current, 2);
        let same_day = record_activity(b.streak, 101);
        assert_eq!(same_day.streak, b.streak, "twice a day counts once");
        let bridged = record_activity(b.streak, 103);
        assert_eq!(
            (
                bridged.streak.current,
                bridged.freezes_used,
                bridged.streak.freezes_available
            ),
            (3, 1, 0)
        );
        let broken = record_activity(bridged.streak, 106);
        assert_eq!(
            (broken.streak.current, broken.reset, broken.streak.longest),
            (1, true, 3)
        );
    }

    #[test]
    fn day_and_week_numbers() {
        assert_eq!(day_number(date!(1970 - 01 - 01)), 0);
        assert_eq!(
            day_number(date!(2026 - 11 - 29)) - day_number(date!(2026 - 11 - 28)),
            1
        );
        // Sunday and the Monday after are different weeks; Monday to Sunday the same.
        assert_eq!(
            week_number(date!(2026 - 11 - 30)) - week_number(date!(2026 - 11 - 29)),
            1
        );
        assert_eq!(
            week_number(date!(2026 - 11 - 30)),
            week_number(date!(2026 - 12 - 06))
        );
    }

    #[test]
    fn cycles_are_named() {
        let g: BTreeMap<&str, Vec<&str>> = [
            ("a", vec!["b"]),
            ("b", vec!["c"]),
            ("c", vec!["a"]),
            ("d", vec![]),
        ]
        .into_iter()
        .collect();
        assert_eq!(find_cycle(&g), Some(vec!["a", "b", "c", "a"]));
        let dag: BTreeMap<&str, Vec<&str>> = [("a", vec!["b", "c"]), ("b", vec!["c"]), ("c", vec![])]
            .into_iter()
            .collect();
        assert_eq!(find_cycle(&dag), None);
        let own: BTreeMap<&str, Vec<&str>> = [("a", vec!["a"])].into_iter().collect();
        assert_eq!(find_cycle(&own), Some(vec!["a", "a"]));
    }

    proptest! {
        /// Whatever the activity days, the streak never exceeds the days active, the longest is
        /// at least the current, and freezes never go negative.
        #[test]
        fn streak_invariants(days in proptest::collection::vec(0i64..60, 0..40), freezes in 0i64..4) {
            let mut s = Streak { freezes_available: freezes, ..Streak::default() };
            let mut sorted = days.clone();
            sorted.sort_unstable();
            sorted.dedup();
            for d in &days {
                s = record_activity(s, *d).streak;
                prop_assert!(s.longest >= s.current);
                prop_assert!(s.freezes_available >= 0);
            }
            prop_assert!(s.longest <= sorted.len() as i64 + freezes);
        }

        #[test]
        fn levels_never_go_down_with_more_experience(a in 0i64..1_000_000, b in 0i64..1_000_000) {
            let l = Levels::geometric();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(l.level_for(lo) <= l.level_for(hi));
        }
    }
}
