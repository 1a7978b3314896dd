//! Powiats with their real TERYT codes, seat coordinates and an approximate population (in
//! thousands), used to place people, workplaces and coaches where people actually live.

/// A powiat the generator can place things in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Powiat {
    /// Four-digit TERYT code.
    pub teryt: &'static str,
    /// Name (seat or powiat).
    pub name: &'static str,
    /// Latitude of the seat.
    pub lat: f64,
    /// Longitude of the seat.
    pub lon: f64,
    /// Approximate population, thousands; the generator's sampling weight.
    pub population_k: u32,
}

const fn powiat(teryt: &'static str, name: &'static str, lat: f64, lon: f64, population_k: u32) -> Powiat {
    Powiat { teryt, name, lat, lon, population_k }
}

/// The powiats the generator uses: the sixteen voivodeship capitals, and the regions named in
/// our material (Małopolska, Świętokrzyskie, Pomorskie, Lubuskie, Mazowieckie) in more depth.
pub const POWIATS: &[Powiat] = &[
    // Voivodeship capitals (cities with powiat rights).
    powiat("0264", "Wrocław", 51.107, 17.038, 675),
    powiat("0461", "Bydgoszcz", 53.123, 18.008, 330),
    powiat("0463", "Toruń", 53.013, 18.598, 195),
    powiat("0663", "Lublin", 51.246, 22.568, 335),
    powiat("0861", "Gorzów Wielkopolski", 52.731, 15.238, 120),
    powiat("0862", "Zielona Góra", 51.935, 15.506, 140),
    powiat("1061", "Łódź", 51.759, 19.456, 660),
    powiat("1261", "Kraków", 50.065, 19.945, 800),
    powiat("1465", "Warszawa", 52.230, 21.012, 1860),
    powiat("1661", "Opole", 50.675, 17.921, 127),
    powiat("1863", "Rzeszów", 50.041, 21.999, 198),
    powiat("2061", "Białystok", 53.133, 23.169, 295),
    powiat("2261", "Gdańsk", 54.352, 18.646, 486),
    powiat("2469", "Katowice", 50.264, 19.024, 285),
    powiat("2661", "Kielce", 50.866, 20.628, 185),
    powiat("2862", "Olsztyn", 53.778, 20.480, 170),
    powiat("3064", "Poznań", 52.406, 16.925, 540),
    powiat("3262", "Szczecin", 53.428, 14.553, 390),
    // Małopolska.
    powiat("1201", "bocheński", 49.969, 20.430, 108),
    powiat("1203", "chrzanowski", 50.135, 19.403, 122),
    powiat("1205", "gorlicki", 49.655, 21.160, 108),
    powiat("1206", "krakowski", 50.120, 19.880, 290),
    powiat("1207", "limanowski", 49.706, 20.422, 131),
    powiat("1209", "myślenicki", 49.834, 19.938, 128),
    powiat("1211", "nowotarski", 49.477, 20.032, 191),
    powiat("1212", "olkuski", 50.281, 19.565, 111),
    powiat("1213", "oświęcimski", 50.038, 19.221, 153),
    powiat("1217", "tatrzański", 49.299, 19.949, 66),
    powiat("1218", "wadowicki", 49.883, 19.493, 160),
    powiat("1219", "wielicki", 49.987, 20.065, 133),
    powiat("1262", "Nowy Sącz", 49.621, 20.697, 82),
    powiat("1263", "Tarnów", 50.012, 20.988, 105),
    // Świętokrzyskie.
    powiat("2601", "buski", 50.470, 20.718, 70),
    powiat("2602", "jędrzejowski", 50.639, 20.304, 84),
    powiat("2604", "kielecki", 50.900, 20.560, 210),
    powiat("2605", "konecki", 51.192, 20.409, 79),
    powiat("2607", "ostrowiecki", 50.929, 21.385, 107),
    powiat("2609", "sandomierski", 50.682, 21.749, 76),
    powiat("2610", "skarżyski", 51.117, 20.871, 72),
    powiat("2611", "starachowicki", 51.038, 21.071, 88),
    powiat("2612", "staszowski", 50.563, 21.168, 70),
    // Pomorskie.
    powiat("2202", "chojnicki", 53.697, 17.557, 98),
    powiat("2204", "gdański", 54.262, 18.640, 120),
    powiat("2205", "kartuski", 54.334, 18.197, 138),
    powiat("2209", "malborski", 54.036, 19.027, 63),
    powiat("2213", "starogardzki", 53.966, 18.529, 128),
    powiat("2214", "tczewski", 54.092, 18.778, 116),
    powiat("2215", "wejherowski", 54.606, 18.236, 221),
    powiat("2262", "Gdynia", 54.518, 18.531, 245),
    powiat("2263", "Słupsk", 54.464, 17.029, 89),
    powiat("2264", "Sopot", 54.441, 18.560, 34),
    // Lubuskie.
    powiat("0802", "krośnieński", 52.052, 15.099, 55),
    powiat("0803", "międzyrzecki", 52.444, 15.578, 58),
    powiat("0804", "nowosolski", 51.803, 15.717, 86),
    powiat("0805", "słubicki", 52.350, 14.560, 47),
    powiat("0808", "świebodziński", 52.247, 15.534, 56),
    powiat("0810", "żagański", 51.617, 15.315, 80),
    powiat("0811", "żarski", 51.642, 15.138, 97),
    // Mazowieckie.
    powiat("1402", "ciechanowski", 52.881, 20.620, 88),
    powiat("1403", "garwoliński", 51.898, 21.615, 108),
    powiat("1405", "grodziski", 52.109, 20.625, 95),
    powiat("1408", "legionowski", 52.404, 20.926, 120),
    powiat("1412", "miński", 52.179, 21.558, 155),
    powiat("1413", "mławski", 53.112, 20.384, 73),
    powiat("1417", "otwocki", 52.105, 21.261, 127),
    powiat("1418", "piaseczyński", 52.073, 21.023, 200),
    powiat("1421", "pruszkowski", 52.169, 20.812, 165),
    powiat("1428", "sochaczewski", 52.229, 20.238, 82),
    powiat("1434", "wołomiński", 52.350, 21.240, 245),
    powiat("1461", "Ostrołęka", 53.086, 21.575, 51),
    powiat("1462", "Płock", 52.547, 19.706, 116),
    powiat("1463", "Radom", 51.402, 21.147, 204),
    powiat("1464", "Siedlce", 52.168, 22.290, 77),
];

/// The powiat with this TERYT code.
pub fn powiat_by_teryt(teryt: &str) -> Option<&'static Powiat> {
    POWIATS.iter().find(|powiat| powiat.teryt == teryt)
}

#[cfg(test)]
mod tests {
    use pomost_domain::{GeoPoint, TerytCode};

    use super::*;

    #[test]
    fn every_powiat_is_valid_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for powiat in POWIATS {
            let code = TerytCode::parse(powiat.teryt).unwrap();
            assert_eq!(code.len(), 4, "{}", powiat.name);
            assert!(GeoPoint::new(powiat.lat, powiat.lon).is_ok());
            assert!((49.0..=55.0).contains(&powiat.lat) && (14.0..=24.2).contains(&powiat.lon), "{}", powiat.name);
            assert!(seen.insert(powiat.teryt), "{} twice", powiat.teryt);
        }
        assert!(powiat_by_teryt("1261").is_some());
    }
}
