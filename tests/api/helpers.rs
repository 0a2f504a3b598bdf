//! Spawning servers and building the world they serve.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use mobile_api::client::Client;
use mobile_api::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;
use xiaxiang_server::auth::password::PasswordCost;
use xiaxiang_server::domain::clock::ManualClock;
use xiaxiang_server::{App, Config};

/// Monday 2026-03-02 09:00 in Asia/Shanghai.
pub fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0)
        .single()
        .expect("valid instant")
}

pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "user-password-1";

static PHONE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A phone number no other test in this process uses.
pub fn unique_phone() -> String {
    let n = PHONE_COUNTER.fetch_add(1, Ordering::Relaxed);
    let salt = u64::from(std::process::id() % 1000);
    format!("139{:03}{:05}", salt, n % 100_000)
}

/// Where a test server keeps its data.
pub enum TestDb {
    Sqlite { dir: PathBuf },
    Postgres { url: String },
}

impl TestDb {
    /// A fresh database on the backend the environment selects.
    pub async fn create() -> TestDb {
        match std::env::var("XIAXIANG_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let name = format!("xiaxiang_test_{}", Uuid::new_v4().simple());
                let admin = sqlx::PgPool::connect(&admin_url)
                    .await
                    .expect("XIAXIANG_TEST_POSTGRES_URL must reach a PostgreSQL server");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin)
                    .await
                    .expect("create test database");
                admin.close().await;
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base.to_owned())
                    .expect("URL with a database path");
                TestDb::Postgres {
                    url: format!("{base}/{name}"),
                }
            }
            None => {
                if std::env::var("XIAXIANG_REQUIRE_SERVICES").is_ok_and(|v| v == "1") {
                    panic!("XIAXIANG_REQUIRE_SERVICES=1 but XIAXIANG_TEST_POSTGRES_URL is not set");
                }
                let dir = std::env::temp_dir().join(format!("xiaxiang-test-{}", Uuid::new_v4()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                TestDb::Sqlite { dir }
            }
        }
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { dir } => format!("sqlite://{}", dir.join("xiaxiang.db").display()),
            TestDb::Postgres { url } => url.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Sqlite { dir } = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub fn redis_url() -> Option<String> {
    let url = std::env::var("XIAXIANG_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() && std::env::var("XIAXIANG_REQUIRE_SERVICES").is_ok_and(|v| v == "1") {
        panic!("XIAXIANG_REQUIRE_SERVICES=1 but XIAXIANG_TEST_REDIS_URL is not set");
    }
    url
}

/// A running server with its database, clock and a logged-in admin.
pub struct TestApp {
    pub address: String,
    pub anonymous: Client,
    pub admin: Client,
    pub clock: Arc<ManualClock>,
    pub config: Config,
    pub jwt_secret: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    // Dropped last: the files outlive the server.
    pub db: TestDb,
}

type ConfigTweak = Box<dyn FnOnce(&mut Config)>;

pub struct TestAppBuilder {
    start: DateTime<Utc>,
    tweak: Vec<ConfigTweak>,
}

impl TestAppBuilder {
    #[allow(dead_code)] // used by the check-in tests
    pub fn at(mut self, start: DateTime<Utc>) -> Self {
        self.start = start;
        self
    }

    pub fn config(mut self, tweak: impl FnOnce(&mut Config) + 'static) -> Self {
        self.tweak.push(Box::new(tweak));
        self
    }

    pub async fn spawn(self) -> TestApp {
        let db = TestDb::create().await;
        let jwt_secret = format!("test-secret-{}-{}", Uuid::new_v4(), Uuid::new_v4());
        let admin_phone = unique_phone();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("address"),
            database_url: db.url(),
            redis_url: redis_url(),
            redis_prefix: format!("test-{}:", Uuid::new_v4().simple()),
            jwt_secret: Some(jwt_secret.clone()),
            bootstrap_admin: Some(xiaxiang_server::config::BootstrapAdmin {
                phone: admin_phone.clone(),
                password: ADMIN_PASSWORD.to_owned(),
            }),
            password_cost: PasswordCost {
                memory_kib: 256,
                iterations: 1,
            },
            db_max_connections: 5,
            ..Config::default()
        };
        for tweak in self.tweak {
            tweak(&mut config);
        }
        let clock = Arc::new(ManualClock::new(self.start));
        let mut app = TestApp {
            address: String::new(),
            anonymous: Client::new("http://unused"),
            admin: Client::new("http://unused"),
            clock,
            config,
            jwt_secret,
            shutdown: None,
            server: None,
            db,
        };
        app.start().await;
        let token = app
            .anonymous
            .login(&LoginRequest {
                phone: admin_phone,
                password: ADMIN_PASSWORD.to_owned(),
                device_id: None,
            })
            .await
            .expect("bootstrap admin logs in");
        app.admin = app.anonymous.with_token(token.access_token);
        app
    }
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            start: default_start(),
            tweak: Vec::new(),
        }
    }

    pub async fn spawn() -> TestApp {
        TestApp::builder().spawn().await
    }

    /// Starts (or restarts) the server on the same database and clock.
    async fn start(&mut self) {
        let app = App::build(self.config.clone(), self.clock.clone())
            .await
            .expect("server builds");
        let address = format!("http://{}", app.local_addr().expect("bound"));
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = app
                .run_until(async {
                    let _ = rx.await;
                })
                .await;
        });
        self.address = address.clone();
        self.anonymous = Client::new(address.clone());
        if let Some(token) = self.admin.token().map(str::to_owned) {
            self.admin = self.anonymous.with_token(token);
        }
        self.shutdown = Some(tx);
        self.server = Some(server);
    }

    /// Stops the server, waits for it, and starts a new one on the same database.
    pub async fn restart(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.start().await;
    }

    pub fn client(&self, token: &str) -> Client {
        self.anonymous.with_token(token)
    }

    /// Logs a user in and answers a client carrying their token.
    pub async fn login(&self, phone: &str, password: &str) -> Client {
        let tokens = self
            .anonymous
            .login(&LoginRequest {
                phone: phone.to_owned(),
                password: password.to_owned(),
                device_id: None,
            })
            .await
            .expect("login");
        self.client(&tokens.access_token)
    }

    /// Sends raw JSON with a token and answers status and body.
    pub async fn send(
        &self,
        client: &Client,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = client.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }
}

/// One piece of the world: a user and a client logged in as them.
pub struct Person {
    pub user: User,
    pub client: Client,
}

/// A small province: Fujian > 龙岩市 > 漳平市 with a hospital and a township health
/// center (circle fence), and 泉州市 > 丰泽区 with its own center; a program and
/// people of every role.
pub struct World {
    pub city: String,
    pub county: String,
    pub other_city: String,
    pub other_county: String,
    pub hospital: Organization,
    pub site: Organization,
    pub other_site: Organization,
    pub program: Program,
    pub supervisor: Person,
    pub other_supervisor: Person,
    pub hospital_admin: Person,
    pub clinic_admin: Person,
    pub physician: Person,
    pub assignment: Assignment,
    pub kiosk: KioskEnrolment,
}

/// The site's fence centre (a township near 漳平, WGS-84).
pub const SITE_LAT: f64 = 25.2910;
pub const SITE_LON: f64 = 117.4120;

pub fn circle(lat: f64, lon: f64, radius_m: f64) -> Value {
    json!({"type": "circle", "center": {"lat": lat, "lon": lon}, "radius_m": radius_m, "crs": "wgs84"})
}

impl TestApp {
    pub async fn jurisdiction(
        &self,
        code: &str,
        name: &str,
        level: JurisdictionLevel,
        parent: Option<&str>,
    ) {
        self.admin
            .create_jurisdiction(&CreateJurisdiction {
                code: code.to_owned(),
                name: name.to_owned(),
                level,
                parent_code: parent.map(str::to_owned),
            })
            .await
            .expect("jurisdiction");
    }

    pub async fn organization(
        &self,
        name: &str,
        kind: OrganizationKind,
        county: &str,
        geofence: Option<Value>,
    ) -> Organization {
        self.admin
            .create_organization(&CreateOrganization {
                name: name.to_owned(),
                kind,
                jurisdiction_code: county.to_owned(),
                geofence,
                timezone: None,
                max_accuracy_m: None,
            })
            .await
            .expect("organization")
    }

    /// Creates a user with `role` and logs them in.
    pub async fn person(
        &self,
        role: Role,
        organization_id: Option<Uuid>,
        jurisdiction_code: Option<&str>,
    ) -> Person {
        let phone = unique_phone();
        let user = self
            .admin
            .create_user(&CreateUser {
                role,
                name: format!("测试{}", role.as_str()),
                phone: phone.clone(),
                password: PASSWORD.to_owned(),
                organization_id,
                jurisdiction_code: jurisdiction_code.map(str::to_owned),
                title: None,
                specialty: None,
                gender: None,
                discipline: None,
                practice_since_year: None,
            })
            .await
            .expect("user");
        self.set_own_password(&phone, PASSWORD).await;
        let client = self.login(&phone, PASSWORD).await;
        Person { user, client }
    }

    /// Clears the one-time flag of a user an administrator created with `password` (the
    /// server refuses their requests until they set their own): sets another password
    /// and then `password` again, so the fixture's password still signs in.
    pub async fn set_own_password(&self, phone: &str, password: &str) {
        let interim = format!("{password}-own");
        for (current, new) in [(password, interim.as_str()), (interim.as_str(), password)] {
            let client = self.login(phone, current).await;
            let (status, body) = self
                .send(
                    &client,
                    Method::POST,
                    "/api/v1/auth/password",
                    Some(json!({"current_password": current, "new_password": new})),
                )
                .await;
            assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        }
    }

    pub async fn world(&self) -> World {
        let (province, city, county) = ("350000", "350800", "350881");
        let (other_city, other_county) = ("350500", "350503");
        self.jurisdiction(province, "福建省", JurisdictionLevel::Province, None)
            .await;
        self.jurisdiction(city, "龙岩市", JurisdictionLevel::City, Some(province))
            .await;
        self.jurisdiction(county, "漳平市", JurisdictionLevel::County, Some(city))
            .await;
        self.jurisdiction(
            other_city,
            "泉州市",
            JurisdictionLevel::City,
            Some(province),
        )
        .await;
        self.jurisdiction(
            other_county,
            "丰泽区",
            JurisdictionLevel::County,
            Some(other_city),
        )
        .await;
        let hospital = self
            .organization("漳平市医院", OrganizationKind::Hospital, county, None)
            .await;
        let site = self
            .organization(
                "溪南镇卫生院",
                OrganizationKind::TownshipHealthCenter,
                county,
                Some(circle(SITE_LAT, SITE_LON, 150.0)),
            )
            .await;
        let other_site = self
            .organization(
                "东海街道社区卫生服务中心",
                OrganizationKind::CommunityHealthCenter,
                other_county,
                Some(circle(24.90, 118.62, 150.0)),
            )
            .await;
        let program = self
            .admin
            .create_program(&CreateProgram {
                name: "漳平市医师下基层".to_owned(),
                jurisdiction_code: county.to_owned(),
                half_day_minutes: None,
                full_day_minutes: None,
                requirements: vec![Requirement {
                    period: RequirementPeriod::Month,
                    min_days: Some(1.0),
                    min_half_days: None,
                    min_visits: None,
                    min_days_served: None,
                    min_working_days: None,
                    min_activity_count: None,
                    activity: None,
                    min_consecutive_months: None,
                }],
                eligibility: Default::default(),
            })
            .await
            .expect("program");
        let supervisor = self.person(Role::Supervisor, None, Some(city)).await;
        let other_supervisor = self.person(Role::Supervisor, None, Some(other_city)).await;
        let hospital_admin = self
            .person(Role::HospitalAdmin, Some(hospital.id), None)
            .await;
        let clinic_admin = self.person(Role::ClinicAdmin, Some(site.id), None).await;
        let physician = self.person(Role::Physician, Some(hospital.id), None).await;
        let assignment = self
            .admin
            .create_assignment(&CreateAssignment {
                physician_id: physician.user.id,
                site_id: site.id,
                program_id: program.id,
                mode: AssignmentMode::Circuit,
                start_date: "2026-01-01".parse().expect("date"),
                end_date: "2026-12-31".parse().expect("date"),
                window_start: "08:00".to_owned(),
                window_end: "17:30".to_owned(),
                eligibility_override: None,
            })
            .await
            .expect("assignment");
        let kiosk = self
            .admin
            .enroll_kiosk(site.id, &EnrollKiosk::default())
            .await
            .expect("kiosk");
        World {
            city: city.into(),
            county: county.into(),
            other_city: other_city.into(),
            other_county: other_county.into(),
            hospital,
            site,
            other_site,
            program,
            supervisor,
            other_supervisor,
            hospital_admin,
            clinic_admin,
            physician,
            assignment,
            kiosk,
        }
    }
}

/// Asserts a problem answer: status and code.
pub fn assert_problem(result: (StatusCode, Value), status: StatusCode, code: &str) -> Value {
    let (actual, body) = result;
    assert_eq!(actual, status, "body: {body}");
    assert_eq!(body["code"], code, "body: {body}");
    body
}

static JITTER: AtomicU64 = AtomicU64::new(1);

/// A coordinate moved by up to ±60 m in steps of about 1.3 m, as real GPS fixes differ
/// from scan to scan; without it test fixes would repeat (bit for bit, or within a
/// metre on another day) and raise `repeated_fix`.
pub fn jitter(value: f64) -> f64 {
    let n = JITTER.fetch_add(1, Ordering::Relaxed);
    value + ((n % 90) as f64 - 45.0) * 1.2e-5 + (n % 7919) as f64 * 1e-10
}

static JITTER_LON: AtomicU64 = AtomicU64::new(1);

/// A longitude moved like [`jitter`] on a cycle of another length, so that a fix
/// jittered on both axes repeats only after thousands of fixes.
pub fn jitter_lon(value: f64) -> f64 {
    let n = JITTER_LON.fetch_add(1, Ordering::Relaxed);
    value + ((n % 97) as f64 - 48.0) * 1.3e-5
}
