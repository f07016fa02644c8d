import Foundation
import Vapor
import YiwangCore

/// Configuration from environment variables, with safe defaults (README lists every one).
public struct Settings: Sendable {
    public enum DatabaseChoice: Sendable, Equatable {
        case sqliteFile(path: String)
        case sqliteMemory
        case postgres(url: String)
    }

    public var dataDirectory: String
    public var database: DatabaseChoice
    /// Load the demo city when `serve` finds an empty database.
    public var autoSeedDemo: Bool
    /// A guide not reviewed for this many days is reported as stale.
    public var staleGuideDays: Int
    /// bcrypt cost for staff passwords.
    public var passwordCost: Int
    /// Bearer tokens live this long.
    public var tokenLifetime: TimeInterval
    /// Password given to the demo staff accounts by `seed --demo`.
    public var demoPassword: String
    /// Largest catalog import accepted, in bytes.
    public var maxImportBytes: Int
    /// Project root: Resources/ and Public/ are found here.
    public var workingDirectory: String
    /// Data keys `id:base64,...` (first seals new values) and the blind-index key; when absent a
    /// key file is made in the data directory on first start.
    public var dataKeys: String?
    public var indexKey: String?
    /// A session unused this long ends (kiosks far sooner: people walk away from them).
    public var sessionIdle: TimeInterval = 30 * 60
    public var kioskIdle: TimeInterval = 3 * 60
    /// Per-address limits: sign-in attempts per minute, registrations per hour, API calls per minute.
    public var signInsPerMinute: Int = 20
    public var registrationsPerHour: Int = 10
    public var apiCallsPerMinute: Int = 1200
    public var lockout = LockoutRule()
    /// How long an instance trusts a bearer token's resolution before looking again (changes made
    /// on the same instance take effect at once).
    public var tokenCacheSeconds: TimeInterval = 5
    /// SQLite durability: `full` (default) syncs the WAL at every commit and survives power loss;
    /// `normal` syncs at checkpoints only: a crash of the process loses nothing, a power cut may
    /// lose the last commits.
    public var sqliteSynchronous = "full"
    /// Whether this process runs the platform's own jobs (outbox delivery); set for `serve`.
    public var runsBackgroundJobs = false
    /// A running deadline this many working days away or nearer shows yellow (预警).
    public var deadlineWarningDays = 2
    /// Where material files are kept (shared storage when several instances serve one database).
    public var materialsDirectoryOverride: String?
    public var materialsDirectory: String { materialsDirectoryOverride ?? dataDirectory + "/materials" }
    /// Send cookies only over HTTPS (set in production behind TLS).
    public var secureCookies = false
    /// Reverse proxies whose X-Forwarded-For is believed: without this, every citizen behind the
    /// city's proxy would share one address and one rate limit.
    public var trustedProxies: Set<String> = []
    /// `production` refuses demo accounts and the published demo password, needs keys from the
    /// environment, sends cookies over HTTPS only and never seeds; `development` is the default.
    public var production = false
    /// The append-only file of signed audit checkpoints (outside the database).
    public var auditCheckpointOverride: String?
    public var auditCheckpointPath: String { auditCheckpointOverride ?? dataDirectory + "/audit-checkpoints.jsonl" }
    /// How often `serve` checkpoints the audit head when it moved.
    public var auditCheckpointSeconds = 30
    /// Material files one applicant may keep, in bytes (shared files count once per applicant).
    public var applicantQuotaBytes = 200 * 1024 * 1024
    /// Who may scrape `/metrics`: these addresses, or a caller with this bearer token.
    public var metricsAddresses: Set<String> = ["127.0.0.1", "::1"]
    public var metricsToken: String?
    /// `text` (default) or `json`: one JSON object a line, for log collectors.
    public var jsonLogs = false
    /// The city whose seals sign its licences (the root certificate names it).
    public var cityName = "贵阳市"
    /// Where people reach the platform: the QR code on a licence leads to `<publicURL>/verify/…`.
    public var publicURL = "http://localhost:8080"
    /// How long a licence share link lives unless the holder says otherwise.
    public var licenceShareHours = 24
    /// Working days a department has to put a bad review right (国办发〔2019〕51号: 15).
    public var rectificationWorkingDays = 15
    /// How long the link to rate a case (SMS, the QR code on a receipt) stays open, in days.
    public var reviewLinkDays = 30
    /// How long a clerk's ended visit can still be rated on the window's tablet, in minutes.
    public var visitRatingMinutes = 15
    /// How long a call to a shared registry may take before it counts as failed.
    public var registryTimeout: TimeInterval = 3
    /// Faults the local exchange plays (`population=down,credit=slow:5000`), to rehearse outages.
    var registryFaults: [Registry: LocalSharedData.Fault] = [:]

    public init(
        dataDirectory: String = "./data", database: DatabaseChoice = .sqliteMemory, autoSeedDemo: Bool = true,
        staleGuideDays: Int = 365, passwordCost: Int = 12, tokenLifetime: TimeInterval = 8 * 3600,
        demoPassword: String = "Yiwang-demo-2026", maxImportBytes: Int = 64 * 1024 * 1024,
        workingDirectory: String = DirectoryConfiguration.detect().workingDirectory
    ) {
        self.dataDirectory = dataDirectory
        self.database = database
        self.autoSeedDemo = autoSeedDemo
        self.staleGuideDays = staleGuideDays
        self.passwordCost = passwordCost
        self.tokenLifetime = tokenLifetime
        self.demoPassword = demoPassword
        self.maxImportBytes = maxImportBytes
        self.workingDirectory = workingDirectory
    }

    /// Reads the environment; fails loudly, naming every bad setting.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
        var problems: [String] = []
        var settings = Settings()
        settings.dataDirectory = environment["YIWANG_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "./data"
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
                settings.database = .postgres(url: url)
            } else if url.hasPrefix("sqlite://") {
                settings.database = .sqliteFile(path: String(url.dropFirst("sqlite://".count)))
            } else {
                problems.append("DATABASE_URL must start with postgres:// or sqlite://")
            }
        } else {
            settings.database = .sqliteFile(path: settings.dataDirectory + "/yiwang.sqlite")
        }
        func integer(_ name: String, range: ClosedRange<Int>) -> Int? {
            guard let raw = environment[name], !raw.isEmpty else { return nil }
            guard let value = Int(raw), range.contains(value) else {
                problems.append("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), got '\(raw)'")
                return nil
            }
            return value
        }
        // A shared database is a real deployment: no demo accounts unless asked for explicitly.
        if case .postgres = settings.database { settings.autoSeedDemo = false }
        if let raw = environment["YIWANG_AUTO_SEED"], !raw.isEmpty {
            switch raw.lowercased() {
            case "1", "true", "yes", "on": settings.autoSeedDemo = true
            case "0", "false", "no", "off": settings.autoSeedDemo = false
            default: problems.append("YIWANG_AUTO_SEED must be true or false, got '\(raw)'")
            }
        }
        if let days = integer("YIWANG_STALE_GUIDE_DAYS", range: 30...3650) { settings.staleGuideDays = days }
        if let city = environment["YIWANG_CITY_NAME"], !city.isEmpty { settings.cityName = city }
        if let url = environment["YIWANG_PUBLIC_URL"], !url.isEmpty {
            if let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil {
                settings.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
            } else {
                problems.append("YIWANG_PUBLIC_URL must be an http(s) address, e.g. https://zwfw.example.gov.cn")
            }
        }
        if let hours = integer("YIWANG_LICENCE_SHARE_HOURS", range: 1...720) { settings.licenceShareHours = hours }
        if let days = integer("YIWANG_RECTIFICATION_WORKING_DAYS", range: 1...60) { settings.rectificationWorkingDays = days }
        if let days = integer("YIWANG_REVIEW_LINK_DAYS", range: 1...365) { settings.reviewLinkDays = days }
        if let minutes = integer("YIWANG_VISIT_RATING_MINUTES", range: 1...240) { settings.visitRatingMinutes = minutes }
        if let seconds = integer("YIWANG_REGISTRY_TIMEOUT_SECONDS", range: 1...60) { settings.registryTimeout = TimeInterval(seconds) }
        if let raw = environment["YIWANG_REGISTRY_FAULTS"], !raw.isEmpty {
            if let faults = LocalSharedData.faults(raw) {
                settings.registryFaults = faults
            } else {
                problems.append("YIWANG_REGISTRY_FAULTS must read like population=down,credit=slow:5000 (registries: population, legalPersons, credit)")
            }
        }
        if let cost = integer("YIWANG_PASSWORD_COST", range: 4...16) { settings.passwordCost = cost }
        if let hours = integer("YIWANG_TOKEN_HOURS", range: 1...720) { settings.tokenLifetime = TimeInterval(hours) * 3600 }
        if let megabytes = integer("YIWANG_MAX_IMPORT_MB", range: 1...1024) { settings.maxImportBytes = megabytes * 1024 * 1024 }
        if let password = environment["YIWANG_DEMO_PASSWORD"], !password.isEmpty {
            if password.count < 10 { problems.append("YIWANG_DEMO_PASSWORD must have at least 10 characters") }
            settings.demoPassword = password
        }
        if let minutes = integer("YIWANG_SESSION_IDLE_MINUTES", range: 1...1440) { settings.sessionIdle = TimeInterval(minutes) * 60 }
        if let limit = integer("YIWANG_SIGNINS_PER_MINUTE", range: 1...10_000) { settings.signInsPerMinute = limit }
        if let seconds = integer("YIWANG_TOKEN_CACHE_SECONDS", range: 0...60) { settings.tokenCacheSeconds = TimeInterval(seconds) }
        if let days = integer("YIWANG_DEADLINE_WARNING_DAYS", range: 0...30) { settings.deadlineWarningDays = days }
        if let directory = environment["YIWANG_MATERIALS_DIR"], !directory.isEmpty { settings.materialsDirectoryOverride = directory }
        if let mode = environment["YIWANG_SQLITE_SYNCHRONOUS"], !mode.isEmpty {
            if ["full", "normal"].contains(mode.lowercased()) {
                settings.sqliteSynchronous = mode.lowercased()
            } else {
                problems.append("YIWANG_SQLITE_SYNCHRONOUS must be full or normal, got '\(mode)'")
            }
        }
        if let limit = integer("YIWANG_REGISTRATIONS_PER_HOUR", range: 1...100_000) { settings.registrationsPerHour = limit }
        if let limit = integer("YIWANG_API_CALLS_PER_MINUTE", range: 1...1_000_000) { settings.apiCallsPerMinute = limit }
        if case .postgres = settings.database, environment["YIWANG_DATA_KEYS"]?.isEmpty ?? true {
            // Instances sharing a database must share keys; a key file per machine would split them.
            problems.append("YIWANG_DATA_KEYS and YIWANG_INDEX_KEY must be set when DATABASE_URL points to PostgreSQL")
        }
        if let raw = environment["YIWANG_TRUSTED_PROXIES"], !raw.isEmpty {
            settings.trustedProxies = Set(raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        if let raw = environment["YIWANG_SECURE_COOKIES"], !raw.isEmpty {
            settings.secureCookies = ["1", "true", "yes", "on"].contains(raw.lowercased())
        }
        if let keys = environment["YIWANG_DATA_KEYS"], !keys.isEmpty {
            guard let index = environment["YIWANG_INDEX_KEY"], !index.isEmpty else {
                throw ConfigurationError(problems: problems + ["YIWANG_INDEX_KEY must be set together with YIWANG_DATA_KEYS"])
            }
            do {
                _ = try KeyRing(configuration: keys, indexKey: index)
                settings.dataKeys = keys
                settings.indexKey = index
            } catch {
                problems.append("YIWANG_DATA_KEYS / YIWANG_INDEX_KEY: \(error.message)")
            }
        }
        switch environment["YIWANG_ENV"]?.lowercased() ?? "" {
        case "", "development", "dev": settings.production = false
        case "production", "prod": settings.production = true
        default: problems.append("YIWANG_ENV must be development or production, got '\(environment["YIWANG_ENV"] ?? "")'")
        }
        if let path = environment["YIWANG_AUDIT_CHECKPOINTS"], !path.isEmpty { settings.auditCheckpointOverride = path }
        if let seconds = integer("YIWANG_AUDIT_CHECKPOINT_SECONDS", range: 1...3600) { settings.auditCheckpointSeconds = seconds }
        if let megabytes = integer("YIWANG_APPLICANT_QUOTA_MB", range: 1...100_000) { settings.applicantQuotaBytes = megabytes * 1024 * 1024 }
        if let raw = environment["YIWANG_METRICS_ALLOW"] {
            settings.metricsAddresses = Set(raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        if let token = environment["YIWANG_METRICS_TOKEN"], !token.isEmpty {
            if token.count < 16 { problems.append("YIWANG_METRICS_TOKEN must have at least 16 characters") }
            settings.metricsToken = token
        }
        switch environment["YIWANG_LOG_FORMAT"]?.lowercased() ?? "" {
        case "", "text": settings.jsonLogs = false
        case "json": settings.jsonLogs = true
        default: problems.append("YIWANG_LOG_FORMAT must be text or json, got '\(environment["YIWANG_LOG_FORMAT"] ?? "")'")
        }
        if settings.production {
            // A real city: keys come from its secret store, never from a file beside the data;
            // no demo city; cookies only over HTTPS.
            if environment["YIWANG_DATA_KEYS"]?.isEmpty ?? true || environment["YIWANG_INDEX_KEY"]?.isEmpty ?? true {
                problems.append("YIWANG_ENV=production needs YIWANG_DATA_KEYS and YIWANG_INDEX_KEY from the environment")
            }
            if ["1", "true", "yes", "on"].contains(environment["YIWANG_AUTO_SEED"]?.lowercased() ?? "") {
                problems.append("YIWANG_ENV=production never loads the demo city: unset YIWANG_AUTO_SEED")
            }
            // QR codes and share links (shown once) must lead to the city's address, not localhost.
            if environment["YIWANG_PUBLIC_URL"]?.isEmpty ?? true {
                problems.append("YIWANG_ENV=production needs YIWANG_PUBLIC_URL (where licence QR codes and share links lead)")
            }
            settings.autoSeedDemo = false
            settings.secureCookies = true
        }
        if let directory = environment["YIWANG_ROOT"], !directory.isEmpty {
            settings.workingDirectory = directory.hasSuffix("/") ? directory : directory + "/"
        }
        guard problems.isEmpty else {
            throw ConfigurationError(problems: problems)
        }
        return settings
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "Invalid configuration:\n  - " + problems.joined(separator: "\n  - ") }
}

extension Application {
    private struct SettingsKey: StorageKey { typealias Value = Settings }
    private struct TimeSourceKey: StorageKey { typealias Value = any TimeSource }

    public var settings: Settings {
        get { storage[SettingsKey.self] ?? Settings() }
        set { storage[SettingsKey.self] = newValue }
    }

    /// The injected clock: everything that needs "now" asks this.
    public var timeSource: any TimeSource {
        get { storage[TimeSourceKey.self] ?? SystemTimeSource() }
        set { storage[TimeSourceKey.self] = newValue }
    }
}

extension Request {
    public var now: Date { application.timeSource.now() }
}
