//! A fixed lat/lon grid over Poland and its surroundings, so a regional offer visits only the
//! cells within reach.

/// Southern edge of the grid, degrees.
const LAT_MIN: f32 = 48.5;
/// Western edge of the grid, degrees.
const LON_MIN: f32 = 13.5;
const ROWS: usize = 70;
const COLS: usize = 74;
/// Cell height, degrees (about 11 km).
const CELL_LAT: f32 = 0.1;
/// Cell width, degrees (about 10 km at 52°N).
const CELL_LON: f32 = 0.15;
const KM_PER_DEGREE: f32 = 111.195;

/// Number of cells; points outside the grid fall into its edge cells.
pub(crate) const CELL_COUNT: usize = ROWS * COLS;

// The float-to-integer cast truncates, saturating below at 0 (NaN too): for the
// non-negative offsets that matter it is the floor, and it needs no call to `floorf` (the
// baseline x86-64 target has no rounding instruction), which a scan makes per person.
fn row_of(lat: f32) -> usize {
    (((lat - LAT_MIN) / CELL_LAT) as usize).min(ROWS - 1)
}

fn col_of(lon: f32) -> usize {
    (((lon - LON_MIN) / CELL_LON) as usize).min(COLS - 1)
}

/// The cell a point falls into.
pub(crate) fn cell_of(lat: f32, lon: f32) -> usize {
    row_of(lat) * COLS + col_of(lon)
}

/// A fixed point (a workplace, a coach's centre) that distances are measured from.
///
/// Scoring measures distance by an equirectangular projection at the origin's latitude:
/// within 1% of the great-circle distance at commuting range, and one multiply-add per
/// candidate because the cosine is taken once. Shortlists and explanations both measure
/// from an `Origin`, so they always agree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Origin {
    pub(crate) lat: f32,
    pub(crate) lon: f32,
    cos_lat: f32,
}

impl Origin {
    pub(crate) fn new(lat: f32, lon: f32) -> Self {
        Self { lat, lon, cos_lat: lat.to_radians().cos() }
    }

    /// Distance from the origin to a point, km.
    #[inline]
    pub(crate) fn distance_km(&self, lat: f32, lon: f32) -> f32 {
        let x = (lon - self.lon) * self.cos_lat;
        let y = lat - self.lat;
        (x * x + y * y).sqrt() * KM_PER_DEGREE
    }
}

/// Cells that may hold a point within `radius_km` of (lat, lon), in row-major order.
/// Conservative: edge cells also hold the points beyond the grid, so they are always kept
/// when the circle reaches the edge.
pub(crate) fn cells_within(lat: f32, lon: f32, radius_km: f32, out: &mut Vec<u32>) {
    out.clear();
    let origin = Origin::new(lat, lon);
    let reach_lat = radius_km / KM_PER_DEGREE + CELL_LAT;
    let widest = (lat.abs() + reach_lat).min(89.0).to_radians().cos().max(0.01);
    let reach_lon = radius_km / (KM_PER_DEGREE * widest) + CELL_LON;
    let (row_lo, row_hi) = (row_of(lat - reach_lat), row_of(lat + reach_lat));
    let (col_lo, col_hi) = (col_of(lon - reach_lon), col_of(lon + reach_lon));
    for row in row_lo..=row_hi {
        for col in col_lo..=col_hi {
            // Slack covers the projection's error at the cell's nearest point.
            if nearest_km(&origin, row * COLS + col) <= radius_km * 1.01 + 1.0 {
                out.push((row * COLS + col) as u32);
            }
        }
    }
}

/// The distance from `origin` to the nearest point of `cell`, measured as
/// [`Origin::distance_km`] measures (edge cells reach to infinity): no point of the cell is
/// nearer, up to float rounding.
pub(crate) fn nearest_km(origin: &Origin, cell: usize) -> f32 {
    let (row, col) = (cell / COLS, cell % COLS);
    let cell_lat_lo = if row == 0 { f32::MIN } else { LAT_MIN + row as f32 * CELL_LAT };
    let cell_lat_hi = if row == ROWS - 1 { f32::MAX } else { LAT_MIN + (row + 1) as f32 * CELL_LAT };
    let cell_lon_lo = if col == 0 { f32::MIN } else { LON_MIN + col as f32 * CELL_LON };
    let cell_lon_hi = if col == COLS - 1 { f32::MAX } else { LON_MIN + (col + 1) as f32 * CELL_LON };
    origin.distance_km(origin.lat.clamp(cell_lat_lo, cell_lat_hi), origin.lon.clamp(cell_lon_lo, cell_lon_hi))
}

/// The distance from `origin` to the farthest point of `cell`, measured as
/// [`Origin::distance_km`] measures (infinite for edge cells, which also hold the points
/// beyond the grid): no point of the cell is farther, up to float rounding.
pub(crate) fn farthest_km(origin: &Origin, cell: usize) -> f32 {
    let (row, col) = (cell / COLS, cell % COLS);
    if row == 0 || row == ROWS - 1 || col == 0 || col == COLS - 1 {
        return f32::INFINITY;
    }
    let farther = |at: f32, low: f32, high: f32| if (at - low).abs() > (at - high).abs() { low } else { high };
    let lat = farther(origin.lat, LAT_MIN + row as f32 * CELL_LAT, LAT_MIN + (row + 1) as f32 * CELL_LAT);
    let lon = farther(origin.lon, LON_MIN + col as f32 * CELL_LON, LON_MIN + (col + 1) as f32 * CELL_LON);
    origin.distance_km(lat, lon)
}

/// Whether everyone in `bucket` can commute to `origin`: its cell lies, with a margin far
/// above float rounding, within the shortest limit its band holds (every limit in band b
/// is above the upper end of band b − 1). A scan then never tests their commute.
pub(crate) fn all_within_commute(origin: &Origin, bucket: usize) -> bool {
    let band = bucket % BANDS;
    band > 0 && farthest_km(origin, bucket / BANDS) * 1.0001 + 0.01 < COMMUTE_BANDS_KM[band - 1]
}

/// Upper ends (km) of the commute-limit bands that split each cell's records: a regional scan
/// passes over a band whose longest limit falls short of the cell.
const COMMUTE_BANDS_KM: [f32; 7] = [5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 60.0];

/// Buckets per cell: one per commute band and one for longer limits.
pub(crate) const BANDS: usize = COMMUTE_BANDS_KM.len() + 1;

/// Number of buckets: every cell times every band.
pub(crate) const BUCKET_COUNT: usize = CELL_COUNT * BANDS;

/// The bucket of a record: its cell and its commute band.
pub(crate) fn bucket_of(lat: f32, lon: f32, max_commute_km: f32) -> usize {
    let band = COMMUTE_BANDS_KM.iter().position(|&upper| max_commute_km <= upper).unwrap_or(BANDS - 1);
    cell_of(lat, lon) * BANDS + band
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every point of a bucket whose commute is always reached is within each limit its
    /// band holds: random workplaces, points in the cells around them, limits just above
    /// the band's lower end.
    #[test]
    fn a_bucket_within_commute_holds_nobody_beyond_it() {
        use proptest::prelude::RngExt;
        use proptest::test_runner::{RngAlgorithm, TestRng};
        let mut rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
        let mut next = move || rng.random::<f32>();
        let mut clean = 0;
        for _ in 0..2_000 {
            let origin = Origin::new(49.0 + 5.5 * next(), 14.5 + 9.0 * next());
            for _ in 0..50 {
                let (lat, lon) = (origin.lat + 1.4 * (next() - 0.5), origin.lon + 2.0 * (next() - 0.5));
                let limit = next() * 80.0;
                let bucket = bucket_of(lat, lon, limit);
                if all_within_commute(&origin, bucket) {
                    clean += 1;
                    assert!(origin.distance_km(lat, lon) <= limit, "{lat} {lon} {limit} {origin:?}");
                }
            }
        }
        assert!(clean > 10_000, "{clean}");
    }

    #[test]
    fn the_farthest_point_of_a_cell_is_a_corner_beyond_every_point() {
        let origin = Origin::new(50.06, 19.94);
        let cell = cell_of(50.2, 20.1);
        let far = farthest_km(&origin, cell);
        for (dlat, dlon) in [(0.0, 0.0), (0.0999, 0.0), (0.0, 0.1499), (0.0999, 0.1499), (0.05, 0.07)] {
            let (row, col) = (cell / COLS, cell % COLS);
            let (lat, lon) = (LAT_MIN + row as f32 * CELL_LAT + dlat, LON_MIN + col as f32 * CELL_LON + dlon);
            assert!(origin.distance_km(lat, lon) <= far + 1e-3);
        }
        assert!(far >= nearest_km(&origin, cell));
        assert_eq!(farthest_km(&origin, 0), f32::INFINITY);
    }

    #[test]
    fn distance_is_close_to_haversine() {
        let warsaw = (52.2297f32, 21.0122f32);
        let otwock = (52.1053f32, 21.2615f32);
        let fast = Origin::new(warsaw.0, warsaw.1).distance_km(otwock.0, otwock.1);
        assert!((fast - 21.9).abs() < 0.3, "{fast}");
    }

    #[test]
    fn every_point_within_reach_is_in_a_listed_cell() {
        let mut cells = Vec::new();
        let centre = (50.06f32, 19.94f32);
        cells_within(centre.0, centre.1, 50.0, &mut cells);
        assert!(cells.len() < 200, "{}", cells.len());
        for step_lat in -60..=60 {
            for step_lon in -90..=90 {
                let point = (centre.0 + step_lat as f32 * 0.01, centre.1 + step_lon as f32 * 0.01);
                if Origin::new(centre.0, centre.1).distance_km(point.0, point.1) <= 50.0 {
                    assert!(cells.contains(&(cell_of(point.0, point.1) as u32)), "{point:?}");
                }
            }
        }
    }

    #[test]
    fn no_point_of_a_cell_is_nearer_than_its_nearest_distance() {
        let origin = Origin::new(50.06, 19.94);
        for step_lat in -40..=40 {
            for step_lon in -40..=40 {
                let point = (50.06 + step_lat as f32 * 0.0173, 19.94 + step_lon as f32 * 0.0291);
                let nearest = nearest_km(&origin, cell_of(point.0, point.1));
                assert!(origin.distance_km(point.0, point.1) >= nearest - 1e-3, "{point:?}");
            }
        }
        assert_eq!(nearest_km(&origin, cell_of(50.06, 19.94)), 0.0, "the origin's own cell");
    }

    #[test]
    fn buckets_split_cells_by_commute_band() {
        let cell = cell_of(50.06, 19.94);
        assert_eq!(bucket_of(50.06, 19.94, 5.0), cell * BANDS);
        assert_eq!(bucket_of(50.06, 19.94, 5.5), cell * BANDS + 1);
        assert_eq!(bucket_of(50.06, 19.94, 100.0), cell * BANDS + BANDS - 1);
        assert!(bucket_of(80.0, 80.0, 100.0) < BUCKET_COUNT);
    }

    #[test]
    fn cells_are_the_floor_of_the_offsets() {
        for step in -2000..=9000 {
            let lat = LAT_MIN + step as f32 * 0.001_37;
            let floor = (((lat - LAT_MIN) / CELL_LAT).floor().max(0.0) as usize).min(ROWS - 1);
            assert_eq!(row_of(lat), floor, "{lat}");
        }
        assert_eq!(row_of(f32::NAN), 0);
        assert_eq!(col_of(f32::NEG_INFINITY), 0);
        assert_eq!(col_of(f32::INFINITY), COLS - 1);
    }

    #[test]
    fn points_off_the_grid_land_in_edge_cells() {
        assert_eq!(cell_of(10.0, 0.0), 0);
        assert_eq!(cell_of(80.0, 80.0), CELL_COUNT - 1);
        let mut cells = Vec::new();
        cells_within(40.0, 5.0, 10.0, &mut cells);
        assert_eq!(cells, vec![0]);
    }
}
