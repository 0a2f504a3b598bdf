// The API's enumerations in words a county bureau uses. A visit of a physician to a
// clinic is a 服务 (service), never a 就诊 (a patient's consultation).
import type { Pair } from './i18n';

/**
 * The kinds' names for the places that have a kind but no anomaly to read them from
 * (the kind filter, an inspection's raised kinds, the dashboard's English legend): the
 * same names as `AnomalyKind::label_zh`/`label_en` (server/src/domain/anomaly.rs).
 * Where an anomaly is at hand, its own `label_zh`/`label_en` are shown instead.
 */
export const ANOMALY_KINDS: Record<string, Pair> = {
  new_device: ['更换设备签到', 'Check-in from a new device'],
  mock_location: ['模拟定位', 'Mock location reported'],
  impossible_travel: ['移动速度异常', 'Impossible travel speed'],
  code_shared: ['签到码疑似共享', 'Kiosk code likely shared'],
  repeated_fix: ['定位坐标重复', 'Repeated coordinates'],
  late_sync: ['离线签到延迟上传', 'Offline scan uploaded late'],
  missing_checkout: ['未签退', 'No check-out'],
  short_visit: ['在岗时间过短', 'Visit too short'],
  outside_window_edge: ['签到时间临近规定时段边缘', 'Just outside the daily window'],
  inspection_absent: ['暗访/核查时不在岗', 'Absent at inspection'],
  inspection_unrecorded: ['暗访/核查在岗但无签到', 'Present at inspection without a check-in'],
  presence_check_missed: ['未按时响应在岗抽查', 'Presence spot-check missed'],
  requirement_missed: ['未达到服务要求', 'Requirement missed'],
  filing_missing: ['报表逾期未报', 'Report overdue'],
  filing_late: ['报表迟报', 'Report filed late'],
  implausible_accuracy: ['定位精度不合常理', 'Implausibly precise fix'],
  fix_at_fence_centre: ['定位恰在围栏中心', 'Fix pinned to the fence centre'],
  stale_fix: ['定位时间早于扫码', 'Fix older than the scan'],
  crs_changed: ['坐标系前后不一致', 'Coordinate system changed'],
  crs_mislabelled: ['坐标系疑似谎报', 'Coordinate system likely mislabelled'],
  device_shared: ['设备已绑定他人', 'Device bound to another physician'],
  group_scan: ['多账号同机同时签到', 'Several accounts scanning as one phone'],
  paired_accounts: ['两账号多地结伴签到', 'Two accounts repeatedly scanning together'],
  network_far_away: ['签到网络远离派驻地', 'Scan from a network far from the site'],
  kiosk_second_network: ['签到屏链接在其他网络使用', 'Kiosk link used from a second network'],
  daily_code_live_kiosk: ['签到屏运行时使用纸质日码', 'Printed daily code while the kiosk runs'],
  clinic_disputed: ['受援单位对考勤有异议', 'Disputed by the receiving clinic'],
  photo_missing: ['未按要求上传扫码照片', 'Required scan photo missing'],
  photo_suspicious: ['扫码照片抽查存疑', 'Scan photo marked suspicious'],
  kiosk_network_far_away: ['签到屏链接在外省取码', 'Kiosk link used from another province'],
};

/** Anomaly kinds whose sentence names where the IP database places an address (DB-IP attribution). */
export const IP_PLACED_KINDS = ['network_far_away', 'kiosk_network_far_away'];

export const SEVERITY: Record<string, Pair> = { high: ['高', 'High'], medium: ['中', 'Medium'], low: ['低', 'Low'] };
export const ANOMALY_STATUS: Record<string, Pair> = {
  open: ['待审核', 'Open'],
  confirmed: ['已确认', 'Confirmed'],
  dismissed: ['已排除', 'Dismissed'],
};
export const DECISION: Record<string, Pair> = { confirm: ['确认异常', 'Confirmed'], dismiss: ['排除', 'Dismissed'] };
export const CREDIT: Record<string, Pair> = {
  creditable: ['计入', 'Credited'],
  pending: ['待审核', 'Pending review'],
  denied: ['不计入', 'Not credited'],
  open: ['服务中', 'In progress'],
};
export const VISIT_STATUS: Record<string, Pair> = {
  open: ['服务中', 'In progress'],
  closed: ['已签退', 'Checked out'],
  auto_closed: ['自动结束', 'Closed automatically'],
};
export const ACTION: Record<string, Pair> = {
  check_in: ['签到', 'Check-in'],
  check_out: ['签退', 'Check-out'],
  presence: ['在岗抽查', 'Presence check'],
};
/** The roles that sign in to the console (each sees what the API lets it use). */
export const ROLE: Record<string, Pair> = {
  admin: ['管理员', 'Administrator'],
  supervisor: ['督查员', 'Supervisor'],
  hospital_admin: ['医院管理员', 'Hospital administrator'],
  clinic_admin: ['基层单位管理员', 'Clinic administrator'],
};
/** Every role a person can have (kiosks are screens, not people). */
export const USER_ROLE: Record<string, Pair> = {
  ...ROLE,
  physician: ['医师', 'Physician'],
};
export const GENDER: Record<string, Pair> = { male: ['男', 'Male'], female: ['女', 'Female'] };
/** 类别 of a physician (issue #19: who may be sent). */
export const DISCIPLINE: Record<string, Pair> = {
  clinical: ['临床', 'Clinical'], tcm: ['中医', 'TCM'], nursing: ['护理', 'Nursing'],
  public_health: ['公共卫生', 'Public health'], pharmacy: ['药学', 'Pharmacy'], technician: ['医技', 'Technician'],
};
export const ORG_KIND: Record<string, Pair> = {
  hospital: ['医院', 'Hospital'],
  township_health_center: ['乡镇卫生院', 'Township health center'],
  community_health_center: ['社区卫生服务中心', 'Community health center'],
  village_clinic: ['村卫生室', 'Village clinic'],
  cdc: ['疾控中心', 'CDC'],
  health_bureau: ['卫健局', 'Health bureau'],
};
/** The kinds of organisation that receive physicians (the 全覆盖 of the circulars). */
export const RECEIVING_KINDS = ['township_health_center', 'community_health_center', 'village_clinic'];
export const PROGRESS: Record<string, Pair> = {
  met: ['已达标', 'Met'],
  on_track: ['进度正常', 'On track'],
  at_risk: ['有风险', 'At risk'],
  missed: ['未达标', 'Missed'],
};
export const INSPECTION_KIND: Record<string, Pair> = {
  unannounced: ['暗访', 'Unannounced visit'],
  onsite: ['现场核查', 'On-site check'],
};
export const ACTIVITY: Record<string, Pair> = {
  outpatient: ['门诊', 'Outpatients'],
  inpatient: ['住院诊疗', 'Inpatients'],
  ward_round: ['查房', 'Ward rounds'],
  teaching: ['带教', 'Teaching'],
  lecture: ['讲座', 'Lectures'],
  case_discussion: ['病例讨论', 'Case discussions'],
  training: ['培训', 'Training'],
  surgery: ['手术', 'Surgery'],
  teleconsultation: ['远程会诊', 'Teleconsultations'],
  health_education: ['健康教育', 'Health education'],
  teaching_round: ['教学查房', 'Teaching rounds'],
  family_doctor_contract: ['家庭医生签约', 'Family doctor contracts'],
  public_health_service: ['公共卫生服务', 'Public health services'],
  free_clinic: ['义诊', 'Free clinics'],
  two_way_referral: ['双向转诊', 'Two-way referrals'],
  new_technique: ['新技术新项目', 'New techniques and projects'],
};
export const FIX_ROLE: Record<string, Pair> = {
  event: ['本次定位', 'This fix'],
  previous: ['上一次定位', 'Previous fix'],
  other: ['对比定位', 'Compared fix'],
  visit: ['服务定位', 'Service fix'],
};
