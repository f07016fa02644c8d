import Foundation
import Vapor
import YiwangCore

/// Where the keys that seal personal data come from: configuration in production; on a
/// newcomer's machine, a key file made once in the data directory (readable by its owner only).
enum DataProtection {
    struct KeyFile: Codable {
        var dataKeys: String
        var indexKey: String
    }

    static func keyRing(for settings: Settings) throws -> KeyRing {
        if let keys = settings.dataKeys, let index = settings.indexKey {
            return try KeyRing(configuration: keys, indexKey: index)
        }
        let path = settings.dataDirectory + "/keys.json"
        if let data = FileManager.default.contents(atPath: path) {
            let file = try JSONDecoder().decode(KeyFile.self, from: data)
            return try KeyRing(configuration: file.dataKeys, indexKey: file.indexKey)
        }
        let file = KeyFile(
            dataKeys: "k1:" + Data(KeyRing.newKey()).base64EncodedString(),
            indexKey: Data(KeyRing.newKey()).base64EncodedString())
        let data = try JSONEncoder().encode(file)
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError(problems: ["cannot write the key file \(path)"])
        }
        return try KeyRing(configuration: file.dataKeys, indexKey: file.indexKey)
    }
}

extension Application {
    private struct KeyRingKey: StorageKey { typealias Value = KeyRing }

    /// The keys that seal personal data and compute blind indexes, set by `configure`.
    var keyRing: KeyRing {
        get throws {
            guard let ring = storage[KeyRingKey.self] else {
                throw Abort(.internalServerError, reason: "the data keys are not configured")
            }
            return ring
        }
    }

    func useKeyRing(_ ring: KeyRing) { storage[KeyRingKey.self] = ring }
}
