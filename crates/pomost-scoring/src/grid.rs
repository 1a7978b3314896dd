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

fn row_of(lat: f32) -> usize {
    (((lat - LAT_MIN) / CELL_LAT).floor().max(0.0) as usize).min(ROWS - 1)
}

fn col_of(lon: f32) -> usize {
    (((lon - LON_MIN) / CELL_LON).floor().max(0.0) as usize).min(COLS - 1)
}

/// The cell a point falls into.
pub(crate) fn cell_of(lat: f32, lon: f32) -> usize {
    row_of(lat) * COLS + col_of(lon)
}

/// Distance used by scoring for commutes and coach radii: equirectangular projection at the
/// mean latitude, accurate to well under 1% at commuting distances, and cheap enough for
/// the scan. Shortlists and explanations use this one function, so they always agree.
#[inline]
pub(crate) fn distance_km(lat1: f32, lon1: f32, lat2: f32, lon2: f32) -> f32 {
    let mean_lat = ((lat1 + lat2) * 0.5).to_radians();
    let x = (lon2 - lon1) * mean_lat.cos();
    let y = lat2 - lat1;
    (x * x + y * y).sqrt() * KM_PER_DEGREE
}

/// Cells that may hold a point within `radius_km` of (lat, lon), in row-major order.
/// Conservative: edge cells also hold the points beyond the grid, so they are always kept
/// when the circle reaches the edge.
pub(crate) fn cells_within(lat: f32, lon: f32, radius_km: f32, out: &mut Vec<u32>) {
    out.clear();
    let reach_lat = radius_km / KM_PER_DEGREE + CELL_LAT;
    let widest = (lat.abs() + reach_lat).min(89.0).to_radians().cos().max(0.01);
    let reach_lon = radius_km / (KM_PER_DEGREE * widest) + CELL_LON;
    let (row_lo, row_hi) = (row_of(lat - reach_lat), row_of(lat + reach_lat));
    let (col_lo, col_hi) = (col_of(lon - reach_lon), col_of(lon + reach_lon));
    for row in row_lo..=row_hi {
        for col in col_lo..=col_hi {
            let cell_lat_lo = if row == 0 { f32::MIN } else { LAT_MIN + row as f32 * CELL_LAT };
            let cell_lat_hi = if row == ROWS - 1 { f32::MAX } else { LAT_MIN + (row + 1) as f32 * CELL_LAT };
            let cell_lon_lo = if col == 0 { f32::MIN } else { LON_MIN + col as f32 * CELL_LON };
            let cell_lon_hi = if col == COLS - 1 { f32::MAX } else { LON_MIN + (col + 1) as f32 * CELL_LON };
            let nearest_lat = lat.clamp(cell_lat_lo, cell_lat_hi);
            let nearest_lon = lon.clamp(cell_lon_lo, cell_lon_hi);
            // One kilometre of slack covers the projection's error at the cell corner.
            if distance_km(lat, lon, nearest_lat, nearest_lon) <= radius_km + 1.0 {
                out.push((row * COLS + col) as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_is_close_to_haversine() {
        let warsaw = (52.2297f32, 21.0122f32);
        let otwock = (52.1053f32, 21.2615f32);
        let fast = distance_km(warsaw.0, warsaw.1, otwock.0, otwock.1);
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
                if distance_km(centre.0, centre.1, point.0, point.1) <= 50.0 {
                    assert!(cells.contains(&(cell_of(point.0, point.1) as u32)), "{point:?}");
                }
            }
        }
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
