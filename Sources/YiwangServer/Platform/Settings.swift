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
