//! Skill interning and the per-request table of partial credits.

use hashbrown::HashMap;

use pomost_domain::{SkillId, SkillRelatedness};

use crate::error::ScoringError;

/// Most requirements an offer can have; matches the domain's limit so per-candidate state
/// fits in a stack array.
pub(crate) const MAX_REQUIREMENTS: usize = pomost_domain::MAX_OFFER_SKILLS;

/// Most related skills kept per skill, so a request's credit table stays small (a generic
/// ESCO skill shares an occupation with thousands of others).
pub(crate) const MAX_NEIGHBOURS: usize = 256;

/// Interns skill ids to 16-bit numbers and keeps, for each skill, its related skills with a
/// similarity. Exists so compact records hold numbers and credit lookups are array reads.
#[derive(Debug, Default)]
pub(crate) struct SkillBook {
    by_id: HashMap<SkillId, u16>,
    ids: Vec<SkillId>,
    neighbours: Vec<Vec<(u16, f32)>>,
}

impl SkillBook {
    /// A book that knows every skill of the relatedness table and its neighbours: the best
    /// similarity of any shared group, explicit pair or cluster, at most
    /// [`MAX_NEIGHBOURS`] per skill (the most similar, then the lowest numbers), kept in
    /// the order of their numbers so one can be found by bisection.
    pub(crate) fn new(relatedness: &SkillRelatedness) -> Result<Self, ScoringError> {
        let mut book = SkillBook::default();
        // Every relation as a cluster of skill numbers with a similarity.
        let mut clusters: Vec<(f32, Vec<u16>)> = Vec::new();
        let mut add = |book: &mut SkillBook, members: &[&SkillId], similarity: f32| -> Result<(), ScoringError> {
            let numbers = members.iter().map(|skill| book.intern(skill)).collect::<Result<Vec<u16>, _>>()?;
            if similarity > 0.0 && numbers.len() > 1 {
                clusters.push((similarity, numbers));
            }
            Ok(())
        };
        let mut groups: HashMap<&str, Vec<&SkillId>> = HashMap::new();
        for (skill, group) in &relatedness.groups {
            groups.entry(group.as_str()).or_default().push(skill);
        }
        let mut groups: Vec<(&str, Vec<&SkillId>)> = groups.into_iter().collect();
        groups.sort();
        for (_, mut members) in groups {
            members.sort();
            add(&mut book, &members, relatedness.group_similarity)?;
        }
        for (a, b, similarity) in &relatedness.pairs {
            add(&mut book, &[a, b], *similarity)?;
        }
        for cluster in &relatedness.clusters {
            let members: Vec<&SkillId> = cluster.skills.iter().collect();
            add(&mut book, &members, cluster.similarity)?;
        }
        // For each skill, the best similarity to every skill it shares a cluster with: one
        // pass over its clusters with a scratch array, no global sort.
        let mut member_of: Vec<Vec<u32>> = vec![Vec::new(); book.len()];
        for (index, (_, members)) in clusters.iter().enumerate() {
            for &member in members {
                member_of[usize::from(member)].push(index as u32);
            }
        }
        let mut best = vec![0.0f32; book.len()];
        let mut touched: Vec<u16> = Vec::new();
        for (skill, clusters_of) in member_of.iter().enumerate() {
            for &cluster in clusters_of {
                let (similarity, members) = &clusters[cluster as usize];
                for &member in members {
                    let slot = &mut best[usize::from(member)];
                    if usize::from(member) != skill && *similarity > *slot {
                        if *slot == 0.0 {
                            touched.push(member);
                        }
                        *slot = *similarity;
                    }
                }
            }
            let mut neighbours: Vec<(u16, f32)> =
                touched.drain(..).map(|member| (member, std::mem::take(&mut best[usize::from(member)]))).collect();
            // The MAX_NEIGHBOURS most similar (ties to the lower number) are the same set
            // whichever way they are found; a selection is linear where a sort was not.
            if neighbours.len() > MAX_NEIGHBOURS {
                neighbours.select_nth_unstable_by(MAX_NEIGHBOURS - 1, |x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
                neighbours.truncate(MAX_NEIGHBOURS);
            }
            neighbours.sort_unstable_by_key(|&(member, _)| member);
            book.neighbours[skill] = neighbours;
        }
        Ok(book)
    }

    /// The number of a skill, adding it if new.
    pub(crate) fn intern(&mut self, skill: &SkillId) -> Result<u16, ScoringError> {
        if let Some(number) = self.by_id.get(skill) {
            return Ok(*number);
        }
        let number = u16::try_from(self.ids.len()).map_err(|_| ScoringError::SkillCapacity(self.ids.len()))?;
        if number == u16::MAX {
            return Err(ScoringError::SkillCapacity(self.ids.len()));
        }
        self.by_id.insert(skill.clone(), number);
        self.ids.push(skill.clone());
        self.neighbours.push(Vec::new());
        Ok(number)
    }

    /// Every skill known, by number.
    pub(crate) fn ids(&self) -> &[SkillId] {
        &self.ids
    }

    /// The number of a known skill.
    pub(crate) fn lookup(&self, skill: &SkillId) -> Option<u16> {
        self.by_id.get(skill).copied()
    }

    /// How many distinct skills are known.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The skills related to skill `number`, with their similarity, by number.
    fn neighbours(&self, number: u16) -> &[(u16, f32)] {
        &self.neighbours[usize::from(number)]
    }

    /// The similarity of skill `other` to skill `number`: 1 for the skill itself, 0 for one
    /// not among its neighbours.
    fn similarity(&self, number: u16, other: u16) -> f32 {
        if number == other {
            return 1.0;
        }
        let neighbours = self.neighbours(number);
        neighbours.binary_search_by_key(&other, |&(member, _)| member).map_or(0.0, |at| neighbours[at].1)
    }
}

/// The bytes of a bound's row for an offer with `requirements` requirements: rows that
/// are one vector register or half of one, and no wider than the offer needs (most ask
/// for fewer than eight skills), so the table of a book of 14,000 skills stays small.
fn row_width(requirements: usize) -> usize {
    match requirements {
        0..=8 => 8,
        9..=16 => 16,
        _ => MAX_REQUIREMENTS,
    }
}

/// A similarity as 255ths, rounded up (0 for none or a negative one, which earns nothing).
fn in_255ths_up(similarity: f32) -> u8 {
    (f64::from(similarity.clamp(0.0, 1.0)) * 255.0).ceil() as u8
}

/// One skill the offer asks for, compiled for scanning.
#[derive(Debug, Clone)]
pub(crate) struct Requirement {
    pub(crate) skill: SkillId,
    pub(crate) must: bool,
    /// Offer weight times the must-have multiplier where it applies.
    pub(crate) weight: f32,
    /// 0 when the offer wants no minimum level.
    pub(crate) min_level: u8,
}

/// For one request: which requirements each known skill earns credit towards. Dense over the
/// skill numbers so a lookup is one array read.
#[derive(Debug)]
pub(crate) struct SkillCredits {
    /// Per skill number: start << 8 | count into `entries`.
    spans: Vec<u32>,
    entries: Vec<(u8, f32)>,
    /// For the scan's upper bound ([`SkillCredits::gains`]): per skill number, a row of
    /// `ceiling_width` bytes, the most credit the skill could earn towards each requirement
    /// (its similarity at full level) in 255ths rounded up. Dense over the numbers, so a
    /// skill's row is one read (a table of row numbers made every person's skill two
    /// dependent reads, and a scan of people with thirty skills 12% slower).
    ceilings: Vec<u8>,
    /// Bytes a row (8, 16 or 32: as few as the requirements fit), or 0 where the credits
    /// are for one person's scoring, which never bounds (no table is made for it).
    ceiling_width: usize,
    /// Each requirement's share of the weights, in 65,535ths rounded up (0 past the
    /// requirements), so the bound's weighted sum is one integer dot product.
    shares: [u16; MAX_REQUIREMENTS],
    pub(crate) requirements: Vec<Requirement>,
    pub(crate) weight_sum: f32,
    unassessed_level_credit: f32,
}

/// What [`SkillCredits::gains`]'s integer dot product counts in: 255ths of a credit times
/// 65,535ths of the weights.
const GAINS_UNIT: f32 = 1.0 / (255.0 * 65_535.0);

/// [`SkillCredits::coverage_bound`]'s relative margin over the gains, for float
/// rounding.
const BOUND_SCALE: f32 = 1.001;
/// Its absolute margin.
const BOUND_MARGIN: f32 = 1e-6;

impl SkillCredits {
    /// The credits towards `requirements`, for every skill, or only for the skills numbered
    /// `only` (one person's, ascending and each once: the others are never looked up for
    /// them, and no table for [`SkillCredits::gains`] is made, since one person's scoring
    /// bounds nothing).
    pub(crate) fn new(
        book: &SkillBook,
        requirements: Vec<Requirement>,
        unassessed_level_credit: f32,
        only: Option<&[u16]>,
    ) -> Self {
        debug_assert!(requirements.len() <= MAX_REQUIREMENTS);
        debug_assert!(only.is_none_or(|only| only.is_sorted_by(|a, b| a < b)), "only is ascending, each once");
        let mut triples: Vec<(u16, u8, f32)> = Vec::new();
        for (index, requirement) in requirements.iter().enumerate() {
            let Some(number) = book.lookup(&requirement.skill) else { continue };
            match only {
                None => {
                    triples.push((number, index as u8, 1.0));
                    triples.extend(
                        book.neighbours(number)
                            .iter()
                            .map(|&(neighbour, similarity)| (neighbour, index as u8, similarity)),
                    );
                }
                // A person claims a dozen skills, a requirement has up to 256 neighbours:
                // each of the person's is looked for among them.
                Some(only) => triples.extend(only.iter().filter_map(|&skill| {
                    let similarity = book.similarity(number, skill);
                    (similarity != 0.0).then_some((skill, index as u8, similarity))
                })),
            }
        }
        // (skill, requirement) pairs are unique (a requirement's skill is not its own
        // neighbour), so an unstable sort gives the same order without a buffer.
        triples.sort_unstable_by_key(|&(skill, requirement, _)| (skill, requirement));
        // Only as long as the highest skill credited (a lookup past the end finds nothing),
        // so scoring one pair does not clear a table of every skill the book knows.
        let credited_len = triples.last().map_or(0, |&(skill, _, _)| usize::from(skill) + 1);
        let mut spans = vec![0u32; credited_len];
        let mut entries = Vec::with_capacity(triples.len());
        let mut position = 0;
        while position < triples.len() {
            let skill = triples[position].0;
            let start = entries.len() as u32;
            while position < triples.len() && triples[position].0 == skill {
                entries.push((triples[position].1, triples[position].2));
                position += 1;
            }
            let count = entries.len() as u32 - start;
            spans[usize::from(skill)] = (start << 8) | count;
        }
        let weight_sum: f32 = requirements.iter().map(|requirement| requirement.weight).sum();
        let width = if only.is_some() { 0 } else { row_width(requirements.len()) };
        let mut ceilings = vec![0u8; width * spans.len()];
        if width > 0 {
            for (skill, &span) in spans.iter().enumerate() {
                let (start, count) = ((span >> 8) as usize, (span & 0xff) as usize);
                for &(index, similarity) in &entries[start..start + count] {
                    ceilings[skill * width + usize::from(index)] = in_255ths_up(similarity);
                }
            }
        }
        let mut shares = [0u16; MAX_REQUIREMENTS];
        if weight_sum > 0.0 {
            for (share, requirement) in shares.iter_mut().zip(&requirements) {
                let exact = f64::from(requirement.weight.max(0.0)) / f64::from(weight_sum) * 65_535.0;
                *share = exact.ceil().min(65_535.0) as u16;
            }
        }
        Self {
            spans,
            entries,
            ceilings,
            ceiling_width: width,
            shares,
            requirements,
            weight_sum,
            unassessed_level_credit,
        }
    }

    /// An upper bound of the coverage the skills numbered `skills` (one person's) could
    /// reach, before [`SkillCredits::coverage_bound`]'s margin: each requirement at the best
    /// similarity any of them has to it, as if every level were met. Coverage adds each
    /// requirement's best credit, a similarity times a level credit of at most 1, and the
    /// similarities and weights are rounded up here; so the bound is never below the exact
    /// coverage and is as tight as it can be without the levels. One row read and one
    /// byte-wise maximum per skill: cheaper than the exact credits, which walk each
    /// skill's requirements. Infinite (no bound) for credits made for one person's scoring.
    #[inline]
    pub(crate) fn gains(&self, skills: &[u16]) -> f32 {
        match self.ceiling_width {
            8 => self.gains_in_rows::<8>(skills),
            16 => self.gains_in_rows::<16>(skills),
            MAX_REQUIREMENTS => self.gains_in_rows::<MAX_REQUIREMENTS>(skills),
            _ => f32::INFINITY,
        }
    }

    #[inline]
    fn gains_in_rows<const WIDTH: usize>(&self, skills: &[u16]) -> f32 {
        let (rows, _) = self.ceilings.as_chunks::<WIDTH>();
        let mut best = [0u8; WIDTH];
        for &skill in skills {
            let Some(row) = rows.get(usize::from(skill)) else { continue };
            // Whole rows at once (the compiler makes it one vector maximum).
            best = std::array::from_fn(|index| best[index].max(row[index]));
        }
        let dot: u32 =
            best.iter().zip(&self.shares).map(|(&credit, &share)| u32::from(credit) * u32::from(share)).sum();
        dot as f32 * GAINS_UNIT
    }

    /// An upper bound of [`SkillCredits::coverage`] from a person's
    /// [`SkillCredits::gains`]; the margin covers float rounding.
    #[inline]
    pub(crate) fn coverage_bound(&self, gains: f32) -> f32 {
        if self.weight_sum <= 0.0 {
            return 1.0;
        }
        if gains <= 0.0 {
            return 0.0;
        }
        (gains * BOUND_SCALE + BOUND_MARGIN).min(1.0)
    }

    /// Roughly the gains whose [`SkillCredits::coverage_bound`] is `coverage`: the formula
    /// solved for the gains, before rounding (a starting point for an exact search).
    pub(crate) fn gains_near_bound(&self, coverage: f32) -> f32 {
        (coverage - BOUND_MARGIN) / BOUND_SCALE
    }

    /// Raises `best[i]` to the credit that one skill (with level 0 for unassessed) earns
    /// towards requirement i.
    #[inline]
    pub(crate) fn credit(&self, skill: u16, level: u8, best: &mut [f32; MAX_REQUIREMENTS]) {
        let Some(&span) = self.spans.get(usize::from(skill)) else { return };
        let (start, count) = ((span >> 8) as usize, (span & 0xff) as usize);
        for &(index, similarity) in &self.entries[start..start + count] {
            let index = usize::from(index);
            let credit = similarity * self.level_credit(level, self.requirements[index].min_level);
            if credit > best[index] {
                best[index] = credit;
            }
        }
    }

    fn level_credit(&self, level: u8, min_level: u8) -> f32 {
        if min_level == 0 || level >= min_level {
            1.0
        } else if level == 0 {
            self.unassessed_level_credit
        } else {
            f32::from(level) / f32::from(min_level)
        }
    }

    /// The skills factor from per-requirement best credits: weighted coverage, 1 when the
    /// offer asks for no skills.
    #[inline]
    pub(crate) fn coverage(&self, best: &[f32; MAX_REQUIREMENTS]) -> f32 {
        if self.weight_sum <= 0.0 {
            return 1.0;
        }
        let covered: f32 =
            self.requirements.iter().zip(best).map(|(requirement, credit)| requirement.weight * credit).sum();
        (covered / self.weight_sum).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pomost_domain::SkillCluster;
    use proptest::prelude::*;

    fn id(text: &str) -> SkillId {
        SkillId::new(text).unwrap()
    }

    fn requirement(skill: &str, min_level: u8, weight: f32) -> Requirement {
        Requirement { skill: id(skill), must: true, weight, min_level }
    }

    #[test]
    fn exact_related_and_level_credit() {
        let mut relatedness = SkillRelatedness { group_similarity: 0.5, ..Default::default() };
        relatedness.groups.insert(id("cleaning"), "care".into());
        relatedness.groups.insert(id("laundry"), "care".into());
        let mut book = SkillBook::new(&relatedness).unwrap();
        let cooking = book.intern(&id("cooking")).unwrap();
        let cleaning = book.lookup(&id("cleaning")).unwrap();
        let laundry = book.lookup(&id("laundry")).unwrap();
        let requirements = vec![requirement("cleaning", 2, 3.0), requirement("cooking", 0, 1.0)];
        let credits = SkillCredits::new(&book, requirements.clone(), 0.75, None);

        let mut best = [0.0; MAX_REQUIREMENTS];
        credits.credit(laundry, 3, &mut best);
        assert_eq!(best[0], 0.5);
        credits.credit(cleaning, 1, &mut best);
        assert_eq!(best[0], 0.5, "level 1 of 2 earns 0.5, no better than the related skill");
        credits.credit(cleaning, 0, &mut best);
        assert_eq!(best[0], 0.75);
        credits.credit(cooking, 0, &mut best);
        assert_eq!(best[1], 1.0);
        assert!((credits.coverage(&best) - (3.0 * 0.75 + 1.0) / 4.0).abs() < 1e-6);

        // Compiled for one person's skills: the same credits for those, none for others.
        let person = SkillCredits::new(&book, requirements, 0.75, Some(&[laundry, cooking]));
        for (skill, level) in [(laundry, 3), (cooking, 0)] {
            let (mut all, mut theirs) = ([0.0; MAX_REQUIREMENTS], [0.0; MAX_REQUIREMENTS]);
            credits.credit(skill, level, &mut all);
            person.credit(skill, level, &mut theirs);
            assert_eq!(all, theirs);
        }
        let mut none = [0.0; MAX_REQUIREMENTS];
        person.credit(cleaning, 3, &mut none);
        assert_eq!(none, [0.0; MAX_REQUIREMENTS], "not the person's skill: not compiled");
    }

    /// A skill's neighbours found the straightforward way: its best similarity to every
    /// other skill over all relations, sorted by similarity (then number), the first
    /// [`MAX_NEIGHBOURS`] kept, in number order.
    fn neighbours_by_sorting(book: &SkillBook, relatedness: &SkillRelatedness, skill: u16) -> Vec<(u16, f32)> {
        let mut best = vec![0.0f32; book.len()];
        let mut relate = |members: &[u16], similarity: f32| {
            if members.contains(&skill) {
                for &member in members.iter().filter(|&&member| member != skill) {
                    best[usize::from(member)] = best[usize::from(member)].max(similarity);
                }
            }
        };
        let number = |id: &SkillId| book.lookup(id).unwrap();
        if let Some((_, group)) = relatedness.groups.iter().find(|(id, _)| number(id) == skill) {
            let members: Vec<u16> = relatedness
                .groups
                .iter()
                .filter(|(_, other)| *other == group)
                .map(|(other, _)| number(other))
                .collect();
            if members.len() > 1 {
                relate(&members, relatedness.group_similarity);
            }
        }
        for (a, b, similarity) in &relatedness.pairs {
            relate(&[number(a), number(b)], *similarity);
        }
        for cluster in &relatedness.clusters {
            relate(&cluster.skills.iter().map(number).collect::<Vec<_>>(), cluster.similarity);
        }
        let mut found: Vec<(u16, f32)> =
            (0..book.len() as u16).map(|other| (other, best[usize::from(other)])).filter(|&(_, s)| s > 0.0).collect();
        found.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        found.truncate(MAX_NEIGHBOURS);
        found.sort_by_key(|&(other, _)| other);
        found
    }

    #[test]
    fn a_skill_keeps_its_most_similar_neighbours_lowest_numbers_first_on_ties() {
        // One group larger than MAX_NEIGHBOURS (every member related to every other at the
        // same similarity, so ties decide), pairs and clusters raising some above it.
        let mut relatedness = SkillRelatedness { group_similarity: 0.3, ..Default::default() };
        for index in 0..400 {
            relatedness.groups.insert(id(&format!("g{index:03}")), "big".into());
        }
        for index in 0..40 {
            relatedness.groups.insert(id(&format!("s{index:02}")), "small".into());
        }
        for index in (0..400).step_by(7) {
            relatedness.pairs.push((id(&format!("g{index:03}")), id(&format!("g{:03}", (index * 13) % 400)), 0.9));
        }
        relatedness.clusters.push(SkillCluster {
            name: "mixed".into(),
            similarity: 0.6,
            skills: (0..400).step_by(3).map(|index| id(&format!("g{index:03}"))).chain([id("s05")]).collect(),
        });
        let book = SkillBook::new(&relatedness).unwrap();
        assert!((0..book.len() as u16).any(|skill| book.neighbours(skill).len() == MAX_NEIGHBOURS));
        for skill in 0..book.len() as u16 {
            assert_eq!(book.neighbours(skill), neighbours_by_sorting(&book, &relatedness, skill), "skill {skill}");
        }
    }

    #[test]
    fn unknown_requirement_counts_against_coverage() {
        let book = SkillBook::new(&SkillRelatedness::default()).unwrap();
        let credits = SkillCredits::new(&book, vec![requirement("welding", 0, 1.0)], 0.75, None);
        assert_eq!(credits.coverage(&[0.0; MAX_REQUIREMENTS]), 0.0);
        let empty = SkillCredits::new(&book, vec![], 0.75, None);
        assert_eq!(empty.coverage(&[0.0; MAX_REQUIREMENTS]), 1.0);
    }

    /// The credits laid out the straightforward way: every (skill, requirement, similarity)
    /// sorted by skill and requirement, then grouped. The layout any faster construction of
    /// [`SkillCredits::new`] must keep (the scan reads spans and entries in this order).
    fn sorted_layout(
        book: &SkillBook,
        requirements: &[Requirement],
        only: Option<&[u16]>,
    ) -> Vec<(u16, Vec<(u8, f32)>)> {
        let mut triples = Vec::new();
        for (index, requirement) in requirements.iter().enumerate() {
            let Some(number) = book.lookup(&requirement.skill) else { continue };
            for (skill, similarity) in std::iter::once((number, 1.0)).chain(book.neighbours(number).iter().copied()) {
                if only.is_none_or(|only| only.contains(&skill)) {
                    triples.push((skill, index as u8, similarity));
                }
            }
        }
        triples.sort_by_key(|&(skill, requirement, _)| (skill, requirement));
        let mut layout: Vec<(u16, Vec<(u8, f32)>)> = Vec::new();
        for (skill, requirement, similarity) in triples {
            match layout.last_mut() {
                Some((last, entries)) if *last == skill => entries.push((requirement, similarity)),
                _ => layout.push((skill, vec![(requirement, similarity)])),
            }
        }
        layout
    }

    #[test]
    fn credits_are_laid_out_as_sorted_by_skill_and_requirement() {
        let relatedness = pomost_synth::relatedness();
        let book = SkillBook::new(&relatedness).unwrap();
        let skills: Vec<SkillId> = (0..book.len() as u16).map(|number| book.ids[usize::from(number)].clone()).collect();
        // Requirements spread over the book (and one it does not know), with and without
        // a person's skills to compile for.
        for first in [0, 1, 7, 100] {
            let mut requirements: Vec<Requirement> = skills
                .iter()
                .skip(first)
                .step_by(skills.len() / 9 + 1)
                .take(MAX_REQUIREMENTS - 1)
                .enumerate()
                .map(|(index, skill)| requirement(skill.as_str(), 0, 1.0 + index as f32))
                .collect();
            requirements.push(requirement("not-in-the-book", 0, 2.0));
            let person: Vec<u16> = (first as u16..book.len() as u16).step_by(5).collect();
            for only in [None, Some(&person[..])] {
                let credits = SkillCredits::new(&book, requirements.clone(), 0.75, only);
                let expected = sorted_layout(&book, &requirements, only);
                let mut found = Vec::new();
                for (skill, &span) in credits.spans.iter().enumerate() {
                    let (start, count) = ((span >> 8) as usize, (span & 0xff) as usize);
                    if count > 0 {
                        found.push((skill as u16, credits.entries[start..start + count].to_vec()));
                    }
                }
                assert_eq!(found, expected, "first {first}, only {}", only.is_some());
                assert_eq!(credits.entries.len(), expected.iter().map(|(_, entries)| entries.len()).sum::<usize>());
                assert!(expected.iter().any(|(_, entries)| entries.len() > 1), "some skill credits two requirements");
                for (skill, entries) in &expected {
                    // One skill's bound: its similarities at full level, each rounded up
                    // to 255ths, no more.
                    let exact: f32 = entries
                        .iter()
                        .map(|&(index, similarity)| requirements[usize::from(index)].weight * similarity.max(0.0))
                        .sum::<f32>()
                        / credits.weight_sum;
                    let gains = credits.gains(&[*skill]);
                    if only.is_some() {
                        assert_eq!(gains, f32::INFINITY, "one person's credits never bound");
                        continue;
                    }
                    assert!(credits.coverage_bound(gains) >= exact, "skill {skill}: {gains} below {exact}");
                    assert!(gains <= exact + 1.0 / 255.0 + 1e-4, "skill {skill}: {gains} far above {exact}");
                }
            }
        }
    }

    /// Requirements as (skill number, minimum level, weight); the numbers are taken modulo
    /// the book's size, half of them among the book's first skills (the local groups).
    fn any_requirements() -> impl Strategy<Value = Vec<(u16, u8, f32)>> {
        let number = prop_oneof![0u16..120, any::<u16>()];
        prop::collection::vec((number, 0u8..=3, prop_oneof![Just(1.0f32), 0.0f32..5.0]), 0..=MAX_REQUIREMENTS)
    }

    proptest! {
        /// The scan's skills bound is never below the exact coverage, whatever the
        /// requirements, weights, minimum levels and the person's skills and levels, and
        /// it is the coverage at full level (up to rounding) when every level is met.
        #[test]
        fn the_skills_bound_is_never_below_the_coverage_and_is_tight_at_full_level(
            wanted in any_requirements(),
            // Each skill: a requirement's own (neighbour 0) or one of its neighbours, or
            // any skill of the book; and a level.
            claimed in prop::collection::vec((any::<u8>(), 0usize..300, any::<u16>(), 0u8..=3), 0..40),
            unassessed in 0.0f32..=1.0,
        ) {
            static BOOK: std::sync::LazyLock<SkillBook> =
                std::sync::LazyLock::new(|| SkillBook::new(&pomost_synth::relatedness()).unwrap());
            let book = &*BOOK;
            let number = |skill: u16| skill % book.len() as u16;
            let requirements: Vec<Requirement> = wanted
                .iter()
                .map(|&(skill, min_level, weight)| Requirement {
                    skill: book.ids[usize::from(number(skill))].clone(),
                    must: true,
                    weight,
                    min_level,
                })
                .collect();
            let skills: Vec<(u16, u8)> = claimed
                .iter()
                .map(|&(which, neighbour, any, level)| match wanted.get(usize::from(which) % (wanted.len() + 1)) {
                    Some(&(wanted, _, _)) => {
                        let neighbours = book.neighbours(number(wanted));
                        let skill = match neighbour.checked_sub(1) {
                            Some(at) if !neighbours.is_empty() => neighbours[at % neighbours.len()].0,
                            _ => number(wanted),
                        };
                        (skill, level)
                    }
                    None => (number(any), level),
                })
                .collect();
            let numbers: Vec<u16> = skills.iter().map(|&(skill, _)| skill).collect();
            let credits = SkillCredits::new(book, requirements, unassessed, None);
            let coverage = |full_level: bool| {
                let mut best = [0.0f32; MAX_REQUIREMENTS];
                for &(skill, level) in &skills {
                    credits.credit(skill, if full_level { 3 } else { level }, &mut best);
                }
                credits.coverage(&best)
            };
            let bound = credits.coverage_bound(credits.gains(&numbers));
            prop_assert!(bound >= coverage(false), "{} below {}", bound, coverage(false));
            if credits.weight_sum > 0.0 {
                prop_assert!(bound <= (coverage(true) + 1.0 / 255.0 + 2e-3).min(1.0), "{} far above {}", bound, coverage(true));
            }
        }
    }
}
