//! The demo organization and the incident stories it suffers: written for Mayday, fictional
//! people and systems. Text may hold `{placeholders}` that the generator fills per incident
//! (see `Fill` in the parent module).

use mayday_core::Role;

pub struct TeamSpec {
    pub name: &'static str,
    pub description: &'static str,
}

pub const SERVICE_DESK: &str = "Service Desk";

pub const TEAMS: &[TeamSpec] = &[
    TeamSpec {
        name: SERVICE_DESK,
        description: "First line: takes calls, chats and portal reports, fixes what it can and \
                      routes the rest.",
    },
    TeamSpec {
        name: "Network Operations",
        description: "Office networks, Wi-Fi, VPN, DNS, firewalls and the internet links.",
    },
    TeamSpec {
        name: "Database Administration",
        description: "The orders database cluster, the data warehouse, backups and replication.",
    },
    TeamSpec {
        name: "Platform Engineering",
        description: "The customer portal, the payments API, email, CI runners and deployments.",
    },
    TeamSpec {
        name: "Security Operations",
        description: "Phishing, malware, suspicious sign-ins and vulnerability handling.",
    },
    TeamSpec {
        name: "Identity & Access",
        description: "Single sign-on, the directory, accounts, groups and permissions.",
    },
];

pub struct UserSpec {
    pub username: &'static str,
    pub display_name: &'static str,
    pub time_zone: &'static str,
    pub role: Role,
    pub team: Option<&'static str>,
}

const fn user(
    username: &'static str,
    display_name: &'static str,
    time_zone: &'static str,
    role: Role,
    team: Option<&'static str>,
) -> UserSpec {
    UserSpec {
        username,
        display_name,
        time_zone,
        role,
        team,
    }
}

/// The user that monitoring-sourced incidents are reported by.
pub const MONITORING_USER: &str = "monitoring";
/// The incident manager (commands major incidents, reviews, closes them).
pub const MANAGER_USER: &str = "rachel.cohen";

pub const USERS: &[UserSpec] = &[
    user(
        "sofia.martin",
        "Sofia Martin",
        "Europe/Paris",
        Role::Agent,
        Some(SERVICE_DESK),
    ),
    user(
        "liam.oconnor",
        "Liam O'Connor",
        "Europe/Dublin",
        Role::Agent,
        Some(SERVICE_DESK),
    ),
    user(
        "priya.raman",
        "Priya Raman",
        "Asia/Kolkata",
        Role::Agent,
        Some(SERVICE_DESK),
    ),
    user(
        "diego.alvarez",
        "Diego Alvarez",
        "America/Mexico_City",
        Role::Agent,
        Some(SERVICE_DESK),
    ),
    user(
        "kenji.watanabe",
        "Kenji Watanabe",
        "Asia/Tokyo",
        Role::Agent,
        Some("Network Operations"),
    ),
    user(
        "marta.kowalska",
        "Marta Kowalska",
        "Europe/Warsaw",
        Role::Agent,
        Some("Network Operations"),
    ),
    user(
        "daniel.okafor",
        "Daniel Okafor",
        "Africa/Lagos",
        Role::Agent,
        Some("Database Administration"),
    ),
    user(
        "elena.petrova",
        "Elena Petrova",
        "Europe/Berlin",
        Role::Agent,
        Some("Database Administration"),
    ),
    user(
        "jonas.berg",
        "Jonas Berg",
        "Europe/Stockholm",
        Role::Agent,
        Some("Platform Engineering"),
    ),
    user(
        "aisha.rahman",
        "Aisha Rahman",
        "America/Toronto",
        Role::Agent,
        Some("Platform Engineering"),
    ),
    user(
        "carlos.mendes",
        "Carlos Mendes",
        "America/Sao_Paulo",
        Role::Agent,
        Some("Platform Engineering"),
    ),
    user(
        "nadia.haddad",
        "Nadia Haddad",
        "Europe/London",
        Role::Agent,
        Some("Security Operations"),
    ),
    user(
        "tom.fischer",
        "Tom Fischer",
        "Europe/Zurich",
        Role::Agent,
        Some("Security Operations"),
    ),
    user(
        "grace.kim",
        "Grace Kim",
        "America/Los_Angeles",
        Role::Agent,
        Some("Identity & Access"),
    ),
    user(
        "oliver.smith",
        "Oliver Smith",
        "Australia/Sydney",
        Role::Agent,
        Some("Identity & Access"),
    ),
    user(
        MANAGER_USER,
        "Rachel Cohen",
        "America/New_York",
        Role::Manager,
        Some(SERVICE_DESK),
    ),
    user(
        "ben.carter",
        "Ben Carter",
        "America/Chicago",
        Role::Requester,
        None,
    ),
    user(
        "lucia.romero",
        "Lucia Romero",
        "Europe/Madrid",
        Role::Requester,
        None,
    ),
    user(
        "ahmed.yusuf",
        "Ahmed Yusuf",
        "Asia/Dubai",
        Role::Requester,
        None,
    ),
    user(
        "emma.dubois",
        "Emma Dubois",
        "Europe/Paris",
        Role::Requester,
        None,
    ),
    user(
        "hannah.lee",
        "Hannah Lee",
        "Asia/Seoul",
        Role::Requester,
        None,
    ),
    user(
        "noah.schmidt",
        "Noah Schmidt",
        "Europe/Vienna",
        Role::Requester,
        None,
    ),
    user(
        "ivy.nguyen",
        "Ivy Nguyen (audit)",
        "Asia/Singapore",
        Role::Viewer,
        None,
    ),
    user(
        MONITORING_USER,
        "Monitoring (Alertmanager)",
        "UTC",
        Role::Requester,
        None,
    ),
];

pub struct ServiceSpec {
    pub name: &'static str,
    pub tier: u8,
    pub team: &'static str,
    pub description: &'static str,
    pub hosts: &'static [&'static str],
}

pub const SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        name: "Customer Portal",
        tier: 1,
        team: "Platform Engineering",
        description: "The public web shop: catalogue, basket, checkout and customer accounts.",
        hosts: &[
            "portal-web-01",
            "portal-web-02",
            "portal-web-03",
            "lb-public-01",
        ],
    },
    ServiceSpec {
        name: "Payments API",
        tier: 1,
        team: "Platform Engineering",
        description: "Card and bank payments for the portal and the mobile app.",
        hosts: &["pay-api-01", "pay-api-02", "pay-worker-01"],
    },
    ServiceSpec {
        name: "Orders Database",
        tier: 1,
        team: "Database Administration",
        description: "PostgreSQL cluster holding orders, invoices and stock levels.",
        hosts: &["pg-orders-01", "pg-orders-02", "pg-orders-03"],
    },
    ServiceSpec {
        name: "Single Sign-On",
        tier: 1,
        team: "Identity & Access",
        description: "Company sign-in (SAML and OpenID Connect) for every internal application.",
        hosts: &["sso-01", "sso-02"],
    },
    ServiceSpec {
        name: "Email & Calendar",
        tier: 2,
        team: "Platform Engineering",
        description: "Mailboxes, shared mailboxes, distribution lists and calendars.",
        hosts: &["mx-01", "mx-02", "mail-relay-01"],
    },
    ServiceSpec {
        name: "VPN Remote Access",
        tier: 2,
        team: "Network Operations",
        description: "Remote access for staff working from home or travelling.",
        hosts: &["vpn-gw-01", "vpn-gw-02"],
    },
    ServiceSpec {
        name: "Office Network",
        tier: 2,
        team: "Network Operations",
        description: "Wired and wireless networks, DNS, DHCP and internet links of the offices.",
        hosts: &["core-sw-01", "wlc-01", "dns-01", "dns-02", "fw-edge-01"],
    },
    ServiceSpec {
        name: "Directory & Accounts",
        tier: 2,
        team: "Identity & Access",
        description: "User accounts, groups, password policy and shared-drive permissions.",
        hosts: &["dc-01", "dc-02"],
    },
    ServiceSpec {
        name: "Endpoint Security",
        tier: 2,
        team: "Security Operations",
        description: "Anti-malware, disk encryption and compliance checks on company laptops.",
        hosts: &["edr-console", "mail-filter-01"],
    },
    ServiceSpec {
        name: "Build & Deploy Pipeline",
        tier: 2,
        team: "Platform Engineering",
        description: "CI runners, the artifact registry and the deployment jobs.",
        hosts: &[
            "ci-runner-01",
            "ci-runner-02",
            "ci-runner-03",
            "registry-01",
        ],
    },
    ServiceSpec {
        name: "Data Warehouse",
        tier: 3,
        team: "Database Administration",
        description: "Nightly loads and the finance and sales reports built on them.",
        hosts: &["dwh-01", "etl-01"],
    },
    ServiceSpec {
        name: "Workplace Devices",
        tier: 3,
        team: SERVICE_DESK,
        description: "Laptops, desktops, printers and meeting-room equipment.",
        hosts: &["print-server-01", "mdm-console"],
    },
];

/// The business calendar the office-hours SLA policies count on: Monday to Friday,
/// `OFFICE_HOURS` local time in `OFFICE_ZONE`, closed on the German national holidays.
pub const OFFICE_CALENDAR: &str = "Office hours (Berlin)";
pub const OFFICE_ZONE: &str = "Europe/Berlin";
/// Opening and closing hour.
pub const OFFICE_HOURS: (i8, i8) = (9, 18);

/// When a holiday falls.
#[derive(Debug, Clone, Copy)]
pub enum HolidayDate {
    /// The same month and day every year.
    Fixed(i8, i8),
    /// Days after Easter Sunday (negative: before).
    Easter(i16),
}

/// The national public holidays of Germany (the states add their own).
pub const HOLIDAYS: &[(&str, HolidayDate)] = &[
    ("New Year's Day", HolidayDate::Fixed(1, 1)),
    ("Good Friday", HolidayDate::Easter(-2)),
    ("Easter Monday", HolidayDate::Easter(1)),
    ("Labour Day", HolidayDate::Fixed(5, 1)),
    ("Ascension Day", HolidayDate::Easter(39)),
    ("Whit Monday", HolidayDate::Easter(50)),
    ("German Unity Day", HolidayDate::Fixed(10, 3)),
    ("Christmas Day", HolidayDate::Fixed(12, 25)),
    ("Second Day of Christmas", HolidayDate::Fixed(12, 26)),
];

/// An SLA policy per group of priorities: the critical ones around the clock, the others in
/// office hours. Warnings at 50% and 75% and the default actions.
pub struct SlaSpec {
    pub name: &'static str,
    /// Priority levels (1 = P1) it covers.
    pub priorities: &'static [i64],
    pub response_minutes: i64,
    /// In business time when `office_hours`: 27 h are three 9-hour office days.
    pub resolution_minutes: i64,
    /// Counted on [`OFFICE_CALENDAR`]; otherwise 24×7.
    pub office_hours: bool,
}

pub const SLA_POLICIES: &[SlaSpec] = &[
    SlaSpec {
        name: "Critical, 24×7",
        priorities: &[1],
        response_minutes: 15,
        resolution_minutes: 4 * 60,
        office_hours: false,
    },
    SlaSpec {
        name: "High, 24×7",
        priorities: &[2],
        response_minutes: 30,
        resolution_minutes: 8 * 60,
        office_hours: false,
    },
    SlaSpec {
        name: "Moderate, office hours",
        priorities: &[3],
        response_minutes: 4 * 60,
        resolution_minutes: 27 * 60,
        office_hours: true,
    },
    SlaSpec {
        name: "Low, office hours",
        priorities: &[4, 5],
        response_minutes: 9 * 60,
        resolution_minutes: 90 * 60,
        office_hours: true,
    },
];

/// How an incident of a scenario usually reaches us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// An alert: monitoring opens it.
    Alert,
    /// A person reports it (portal, email, phone, chat).
    User,
    /// Either.
    Both,
}

pub struct Scenario {
    pub service: &'static str,
    /// The hosts it happens on (`{host}`, `{host2}`); empty: any host of the service.
    pub hosts: &'static [&'static str],
    pub category: &'static str,
    pub subcategory: &'static str,
    /// Priority levels this scenario plausibly has.
    pub levels: &'static [u8],
    pub channel: Channel,
    pub titles: &'static [&'static str],
    /// How a caller words it on the phone (duplicates of a major incident).
    pub caller_titles: &'static [&'static str],
    /// As many as `titles` to go with the title of the same position; otherwise any fits any.
    pub descriptions: &'static [&'static str],
    /// How a person describes it when they report it rather than monitoring (scenarios that
    /// come both ways); goes with `caller_titles` like `descriptions` with `titles`.
    pub reports: &'static [&'static str],
    /// Internal work notes, in the order an investigation would produce them.
    pub notes: &'static [&'static str],
    /// Public updates; the last one says the service is back.
    pub updates: &'static [&'static str],
    /// (resolution code, resolution notes).
    pub resolutions: &'static [(&'static str, &'static str)],
    pub workaround: &'static str,
    pub root_cause: &'static str,
    pub tags: &'static [&'static str],
    pub confidential: bool,
    /// May be run as a major incident when it is a P1.
    pub major: bool,
}

const NONE: &[&str] = &[];

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        service: "Customer Portal",
        hosts: &["portal-web-01", "portal-web-02", "portal-web-03"],
        category: "software",
        subcategory: "application",
        levels: &[1, 2, 3],
        channel: Channel::Both,
        titles: &[
            "Customer Portal answers HTTP 502 on {pct}% of requests",
            "Checkout on the Customer Portal times out",
            "Customer Portal pages load very slowly since {time} UTC",
        ],
        caller_titles: &[
            "Customers cannot finish their orders on the web shop",
            "Web shop shows an error page when paying",
        ],
        descriptions: &[
            "Error rate on {host} behind the public load balancer climbed to {pct}% at about \
             {time} UTC. Customers see a gateway error after adding items to the basket; \
             retrying sometimes works.",
            "Several customers phoned in: the checkout spinner turns for a minute and then fails. \
             Response times on {host} are above 8 seconds at the 95th percentile.",
            "Pages of the web shop take 10 to 20 seconds to load since about {time} UTC. The \
             front-end servers are not busy; requests wait on something behind them.",
        ],
        reports: &[
            "Customers call to say they cannot pay for their basket: the page hangs and then \
             shows an error. It started around {time} UTC.",
            "The web shop shows an error page at the last step of checkout. Several customers \
             have phoned about it in the last half hour.",
        ],
        notes: &[
            "Connection pool of the portal application is saturated on {host}: {n} requests \
             waiting for a database connection.",
            "Restarted the portal pods one at a time. Errors drop for a few minutes, then climb \
             again: not a stuck process.",
            "The slow query log on the orders database shows a full scan of the basket table \
             starting at {time} UTC, right after release {version} went out.",
            "Rolling back to the previous release on one node as a test: that node is healthy.",
        ],
        updates: &[
            "Some customers cannot complete purchases on the web shop. We are investigating.",
            "We have found the cause and are rolling back a recent release.",
            "The web shop is working normally again. We keep watching it closely.",
        ],
        resolutions: &[
            (
                "resolved_by_change",
                "Rolled back release {version}; the query it added now has an index in the \
                 fixed release. Error rate back below 0.1%.",
            ),
            (
                "solution_provided",
                "Raised the connection pool from 40 to 80 per node and added the missing index \
                 on basket(customer_id). Latency back to normal.",
            ),
        ],
        workaround: "Restarting the portal pods restores service for about 20 minutes.",
        root_cause: "Release {version} added a basket query without an index; under evening \
                     load it held database connections long enough to exhaust the pool.",
        tags: &["customer-facing"],
        confidential: false,
        major: true,
    },
    Scenario {
        service: "Payments API",
        hosts: &["pay-api-01", "pay-api-02"],
        category: "software",
        subcategory: "application",
        levels: &[1, 2],
        channel: Channel::Both,
        titles: &[
            "Card payments failing with gateway timeouts",
            "Payments API error rate above {pct}%",
            "Payment confirmations delayed by more than {minutes} minutes",
        ],
        caller_titles: &[
            "My card payment was refused twice on the web shop",
            "Customer charged but no order confirmation",
        ],
        descriptions: &[
            "Alert: {pct}% of card authorisations on {host} failed over the last 10 minutes \
             (normal is under 2%). Most failures are timeouts towards the card acquirer.",
            "The error rate of the payments API on {host} is {pct}% and rising. Failed calls \
             all go to the card acquirer and time out after 25 seconds.",
            "The payment worker queue holds {n} thousand messages and grows. Customers are \
             charged but their orders stay in 'payment pending'.",
        ],
        reports: &[
            "A customer called: their card was refused twice in the web shop although it works \
             elsewhere. Others report the same on social media.",
            "A customer was charged but has no order confirmation after {minutes} minutes. Two \
             more calls about the same thing.",
        ],
        notes: &[
            "Acquirer status page shows no incident. Our outbound calls from {host} take 25 s \
             before failing.",
            "TLS handshakes to the acquirer fail intermittently: their new intermediate \
             certificate is not in our trust bundle.",
            "Scaled the payment workers from 4 to 8 to drain the backlog.",
            "Opened case {case} with the acquirer to confirm the certificate rotation.",
        ],
        updates: &[
            "Card payments are failing for some customers. Orders are not lost; we are working \
             on it.",
            "Payments are going through again. Delayed confirmations are being processed now.",
        ],
        resolutions: &[
            (
                "solution_provided",
                "Added the acquirer's new intermediate certificate to the trust bundle and \
                 redeployed the payment workers. Backlog drained in {minutes} minutes.",
            ),
            (
                "workaround_provided",
                "Switched traffic to the secondary acquirer. The primary route stays disabled \
                 until the vendor confirms the fix.",
            ),
        ],
        workaround: "Route card traffic to the secondary acquirer (feature flag \
                     payments.secondary_route).",
        root_cause: "The acquirer rotated its intermediate certificate without notice; our \
                     pinned trust bundle did not include the new one.",
        tags: &["customer-facing", "payments"],
        confidential: false,
        major: true,
    },
    Scenario {
        service: "Orders Database",
        hosts: &["pg-orders-01", "pg-orders-02"],
        category: "database",
        subcategory: "replication",
        levels: &[2, 3, 4],
        channel: Channel::Alert,
        titles: &[
            "Replication lag on {host2} above {minutes} minutes",
            "Replica {host2} stopped replaying WAL",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Alert: replica {host2} is {minutes} minutes behind {host}. Reports read from the \
             replica show stale stock levels.",
        ],
        reports: NONE,
        notes: &[
            "A long-running analytics query on {host2} blocks WAL replay (conflict with \
             recovery).",
            "Cancelled the blocking query; lag is shrinking, about {n} MB/s.",
            "Lag back under one second.",
        ],
        updates: NONE,
        resolutions: &[(
            "solution_provided",
            "Cancelled the blocking query and set max_standby_streaming_delay to 5 minutes so \
             replay can no longer be held back for long.",
        )],
        workaround: "Point the reports at the primary until the replica catches up.",
        root_cause: "Ad-hoc analytics queries on the replica conflicted with WAL replay.",
        tags: &["database"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Orders Database",
        hosts: &["pg-orders-01"],
        category: "database",
        subcategory: "availability",
        levels: &[1, 2, 3],
        channel: Channel::Alert,
        titles: &[
            "Disk usage on {host} at {high}%",
            "Orders database data volume filling up",
        ],
        caller_titles: &["Order screens in the warehouse show 'database unavailable'"],
        descriptions: &[
            "Alert: the data volume of {host} is filling quickly ({high}% used, +4% in the last \
             hour). At this rate writes stop within {n} hours.",
        ],
        reports: NONE,
        notes: &[
            "The pg_wal directory holds {n} GB: WAL segments are not being archived and removed.",
            "The archive command fails since the backup bucket credentials expired yesterday.",
            "Renewed the backup bucket credentials; archiving resumed and the backlog is being \
             shipped.",
        ],
        updates: &[
            "Order processing is at risk because of a database storage problem. We are on it.",
            "The database is healthy again; orders are processed normally.",
        ],
        resolutions: &[(
            "solution_provided",
            "Archive command fixed after renewing its credentials; disk usage back to 61%. \
             Alert threshold lowered to 80%.",
        )],
        workaround: "Temporarily extended the data volume by 200 GB.",
        root_cause: "Expired storage credentials made WAL archiving fail silently, so WAL \
                     accumulated on the primary's disk.",
        tags: &["database"],
        confidential: false,
        major: true,
    },
    Scenario {
        service: "Orders Database",
        hosts: &["pg-orders-01"],
        category: "database",
        subcategory: "availability",
        levels: &[1, 2],
        channel: Channel::Both,
        titles: &[
            "Orders database refusing new connections",
            "'Too many clients' errors from the orders database",
        ],
        caller_titles: &["Order screens in the warehouse show 'database unavailable'"],
        descriptions: &[
            "The primary {host} answers 'too many clients already'; the portal and the \
             warehouse application both get connection errors since {time} UTC.",
        ],
        reports: &[
            "The order screens in the warehouse show 'database unavailable' since {time} UTC. \
             Picking has stopped.",
        ],
        notes: &[
            "{n} idle connections from one host: the new stock-sync batch job opens a \
             connection per item and never closes them.",
            "Killed the batch job's sessions; the portal and the warehouse reconnect.",
            "Asked the team owning the batch job to go through the connection pooler.",
        ],
        updates: &[
            "Orders cannot be processed at the moment because of a database problem.",
            "Order processing works again.",
        ],
        resolutions: &[(
            "resolved_by_change",
            "Batch job moved behind the connection pooler; a per-user connection limit now \
             protects the primary.",
        )],
        workaround: "Kill the batch job's idle sessions.",
        root_cause: "A new batch job opened connections without a pool and never closed them, \
                     exhausting max_connections on the primary.",
        tags: &["database"],
        confidential: false,
        major: true,
    },
    Scenario {
        service: "Orders Database",
        hosts: &["pg-orders-01", "pg-orders-02"],
        category: "database",
        subcategory: "backup",
        levels: &[2, 3, 4],
        channel: Channel::Alert,
        titles: &[
            "Nightly backup of the orders database failed",
            "Backup verification of {host} reports a checksum error",
        ],
        caller_titles: NONE,
        descriptions: &[
            "The nightly base backup of {host} ended with an error after {minutes} minutes. \
             The last good backup is from the night before.",
            "The weekly restore test of last night's backup of {host} stopped with a checksum \
             mismatch in one data file.",
        ],
        reports: NONE,
        notes: &[
            "Backup log: connection reset by the object store at {pct}% progress; the upload \
             was not retried.",
            "Re-ran the backup by hand; it completed and the restore test passed.",
        ],
        updates: NONE,
        resolutions: &[(
            "solution_provided",
            "Backup re-run succeeded and was verified; the backup job now retries failed \
             uploads.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["database", "backup"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Data Warehouse",
        hosts: &["dwh-01"],
        category: "database",
        subcategory: "performance",
        levels: &[3, 4, 5],
        channel: Channel::User,
        titles: &[
            "Sales dashboard takes minutes to load",
            "Monthly finance report times out",
            "Data warehouse queries much slower than last week",
        ],
        caller_titles: NONE,
        descriptions: &[
            "The sales dashboard used in the Monday meeting needs {minutes} minutes to open; it \
             used to take a few seconds.",
            "The month-end finance report stops with a timeout after 10 minutes. Finance needs \
             it for the close.",
            "Every query I run on the warehouse is several times slower than last week, even \
             the small ones.",
        ],
        reports: NONE,
        notes: &[
            "Table statistics on the fact tables are {n} days old; the nightly loads changed \
             them a lot since.",
            "Ran ANALYZE on the fact tables; the plans now use the date index.",
        ],
        updates: &["It is fast again; reports open in under 20 seconds."],
        resolutions: &[
            (
                "solution_provided",
                "Refreshed statistics and scheduled ANALYZE after each nightly load.",
            ),
            (
                "workaround_provided",
                "Report pre-computed overnight and emailed to finance until the query is \
                 rewritten.",
            ),
        ],
        workaround: "",
        root_cause: "",
        tags: &["reporting"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Data Warehouse",
        hosts: &["etl-01"],
        category: "software",
        subcategory: "application",
        levels: &[3, 4],
        channel: Channel::Both,
        titles: &[
            "Nightly load job failed on {host}",
            "Yesterday's sales missing from the warehouse",
        ],
        caller_titles: &["Yesterday's sales missing from the reports"],
        descriptions: &[
            "The nightly load on {host} stopped at step {step} with 'duplicate key value'. \
             Reports show figures up to the day before yesterday.",
            "The sales reports this morning stop at the day before yesterday. Did the load run?",
        ],
        reports: &[
            "The sales reports this morning stop at the day before yesterday. Did the load run?",
        ],
        notes: &[
            "The load stopped at step {step}: a source system sent the same batch twice after \
             its own retry.",
            "Deleted the duplicate batch from staging and restarted the load from step {step}.",
        ],
        updates: &["Yesterday's figures are loaded; the reports are complete again."],
        resolutions: &[(
            "solution_provided",
            "Load re-run after removing the duplicate batch; the load now skips batches it has \
             already seen.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["reporting"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Single Sign-On",
        hosts: &["sso-01", "sso-02"],
        category: "configuration",
        subcategory: "certificate",
        levels: &[1, 2],
        channel: Channel::Both,
        titles: &[
            "Sign-in fails for all applications using single sign-on",
            "SSO login loops back to the sign-in page",
        ],
        caller_titles: &[
            "Cannot log in to anything this morning",
            "Login page keeps coming back after I enter my password",
        ],
        descriptions: &[
            "Since {time} UTC users get 'invalid signature' after signing in; the applications \
             reject the assertion. Affects every SAML application.",
            "Users are sent back to the sign-in page in a loop. Monitoring of {host} shows \
             {pct}% of assertions rejected.",
        ],
        reports: &[
            "Since this morning I cannot log in to any application: after my password I get an \
             error page.",
            "I enter my password, confirm on my phone, and land on the login page again. My \
             whole team has the same.",
        ],
        notes: &[
            "The token-signing certificate on {host} expired at {time} UTC; the new one was \
             generated last month but never activated.",
            "Activated the new signing certificate; publishing new metadata to the applications.",
            "{n} applications pull metadata automatically; the remaining ones need a manual \
             upload.",
        ],
        updates: &[
            "Signing in to company applications fails. We know the cause and are fixing it.",
            "Most applications accept sign-ins again. A few still need a manual step; we are \
             doing it now.",
            "Sign-in works again for all applications.",
        ],
        resolutions: &[(
            "solution_provided",
            "New signing certificate activated and metadata refreshed in all applications. \
             Expiry of signing certificates is now monitored 30 days ahead.",
        )],
        workaround: "Local accounts for the on-call engineers; no workaround for staff.",
        root_cause: "The signing certificate rollover was prepared but its activation step was \
                     missed; no alert existed for signing certificate expiry.",
        tags: &["sso"],
        confidential: false,
        major: true,
    },
    Scenario {
        service: "Single Sign-On",
        hosts: &[],
        category: "access",
        subcategory: "account_locked",
        levels: &[3, 4],
        channel: Channel::User,
        titles: &[
            "Multi-factor prompt no longer arrives on my new phone",
            "Cannot complete MFA sign-in after changing phone",
        ],
        caller_titles: NONE,
        descriptions: &[
            "I changed my phone yesterday and the authenticator app no longer gets the \
             sign-in prompt, so I cannot log in to anything.",
        ],
        reports: NONE,
        notes: &[
            "Verified the caller's identity by video call with their manager present.",
            "Removed the old device and sent a new enrolment link.",
        ],
        updates: &["You can enrol your new phone with the link we just emailed you."],
        resolutions: &[(
            "solution_provided",
            "Old device removed, new device enrolled; the caller signed in successfully.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["mfa"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Single Sign-On",
        hosts: &[],
        category: "security",
        subcategory: "unauthorized_access",
        levels: &[1, 2],
        channel: Channel::Both,
        titles: &[
            "Suspicious sign-ins from an unusual country",
            "Impossible-travel alert for a finance account",
        ],
        caller_titles: &[
            "Sign-in prompts I did not ask for",
            "Strange forwarding rule in my mailbox",
        ],
        descriptions: &[
            "Alert: {n} successful sign-ins to one account from two countries {minutes} \
             minutes apart. The second location has never been used by this person.",
        ],
        reports: &[
            "I received two sign-in prompts on my phone tonight that I did not ask for, and a \
             colleague says I sent her an odd email.",
            "There is a rule in my mailbox forwarding everything to an address I do not know.",
        ],
        notes: &[
            "Session tokens revoked and the account disabled pending review.",
            "Mailbox rules checked: a forwarding rule to an external address was created \
             yesterday. Removed it and kept a copy for the investigation.",
            "User confirms they clicked a link in an email asking to 'review a shared invoice'.",
        ],
        updates: NONE,
        resolutions: &[(
            "solution_provided",
            "Password reset, MFA re-enrolled, forwarding rule removed, sign-in logs reviewed: \
             no other account affected.",
        )],
        workaround: "",
        root_cause: "Credential phishing; the sign-in policy did not block legacy \
                     authentication for this account.",
        tags: &["security"],
        confidential: true,
        major: false,
    },
    Scenario {
        service: "Directory & Accounts",
        hosts: &[],
        category: "access",
        subcategory: "account_locked",
        levels: &[3, 4, 5],
        channel: Channel::User,
        titles: &[
            "Account locked after password change",
            "Locked out of my account again",
            "Account keeps locking every morning",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Since I changed my password my account locks every few minutes. I cannot work.",
            "My account is locked again, the second time this week. I did not type a wrong \
             password.",
            "Every morning my account is locked when I arrive and I have to call you.",
        ],
        reports: NONE,
        notes: &[
            "Lockout source is the caller's old phone still syncing mail with the previous \
             password.",
            "Unlocked the account and asked the caller to update the password on the phone.",
        ],
        updates: &["Your account is unlocked; please update the password stored on your phone."],
        resolutions: &[
            (
                "solution_provided",
                "Account unlocked; the stale password on the phone was the source of the \
                 lockouts.",
            ),
            (
                "resolved_by_caller",
                "Caller removed the old mail profile from the phone; no lockout since.",
            ),
        ],
        workaround: "",
        root_cause: "",
        tags: NONE,
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Directory & Accounts",
        hosts: &[],
        category: "access",
        subcategory: "password_reset",
        levels: &[4, 5],
        channel: Channel::User,
        titles: &[
            "Password expired while travelling",
            "Cannot reset my password with the self-service page",
        ],
        caller_titles: NONE,
        descriptions: &[
            "The self-service reset page says my phone number is not registered, so I cannot \
             reset my expired password.",
        ],
        reports: NONE,
        notes: &["Identity verified by call-back to the number in the HR system."],
        updates: &["A temporary password was sent by SMS; you will be asked to change it."],
        resolutions: &[(
            "solution_provided",
            "Temporary password issued after identity check; phone number registered for \
             self-service.",
        )],
        workaround: "",
        root_cause: "",
        tags: NONE,
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Directory & Accounts",
        hosts: &[],
        category: "access",
        subcategory: "permissions",
        levels: &[4, 5],
        channel: Channel::User,
        titles: &[
            "No access to the finance shared drive",
            "Access denied on the project folder after team move",
        ],
        caller_titles: NONE,
        descriptions: &[
            "I moved to the controlling team last week and still cannot open the finance \
             shared drive. My manager approved the access.",
            "Since I joined the logistics team I get 'access denied' on their project folder. \
             My new manager approved it by email.",
        ],
        reports: NONE,
        notes: &[
            "Approval found in the caller's email; group membership was never requested.",
            "Added the caller to the group; the change needs a new sign-in to apply.",
        ],
        updates: &["Access granted. Please sign out and in again to see the folder."],
        resolutions: &[(
            "solution_provided",
            "Added to the right group; access confirmed after sign-in.",
        )],
        workaround: "",
        root_cause: "",
        tags: NONE,
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Directory & Accounts",
        hosts: &[],
        category: "access",
        subcategory: "new_account",
        levels: &[3, 4],
        channel: Channel::User,
        titles: &[
            "New starter has no account on first day",
            "Account for contractor not created",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Our new colleague started today and cannot sign in: the account does not seem to \
             exist. The HR record was created two weeks ago.",
            "The contractor joining my project today has no account yet; the request was \
             approved last week.",
        ],
        reports: NONE,
        notes: &[
            "The HR sync rejected the record: the start date field was empty.",
            "Created the account by hand and fixed the HR record so the sync does not create a \
             second one.",
        ],
        updates: &["The account is ready; the credentials were handed to the manager."],
        resolutions: &[(
            "solution_provided",
            "Account created manually; HR sync error reported to the HR systems team.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["onboarding"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Email & Calendar",
        hosts: &["mail-relay-01"],
        category: "software",
        subcategory: "application",
        levels: &[2, 3],
        channel: Channel::Both,
        titles: &[
            "Outgoing email delayed by {minutes} minutes",
            "Mail queue growing on {host}",
        ],
        caller_titles: &["My emails are not arriving at customers"],
        descriptions: &[
            "Replies to customers arrive {minutes} minutes late; several people noticed it \
             this morning.",
            "The outbound queue on {host} holds {n} thousand messages and grows.",
        ],
        reports: &["Customers say my replies reach them an hour after I send them."],
        notes: &[
            "One large mailing sent from a shared mailbox filled the queue; the receiving \
             provider throttles our relay.",
            "Paused the mailing and moved it to the marketing platform; the queue is draining.",
        ],
        updates: &[
            "Emails are delayed. They are not lost and will be delivered.",
            "Email delivery is back to normal.",
        ],
        resolutions: &[(
            "solution_provided",
            "Queue drained after moving the mailing; bulk mail now has to go through the \
             marketing platform.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["email"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Email & Calendar",
        hosts: &["mail-relay-01"],
        category: "configuration",
        subcategory: "misconfiguration",
        levels: &[2, 3],
        channel: Channel::User,
        titles: &[
            "Emails to customers bounce with 'policy rejection'",
            "Our emails end up in customers' spam folders",
        ],
        caller_titles: &["My emails are not arriving at customers"],
        descriptions: &[
            "Customers tell us our emails bounce; the bounce says our sending address failed \
             the receiver's policy check.",
            "Two customers found our invoices in their spam folder this week; before they \
             always arrived.",
        ],
        reports: NONE,
        notes: &[
            "The SPF record lost the relay's address during last week's DNS clean-up.",
            "Restored the SPF record; test messages pass the checks again.",
        ],
        updates: &["Our emails are delivered normally again."],
        resolutions: &[(
            "resolved_by_change",
            "SPF record corrected under change {change}; deliveries accepted again.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["email"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Email & Calendar",
        hosts: &[],
        category: "software",
        subcategory: "application",
        levels: &[4, 5],
        channel: Channel::User,
        titles: &[
            "Shared mailbox no longer visible in mail client",
            "Cannot send as the team mailbox anymore",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Since yesterday the support shared mailbox disappeared from my mail client. \
             Colleagues still see it.",
            "When I send from the team mailbox I get 'you do not have permission'. It worked \
             last week.",
        ],
        reports: NONE,
        notes: &[
            "The caller's delegation was removed by last week's group clean-up.",
            "Restored the delegation; it can take an hour to show up.",
        ],
        updates: &["Please restart your mail client; the mailbox should be back."],
        resolutions: &[(
            "solution_provided",
            "Delegation restored; the mailbox is back.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["email"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Email & Calendar",
        hosts: &[],
        category: "software",
        subcategory: "application",
        levels: &[4, 5],
        channel: Channel::User,
        titles: &[
            "Calendar not syncing to phone",
            "Mail on my phone stopped updating",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Appointments I create on my laptop do not show on my phone.",
            "My phone shows no new mail since Monday; on the laptop everything arrives.",
        ],
        reports: NONE,
        notes: &[
            "The phone's account still uses the old server profile from before the migration.",
            "Walked the caller through removing and re-adding the account.",
        ],
        updates: &["Please remove and add the account again on your phone; steps attached."],
        resolutions: &[(
            "resolved_by_caller",
            "Caller re-added the account on the phone; sync works.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["email", "mobile"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "VPN Remote Access",
        hosts: &["vpn-gw-01", "vpn-gw-02"],
        category: "network",
        subcategory: "vpn",
        levels: &[1, 2, 3],
        channel: Channel::Both,
        titles: &[
            "VPN connections fail with 'gateway unreachable'",
            "Remote staff cannot connect to VPN",
        ],
        caller_titles: &[
            "VPN not working from home",
            "Cannot connect to the VPN since this morning",
        ],
        descriptions: &[
            "Remote users cannot establish a VPN tunnel; the client reports 'gateway \
             unreachable'. {host} answers pings.",
            "Since about {time} UTC new VPN connections are refused; people already connected \
             are fine.",
        ],
        reports: &[
            "I cannot connect to the VPN from home: the client says 'gateway unreachable'. \
             Colleagues have the same.",
            "The VPN client keeps trying to connect and then gives up. It worked yesterday.",
        ],
        notes: &[
            "{host} has used all of its licensed tunnels; new connections are refused.",
            "Failed over new connections to {host2}; tunnels establish again.",
            "Vendor confirmed a temporary licence extension under case {case}.",
        ],
        updates: &[
            "Some people cannot connect to the VPN. We are moving connections to the second \
             gateway.",
            "VPN access is back to normal.",
        ],
        resolutions: &[(
            "solution_provided",
            "Connections balanced over both gateways and the licensed tunnel count raised on \
             {host}.",
        )],
        workaround: "Connect to the secondary gateway (vpn2) by hand.",
        root_cause: "The tunnel licence limit was reached after the Monday return to remote \
                     work; the limit was not monitored.",
        tags: &["remote-work"],
        confidential: false,
        major: true,
    },
    Scenario {
        service: "VPN Remote Access",
        hosts: &["vpn-gw-01", "vpn-gw-02"],
        category: "network",
        subcategory: "vpn",
        levels: &[3, 4],
        channel: Channel::User,
        titles: &[
            "VPN drops every few minutes",
            "VPN disconnects during video calls",
        ],
        caller_titles: NONE,
        descriptions: &[
            "My VPN disconnects every {minutes} minutes and I lose my remote desktop session.",
        ],
        reports: NONE,
        notes: &[
            "Client logs show dead-peer detection timeouts; the caller's home router drops UDP \
             sessions after a short idle time.",
            "Switched the caller's client profile to TCP mode.",
        ],
        updates: &["We changed your VPN profile; please reconnect and tell us if it still drops."],
        resolutions: &[(
            "workaround_provided",
            "Client switched to TCP mode; the connection stays up.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["remote-work"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Office Network",
        hosts: &["wlc-01"],
        category: "network",
        subcategory: "wifi",
        levels: &[3, 4, 5],
        channel: Channel::User,
        titles: &[
            "Wi-Fi keeps dropping on the 3rd floor of the {site}",
            "Very slow Wi-Fi in the meeting rooms of the {site}",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Laptops on the 3rd floor of the {site} lose the Wi-Fi every few minutes since this \
             morning. Wired ports work.",
            "Video calls from the meeting rooms freeze; a speed test shows under 1 Mbit/s.",
        ],
        reports: NONE,
        notes: &[
            "{host} shows one access point of the area rebooting in a loop since a power event.",
            "Replaced the faulty access point from stock; clients spread over it again.",
        ],
        updates: &["Wi-Fi in the area is stable again."],
        resolutions: &[(
            "solution_provided",
            "Faulty access point replaced; coverage checked with a survey.",
        )],
        workaround: "Use the wired desks by the windows.",
        root_cause: "",
        tags: &["office"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Office Network",
        hosts: &["wlc-01"],
        category: "network",
        subcategory: "wifi",
        levels: &[4, 5],
        channel: Channel::User,
        titles: &["Guest Wi-Fi not working in the {site}"],
        caller_titles: NONE,
        descriptions: &["Visitors cannot get on the guest Wi-Fi; the welcome page never appears."],
        reports: NONE,
        notes: &[
            "The guest network's address pool is exhausted: leases last 7 days.",
            "Reduced the guest lease time to 4 hours and widened the pool.",
        ],
        updates: &["Guest Wi-Fi works again."],
        resolutions: &[(
            "solution_provided",
            "Guest lease time reduced to 4 hours and the address pool widened.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["office"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Office Network",
        hosts: &["dns-01", "dns-02"],
        category: "network",
        subcategory: "dns",
        levels: &[1, 2, 3],
        channel: Channel::Alert,
        titles: &[
            "Internal DNS resolution failing on {host}",
            "DNS queries time out in the {site}",
        ],
        caller_titles: &["Internet and internal sites not loading in the office"],
        descriptions: &[
            "Alert: {pct}% of queries to {host} time out. Internal names do not resolve; \
             applications that call each other by name fail.",
        ],
        reports: NONE,
        notes: &[
            "{host} is at 100% CPU answering a burst of queries from one build server.",
            "Blocked the misbehaving client and restarted the resolver; queries answered in 2 ms.",
        ],
        updates: &[
            "Name resolution is failing in some offices: websites and internal tools do not \
             load. We are restoring it.",
            "Name resolution works again in all offices.",
        ],
        resolutions: &[(
            "solution_provided",
            "Rate limiting per client enabled on both resolvers; the build server's resolver \
             loop fixed.",
        )],
        workaround: "Point clients at {host2}.",
        root_cause: "A build server misconfigured to forward to itself created a query loop \
                     that overloaded the resolver.",
        tags: &["dns"],
        confidential: false,
        major: true,
    },
    Scenario {
        service: "Office Network",
        hosts: &["fw-edge-01", "core-sw-01"],
        category: "network",
        subcategory: "connectivity",
        levels: &[1, 2, 3],
        channel: Channel::Both,
        titles: &[
            "Internet link down at the {site}",
            "Packet loss on the internet line of the {site}",
        ],
        caller_titles: &["No internet in the office"],
        descriptions: &[
            "Monitoring lost the primary internet link of the {site} at {time} UTC; traffic \
             moved to the backup line, which is saturated.",
            "Calls from the {site} are choppy and file copies crawl; ping shows {pct}% loss \
             towards the internet.",
        ],
        reports: &["No website loads in the {site} and calls drop. It started around {time} UTC."],
        notes: &[
            "Errors on the carrier-facing port of {host}; carrier opened case {case}.",
            "Carrier confirms damaged fibre in the street; repair crew dispatched.",
            "Deprioritised backups and updates on the backup line to keep calls usable.",
        ],
        updates: &[
            "The office internet line has a problem; the backup line works but is slow.",
            "The main line is repaired and the office is back to full speed.",
        ],
        resolutions: &[(
            "solution_provided",
            "Carrier repaired the fibre; traffic back on the primary link.",
        )],
        workaround: "Backup line with traffic shaping.",
        root_cause: "Fibre damaged by road works outside the office.",
        tags: &["office", "carrier"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Office Network",
        hosts: &["fw-edge-01"],
        category: "network",
        subcategory: "firewall",
        levels: &[3, 4],
        channel: Channel::User,
        titles: &[
            "Partner cannot reach our SFTP server",
            "Firewall blocks the new supplier portal",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Our logistics partner changed their IP addresses and their nightly upload to our \
             SFTP server fails since {time} UTC.",
            "The new supplier portal does not load from the office; from home it works.",
        ],
        reports: NONE,
        notes: &[
            "The connections are dropped by rule {n} on {host}.",
            "Rule updated; the connection works in a test.",
        ],
        updates: &["The firewall rule has been updated; please try again."],
        resolutions: &[(
            "resolved_by_change",
            "Rule updated on {host} under change {change}.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["partner"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Customer Portal",
        hosts: &["portal-web-01", "portal-web-02", "portal-web-03"],
        category: "network",
        subcategory: "load_balancer",
        levels: &[2, 3],
        channel: Channel::Alert,
        titles: &[
            "Load balancer health checks flapping for {host}",
            "Backend {host} repeatedly marked down",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Alert: {host} changed state {n} times in 15 minutes on the public load balancer. \
             Capacity of the pool is reduced.",
        ],
        reports: NONE,
        notes: &[
            "Health endpoint takes 4 s under load and the check times out at 3 s.",
            "Health endpoint no longer calls the database; checks stable.",
        ],
        updates: NONE,
        resolutions: &[(
            "resolved_by_change",
            "Made the health endpoint shallow and raised the check timeout to 5 s.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["customer-facing"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Endpoint Security",
        hosts: &["mail-filter-01"],
        category: "security",
        subcategory: "phishing",
        levels: &[2, 3, 4],
        channel: Channel::User,
        titles: &[
            "Suspicious email asking to confirm payroll details",
            "Phishing email impersonating the CEO",
            "Reported phishing: fake parcel delivery notice",
        ],
        caller_titles: NONE,
        descriptions: &[
            "I received an email that looks like it comes from HR and asks me to confirm my \
             bank details on an outside site. I did not click the link.",
            "Several colleagues got an urgent email 'from the CEO' asking for gift cards.",
            "An email says a parcel for me is held and asks for a small fee by card. We do not \
             expect parcels at this address.",
        ],
        reports: NONE,
        notes: &[
            "Same message delivered to {n} mailboxes; purged all copies.",
            "Sender domain and link added to the block lists of {host}.",
            "Checked proxy logs: nobody opened the link.",
        ],
        updates: &["Thank you for reporting it. The message was removed from all mailboxes."],
        resolutions: &[(
            "solution_provided",
            "Messages purged, domain and URL blocked, no click found in proxy logs.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["security", "phishing"],
        confidential: true,
        major: false,
    },
    Scenario {
        service: "Endpoint Security",
        hosts: &["edr-console"],
        category: "security",
        subcategory: "malware",
        levels: &[2, 3],
        channel: Channel::Alert,
        titles: &[
            "Malware detected on laptop {asset}",
            "Endpoint protection quarantined a file on {asset}",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Alert from {host}: a trojan dropper was quarantined on laptop {asset} after a \
             download from a file-sharing site.",
        ],
        reports: NONE,
        notes: &[
            "Isolated {asset} from the network through the endpoint console.",
            "Full scan clean after quarantine; no persistence found.",
            "Reimaged the laptop to be safe; user's files restored from backup.",
        ],
        updates: NONE,
        resolutions: &[(
            "solution_provided",
            "Laptop reimaged and returned; user reminded of the download policy.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["security"],
        confidential: true,
        major: false,
    },
    Scenario {
        service: "Build & Deploy Pipeline",
        hosts: &["registry-01"],
        category: "security",
        subcategory: "vulnerability",
        levels: &[3, 4, 5],
        channel: Channel::Alert,
        titles: &[
            "Vulnerability reported in a base image",
            "Dependency scan flags a vulnerable logging library",
        ],
        caller_titles: NONE,
        descriptions: &[
            "The nightly image scan on {host} reports a critical vulnerability in the base \
             image used by {n} services.",
            "The dependency scan reports a known vulnerability in the logging library used by \
             {n} services.",
        ],
        reports: NONE,
        notes: &[
            "Not exploitable in our setup (the vulnerable feature is disabled), but we patch.",
            "Rebuilt with the fixed version; services pick it up with their next deploy.",
        ],
        updates: NONE,
        resolutions: &[(
            "resolved_by_change",
            "Fixed version rolled out and all affected services redeployed.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["security", "vulnerability"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Build & Deploy Pipeline",
        hosts: &["ci-runner-01", "ci-runner-02", "ci-runner-03"],
        category: "configuration",
        subcategory: "deployment",
        levels: &[2, 3, 4],
        channel: Channel::Both,
        titles: &[
            "CI builds failing on {host}",
            "Builds fail with 'no space left on device'",
        ],
        caller_titles: &["Our builds fail with 'no space left on device'"],
        descriptions: &[
            "All builds scheduled on {host} fail with 'no space left on device'. Developers \
             are blocked from merging.",
        ],
        reports: &["All our builds fail with 'no space left on device'; nobody can merge."],
        notes: &[
            "The Docker build cache on {host} filled the disk.",
            "Pruned the build cache; builds pass again.",
        ],
        updates: &["Builds are running again."],
        resolutions: &[(
            "solution_provided",
            "Cache pruned on all runners; a daily clean-up job now keeps it in check.",
        )],
        workaround: "Pin jobs to {host2}.",
        root_cause: "",
        tags: &["ci"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Build & Deploy Pipeline",
        hosts: &["ci-runner-01", "ci-runner-02", "ci-runner-03"],
        category: "configuration",
        subcategory: "deployment",
        levels: &[2, 3],
        channel: Channel::User,
        titles: &[
            "Deployments stuck in 'pending' for {minutes} minutes",
            "Pipelines queued but no runner picks them up",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Deployment jobs wait in the queue; no runner picks them up. We need to ship a fix \
             today.",
        ],
        reports: NONE,
        notes: &[
            "The runners lost their registration after the upgrade to {version}.",
            "Re-registered the runners; queued jobs are starting.",
        ],
        updates: &["Pipelines are running again; queued jobs are being worked off."],
        resolutions: &[(
            "resolved_by_change",
            "Runners re-registered; the upgrade procedure now keeps the registration.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["ci"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Customer Portal",
        hosts: &["lb-public-01"],
        category: "configuration",
        subcategory: "certificate",
        levels: &[2, 3, 4],
        channel: Channel::Alert,
        titles: &[
            "TLS certificate of the portal expires in {n} days",
            "Certificate renewal failed for the public site",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Alert: the certificate served by {host} expires in {n} days and automatic \
             renewal failed twice.",
        ],
        reports: NONE,
        notes: &[
            "Renewal fails because the DNS challenge record cannot be created: the API key of \
             the DNS provider was rotated.",
            "Updated the key in the secrets store; renewal succeeded.",
        ],
        updates: NONE,
        resolutions: &[(
            "solution_provided",
            "Certificate renewed; renewal now alerts on the first failure.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["certificates"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Workplace Devices",
        hosts: &["mdm-console"],
        category: "hardware",
        subcategory: "laptop",
        levels: &[3, 4],
        channel: Channel::User,
        titles: &[
            "Laptop does not start after update",
            "Laptop asks for a recovery key after restart",
        ],
        caller_titles: NONE,
        descriptions: &[
            "My laptop shows a black screen after last night's update and does not get past \
             the logo.",
            "After the update my laptop asks for a recovery key I do not have.",
        ],
        reports: NONE,
        notes: &[
            "The firmware update left disk encryption waiting for the recovery key.",
            "Read the recovery key to the caller from {host}; the update completed.",
        ],
        updates: &["Your laptop should start normally now; the update has finished."],
        resolutions: &[(
            "solution_provided",
            "Recovery key provided and the update completed; laptop boots normally.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["hardware"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Workplace Devices",
        hosts: &["mdm-console"],
        category: "hardware",
        subcategory: "laptop",
        levels: &[4, 5],
        channel: Channel::User,
        titles: &[
            "Laptop {asset} battery swollen",
            "Screen flickers on laptop {asset}",
        ],
        caller_titles: NONE,
        descriptions: &[
            "The touchpad of {asset} is lifted and the case does not close anymore.",
            "The screen of {asset} flickers and goes black when I move the lid.",
        ],
        reports: NONE,
        notes: &[
            "Loan laptop prepared; data synced from the cloud drive.",
            "Warranty case {case} opened with the manufacturer.",
        ],
        updates: &["A loan laptop is ready for you at the service desk."],
        resolutions: &[
            (
                "workaround_provided",
                "Loan laptop in use while the original is repaired under warranty.",
            ),
            (
                "solution_provided",
                "Laptop repaired under warranty and returned.",
            ),
        ],
        workaround: "",
        root_cause: "",
        tags: &["hardware"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Workplace Devices",
        hosts: &["print-server-01"],
        category: "hardware",
        subcategory: "printer",
        levels: &[4, 5],
        channel: Channel::User,
        titles: &[
            "Printer on the 2nd floor of the {site} offline",
            "Print jobs stuck in the queue",
            "Badge release printing not working",
        ],
        caller_titles: NONE,
        descriptions: &[
            "The printer near the kitchen shows 'offline' for everyone since this morning.",
            "My print jobs stay in the queue and never come out.",
            "Jobs sent to the follow-me queue never appear when I badge at the printer.",
        ],
        reports: NONE,
        notes: &[
            "The spooler on {host} hung; {n} jobs were stuck behind one corrupt job.",
            "Restarted the spooler and removed the corrupt job; the queue empties.",
        ],
        updates: &["The printer works again."],
        resolutions: &[(
            "solution_provided",
            "Spooler restarted and the corrupt job removed; tested from two laptops.",
        )],
        workaround: "Print to the printer on the 1st floor.",
        root_cause: "",
        tags: &["office"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Workplace Devices",
        hosts: &[],
        category: "hardware",
        subcategory: "peripheral",
        levels: &[4, 5],
        channel: Channel::User,
        titles: &[
            "Meeting room screen does not detect laptops",
            "No picture on the screen of the large meeting room",
        ],
        caller_titles: NONE,
        descriptions: &[
            "In the large meeting room of the {site} the screen says 'no signal' with every \
             laptop we tried.",
        ],
        reports: NONE,
        notes: &[
            "The HDMI cable in the table box is damaged.",
            "Replaced the cable; tested with two laptops.",
        ],
        updates: &["The meeting room screen works again."],
        resolutions: &[(
            "solution_provided",
            "Cable replaced; tested with two laptops.",
        )],
        workaround: "Use the wireless presentation dongle.",
        root_cause: "",
        tags: &["office"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Workplace Devices",
        hosts: &["mdm-console"],
        category: "hardware",
        subcategory: "peripheral",
        levels: &[4, 5],
        channel: Channel::User,
        titles: &["Docking station does not charge the laptop"],
        caller_titles: NONE,
        descriptions: &[
            "My laptop runs on battery even when docked; the screens and keyboard on the dock \
             work.",
        ],
        reports: NONE,
        notes: &[
            "The dock runs an old firmware that does not support the new laptop model.",
            "Pushed the dock firmware update from {host}.",
        ],
        updates: &["The dock was updated; please unplug it for 10 seconds and dock again."],
        resolutions: &[(
            "solution_provided",
            "Dock firmware updated; the laptop charges.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["hardware"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Build & Deploy Pipeline",
        hosts: &[
            "ci-runner-01",
            "ci-runner-02",
            "ci-runner-03",
            "registry-01",
        ],
        category: "hardware",
        subcategory: "storage",
        levels: &[2, 3],
        channel: Channel::Alert,
        titles: &["Disk failure on {host}", "RAID degraded on {host}"],
        caller_titles: NONE,
        descriptions: &["Alert: one disk of the array on {host} failed; the array is degraded."],
        reports: NONE,
        notes: &[
            "Replacement disk ordered under the support contract, case {case}.",
            "Disk replaced; rebuild at {pct}%.",
        ],
        updates: NONE,
        resolutions: &[("solution_provided", "Disk replaced and array rebuilt.")],
        workaround: "",
        root_cause: "",
        tags: &["hardware"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Data Warehouse",
        hosts: &["dwh-01", "etl-01"],
        category: "monitoring",
        subcategory: "heartbeat",
        levels: &[3, 4],
        channel: Channel::Alert,
        titles: &[
            "No heartbeat from the backup agent on {host}",
            "Heartbeat missing from {host} for {minutes} minutes",
        ],
        caller_titles: NONE,
        descriptions: &["Heartbeat check: no signal from {host} for {minutes} minutes."],
        reports: NONE,
        notes: &[
            "The agent was stopped by the OS update and not restarted.",
            "Enabled the agent at boot and restarted it.",
        ],
        updates: NONE,
        resolutions: &[(
            "solution_provided",
            "Agent restarted and enabled at boot; heartbeats arriving.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["monitoring"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Workplace Devices",
        hosts: &["mdm-console"],
        category: "software",
        subcategory: "license",
        levels: &[3, 4],
        channel: Channel::User,
        titles: &[
            "Design software says the licence has expired",
            "Cannot edit spreadsheets: 'product deactivated'",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Since this morning the design application opens in read-only mode and says the \
             licence expired. The whole marketing team is affected.",
            "The office suite says 'product deactivated' and only lets me read files.",
        ],
        reports: NONE,
        notes: &[
            "The subscription renewed but the new licence key was not pushed to the devices.",
            "Pushed the new key through {host}.",
        ],
        updates: &["Please restart the application; the licence is active again."],
        resolutions: &[(
            "solution_provided",
            "New licence key deployed to all affected devices.",
        )],
        workaround: "",
        root_cause: "",
        tags: &["licensing"],
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Workplace Devices",
        hosts: &["mdm-console"],
        category: "software",
        subcategory: "update",
        levels: &[3, 4],
        channel: Channel::User,
        titles: &[
            "Expense tool crashes after the latest update",
            "Browser extension for the CRM broken after update",
        ],
        caller_titles: NONE,
        descriptions: &[
            "Since the update pushed on Tuesday the expense tool closes as soon as I attach a \
             receipt.",
            "The CRM button in my browser does nothing since the browser updated itself.",
        ],
        reports: NONE,
        notes: &[
            "Reproduced on a test laptop with version {version}; the previous version works.",
            "Paused the rollout of {version} on {host} and rolled the caller back.",
        ],
        updates: &["We rolled back the update on your laptop; it works again."],
        resolutions: &[(
            "workaround_provided",
            "Rolled back to the previous version; the vendor is fixing the crash.",
        )],
        workaround: "Use the web version.",
        root_cause: "",
        tags: NONE,
        confidential: false,
        major: false,
    },
    Scenario {
        service: "Workplace Devices",
        hosts: &[],
        category: "inquiry",
        subcategory: "how_to",
        levels: &[4, 5],
        channel: Channel::User,
        titles: &[
            "How do I share my calendar with an external partner?",
            "How can I set up an out-of-office reply on my phone?",
            "Where do I find the VPN client for my home computer?",
        ],
        caller_titles: NONE,
        descriptions: &[
            "I would like to know how to do this myself; I could not find it on the intranet.",
        ],
        reports: NONE,
        notes: &[
            "Found the matching knowledge article.",
            "Sent the caller the article with screenshots.",
        ],
        updates: &["Here are the steps; let us know if anything is unclear."],
        resolutions: &[(
            "solution_provided",
            "Explained the steps and sent the how-to article.",
        )],
        workaround: "",
        root_cause: "",
        tags: NONE,
        confidential: false,
        major: false,
    },
];

/// Generic work notes any investigation may add.
pub const TRIAGE_NOTES: &[&str] = &[
    "Checked the change calendar: nothing deployed to {service} in the last 24 hours.",
    "Checked the dashboards of {service}: the problem started around {time} UTC.",
    "Reproduced the problem with the service desk test account.",
    "Asked the caller for a screenshot and the exact time of the last failure.",
    "No other reports so far; looks limited to this caller.",
    "Three similar reports in the last hour; treating them together.",
];

/// First notes of an on-call engineer picking up an alert.
pub const ALERT_TRIAGE_NOTES: &[&str] = &[
    "Alert confirmed on the dashboards of {service}; it started around {time} UTC.",
    "Checked the change calendar: nothing deployed to {service} in the last 24 hours.",
    "Not flapping: the alert has been firing for {minutes} minutes.",
    "Looking at {host} now.",
];

pub const ACK_UPDATES: &[&str] = &[
    "Thanks for reporting this. We are looking into it.",
    "We have received your report and an engineer is on it.",
    "Thank you, we are checking this now and will come back to you.",
];

pub const ESCALATION_NOTES: &[&str] = &[
    "First-line checks done, no fix on our side: passing to {team}.",
    "Needs access we do not have on the desk; routing to {team}.",
    "Reassigning to {team}, who own {service}. Caller informed.",
];

pub const WRONG_TEAM_NOTES: &[&str] = &[
    "Not ours: the failing component belongs to {team}. Reassigning.",
    "Looked at it with {team}: it is on their side. Moving it over.",
];

pub const HOLD_CALLER: &[&str] = &[
    "Waiting for the caller to confirm a time for a remote session.",
    "Asked the caller to try again from the office tomorrow and report back.",
    "Caller is out until next week; waiting for them to test.",
];
pub const HOLD_VENDOR: &[&str] = &[
    "Opened case {case} with the vendor; waiting for their engineer.",
    "Vendor reproduced the problem under case {case} and is preparing a fix.",
];
pub const HOLD_CHANGE: &[&str] = &[
    "The fix needs a configuration change; scheduled in the next maintenance window \
     ({change}).",
    "Change {change} raised for the fix; waiting for approval by the change board.",
];
pub const HOLD_PROBLEM: &[&str] = &[
    "Same symptom as several earlier incidents; linked to an open problem record while the \
     root cause is investigated.",
    "Waiting on the problem investigation for {service} before applying a permanent fix.",
];

pub const RESUME_NOTES: &[&str] = &[
    "Caller is available now; resuming.",
    "Vendor delivered a fix under case {case}; applying it.",
    "Change {change} approved for tonight; implementing.",
    "Problem investigation found the cause; applying the fix here.",
];

pub const HOLD_PUBLIC: &[&str] = &[
    "We are waiting for a reply from the supplier and will update you as soon as we hear back.",
    "The fix is planned for the next maintenance window; we will confirm once it is done.",
    "Could you tell us when you are available for a short remote session?",
];

pub const RESOLVED_UPDATES: &[&str] = &[
    "This should be fixed now. Please let us know if you still see the problem.",
    "We applied a fix. The incident will close automatically in 7 days unless you reply.",
];

pub const CONFIRMATIONS: &[&str] = &[
    "Confirmed, everything works again. Thanks!",
    "Works for me now, thank you for the quick help.",
    "All good on our side, you can close it.",
];

pub const REOPEN_REASONS: &[&str] = &[
    "The problem is back this morning, same error as before.",
    "It worked for a day and now fails again.",
    "Still happening for my colleagues in the {site}.",
];

pub const REOPEN_NOTES: &[&str] = &[
    "The first fix only treated the symptom; looking deeper.",
    "Reopened by the caller; reproduced again on {host}.",
];

pub const REOPEN_RESOLUTIONS: &[&str] = &[
    "Second fix applied after the reopen; monitored for 24 hours without a new failure.",
    "Found a second cause on {host} and fixed it; the caller confirmed it works.",
];

pub const OVERRIDE_UP_USER: &[&str] = &[
    "Caller presents to the board this afternoon and depends on it.",
    "Month-end close: finance is blocked until this works.",
    "Affects the whole {site}, not a single person.",
];
pub const OVERRIDE_DOWN_USER: &[&str] = &[
    "Workaround in place and only one person affected.",
    "Caller is on holiday until next week; no urgency.",
];
pub const OVERRIDE_UP_ALERT: &[&str] = &[
    "Customer-facing impact confirmed by the account team.",
    "The redundant node is down too; one more failure and the service stops.",
];
pub const OVERRIDE_DOWN_ALERT: &[&str] = &[
    "The redundant node serves all traffic; no user impact seen.",
    "Only the overnight reporting depends on it; nobody is blocked.",
];

pub const MAJOR_DECLARED: &[&str] = &[
    "We are handling this as a major incident. Next update in 30 minutes.",
    "A major incident has been declared; the response team is assembled. Next update in 30 \
     minutes.",
];
pub const MAJOR_BRIDGE: &[&str] = &[
    "Bridge opened. Incident commander: {manager}. Technical lead: {worker}. Communications: \
     the service desk.",
];
pub const MAJOR_PROGRESS: &[&str] = &[
    "Update: the team is testing a fix. Next update in 30 minutes.",
    "Update: a fix is being rolled out in stages. Next update in 30 minutes.",
    "Update: impact is reduced; we are still working on a full fix.",
];
pub const MAJOR_REVIEWS: &[&str] = &[
    "Post-incident review held with {team} and the service desk; {few} action items recorded \
     with owners and due dates.",
    "Review done. Main lessons: alert earlier on the failing component and document the \
     failover. {few} action items agreed.",
];

pub const DUPLICATE_NOTES: &[&str] = &[
    "Thanks for calling. This is the same outage as {master}, which is already being worked \
     on; please follow that incident for updates.",
    "Same problem as {master}. We linked your report to it; updates will be posted there.",
];

pub const FALSE_ALARMS: &[&str] = &[
    "Alert cleared by itself after two minutes; no user impact and nothing found in the \
     logs. Threshold to be reviewed.",
    "Triggered by the planned maintenance on {host}; the silence was set on the wrong host.",
];
pub const NOT_INCIDENTS: &[&str] = &[
    "This is a request rather than an incident; redirected the caller to the request \
     catalogue.",
    "Question answered on the phone; nothing is broken.",
];
pub const WITHDRAWN: &[&str] = &[
    "Caller sorted it out themselves and withdrew the report.",
    "Caller no longer needs this; withdrawn at their request.",
    "Caller says it works again after a restart; withdrawn.",
];

pub const FOLLOW_UP_REASONS: &[&str] = &[
    "the same problem came back after the incident was closed",
    "the fix did not last; same symptom again",
];

pub const SITES: &[&str] = &[
    "Lyon office",
    "Berlin office",
    "Toronto office",
    "Singapore office",
    "London office",
    "Austin warehouse",
];

/// A reporter chasing an incident nobody has picked up yet.
pub const NUDGES: &[&str] = &[
    "Any news on this? It is still blocking my work.",
    "Adding: my colleague next to me has the same problem now.",
    "Is someone looking at this? I have a deadline this afternoon.",
];
