import Foundation

/// The file types a material may be uploaded as, recognised by their content, never by the
/// name the applicant's computer gave them.
public enum MaterialFileType: String, Codable, Sendable, CaseIterable {
    case pdf, png, jpeg, ofd

    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .ofd: "application/ofd"
        }
    }

    public var fileExtension: String { rawValue == "jpeg" ? "jpg" : rawValue }

    public var chineseName: String {
        switch self {
        case .pdf: "PDF 文档"
        case .png: "PNG 图片"
        case .jpeg: "JPEG 图片"
        case .ofd: "OFD 版式文档"
        }
    }
}

/// What the platform accepts as a material file: size limits and content sniffing.
public enum MaterialFile {
    /// The largest file accepted (scans of several pages fit well within it).
    public static let maxBytes = 20 * 1024 * 1024

    /// Recognises the file from its first bytes. A PDF must also end with its `%%EOF` trailer,
    /// so a truncated upload is refused rather than stored.
    public static func sniff(_ bytes: some Collection<UInt8>) -> MaterialFileType? {
        let head = Array(bytes.prefix(8))
        if head.starts(with: Array("%PDF-".utf8)) {
            let tail = Array(bytes.suffix(1024))
            return tail.firstRange(of: Array("%%EOF".utf8)) != nil ? .pdf : nil
        }
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        // OFD (GB/T 33190) is a ZIP package whose entry list names OFD.xml.
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]), Array(bytes.prefix(4096)).firstRange(of: Array("OFD.xml".utf8)) != nil { return .ofd }
        return nil
    }

    /// Checks an upload and says, in Chinese, why it is refused.
    public static func check(_ bytes: some Collection<UInt8>) throws(DomainError) -> MaterialFileType {
        if bytes.isEmpty { throw .invalid("material.empty", "上传的文件是空的，请重新选择文件。") }
        if bytes.count > maxBytes {
            throw DomainError(.tooLarge, code: "material.too_large", message: "文件超过 \(maxBytes / 1024 / 1024) MB 的上限，请压缩或分页扫描后再上传。")
        }
        guard let type = sniff(bytes) else {
            throw .invalid(
                "material.type", "文件内容不是可接受的格式(PDF、OFD、PNG 或 JPEG)。请勿只修改文件扩展名，请导出或扫描为上述格式后上传。")
        }
        return type
    }

    /// A file name safe to show and to offer in a download header: no paths, no control characters.
    public static func displayName(_ raw: String?, type: MaterialFileType) -> String {
        let base = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(base.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) && $0 != "\"" }.prefix(120).map(Character.init))
            .trimmingCharacters(in: .whitespaces)
        return cleaned.isEmpty ? "材料.\(type.fileExtension)" : cleaned
    }
}

/// What the applicant has given for each material of the item, and what that allows at
/// acceptance: every required material, or the 容缺 and 告知承诺 rules where the item has them.
public struct MaterialChecklist: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var required: Bool
        public var supplied: Bool
        /// The platform fetches it (电子证照 or 数据共享): nothing to give.
        public var heldByPlatform: Bool
        public var deferrable: Bool
        public var replacedByCommitment: Bool
    }

    public var lines: [Line]

    /// `supplied` holds the indexes of the item's materials with a file; `commitment` says the
    /// applicant signed the 告知承诺书 on an item that allows it.
    public init(guide: ServiceGuide, supplied: Set<Int>, commitment: Bool) {
        lines = guide.materials.enumerated().map { index, material in
            Line(
                index: index, name: material.name, required: material.required, supplied: supplied.contains(index),
                heldByPlatform: material.source.isHeldByPlatform, deferrable: material.deferrable,
                replacedByCommitment: commitment && guide.commitmentBased && material.commitmentReplaceable)
        }
        allowsDeferral = guide.acceptWithDeferredMaterials
    }

    private var allowsDeferral: Bool

    /// Required materials still missing (not fetched, not replaced by the commitment).
    public var missing: [Line] { lines.filter { $0.required && !$0.supplied && !$0.heldByPlatform && !$0.replacedByCommitment } }

    /// Of the missing, those the item lets the applicant supply after acceptance.
    public var deferrable: [Line] { allowsDeferral ? missing.filter(\.deferrable) : [] }

    /// Missing materials that stop acceptance.
    public var blocking: [Line] { missing.filter { !(allowsDeferral && $0.deferrable) } }

    /// The one-time correction notice (一次性告知) lists every missing material by name.
    public var missingNames: [String] { missing.map(\.name) }

    /// Why acceptance is refused, naming every blocking material; nil when nothing blocks it.
    public var blockingNotice: String? {
        blocking.isEmpty ? nil : "材料不齐，不能受理：缺少" + blocking.map { "“\($0.name)”" }.joined(separator: "、") + "。请一次性告知申请人补正。"
    }

    /// Refuses acceptance with the full list when something required is missing.
    public func checkAcceptable() throws(DomainError) {
        if let blockingNotice { throw .conflict("case.materials_missing", blockingNotice) }
    }
}
