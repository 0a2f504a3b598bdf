//! Fictional people and places: Chinese-looking names built from syllable lists,
//! never taken from the circulars in the seeds (a unit test checks the whole name
//! space against them), with titles, specialties and genders in realistic shares.

use super::rng::Rng;
use crate::domain::user::Gender;

/// Common surnames (百家姓 frequency order, roughly).
pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任",
    "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦",
    "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "段", "雷", "侯", "龙", "史", "陶",
    "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严",
];

/// First characters of two-character given names.
pub const GIVEN_FIRST: &[&str] = &[
    "子", "嘉", "雨", "思", "欣", "宇", "浩", "晨", "梓", "若", "亦", "书", "沐", "星", "泽", "锦",
    "逸", "芷", "语", "昕", "皓", "睿", "诗", "佳", "奕", "弘", "景", "煜", "清", "承",
];

/// Second characters of two-character given names.
pub const GIVEN_SECOND: &[&str] = &[
    "涵", "轩", "萱", "怡", "琪", "瑶", "彤", "然", "阳", "妍", "辰", "航", "晴", "楠", "岚", "霖",
    "瑜", "璇", "洋", "琳", "朗", "宁", "悦", "晗", "婷", "琛", "钰", "淇", "澄", "昊",
];

/// First syllables of place names (乡镇、村、县).
pub const PLACE_FIRST: &[&str] = &[
    "青", "云", "松", "竹", "桂", "枫", "杉", "霞", "泉", "梅", "兰", "棠", "鹤", "鹭", "翠", "碧",
    "丹", "金", "银", "玉", "白", "紫", "苍", "黛", "芦", "荷", "樟", "柏", "榕", "茶",
];

/// Second syllables of place names.
pub const PLACE_SECOND: &[&str] = &[
    "溪", "坪", "洋", "岭", "塘", "坑", "湾", "坂", "峰", "岩", "源", "垄", "墩", "埔", "屿", "岙",
    "陂", "畲", "冈", "埕",
];

/// Professional titles (职称) with their share among supporting physicians: the
/// circulars ask for mid-level (中级) titles and above, a few juniors still go.
pub const TITLES: &[(&str, f64)] = &[
    ("主任医师", 0.10),
    ("副主任医师", 0.27),
    ("主治医师", 0.50),
    ("医师", 0.13),
];

/// Clinical departments of county hospitals.
pub const SPECIALTIES: &[&str] = &[
    "内科",
    "外科",
    "儿科",
    "妇产科",
    "全科医学科",
    "中医科",
    "急诊科",
    "骨科",
    "心血管内科",
    "呼吸内科",
    "消化内科",
    "神经内科",
    "眼科",
    "耳鼻喉科",
    "口腔科",
    "康复医学科",
    "皮肤科",
    "麻醉科",
];

/// A fictional person's name: surname and a two-character given name.
pub fn person_name(rng: &mut Rng) -> String {
    format!(
        "{}{}{}",
        rng.pick(SURNAMES),
        rng.pick(GIVEN_FIRST),
        rng.pick(GIVEN_SECOND)
    )
}

/// A two-syllable fictional place name (`青溪`, `樟坪` ...).
pub fn place_name(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(PLACE_FIRST), rng.pick(PLACE_SECOND))
}

/// A place name not yet in `taken`, so sites of one county are told apart; after a
/// few tries a numbered variant.
pub fn unique_place_name(rng: &mut Rng, taken: &mut std::collections::HashSet<String>) -> String {
    for _ in 0..20 {
        let name = place_name(rng);
        if taken.insert(name.clone()) {
            return name;
        }
    }
    let base = place_name(rng);
    let mut n = 2;
    loop {
        let name = format!("{base}{}", chinese_number(n));
        if taken.insert(name.clone()) {
            return name;
        }
        n += 1;
    }
}

/// 2 → 二, 11 → 十一, 25 → 二十五 (up to 99).
pub fn chinese_number(n: u32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n as usize].to_owned(),
        10..=19 => format!(
            "十{}",
            if n == 10 {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        20..=99 => format!(
            "{}十{}",
            DIGITS[(n / 10) as usize],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[(n % 10) as usize]
            }
        ),
        _ => n.to_string(),
    }
}

pub fn title(rng: &mut Rng) -> &'static str {
    let weights: Vec<f64> = TITLES.iter().map(|(_, w)| *w).collect();
    TITLES[rng.weighted(&weights)].0
}

/// Mid-level (中级: 主治医师) or above, as dispatch postings require.
pub fn is_mid_level_or_above(title: &str) -> bool {
    title != "医师"
}

pub fn specialty(rng: &mut Rng) -> &'static str {
    let chosen: &&'static str = rng.pick(SPECIALTIES);
    chosen
}

pub fn gender(rng: &mut Rng) -> Gender {
    if rng.chance(0.52) {
        Gender::Male
    } else {
        Gender::Female
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Every name the generator could ever produce (people and place stems).
    fn every_person_name() -> Vec<String> {
        let mut all = Vec::new();
        for s in SURNAMES {
            for a in GIVEN_FIRST {
                for b in GIVEN_SECOND {
                    all.push(format!("{s}{a}{b}"));
                }
            }
        }
        all
    }

    fn every_place_name() -> Vec<String> {
        PLACE_FIRST
            .iter()
            .flat_map(|a| PLACE_SECOND.iter().map(move |b| format!("{a}{b}")))
            .collect()
    }

    /// The circulars the domain was taken from, when this checkout can see them
    /// (`XIAXIANG_SEEDS_DIR`, default `/work/shared/seeds`).
    fn seed_texts() -> Option<String> {
        let dir =
            std::env::var("XIAXIANG_SEEDS_DIR").unwrap_or_else(|_| "/work/shared/seeds".into());
        let entries = std::fs::read_dir(&dir).ok()?;
        let mut text = String::new();
        for entry in entries.flatten() {
            if let Ok(content) = std::fs::read_to_string(entry.path()) {
                text.push_str(&content);
            }
        }
        (!text.is_empty()).then_some(text)
    }

    #[test]
    fn no_generated_name_occurs_in_the_seed_circulars() {
        let Some(seeds) = seed_texts() else {
            eprintln!("seed circulars not found; set XIAXIANG_SEEDS_DIR to check against them");
            return;
        };
        // Every run of three characters of the seeds, to test 90,000 names at once.
        let chars: Vec<char> = seeds.chars().collect();
        let triples: HashSet<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
        let pairs: HashSet<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
        let people: Vec<String> = every_person_name()
            .into_iter()
            .filter(|n| triples.contains(n))
            .collect();
        assert!(people.is_empty(), "names from the seeds: {people:?}");
        let places: Vec<String> = every_place_name()
            .into_iter()
            .filter(|n| pairs.contains(n))
            .collect();
        assert!(places.is_empty(), "place names from the seeds: {places:?}");
    }

    #[test]
    fn names_are_surname_plus_two_characters() {
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            let name = person_name(&mut rng);
            assert_eq!(name.chars().count(), 3, "{name}");
            let surname: String = name.chars().take(1).collect();
            assert!(SURNAMES.contains(&surname.as_str()));
        }
    }

    #[test]
    fn unique_place_names_never_repeat() {
        let mut rng = Rng::new(5);
        let mut taken = HashSet::new();
        let names: Vec<String> = (0..800)
            .map(|_| unique_place_name(&mut rng, &mut taken))
            .collect();
        let distinct: HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
    }

    #[test]
    fn chinese_numbers_read_naturally() {
        assert_eq!(chinese_number(2), "二");
        assert_eq!(chinese_number(10), "十");
        assert_eq!(chinese_number(11), "十一");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(35), "三十五");
    }

    #[test]
    fn titles_follow_their_shares() {
        let mut rng = Rng::new(9);
        let mid = (0..10_000)
            .filter(|_| is_mid_level_or_above(title(&mut rng)))
            .count();
        assert!((8_300..9_100).contains(&mid), "{mid}");
    }
}
