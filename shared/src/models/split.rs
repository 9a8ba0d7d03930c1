//! The two offline protocols of `docs/evaluation.md`, byte for byte: leave-last-out and
//! per-user temporal 80/20, plus the md5 of the sorted test pairs that pins a split.

use md5::{Digest, Md5};

use super::data::{Dataset, Interaction};

/// Which items of a user's time-ordered history are held out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Protocol A: users with >= 2 items lose their latest one.
    LeaveLastOut,
    /// Protocol B: users with >= 5 items lose their last ceil(n/5).
    Temporal,
}

impl Protocol {
    /// Number of held-out items for a user with `n` distinct items (0 = training-only).
    pub fn held_out(self, n: usize) -> usize {
        match self {
            Protocol::LeaveLastOut if n >= 2 => 1,
            Protocol::Temporal if n >= 5 => n.div_ceil(5),
            _ => 0,
        }
    }

    /// List length the protocol ranks (10 for A, 20 for B).
    pub fn cutoff(self) -> usize {
        match self {
            Protocol::LeaveLastOut => 10,
            Protocol::Temporal => 20,
        }
    }
}

/// A train/test split on dense indices.
#[derive(Debug, Clone)]
pub struct Split {
    pub n_users: usize,
    pub n_items: usize,
    /// Training interactions, sorted by (user, ts, item).
    pub train: Vec<Interaction>,
    /// Held-out items per user (sorted by item), empty for training-only users.
    pub test: Vec<Vec<u32>>,
}

impl Split {
    /// Splits interactions (one per distinct user-item pair) by `protocol`. Within a user,
    /// items are ordered by (timestamp, item index): the larger id counts as later on a tie.
    pub fn new(
        n_users: usize,
        n_items: usize,
        interactions: &[Interaction],
        protocol: Protocol,
    ) -> Split {
        let mut by_user: Vec<Vec<Interaction>> = vec![Vec::new(); n_users];
        for x in interactions {
            if let Some(list) = by_user.get_mut(x.user as usize) {
                list.push(*x);
            }
        }
        let mut train = Vec::with_capacity(interactions.len());
        let mut test = vec![Vec::new(); n_users];
        for (u, mut list) in by_user.into_iter().enumerate() {
            list.sort_by_key(|x| (x.ts, x.item));
            let cut = list.len() - protocol.held_out(list.len());
            test[u] = list[cut..].iter().map(|x| x.item).collect();
            test[u].sort_unstable();
            train.extend_from_slice(&list[..cut]);
        }
        Split {
            n_users,
            n_items,
            train,
            test,
        }
    }

    /// The protocol applied to a whole data set.
    pub fn of(data: &Dataset, protocol: Protocol) -> Split {
        Split::new(data.n_users(), data.n_items(), &data.interactions, protocol)
    }

    /// The validation split: the same protocol carved from this split's training data only.
    pub fn validation(&self, protocol: Protocol) -> Split {
        Split::new(self.n_users, self.n_items, &self.train, protocol)
    }

    /// Users with at least one held-out item.
    pub fn test_users(&self) -> Vec<u32> {
        (0..self.n_users as u32)
            .filter(|&u| !self.test[u as usize].is_empty())
            .collect()
    }

    /// Number of held-out interactions.
    pub fn n_test(&self) -> usize {
        self.test.iter().map(Vec::len).sum()
    }

    /// Lines `user<TAB>item` (original ids) sorted by user then item, joined by `\n`.
    pub fn test_pairs_text(&self, user_ids: &[String], item_ids: &[String]) -> String {
        let mut lines = Vec::with_capacity(self.n_test());
        for (u, items) in self.test.iter().enumerate() {
            for &i in items {
                let user = user_ids.get(u).map_or("?", String::as_str);
                let item = item_ids.get(i as usize).map_or("?", String::as_str);
                lines.push(format!("{user}\t{item}"));
            }
        }
        lines.join("\n")
    }

    /// md5 (hex) of [`Split::test_pairs_text`]; documented per data set to pin the split.
    pub fn test_md5(&self, user_ids: &[String], item_ids: &[String]) -> String {
        md5_hex(self.test_pairs_text(user_ids, item_ids).as_bytes())
    }
}

/// Lower-case hex md5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(user: u32, item: u32, ts: i64) -> Interaction {
        Interaction {
            user,
            item,
            ts,
            weight: 1.0,
        }
    }

    /// User 0: 6 items with a timestamp tie at the end; user 1: 4 items; user 2: 1 item.
    fn data() -> Vec<Interaction> {
        vec![
            x(0, 0, 1),
            x(0, 1, 2),
            x(0, 2, 3),
            x(0, 3, 4),
            x(0, 9, 5),
            x(0, 4, 5),
            x(1, 5, 1),
            x(1, 6, 2),
            x(1, 7, 3),
            x(1, 8, 3),
            x(2, 1, 9),
        ]
    }

    #[test]
    fn when_loo_should_hold_out_latest_with_larger_id_on_tie() {
        let s = Split::new(3, 10, &data(), Protocol::LeaveLastOut);
        assert_eq!(s.test[0], vec![9]);
        assert_eq!(s.test[1], vec![8]);
        assert!(s.test[2].is_empty(), "one item: training-only");
        assert_eq!(s.train.len(), 9);
        assert!(s.train.iter().any(|t| t.user == 2));
    }

    #[test]
    fn when_temporal_should_hold_out_last_fifth_rounded_up_and_skip_small_users() {
        let s = Split::new(3, 10, &data(), Protocol::Temporal);
        // 6 items -> ceil(6/5) = 2: the tie at ts 5 puts 4 before 9.
        assert_eq!(s.test[0], vec![4, 9]);
        assert!(s.test[1].is_empty(), "4 items < 5: training-only");
        assert_eq!(s.test_users(), vec![0]);
        assert_eq!(s.train.len(), 9);
    }

    #[test]
    fn when_validation_should_carve_from_training_only() {
        let s = Split::new(3, 10, &data(), Protocol::LeaveLastOut);
        let v = s.validation(Protocol::LeaveLastOut);
        assert_eq!(v.test[0], vec![4]);
        assert_eq!(v.test[1], vec![7]);
        assert!(v.test.iter().flatten().all(|i| ![9, 8].contains(i)));
    }

    #[test]
    fn when_tiny_split_should_print_sorted_pairs_and_their_md5() {
        let s = Split::new(3, 10, &data(), Protocol::LeaveLastOut);
        let users: Vec<String> = ["1", "2", "3"].iter().map(|s| s.to_string()).collect();
        let items: Vec<String> = (0..10).map(|i| (i + 100).to_string()).collect();
        assert_eq!(s.test_pairs_text(&users, &items), "1\t109\n2\t108");
        assert_eq!(s.test_md5(&users, &items), md5_hex(b"1\t109\n2\t108"));
    }

    #[test]
    fn when_md5_of_known_strings_should_match_reference() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }
}
