//! Anomalies: things a supervisor should look at. Each kind has a severity and labels.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    NewDevice,
    MockLocation,
    ImpossibleTravel,
    CodeShared,
    RepeatedFix,
    LateSync,
    MissingCheckout,
    ShortVisit,
    OutsideWindowEdge,
    InspectionAbsent,
    InspectionUnrecorded,
    PresenceCheckMissed,
    RequirementMissed,
    /// A jurisdiction's report not filed by its due date (raised for the level above).
    FilingMissing,
    /// A report filed after its due date.
    FilingLate,
    ImplausibleAccuracy,
    FixAtFenceCentre,
    StaleFix,
    CrsChanged,
    CrsMislabelled,
    DeviceShared,
    GroupScan,
    PairedAccounts,
    /// The scan's network address locates far from the site (another province).
    NetworkFarAway,
    /// A kiosk's token fetched codes from two networks at once (raised for the site).
    KioskSecondNetwork,
    /// A printed daily code scanned live at a site whose kiosk shows the rotating code.
    DailyCodeLiveKiosk,
    /// The receiving clinic disputed the visit (受援单位日常考核).
    ClinicDisputed,
    /// The programme requires a scan photo and none came within the upload window.
    PhotoMissing,
    /// A supervisor sampling scan photos marked this visit's photo suspicious.
    PhotoSuspicious,
    /// A kiosk's token fetched codes from an address placed in another province than
    /// its site (raised for the site).
    KioskNetworkFarAway,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl AnomalyKind {
    pub const ALL: [AnomalyKind; 30] = [
        AnomalyKind::NewDevice,
        AnomalyKind::MockLocation,
        AnomalyKind::ImpossibleTravel,
        AnomalyKind::CodeShared,
        AnomalyKind::RepeatedFix,
        AnomalyKind::LateSync,
        AnomalyKind::MissingCheckout,
        AnomalyKind::ShortVisit,
        AnomalyKind::OutsideWindowEdge,
        AnomalyKind::InspectionAbsent,
        AnomalyKind::InspectionUnrecorded,
        AnomalyKind::PresenceCheckMissed,
        AnomalyKind::RequirementMissed,
        AnomalyKind::FilingMissing,
        AnomalyKind::FilingLate,
        AnomalyKind::ImplausibleAccuracy,
        AnomalyKind::FixAtFenceCentre,
        AnomalyKind::StaleFix,
        AnomalyKind::CrsChanged,
        AnomalyKind::CrsMislabelled,
        AnomalyKind::DeviceShared,
        AnomalyKind::GroupScan,
        AnomalyKind::PairedAccounts,
        AnomalyKind::NetworkFarAway,
        AnomalyKind::KioskSecondNetwork,
        AnomalyKind::DailyCodeLiveKiosk,
        AnomalyKind::ClinicDisputed,
        AnomalyKind::PhotoMissing,
        AnomalyKind::PhotoSuspicious,
        AnomalyKind::KioskNetworkFarAway,
    ];

    /// The contract's `kind` string.
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::NewDevice => "new_device",
            AnomalyKind::MockLocation => "mock_location",
            AnomalyKind::ImpossibleTravel => "impossible_travel",
            AnomalyKind::CodeShared => "code_shared",
            AnomalyKind::RepeatedFix => "repeated_fix",
            AnomalyKind::LateSync => "late_sync",
            AnomalyKind::MissingCheckout => "missing_checkout",
            AnomalyKind::ShortVisit => "short_visit",
            AnomalyKind::OutsideWindowEdge => "outside_window_edge",
            AnomalyKind::InspectionAbsent => "inspection_absent",
            AnomalyKind::InspectionUnrecorded => "inspection_unrecorded",
            AnomalyKind::PresenceCheckMissed => "presence_check_missed",
            AnomalyKind::RequirementMissed => "requirement_missed",
            AnomalyKind::FilingMissing => "filing_missing",
            AnomalyKind::FilingLate => "filing_late",
            AnomalyKind::ImplausibleAccuracy => "implausible_accuracy",
            AnomalyKind::FixAtFenceCentre => "fix_at_fence_centre",
            AnomalyKind::StaleFix => "stale_fix",
            AnomalyKind::CrsChanged => "crs_changed",
            AnomalyKind::CrsMislabelled => "crs_mislabelled",
            AnomalyKind::DeviceShared => "device_shared",
            AnomalyKind::GroupScan => "group_scan",
            AnomalyKind::PairedAccounts => "paired_accounts",
            AnomalyKind::NetworkFarAway => "network_far_away",
            AnomalyKind::KioskSecondNetwork => "kiosk_second_network",
            AnomalyKind::DailyCodeLiveKiosk => "daily_code_live_kiosk",
            AnomalyKind::ClinicDisputed => "clinic_disputed",
            AnomalyKind::PhotoMissing => "photo_missing",
            AnomalyKind::PhotoSuspicious => "photo_suspicious",
            AnomalyKind::KioskNetworkFarAway => "kiosk_network_far_away",
        }
    }

    pub fn parse(text: &str) -> Option<AnomalyKind> {
        AnomalyKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// How much a supervisor should worry: a claim that is likely false is high.
    pub fn severity(self) -> Severity {
        match self {
            AnomalyKind::MockLocation
            | AnomalyKind::ImpossibleTravel
            | AnomalyKind::CodeShared
            | AnomalyKind::RepeatedFix
            | AnomalyKind::InspectionAbsent
            | AnomalyKind::ImplausibleAccuracy
            | AnomalyKind::FixAtFenceCentre
            | AnomalyKind::CrsMislabelled
            | AnomalyKind::DeviceShared
            | AnomalyKind::GroupScan
            | AnomalyKind::PairedAccounts
            | AnomalyKind::NetworkFarAway
            | AnomalyKind::KioskSecondNetwork
            | AnomalyKind::ClinicDisputed
            | AnomalyKind::PhotoSuspicious
            | AnomalyKind::KioskNetworkFarAway => Severity::High,
            AnomalyKind::NewDevice
            | AnomalyKind::MissingCheckout
            | AnomalyKind::PresenceCheckMissed
            | AnomalyKind::RequirementMissed
            | AnomalyKind::FilingMissing
            | AnomalyKind::InspectionUnrecorded
            | AnomalyKind::StaleFix
            | AnomalyKind::CrsChanged
            | AnomalyKind::DailyCodeLiveKiosk
            | AnomalyKind::PhotoMissing => Severity::Medium,
            AnomalyKind::FilingLate => Severity::Low,
            AnomalyKind::LateSync | AnomalyKind::ShortVisit | AnomalyKind::OutsideWindowEdge => {
                Severity::Low
            }
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AnomalyKind::NewDevice => "更换设备签到",
            AnomalyKind::MockLocation => "模拟定位",
            AnomalyKind::ImpossibleTravel => "移动速度异常",
            AnomalyKind::CodeShared => "签到码疑似共享",
            AnomalyKind::RepeatedFix => "定位坐标重复",
            AnomalyKind::LateSync => "离线签到延迟上传",
            AnomalyKind::MissingCheckout => "未签退",
            AnomalyKind::ShortVisit => "在岗时间过短",
            AnomalyKind::OutsideWindowEdge => "签到时间临近规定时段边缘",
            AnomalyKind::InspectionAbsent => "暗访/核查时不在岗",
            AnomalyKind::InspectionUnrecorded => "暗访/核查在岗但无签到",
            AnomalyKind::PresenceCheckMissed => "未按时响应在岗抽查",
            AnomalyKind::RequirementMissed => "未达到服务要求",
            AnomalyKind::FilingMissing => "报表逾期未报",
            AnomalyKind::FilingLate => "报表迟报",
            AnomalyKind::ImplausibleAccuracy => "定位精度不合常理",
            AnomalyKind::FixAtFenceCentre => "定位恰在围栏中心",
            AnomalyKind::StaleFix => "定位时间早于扫码",
            AnomalyKind::CrsChanged => "坐标系前后不一致",
            AnomalyKind::CrsMislabelled => "坐标系疑似谎报",
            AnomalyKind::DeviceShared => "设备已绑定他人",
            AnomalyKind::GroupScan => "多账号同机同时签到",
            AnomalyKind::PairedAccounts => "两账号多地结伴签到",
            AnomalyKind::NetworkFarAway => "签到网络远离派驻地",
            AnomalyKind::KioskSecondNetwork => "签到屏链接在其他网络使用",
            AnomalyKind::DailyCodeLiveKiosk => "签到屏运行时使用纸质日码",
            AnomalyKind::ClinicDisputed => "受援单位对考勤有异议",
            AnomalyKind::PhotoMissing => "未按要求上传扫码照片",
            AnomalyKind::PhotoSuspicious => "扫码照片抽查存疑",
            AnomalyKind::KioskNetworkFarAway => "签到屏链接在外省取码",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            AnomalyKind::NewDevice => "Check-in from a new device",
            AnomalyKind::MockLocation => "Mock location reported",
            AnomalyKind::ImpossibleTravel => "Impossible travel speed",
            AnomalyKind::CodeShared => "Kiosk code likely shared",
            AnomalyKind::RepeatedFix => "Repeated coordinates",
            AnomalyKind::LateSync => "Offline scan uploaded late",
            AnomalyKind::MissingCheckout => "No check-out",
            AnomalyKind::ShortVisit => "Visit too short",
            AnomalyKind::OutsideWindowEdge => "Just outside the daily window",
            AnomalyKind::InspectionAbsent => "Absent at inspection",
            AnomalyKind::InspectionUnrecorded => "Present at inspection without a check-in",
            AnomalyKind::PresenceCheckMissed => "Presence spot-check missed",
            AnomalyKind::RequirementMissed => "Requirement missed",
            AnomalyKind::FilingMissing => "Report overdue",
            AnomalyKind::FilingLate => "Report filed late",
            AnomalyKind::ImplausibleAccuracy => "Implausibly precise fix",
            AnomalyKind::FixAtFenceCentre => "Fix pinned to the fence centre",
            AnomalyKind::StaleFix => "Fix older than the scan",
            AnomalyKind::CrsChanged => "Coordinate system changed",
            AnomalyKind::CrsMislabelled => "Coordinate system likely mislabelled",
            AnomalyKind::DeviceShared => "Device bound to another physician",
            AnomalyKind::GroupScan => "Several accounts scanning as one phone",
            AnomalyKind::PairedAccounts => "Two accounts repeatedly scanning together",
            AnomalyKind::NetworkFarAway => "Scan from a network far from the site",
            AnomalyKind::KioskSecondNetwork => "Kiosk link used from a second network",
            AnomalyKind::DailyCodeLiveKiosk => "Printed daily code while the kiosk runs",
            AnomalyKind::ClinicDisputed => "Disputed by the receiving clinic",
            AnomalyKind::PhotoMissing => "Required scan photo missing",
            AnomalyKind::PhotoSuspicious => "Scan photo marked suspicious",
            AnomalyKind::KioskNetworkFarAway => "Kiosk link used from another province",
        }
    }
}

/// A detected anomaly before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: AnomalyKind,
    pub detail: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_its_contract_name() {
        for kind in AnomalyKind::ALL {
            assert_eq!(AnomalyKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_value(kind).expect("serialises");
            assert_eq!(json, kind.as_str());
            assert!(!kind.label_zh().is_empty() && !kind.label_en().is_empty());
        }
        assert_eq!(AnomalyKind::parse("nonsense"), None);
    }

    #[test]
    fn likely_false_claims_are_high_severity() {
        assert_eq!(AnomalyKind::MockLocation.severity(), Severity::High);
        assert_eq!(AnomalyKind::LateSync.severity(), Severity::Low);
    }
}
