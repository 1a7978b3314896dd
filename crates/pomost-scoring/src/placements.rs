//! What referrals hold in the pool: coach hours (kept by the coach book) and offer
//! positions taken by hires, and each unit's members, so a unit's own people can be ranked
//! without scanning everyone.

use std::collections::HashMap;

use pomost_domain::{Offer, OfferKey, Referral, ReferralState};

/// Positions taken by hires, per offer.
#[derive(Debug, Default)]
pub(crate) struct Hires {
    by_offer: HashMap<OfferKey, u32>,
    /// Each hire's referral, so a referral applied twice counts once.
    hired: HashMap<String, OfferKey>,
}

impl Hires {
    /// Counts the referral if it is a hire (idempotent).
    pub(crate) fn apply(&mut self, referral: &Referral) {
        let is_hire = referral.state == ReferralState::Hired;
        match (self.hired.contains_key(&referral.id), is_hire) {
            (false, true) => {
                self.hired.insert(referral.id.clone(), referral.offer.clone());
                *self.by_offer.entry(referral.offer.clone()).or_default() += 1;
            }
            (true, false) => {
                if let Some(offer) = self.hired.remove(&referral.id)
                    && let Some(count) = self.by_offer.get_mut(&offer)
                {
                    *count = count.saturating_sub(1);
                }
            }
            _ => {}
        }
    }

    /// Hires for an offer.
    pub(crate) fn of(&self, key: &OfferKey) -> u32 {
        self.by_offer.get(key).copied().unwrap_or(0)
    }

    /// The offer with its positions less those hires took.
    pub(crate) fn open_positions(&self, offer: &Offer) -> u32 {
        offer.positions.saturating_sub(self.of(&offer.key))
    }
}

/// Slots of each unit's members.
#[derive(Debug, Default)]
pub(crate) struct UnitMembers {
    numbers: HashMap<String, u32>,
    members: Vec<Vec<u32>>,
    /// The unit number of each slot (`u32::MAX` for a free slot).
    unit_of_slot: Vec<u32>,
}

impl UnitMembers {
    /// Files `slot` under `unit` (moving it from another unit).
    pub(crate) fn join(&mut self, slot: u32, unit: &str) {
        let number = self.number(unit);
        self.join_number(slot, number);
    }

    /// The number of `unit`, given it if it has none yet: what [`UnitMembers::join_number`]
    /// takes (a restore looks each unit up once, not once per member).
    pub(crate) fn number(&mut self, unit: &str) -> u32 {
        match self.numbers.get(unit) {
            Some(&number) => number,
            None => {
                let number = self.members.len() as u32;
                self.numbers.insert(unit.to_owned(), number);
                self.members.push(Vec::new());
                number
            }
        }
    }

    /// Files `slot` under the unit [`UnitMembers::number`] gave `number`.
    pub(crate) fn join_number(&mut self, slot: u32, number: u32) {
        if self.unit_of_slot.get(slot as usize) == Some(&number) {
            return;
        }
        self.leave(slot);
        if self.unit_of_slot.len() <= slot as usize {
            self.unit_of_slot.resize(slot as usize + 1, u32::MAX);
        }
        self.unit_of_slot[slot as usize] = number;
        self.members[number as usize].push(slot);
    }

    /// Takes `slot` out of its unit.
    pub(crate) fn leave(&mut self, slot: u32) {
        let Some(number) = self.unit_of_slot.get_mut(slot as usize) else { return };
        if *number == u32::MAX {
            return;
        }
        let members = &mut self.members[*number as usize];
        if let Some(position) = members.iter().position(|member| *member == slot) {
            members.swap_remove(position);
        }
        *number = u32::MAX;
    }

    /// Every unit's id, by unit number.
    pub(crate) fn names(&self) -> Vec<&str> {
        let mut names = vec![""; self.members.len()];
        for (name, number) in &self.numbers {
            names[*number as usize] = name;
        }
        names
    }

    /// The unit number of a slot (`u32::MAX` for a free slot).
    pub(crate) fn unit_of(&self, slot: u32) -> u32 {
        self.unit_of_slot.get(slot as usize).copied().unwrap_or(u32::MAX)
    }

    /// The slots of a unit's members (none for an unknown unit).
    pub(crate) fn of(&self, unit: &str) -> &[u32] {
        self.numbers.get(unit).map_or(&[], |number| self.members[*number as usize].as_slice())
    }

    pub(crate) fn bytes(&self) -> usize {
        self.unit_of_slot.capacity() * 4 + self.members.iter().map(|members| members.capacity() * 4).sum::<usize>()
    }
}
